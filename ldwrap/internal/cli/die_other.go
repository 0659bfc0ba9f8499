//go:build unix && !linux

package cli

import (
	"os"
	"os/signal"
	"syscall"
	"time"
)

// dieOf kills ldwrap with sig. Outside Linux there is no raw sigaction in
// x/sys: Go's runtime, once Reset, dies of the signal itself, except for
// SIGQUIT, where it prints its goroutines first and exits 2.
func dieOf(sig syscall.Signal) {
	signal.Reset(sig)
	syscall.Kill(os.Getpid(), sig)
	time.Sleep(time.Second)
	os.Exit(128 + int(sig))
}
