//go:build !ldwrap_portable

package step

import (
	"os"
	"strconv"

	"golang.org/x/sys/unix"
)

// relayPipe returns the ends of what the tool's standard error goes
// through: a pseudo-terminal when dst is a terminal, so that the tool still
// sees one, else a pipe. The tool's end is close-on-exec here; ForkExec
// gives the tool its own copy.
func relayPipe(dst *os.File) (r, w *os.File, err error) {
	tio, err := unix.IoctlGetTermios(int(dst.Fd()), unix.TCGETS)
	if err != nil {
		return os.Pipe()
	}
	master, err := os.OpenFile("/dev/ptmx", os.O_RDWR|unix.O_NOCTTY, 0)
	if err != nil {
		return os.Pipe()
	}
	fail := func(err error) (*os.File, *os.File, error) {
		master.Close()
		return os.Pipe()
	}
	mfd := int(master.Fd())
	if err := unix.IoctlSetPointerInt(mfd, unix.TIOCSPTLCK, 0); err != nil {
		return fail(err)
	}
	n, err := unix.IoctlGetInt(mfd, unix.TIOCGPTN)
	if err != nil {
		return fail(err)
	}
	slave, err := os.OpenFile("/dev/pts/"+strconv.Itoa(n), os.O_RDWR|unix.O_NOCTTY, 0)
	if err != nil {
		return fail(err)
	}
	// The terminal's settings, less output processing: what the tool
	// writes reaches dst byte for byte, and dst's own terminal does the
	// rest (a newline's carriage return) once.
	tio.Oflag &^= unix.OPOST
	unix.IoctlSetTermios(int(slave.Fd()), unix.TCSETS, tio)
	if ws, err := unix.IoctlGetWinsize(int(dst.Fd()), unix.TIOCGWINSZ); err == nil {
		unix.IoctlSetWinsize(int(slave.Fd()), unix.TIOCSWINSZ, ws)
	}
	return master, slave, nil
}
