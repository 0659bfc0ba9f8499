// Command ldwrap-install is a drop-in for install(1) that replaces each
// destination atomically: the copy is written beside the destination, given
// its mode, owner and group, fsynced, and renamed into place. Supported:
// -m -o -g -d -D -t -T -C -p -v -c and their long forms; anything else is
// an error. Failures exit 1, as install(1) does.
package main

import "github.com/ldwrap/ldwrap/ldwrap/internal/cli"

func main() { cli.Install() }
