// Command ldwrap-stale lists the running processes that still use an old
// version of a replaced file. See "ldwrap-stale --help".
package main

import "github.com/ldwrap/ldwrap/ldwrap/internal/cli"

func main() { cli.Main("ldwrap-stale") }
