//go:build !ldwrap_portable

package engine

import (
	"golang.org/x/sys/unix"

	"github.com/ldwrap/ldwrap/ldwrap/internal/rawio"
)

var sys = sysCalls{
	renameNoReplace: func(from, to string) error {
		err := rawio.IgnoringEINTR(func() error {
			return unix.RenameatxNp(unix.AT_FDCWD, from, unix.AT_FDCWD, to, unix.RENAME_EXCL)
		})
		// A volume without the flag answers ENOTSUP.
		if isNotSupported(err) || err == unix.EINVAL {
			return errNotSupported
		}
		return err
	},
	exchange: func(a, b string) error {
		err := rawio.IgnoringEINTR(func() error { return unix.RenameatxNp(unix.AT_FDCWD, a, unix.AT_FDCWD, b, unix.RENAME_SWAP) })
		if isNotSupported(err) || err == unix.EINVAL {
			return errNotSupported
		}
		return err
	},
	openUnnamed:   noUnnamed,
	reopenUnnamed: noReopen,
	linkUnnamed:   noLink,
	syncFS:        noSyncFS,
	syncFile:      fullFsync,
	random:        randomBytes,
	link:          linkNoFollow,
	dirNames:      rawio.DirentNames,
	xattrNames:    osXattrNames,
}

// fullFsync is F_FULLFSYNC: darwin's fsync(2) leaves the data in the
// drive's cache.
func fullFsync(fd int) error {
	return fullFsyncOr(fd, func(fd int) error {
		return rawio.IgnoringEINTR(func() error { _, err := unix.FcntlInt(uintptr(fd), unix.F_FULLFSYNC, 0); return err })
	}, rawio.Fsync)
}
