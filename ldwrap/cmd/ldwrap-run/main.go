// Command ldwrap-run runs any command that writes named outputs and makes
// them appear atomically. See "ldwrap-run --help".
package main

import "github.com/ldwrap/ldwrap/ldwrap/internal/cli"

func main() { cli.Main("ldwrap-run") }
