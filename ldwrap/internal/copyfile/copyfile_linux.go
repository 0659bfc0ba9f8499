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
// once.
func Contents(out, in int) error {
	if off, err := unix.Seek(in, 0, 1); err == nil && off == 0 {
		if unix.IoctlFileClone(out, in) == nil {
			return nil
		}
	}
	for first := true; ; first = false {
		var n int
		err := rawio.IgnoringEINTR(func() (err error) { n, err = unix.CopyFileRange(in, nil, out, nil, 1<<30, 0); return err })
		switch {
		case first && (n == 0 || err == unix.EXDEV || err == unix.EINVAL || err == unix.ENOSYS ||
			err == unix.EOPNOTSUPP || err == unix.EPERM || err == unix.EBADF):
			return readWrite(out, in)
		case err != nil:
			return err
		case n == 0:
			return nil
		}
	}
}
