//go:build linux || darwin || freebsd

package copyfile

import (
	"golang.org/x/sys/unix"

	"github.com/ldwrap/ldwrap/ldwrap/internal/rawio"
)

// copySparse copies the size bytes of in to out, which must be empty,
// one stretch of data at a time, found with SEEK_DATA and SEEK_HOLE, and
// leaves the holes between them holes: a 4 GiB file of which 4 KiB are
// data takes 4 KiB, as the old file did, where a plain copy writes 4 GiB
// of zeros (and fills a small tmpfs). It reports false, having written
// nothing, where the filesystem cannot find holes.
func copySparse(out, in int, size int64, copyRange func(out, in int, off, n int64) error) (bool, error) {
	for off := int64(0); off < size; {
		data, err := unix.Seek(in, off, unix.SEEK_DATA)
		if err == unix.ENXIO {
			break // a hole to the end
		}
		if err != nil {
			if off == 0 && (err == unix.EINVAL || err == unix.EOPNOTSUPP) {
				return false, nil
			}
			return true, err
		}
		hole, err := unix.Seek(in, data, unix.SEEK_HOLE)
		if err != nil {
			return true, err
		}
		if hole > size {
			hole = size
		}
		if err := copyRange(out, in, data, hole-data); err != nil {
			return true, err
		}
		off = hole
	}
	// The holes at the end: the size, without the blocks.
	return true, rawio.IgnoringEINTR(func() error { return unix.Ftruncate(out, size) })
}
