// Command ldwrap-ar stands in front of ar and makes the archive it changes
// appear atomically. It runs $LDWRAP_AR (default ar), or, run through a
// link named ar, gcc-ar or llvm-ar, the next one of that name on PATH.
// See "ldwrap-ar --ldwrap-help".
package main

import "github.com/ldwrap/ldwrap/ldwrap/internal/cli"

func main() { cli.Main("ldwrap-ar") }
