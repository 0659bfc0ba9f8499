//go:build unix

// Package sigign finds the signals this process's parent left ignored, and
// keeps them ignored for the tools ldwrap runs.
//
// A signal ignored at exec (nohup, trap "" TERM, a background job) stays
// ignored in the new program, and a wrapper must pass that on: the tool
// should see what it sees without ldwrap. Go's runtime gets in the way: it
// keeps an inherited SIG_IGN only for SIGHUP and SIGINT and installs its
// own handler for every other signal before any of our code runs, so the
// tool would start with the default action. The runtime remembers the
// inherited action in runtime.fwdSig, which Go 1.23 and later forbid
// linking to; where this package can find that array's address (the ELF
// symbol table of a non-PIE binary), it reads it from /proc/self/mem.
// Elsewhere (a stripped or PIE binary, macOS, FreeBSD, any other system)
// only SIGHUP and SIGINT are known.
package sigign

import (
	"os"
	"os/signal"
	"syscall"
)

// Keep makes every signal the parent left ignored ignored again, for this
// process and (since an ignored signal survives fork and exec) for the
// tools it starts, and returns them. SIGCHLD is never touched: ignoring it
// would make the kernel reap our own children.
func Keep() []os.Signal {
	var sigs []os.Signal
	for _, s := range inherited() {
		if s == syscall.SIGCHLD || s == syscall.SIGKILL || s == syscall.SIGSTOP {
			continue
		}
		sigs = append(sigs, s)
	}
	if len(sigs) > 0 {
		signal.Ignore(sigs...)
	}
	return sigs
}

// knownToRuntime is what Go's runtime itself reports: it keeps an
// inherited SIG_IGN of SIGHUP and SIGINT.
func knownToRuntime() []syscall.Signal {
	var sigs []syscall.Signal
	for _, s := range []syscall.Signal{syscall.SIGHUP, syscall.SIGINT} {
		if signal.Ignored(s) {
			sigs = append(sigs, s)
		}
	}
	return sigs
}
