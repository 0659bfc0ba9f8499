package install

import (
	"syscall"
	"unsafe"

	"golang.org/x/sys/unix"
)

// futimens sets the times of the file open as fd to the nanosecond:
// utimensat with a NULL path, which x/sys/unix has no wrapper for.
func futimens(fd int, atime, mtime unix.Timespec) error {
	ts := [2]unix.Timespec{atime, mtime}
	_, _, errno := syscall.Syscall6(syscall.SYS_UTIMENSAT, uintptr(fd), 0, uintptr(unsafe.Pointer(&ts[0])), 0, 0, 0)
	if errno != 0 {
		return errno
	}
	return nil
}
