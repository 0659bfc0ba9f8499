//go:build unix && !linux

package install

import "golang.org/x/sys/unix"

// futimens sets the times of the file open as fd, to the microsecond
// (futimes(2): the BSDs' fd-based call).
func futimens(fd int, atime, mtime unix.Timespec) error {
	return unix.Futimes(fd, []unix.Timeval{unix.NsecToTimeval(unix.TimespecToNsec(atime)), unix.NsecToTimeval(unix.TimespecToNsec(mtime))})
}
