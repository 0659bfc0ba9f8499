//go:build linux || darwin || freebsd || netbsd || openbsd || dragonfly

package rawio

import "golang.org/x/sys/unix"

// Linkat is linkat(2) with both directories AT_FDCWD, where x/sys has it
// (not on Solaris, illumos and AIX).
func Linkat(from, to string, flags int) error {
	return IgnoringEINTR(func() error { return unix.Linkat(unix.AT_FDCWD, from, unix.AT_FDCWD, to, flags) })
}
