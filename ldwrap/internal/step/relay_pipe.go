//go:build unix && (!linux || ldwrap_portable)

package step

import (
	"os"

	"golang.org/x/sys/unix"
)

// relayPipe returns the ends of a pipe for the tool's standard error.
// Where dst is a terminal, none: without a pseudo-terminal the tool would
// lose its terminal (colours, line buffering), which matters more than a
// staged path in a message.
func relayPipe(dst *os.File) (r, w *os.File, err error) {
	if _, err := unix.IoctlGetTermios(int(dst.Fd()), ioctlGetTermios); err == nil {
		return nil, nil, nil
	}
	return os.Pipe()
}

// selfExe is this program: the path it was started from, which the copy
// it starts runs again.
func selfExe() (string, error) { return os.Executable() }

// sameOpenFile cannot tell here; the caller compares what fstat and fcntl
// show.
func sameOpenFile(a, b int) (same, known bool) { return false, false }
