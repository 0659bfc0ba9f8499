// Command ldwrap-run runs any command and makes what it writes under the
// staged directories appear atomically. See "ldwrap-run --help".
package main

import "github.com/ldwrap/ldwrap/ldwrap/internal/cli"

func main() { cli.Main("ldwrap-run") }
