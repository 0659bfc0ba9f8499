// Command ldwrap-install is a drop-in for GNU install(1) that replaces each
// destination atomically: the copy is written beside the destination, given
// its mode, owner and group, made durable, and renamed into place. Failures
// exit 1, as install(1) does. See "ldwrap-install --help".
package main

import "github.com/ldwrap/ldwrap/ldwrap/internal/cli"

func main() { cli.Main("ldwrap-install") }
