//go:build !ldwrap_portable

package step

import (
	"os"
	"strconv"

	"golang.org/x/sys/unix"

	"github.com/ldwrap/ldwrap/ldwrap/internal/rawio"
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
	// Opened non-blocking and never asked for its Fd (which would make it
	// blocking for good), so that the relay's read deadline can stop it.
	mfd, err := rawio.Open("/dev/ptmx", unix.O_RDWR|unix.O_NOCTTY|unix.O_CLOEXEC|unix.O_NONBLOCK, 0)
	if err != nil {
		return os.Pipe()
	}
	master := os.NewFile(uintptr(mfd), "/dev/ptmx")
	fail := func(err error) (*os.File, *os.File, error) {
		master.Close()
		return os.Pipe()
	}
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

// selfExe is this program, as the kernel has it even once its file has
// been replaced or removed: the copy it starts is the same build.
func selfExe() (string, error) { return "/proc/self/exe", nil }

// sameOpenFile says whether descriptors a and b share one open file
// description (as after 2>&1), as kcmp(2) tells; known is false where it
// cannot tell (a kernel without it, a seccomp filter).
func sameOpenFile(a, b int) (same, known bool) {
	const kcmpFile = 0 // KCMP_FILE
	pid := uintptr(os.Getpid())
	r, _, errno := unix.Syscall6(unix.SYS_KCMP, pid, pid, kcmpFile, uintptr(a), uintptr(b), 0)
	if errno != 0 {
		return false, false
	}
	return r == 0, true
}
