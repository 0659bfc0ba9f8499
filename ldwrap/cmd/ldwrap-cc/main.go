// Command ldwrap-cc stands in front of the C compiler driver ($LDWRAP_CC,
// default cc) and makes the outputs of compiles and links appear atomically.
package main

import "github.com/ldwrap/ldwrap/ldwrap/internal/cli"

func main() { cli.Driver("LDWRAP_CC", "cc") }
