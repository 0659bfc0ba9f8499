//go:build !ldwrap_portable

package cli

import (
	"os"
	"os/signal"
	"syscall"
	"time"
	"unsafe"
)

// dieOf kills ldwrap with sig. signal.Reset is not enough: Go's own
// handler stays installed, and for SIGQUIT it prints every goroutine and
// exits 2. So the kernel's default action is set directly (an all-zero
// struct sigaction is SIG_DFL on every Linux architecture).
func dieOf(sig syscall.Signal) {
	signal.Reset(sig)
	var dfl [4]uintptr
	syscall.RawSyscall6(syscall.SYS_RT_SIGACTION, uintptr(sig), uintptr(unsafe.Pointer(&dfl)), 0, 8, 0, 0)
	syscall.Kill(os.Getpid(), sig)
	// Delivery is asynchronous; give it a moment. Still alive after that:
	// the signal is blocked by our parent's choice. Report it the way a
	// shell would.
	time.Sleep(time.Second)
	os.Exit(128 + int(sig))
}
