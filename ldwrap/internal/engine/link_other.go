//go:build unix && !(linux || darwin || freebsd || netbsd || openbsd || dragonfly)

package engine

import (
	"golang.org/x/sys/unix"

	"github.com/ldwrap/ldwrap/ldwrap/internal/rawio"
)

// linkNoFollow is link(2) where x/sys has no linkat: the engine links no
// symlink with it, whichever way the system treats one.
func linkNoFollow(from, to string) error {
	return rawio.IgnoringEINTR(func() error { return unix.Link(from, to) })
}
