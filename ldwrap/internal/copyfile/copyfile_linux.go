//go:build !ldwrap_portable

package copyfile

import (
	"golang.org/x/sys/unix"

	"github.com/ldwrap/ldwrap/ldwrap/internal/rawio"
)

// Contents copies everything from in, from its current offset, to out,
// which must be empty: a reflink (FICLONE: the blocks are shared, nothing is
// copied) where the filesystem has them (btrfs, XFS), else
// copy_file_range(2) (in the kernel, no copy through this process), else
// read and write, which is what the kernel leaves to us between
// filesystems on older kernels, for pipes, and for /proc and /sys files,
// for which copy_file_range copies nothing and says so by returning 0 at
// once. st is in's stat, or nil: a file it shows to have holes is copied
// around them (sparse.go).
func Contents(out, in int, st *unix.Stat_t) error {
	if off, err := unix.Seek(in, 0, 1); err == nil && off == 0 {
		if unix.IoctlFileClone(out, in) == nil {
			return nil
		}
		if hasHoles(st) {
			if done, err := copySparse(out, in, st.Size, copyRange); done || err != nil {
				return err
			}
		}
	}
	for first := true; ; first = false {
		var n int
		err := rawio.IgnoringEINTR(func() (err error) { n, err = unix.CopyFileRange(in, nil, out, nil, 1<<30, 0); return err })
		switch {
		case first && (n == 0 || cannotCopyRange(err)):
			return readWrite(out, in)
		case err != nil:
			return err
		case n == 0:
			return nil
		}
	}
}

// cannotCopyRange says whether copy_file_range(2)'s answer means it cannot
// copy between these two files, so that read and write must.
func cannotCopyRange(err error) bool {
	switch err {
	case unix.EXDEV, unix.EINVAL, unix.ENOSYS, unix.EOPNOTSUPP, unix.EPERM, unix.EBADF:
		return true
	}
	return false
}

// copyRange copies n bytes at off in in to the same offset in out, with
// copy_file_range(2) where it can.
func copyRange(out, in int, off, n int64) error {
	for first := true; n > 0; first = false {
		roff, woff := off, off
		var m int
		err := rawio.IgnoringEINTR(func() (err error) {
			m, err = unix.CopyFileRange(in, &roff, out, &woff, int(minInt64(n, 1<<30)), 0)
			return err
		})
		switch {
		case first && (m == 0 || cannotCopyRange(err)):
			return preadPwrite(out, in, off, n)
		case err != nil:
			return err
		case m == 0:
			return nil // the file ended early: it shrank while being copied
		}
		off, n = off+int64(m), n-int64(m)
	}
	return nil
}
