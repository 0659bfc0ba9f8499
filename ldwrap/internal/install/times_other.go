//go:build unix && !linux

package install

import (
	"golang.org/x/sys/unix"

	"github.com/ldwrap/ldwrap/ldwrap/internal/rawio"
)

// futimens sets the times of the file open as fd, to the microsecond
// (futimes(2): the BSDs' fd-based call).
func futimens(fd int, atime, mtime unix.Timespec) error {
	tv := []unix.Timeval{unix.NsecToTimeval(unix.TimespecToNsec(atime)), unix.NsecToTimeval(unix.TimespecToNsec(mtime))}
	return rawio.IgnoringEINTR(func() error { return unix.Futimes(fd, tv) })
}
