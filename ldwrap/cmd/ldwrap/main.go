// Command ldwrap stands in front of the system linker (ld.bfd, gold, lld or
// mold) and makes its output appear atomically. See "ldwrap --help".
package main

import "github.com/ldwrap/ldwrap/ldwrap/internal/cli"

func main() { cli.Linker() }
