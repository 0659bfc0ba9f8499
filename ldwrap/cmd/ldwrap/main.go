// Command ldwrap stands in front of the system linker (ld.bfd, gold, lld or
// mold) and makes its output appear atomically; run through a link named
// after a compiler, it stands in front of that compiler as ldwrap-cc does.
// See "ldwrap --help".
package main

import "github.com/ldwrap/ldwrap/ldwrap/internal/cli"

func main() { cli.Main("ldwrap") }
