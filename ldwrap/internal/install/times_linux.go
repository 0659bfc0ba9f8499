//go:build !ldwrap_portable

package install

import (
	"unsafe"

	"golang.org/x/sys/unix"
)

// futimens sets the times of the file open as fd to the nanosecond:
// utimensat with a NULL path, which x/sys/unix has no wrapper for. (The
// file may have no name: O_TMPFILE.)
func futimens(fd int, _ string, atime, mtime unix.Timespec) error {
	ts := [2]unix.Timespec{atime, mtime}
	_, _, errno := unix.Syscall6(unix.SYS_UTIMENSAT, uintptr(fd), 0, uintptr(unsafe.Pointer(&ts[0])), 0, 0, 0)
	if errno != 0 {
		return errno
	}
	return nil
}
