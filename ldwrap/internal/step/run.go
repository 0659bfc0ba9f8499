package step

import (
	"os"
	"sync/atomic"
	"syscall"

	"github.com/ldwrap/ldwrap/ldwrap/internal/rawio"
	"github.com/ldwrap/ldwrap/ldwrap/internal/toolpath"
)

// forwarded are the signals ldwrap passes on to the tool: the ones make
// reacts to by deleting targets, and those a terminal or a job control
// system sends.
var forwarded = []os.Signal{syscall.SIGINT, syscall.SIGTERM, syscall.SIGHUP, syscall.SIGQUIT}

// received is the last signal ldwrap received after the tool exited.
type received struct{ sig atomic.Int32 }

func (r *received) last() syscall.Signal {
	if r == nil {
		return 0
	}
	return syscall.Signal(r.sig.Load())
}

// runTool runs the tool and waits, forwarding signals to it if forward,
// and records the last signal ldwrap received once the tool was gone.
//
// While the tool runs, the tool's status decides, as it does bare: a tool
// that handles a signal and exits 0 has succeeded, and its outputs are
// committed. A signal sent to ldwrap's process group reached the tool
// from the kernel already, and is not forwarded (the witness tells,
// witness_linux.go); one sent to ldwrap alone is, once. Signals the parent
// left ignored stay ignored, for ldwrap and the tool (package sigign), and
// are not forwarded.
//
// It uses syscall.ForkExec and waitTool rather than os.StartProcess, which on
// its first use forks a throwaway child to probe for pidfd support. The
// signal handler is set up just before the fork (after it, a signal to
// ldwrap as the tool started killed ldwrap instead of reaching the tool;
// the tool then got SIGTERM, where the system has deathSignal). The
// handler is never removed: signal.Stop is a handshake with the runtime's
// signal thread that sat between the tool's exit and the commit; a signal
// after the tool has exited is recorded, and the command dies of it after
// the commit.
func runTool(t toolpath.Tool, args, env []string, stdout, stderr *os.File, forward bool) (syscall.WaitStatus, *received, error) {
	var fw *Forwarder
	if forward {
		fw = StartForwarding()
	}
	argv := append(append([]string(nil), t.Words...), args...)
	attr := &syscall.ProcAttr{Env: env, Files: []uintptr{0, stdout.Fd(), stderr.Fd()}, Sys: procAttr()}
	pid, err := syscall.ForkExec(t.Path, argv, attr)
	if err != nil {
		return 0, nil, &toolpath.Error{Name: t.Path, Err: err}
	}
	got := &received{}
	if forward {
		got = fw.got
		fw.Follow(func(sig syscall.Signal) { syscall.Kill(pid, sig) })
	}
	ws, err := waitTool(pid)
	if forward {
		fw.Reaped()
	}
	if err != nil {
		return 0, got, &toolpath.Error{Name: t.Path, Err: err}
	}
	return ws, got, nil
}

func contains(sigs []os.Signal, s os.Signal) bool {
	for _, x := range sigs {
		if x == s {
			return true
		}
	}
	return false
}

func waitBlocking(pid int) (syscall.WaitStatus, error) {
	var ws syscall.WaitStatus
	err := rawio.IgnoringEINTR(func() error { _, err := syscall.Wait4(pid, &ws, 0, nil); return err })
	return ws, err
}
