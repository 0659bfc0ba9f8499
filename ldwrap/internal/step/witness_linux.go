//go:build linux && !ldwrap_portable

package step

import (
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/ldwrap/ldwrap/ldwrap/internal/rawio"
)

// The tool runs in ldwrap's process group, as it would bare, so that a
// Ctrl-C, a hangup or a kill of the job's group (ninja's kill(-pgid);
// likewise systemd's stop, which signals every process of the unit)
// reaches it from the kernel. ldwrap gets those signals too,
// and must not forward them: the tool would see two, where a tool that
// handles the first (an interrupt that stops gracefully, a second one that
// does not) then takes the second for a second Ctrl-C. A signal sent to
// ldwrap alone, though, reaches the tool only if ldwrap forwards it. Go
// gives no siginfo, and siginfo could not tell kill(pid) from kill(-pgid)
// anyway.
//
// So ldwrap keeps a witness in its group: a child stopped under ptrace at
// its first instruction, before it runs any code. A signal to the group is
// queued there and stays pending (a traced, stopped process neither
// handles nor dies of it), and /proc/PID/status shows it; a signal to
// ldwrap alone is not. When ldwrap receives a signal, the witness says
// which it was. One that saw a signal keeps it pending for good, so it is
// replaced by a new one.
//
// A witness costs a fork, an exec that runs nothing, a kill and a wait:
// 0.07 to 0.1 ms of CPU and 0.13 to 0.28 ms of time beside the tool
// (measured here, 300 rounds), some 3% of the CPU ldwrap adds to a
// compile. So it starts only once the tool has run for witnessAfter: a
// compile of a small file is done by then and pays nothing, and the steps
// a Ctrl-C mostly lands in, the long ones, have one. A signal before it is
// forwarded, as every signal is where ptrace is refused (Yama's
// ptrace_scope 2 for users, or 3; a seccomp filter; ldwrap itself under
// strace): a group signal then reaches the tool twice, which a compiler,
// dying of the first, does not notice, and the tool's status still
// stands.

// witnessAfter is how long the tool runs before its witness starts.
const witnessAfter = 100 * time.Millisecond

// witness is ldwrap's witness of signals to its process group.
type witness struct {
	mu      sync.Mutex
	pid     int // 0: none (yet)
	stopped bool
	// seen are the signals pending in the witness when the tool ended: a
	// group signal that ldwrap's handler takes up only after that was
	// the tool's too, and its status stands.
	seen uint64
}

// startWitness starts a witness witnessAfter from now.
func startWitness() *witness {
	w := &witness{}
	// A sleeping goroutine, not time.AfterFunc: a process's first timer
	// registers a GODEBUG setting and with it every runtime metric,
	// 90,000 instructions, which a short compile would pay for nothing.
	go func() {
		time.Sleep(witnessAfter)
		w.mu.Lock()
		defer w.mu.Unlock()
		if !w.stopped {
			w.pid = spawnWitness()
		}
	}()
	return w
}

// spawnWitness execs this program traced: the kernel stops it at the
// exec, before its first instruction, and it never runs. Its name does not
// contain "ldwrap", so that pkill -f ldwrap, meant for the steps, does not
// signal it and so keep the step's signal from being forwarded. Should the
// tracing thread end first, the death signal ends the witness.
func spawnWitness() int {
	pid, err := syscall.ForkExec("/proc/self/exe", []string{"signal-witness"}, &syscall.ProcAttr{
		Dir: "/",
		Env: []string{},
		Sys: &syscall.SysProcAttr{Ptrace: true, Pdeathsig: syscall.SIGKILL},
	})
	if err != nil {
		return 0
	}
	return pid
}

// sawGroupSignal says whether sig was sent to ldwrap's process group, and
// so to the tool too; if so, a new witness takes over.
func (w *witness) sawGroupSignal(sig syscall.Signal) bool {
	if w == nil {
		return false
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.stopped {
		return w.seen&sigBit(sig) != 0
	}
	if w.pid == 0 || pendingSet(w.pid)&sigBit(sig) == 0 {
		return false
	}
	old := w.pid
	w.pid = spawnWitness()
	end(old)
	return true
}

// stop ends the witness, or its start, once the tool is gone.
func (w *witness) stop() {
	if w == nil {
		return
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	w.stopped = true
	if w.pid != 0 {
		w.seen = pendingSet(w.pid)
	}
	end(w.pid)
	w.pid = 0
}

func end(pid int) {
	if pid == 0 {
		return
	}
	syscall.Kill(pid, syscall.SIGKILL)
	go func() {
		var ws syscall.WaitStatus
		rawio.IgnoringEINTR(func() error { _, err := syscall.Wait4(pid, &ws, syscall.WALL, nil); return err })
	}()
}

func sigBit(sig syscall.Signal) uint64 { return uint64(1) << (uint(sig) - 1) }

// pendingSet is the signals pending for process pid, in its own set or
// in the one its threads share (a signal to a process goes there).
func pendingSet(pid int) uint64 {
	b, err := rawio.ReadFile("/proc/" + strconv.Itoa(pid) + "/status")
	if err != nil {
		return 0
	}
	var set uint64
	for _, line := range strings.Split(string(b), "\n") {
		for _, field := range []string{"ShdPnd:", "SigPnd:"} {
			if strings.HasPrefix(line, field) {
				if v, err := strconv.ParseUint(strings.TrimSpace(line[len(field):]), 16, 64); err == nil {
					set |= v
				}
			}
		}
	}
	return set
}
