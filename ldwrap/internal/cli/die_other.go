//go:build unix && (!linux || ldwrap_portable)

package cli

import (
	"os"
	"os/signal"
	"strconv"
	"strings"
	"time"

	"golang.org/x/sys/unix"
)

// dieOf kills ldwrap with sig. Outside Linux there is no raw sigaction in
// x/sys, and signal.Reset leaves Go's handler installed for the signals
// its runtime takes for a crash (SIGQUIT, SIGABRT, SIGSEGV, SIGBUS,
// SIGILL, SIGFPE, SIGTRAP, SIGSYS): sent with kill, those print every
// goroutine and exit 2. So ldwrap becomes a shell that sends sig to
// itself: exec keeps the process ID its parent waits for and puts every
// caught signal back to its default action, as the dead tool had it. The
// environment is empty, so no ENV or BASH_ENV script runs first. A signal
// that stays ignored or blocked across exec leaves the shell alive: it
// exits 128+sig, as a shell reports such a death.
//
// The ldwrap_portable build uses this on Linux, so that its tests run
// here.
func dieOf(sig unix.Signal) {
	signal.Reset(sig)
	if name := unix.SignalName(sig); name != "" && sig != unix.SIGKILL {
		script := `kill -s "$1" $$; exit "$2"`
		unix.Exec("/bin/sh", []string{"sh", "-c", script, "sh", strings.TrimPrefix(name, "SIG"), strconv.Itoa(128 + int(sig))}, []string{})
	}
	// No shell: the runtime's own death, right for every signal it does
	// not take for a crash.
	unix.Kill(os.Getpid(), sig)
	time.Sleep(time.Second)
	os.Exit(128 + int(sig))
}
