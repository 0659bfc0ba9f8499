//go:build linux && !ldwrap_portable

package nsrun

import (
	"encoding/binary"
	"os"
	"os/signal"
	"strconv"
	"strings"
	"sync/atomic"
	"syscall"

	"golang.org/x/sys/unix"

	"github.com/ldwrap/ldwrap/ldwrap/internal/rawio"
)

// Serve is the helper, when this process is one (runHelper starts it): it
// never returns then. Otherwise it returns at once.
func Serve() {
	if len(os.Args) < 2 || os.Args[0] != initName || os.Getenv(initEnv) != "1" {
		return
	}
	os.Exit(serveHelper(os.Args[1:]))
}

type helperConfig struct {
	report, control int
	ignored         []os.Signal
	mounts          []layerMount
	cmd             command
}

func parseHelper(a []string) (c helperConfig, ok bool) {
	if len(a) < 7 {
		return c, false
	}
	bad := false
	num := func(s string) int {
		n, err := strconv.Atoi(s)
		bad = bad || err != nil
		return n
	}
	c.report, c.control = num(a[0]), num(a[1])
	ids := strings.SplitN(a[2], ":", 2)
	if len(ids) != 2 {
		return c, false
	}
	c.cmd.user, c.cmd.uid, c.cmd.gid = true, num(ids[0]), num(ids[1])
	c.cmd.dir, c.cmd.stdout = a[3], a[4]
	if a[5] != "" {
		for _, s := range strings.Split(a[5], ",") {
			c.ignored = append(c.ignored, syscall.Signal(num(s)))
		}
	}
	n := num(a[6])
	a = a[7:]
	if bad || n < 0 || len(a) < 5*n+2 {
		return c, false
	}
	for i := 0; i < n; i++ {
		flags, err := strconv.ParseUint(a[4], 10, 64)
		if err != nil {
			return c, false
		}
		c.mounts = append(c.mounts, layerMount{a[0], a[1], a[2], a[3], uintptr(flags)})
		a = a[5:]
	}
	c.cmd.path, c.cmd.argv = a[0], a[1:]
	return c, true
}

// serveHelper mounts the layers in the user and mount namespaces it was
// started in, runs the command, waits for it as its subreaper, ends what
// it left, and reports to runHelper on the report pipe: "S", the
// command's wait status and whether it left processes running; or "F",
// the failure's kind, errno and what it was doing, when the command never
// ran.
func serveHelper(args []string) int {
	c, ok := parseHelper(args)
	if !ok {
		return 126 // no report: runHelper says the helper failed
	}
	unix.CloseOnExec(c.report)
	unix.CloseOnExec(c.control)
	c.cmd.env = environ()
	fail := func(f *failure) int {
		errno, _ := rawio.Cause(f.err).(syscall.Errno)
		msg := make([]byte, 6, 6+len(f.what))
		msg[0], msg[1] = 'F', f.kind
		binary.LittleEndian.PutUint32(msg[2:], uint32(errno))
		writeAll(c.report, append(msg, f.what...))
		return 126
	}

	// The helper must not die of a signal, or the command would run on
	// unwatched: every catchable one is taken and dropped. A signal to the
	// process group reached the command from the kernel; one sent to
	// ldwrap alone comes on the control pipe. Those ldwrap's caller left
	// ignored stay ignored, for the command to inherit.
	signal.Notify(make(chan os.Signal, 1))
	children := make(chan os.Signal, 1)
	signal.Notify(children, syscall.SIGCHLD)
	if len(c.ignored) > 0 {
		signal.Ignore(c.ignored...)
	}
	if err := becomeSubreaper(); err != nil {
		return fail(&failure{'m', "become a child subreaper", err})
	}
	if f := mountLayers(c.mounts, true); f != nil {
		return fail(f)
	}
	pid, f := c.cmd.start()
	if f != nil {
		return fail(f)
	}
	var reaped atomic.Bool
	go forwardControl(c.control, pid, &reaped)
	ws, err := waitReaping(pid, children)
	reaped.Store(true)
	if err != nil {
		return 126
	}
	rep := make([]byte, 6)
	rep[0] = 'S'
	binary.LittleEndian.PutUint32(rep[1:], uint32(ws))
	if endLeftovers() {
		rep[5] = 1
	}
	writeAll(c.report, rep)
	return 0
}

// forwardControl passes each signal runHelper sends on the control pipe
// on to the command, until it is reaped (its pid may be another's then).
func forwardControl(fd, pid int, reaped *atomic.Bool) {
	unix.SetNonblock(fd, true) // in the netpoller, not a thread blocked in read
	f := os.NewFile(uintptr(fd), "control")
	buf := make([]byte, 16)
	for {
		n, err := f.Read(buf)
		for _, b := range buf[:n] {
			if !reaped.Load() {
				syscall.Kill(pid, syscall.Signal(b))
			}
		}
		if err != nil {
			return
		}
	}
}

// environ is the command's environment: the helper's without its marker.
func environ() []string {
	env := os.Environ()
	out := env[:0]
	for _, e := range env {
		if !strings.HasPrefix(e, initEnv+"=") {
			out = append(out, e)
		}
	}
	return out
}

func writeAll(fd int, b []byte) {
	for len(b) > 0 {
		var n int
		err := rawio.IgnoringEINTR(func() (err error) { n, err = unix.Write(fd, b); return err })
		if err != nil || n <= 0 {
			return
		}
		b = b[n:]
	}
}
