//go:build unix && (!linux || ldwrap_portable)

package install

import (
	"golang.org/x/sys/unix"

	"github.com/ldwrap/ldwrap/ldwrap/internal/rawio"
)

// futimens sets the times of the file open as fd, at path, to the
// nanosecond where the filesystem keeps them: utimensat(2) on its name
// (x/sys has no futimens here). Without a name, futimes(2), to the
// microsecond. The ldwrap_portable build takes this path on Linux.
func futimens(fd int, path string, atime, mtime unix.Timespec) error {
	if path != "" {
		return rawio.UtimesNanoAt(unix.AT_FDCWD, path, []unix.Timespec{atime, mtime}, unix.AT_SYMLINK_NOFOLLOW)
	}
	tv := []unix.Timeval{unix.NsecToTimeval(unix.TimespecToNsec(atime)), unix.NsecToTimeval(unix.TimespecToNsec(mtime))}
	return rawio.IgnoringEINTR(func() error { return unix.Futimes(fd, tv) })
}
