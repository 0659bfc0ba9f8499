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
