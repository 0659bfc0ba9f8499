//go:build linux || darwin || freebsd || netbsd || openbsd || dragonfly

package engine

import "github.com/ldwrap/ldwrap/ldwrap/internal/rawio"

// linkNoFollow is linkat(2) without AT_SYMLINK_FOLLOW: it never follows a
// symlink at from, where link(2) does on macOS and the BSDs.
func linkNoFollow(from, to string) error {
	return rawio.Linkat(from, to, 0)
}
