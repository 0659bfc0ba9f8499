package engine

import "golang.org/x/sys/unix"

// fullFsyncOr flushes fd with full (darwin's F_FULLFSYNC, which flushes
// the drive's cache too), falling back to plain (fsync) only where the
// filesystem has no such call: ENOTSUP (SMB; Go's own (*os.File).Sync
// falls back on it alone, golang/go#64215) or ENOTTY. Any other error, EIO
// above all, is the answer: fsync after it could report success for data
// the drive never got.
//
// Every file and every directory gets its own full flush. F_BARRIERFSYNC
// (ordering without a cache flush) with one F_FULLFSYNC at the end would
// be cheaper for many files; it is not measured here (no Mac), so the
// slower call that keeps the promise it states stays.
func fullFsyncOr(fd int, full, plain func(int) error) error {
	err := full(fd)
	if err == unix.ENOTSUP || err == unix.ENOTTY {
		return plain(fd)
	}
	return err
}
