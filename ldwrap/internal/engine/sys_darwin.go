//go:build !ldwrap_portable

package engine

import "golang.org/x/sys/unix"

var sys = sysCalls{
	renameNoReplace: func(from, to string) error {
		err := unix.RenameatxNp(unix.AT_FDCWD, from, unix.AT_FDCWD, to, unix.RENAME_EXCL)
		// darwin's ENOTSUP (45) is not EOPNOTSUPP (102): a volume without
		// the flag answers the first.
		if err == unix.ENOTSUP || err == unix.EOPNOTSUPP || err == unix.EINVAL {
			return errNotSupported
		}
		return err
	},
	exchange: func(a, b string) error {
		err := unix.RenameatxNp(unix.AT_FDCWD, a, unix.AT_FDCWD, b, unix.RENAME_SWAP)
		if err == unix.ENOTSUP || err == unix.EOPNOTSUPP || err == unix.EINVAL {
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
}

// fullFsync is F_FULLFSYNC: darwin's fsync(2) leaves the data in the
// drive's cache. Where the filesystem refuses it, fsync, as Go's own
// (*os.File).Sync does.
func fullFsync(fd int) error {
	if _, err := unix.FcntlInt(uintptr(fd), unix.F_FULLFSYNC, 0); err == nil {
		return nil
	}
	return unix.Fsync(fd)
}
