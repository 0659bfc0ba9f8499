package step

import (
	"os"
	"os/signal"
	"sync/atomic"
	"syscall"

	"github.com/ldwrap/ldwrap/ldwrap/internal/sigign"
)

// Forwarder passes the signals ldwrap receives on to the process that runs
// the tool, as runTool describes: one sent to ldwrap alone is forwarded,
// once; one sent to its process group reached the tool from the kernel and
// is not; one that comes once the tool is reaped is recorded.
type Forwarder struct {
	ch      chan os.Signal
	got     *received
	ignored []os.Signal
	reaped  atomic.Bool
	wit     *witness
}

// StartForwarding keeps ignored the signals the parent left ignored and
// installs the handler. It is called before the fork: a signal sent to
// ldwrap as the tool starts then reaches the tool instead of killing
// ldwrap.
func StartForwarding() *Forwarder {
	ignored := sigign.Keep()
	var sigs []os.Signal
	for _, s := range forwarded {
		if !contains(ignored, s) {
			sigs = append(sigs, s)
		}
	}
	f := &Forwarder{ch: make(chan os.Signal, 4), got: &received{}, ignored: ignored}
	signal.Notify(f.ch, sigs...)
	return f
}

// Follow forwards, from now on, what deliver is to pass on to the tool;
// the signal's witness starts.
func (f *Forwarder) Follow(deliver func(syscall.Signal)) {
	f.wit = startWitness()
	go func() {
		for s := range f.ch {
			sig := s.(syscall.Signal)
			switch {
			case f.reaped.Load(): // its pid may be another process's by now
				if !f.wit.sawGroupSignal(sig) { // else the tool had it, and its status stands
					f.got.sig.Store(int32(sig))
				}
			case f.wit.sawGroupSignal(sig):
			default:
				deliver(sig)
			}
		}
	}()
}

// Reaped says the tool's process is gone: what comes after is recorded.
func (f *Forwarder) Reaped() {
	f.reaped.Store(true)
	f.wit.stop()
}

// Abandon stops forwarding before the tool ever started.
func (f *Forwarder) Abandon() { signal.Stop(f.ch) }

// Last is the last signal ldwrap received once the tool was reaped, or 0.
func (f *Forwarder) Last() syscall.Signal { return f.got.last() }

// Ignored are the signals the parent left ignored, kept ignored.
func (f *Forwarder) Ignored() []os.Signal { return f.ignored }

// Wait reaps pid as the tool is reaped (waitTool): parked, not blocked in
// wait4.
func Wait(pid int) (syscall.WaitStatus, error) { return waitTool(pid) }
