//go:build unix && (!linux || ldwrap_portable)

package rawio

import (
	"os"

	"golang.org/x/sys/unix"
)

// DirentNames lists the directory open as fd, from its current offset.
// Elsewhere than Linux, through the os package on a duplicate of fd (x/sys's
// darwin Getdirentries is an emulation, and closing the *os.File closes
// only the duplicate).
func DirentNames(fd int) ([]string, error) {
	dup, err := unix.Dup(fd)
	if err != nil {
		return nil, err
	}
	unix.CloseOnExec(dup)
	f := os.NewFile(uintptr(dup), "")
	defer f.Close()
	return f.Readdirnames(-1)
}
