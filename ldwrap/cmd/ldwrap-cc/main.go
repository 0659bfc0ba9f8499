// Command ldwrap-cc stands in front of the C compiler driver and makes the
// outputs of compiles and links appear atomically. It runs $LDWRAP_CC
// (default cc), the compiler named as its first argument (ldwrap-cc gcc
// ...), or, run through a link named after a compiler, the next one of
// that name on PATH. See "ldwrap-cc --ldwrap-help".
package main

import "github.com/ldwrap/ldwrap/ldwrap/internal/cli"

func main() { cli.Main("ldwrap-cc") }
