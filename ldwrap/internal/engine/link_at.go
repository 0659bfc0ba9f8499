//go:build linux || darwin || freebsd || netbsd || openbsd || dragonfly

package engine

import "golang.org/x/sys/unix"

// linkNoFollow is linkat(2) without AT_SYMLINK_FOLLOW: it never follows a
// symlink at from, where link(2) does on macOS and the BSDs.
func linkNoFollow(from, to string) error {
	return unix.Linkat(unix.AT_FDCWD, from, unix.AT_FDCWD, to, 0)
}
