// Package cli is what makes the ldwrap commands commands: their
// environment variables, usage texts, messages and exit statuses. The work
// itself is internal/step's (run a tool around staged outputs) and
// internal/engine's (install a file); the argument models are
// internal/cmdline's.
package cli

import (
	"errors"
	"fmt"
	"io"
	"os"
	"runtime"
	"strconv"
	"syscall"

	"github.com/ldwrap/ldwrap/internal/commands"
	"github.com/ldwrap/ldwrap/ldwrap/internal/cmdline"
	"github.com/ldwrap/ldwrap/ldwrap/internal/engine"
	"github.com/ldwrap/ldwrap/ldwrap/internal/rawio"
	"github.com/ldwrap/ldwrap/ldwrap/internal/sigign"
	"github.com/ldwrap/ldwrap/ldwrap/internal/stale"
	"github.com/ldwrap/ldwrap/ldwrap/internal/step"
	"github.com/ldwrap/ldwrap/ldwrap/internal/toolpath"
)

// Version is the version of every ldwrap command (see version.go).
var Version = commandVersion()

// Exit statuses of ldwrap's own failures, as env(1) and timeout(1) use them.
const (
	exitCannotRun = 126 // found but could not run, or staging/commit failed
	exitNotFound  = 127
)

// depthVar counts nested ldwrap processes. A copy of ldwrap installed as
// the real tool's name (where the same-file check cannot see it) would
// otherwise call itself forever.
const (
	depthVar = "LDWRAP_DEPTH"
	maxDepth = 8
)

// stderr receives ldwrap's own messages; the tests read them there.
var stderr io.Writer = os.Stderr

// failf prints one "ldwrap: <what> <path>: <cause>" line and returns code,
// the exit status to end with.
func failf(code int, format string, args ...interface{}) int {
	fmt.Fprintf(stderr, "ldwrap: "+format+"\n", args...)
	return code
}

// fatalf is failf, then exit.
func fatalf(code int, format string, args ...interface{}) {
	os.Exit(failf(code, format, args...))
}

// A usageError is a command line a command cannot take.
type usageError struct {
	what  string // the offending part: "option -x"
	cause string // what is wrong with it: "unknown"
}

func (e *usageError) Error() string { return e.what + ": " + e.cause }

// failUsage reports err, a command line that command cannot take, and
// returns the exit status.
func failUsage(command string, err error) int {
	return failf(exitCannotRun, "%v (see %s --help)", err, command)
}

// exitUsage is failUsage, then exit.
func exitUsage(command string, err error) {
	os.Exit(failUsage(command, err))
}

// answerInfo answers --help and --version, the same way for every command:
// the usage text or "NAME VERSION" on standard output, exit 0.
func answerInfo(command, usage, arg string) {
	switch arg {
	case "--help":
		fmt.Print(usage)
	case "--version":
		fmt.Printf("%s %s\n", command, Version)
	default:
		return
	}
	os.Exit(0)
}

func envOn(name string) bool {
	v := os.Getenv(name)
	return v != "" && v != "0"
}

var (
	verbose = envOn("LDWRAP_VERBOSE")
	// strict (LDWRAP_STRICT=1) makes every pass-through of a step that
	// writes a file an error (126) instead of a non-atomic write.
	strict = envOn("LDWRAP_STRICT")
	// staleReport (LDWRAP_STALE=1): after a replacement, name the processes
	// that still use the old file.
	staleReport = envOn("LDWRAP_STALE")
)

func logf(format string, args ...interface{}) {
	if verbose {
		fmt.Fprintf(os.Stderr, "ldwrap: "+format+"\n", args...)
	}
}

func warnf(format string, args ...interface{}) {
	fmt.Fprintf(os.Stderr, "ldwrap: warning: "+format+"\n", args...)
}

// optionsFromEnv reads the engine's policies from the environment:
// LDWRAP_DURABLE=1|order, LDWRAP_SYMLINKS=follow, LDWRAP_KEEP_ATTRS=1,
// LDWRAP_SKIP_IDENTICAL=touch|restat. durable is the command's default.
func optionsFromEnv(durable bool) (engine.Options, error) {
	o := engine.Options{Durable: durable, Warnf: warnf}
	if verbose {
		o.Logf = logf
	}
	if v, ok := os.LookupEnv("LDWRAP_DURABLE"); ok {
		o.Durable = v != "" && v != "0" && v != "order"
		o.Ordered = v == "order"
	}
	switch v := os.Getenv("LDWRAP_SYMLINKS"); v {
	case "", "replace":
	case "follow":
		o.Symlinks = engine.FollowLink
	default:
		return o, fmt.Errorf("LDWRAP_SYMLINKS=%s: want replace or follow", v)
	}
	o.KeepAttrs = envOn("LDWRAP_KEEP_ATTRS")
	switch v := os.Getenv("LDWRAP_SKIP_IDENTICAL"); v {
	case "", "0":
	case "touch", "1":
		o.Skip = engine.KeepAndTouch
	case "restat":
		o.Skip = engine.KeepUntouched
	default:
		return o, fmt.Errorf("LDWRAP_SKIP_IDENTICAL=%s: want touch or restat", v)
	}
	return o, nil
}

// runStep carries out s and returns the exit status: the tool's, or
// 126/127 for ldwrap's own failures. A pass-through plan execs the tool
// untouched (execTool); a tool killed by a signal, or a signal forwarded
// to it, kills ldwrap the same way (die).
func runStep(s step.Step) int {
	if code := enterDepth(); code != 0 {
		return code
	}
	if in := step.OutputIsInput(s.Plan); in != "" {
		s.Plan = cmdline.Plan{Pass: in + " is an input and an output: the tool's own check decides"}
	}
	if s.Plan.Pass != "" {
		if !s.Plan.Quiet {
			if strict {
				return failf(exitCannotRun, "run %s: would pass through untouched (%s); not run, as LDWRAP_STRICT=1 asks", s.Tool.Words[0], s.Plan.Pass)
			}
			logf("passing through untouched: %s", s.Plan.Pass)
		}
		return execTool(s.Tool, s.Args)
	}
	opts, err := optionsFromEnv(s.Options.Durable)
	if err != nil {
		return failf(exitCannotRun, "config: %v", err)
	}
	opts.StageAbove = s.Options.StageAbove
	opts.LeaveUnwritable, opts.LeaveOwnState = s.Options.LeaveUnwritable, s.Options.LeaveOwnState
	if s.Options.Symlinks == engine.FollowLink {
		opts.Symlinks = engine.FollowLink // the tool's own way, whatever LDWRAP_SYMLINKS says
	}
	s.Options, s.Forward, s.RelayStderr, s.Strict = opts, true, true, strict
	out, err := s.Execute()
	if step.Untouchable(err) && s.Stdout == "" && !strict {
		// Nothing there to protect (a device, no directory yet): the tool
		// does what it does bare, fails or makes the directory.
		logf("passing through untouched: %v", err)
		for _, e := range s.EnvOutputs {
			os.Setenv(e.Name, e.Output)
		}
		return execTool(s.Tool, s.Args)
	}
	if err != nil {
		if step.Untouchable(err) {
			return failf(exitCannotRun, "%v; not run, as LDWRAP_STRICT=1 asks", err)
		}
		return failf(exitCodeOf(err), "%v", err)
	}
	if staleReport {
		reportStale(out.Replaced)
	}
	if !out.Success() {
		return exitLike(out.Status, out.Signal)
	}
	return 0
}

// reportStale names, after a replacement, the processes that still use an
// old version of a replaced file. It never fails the command.
func reportStale(replaced []rawio.Inode) {
	var paths []string
	for _, r := range replaced {
		paths = append(paths, r.Path)
	}
	stale.Report(os.Stderr, paths)
}

func exitCodeOf(err error) int {
	if toolpath.IsNotFound(err) {
		return exitNotFound
	}
	return exitCannotRun
}

// execTool replaces ldwrap with the tool: a pass-through costs one execve
// and keeps the tool's exit status and signals exact by construction. It
// returns only when the exec failed, with the exit status for that. The
// tests replace it.
var execTool = func(t toolpath.Tool, args []string) int {
	// Signals the parent left ignored are ignored again first, so the
	// tool inherits them as it would without ldwrap.
	sigign.Keep()
	argv := append(append([]string(nil), t.Words...), args...)
	err := syscall.Exec(t.Path, argv, os.Environ())
	code := exitCannotRun
	if errors.Is(err, syscall.ENOENT) {
		code = exitNotFound
	}
	return failf(code, "run %s: %v", t.Path, err)
}

// die kills ldwrap with a signal; the tests replace it.
var die = dieOf

// enterDepth counts this ldwrap into depthVar for the processes it
// starts, or returns 126 when too many are nested already.
func enterDepth() int {
	n, _ := strconv.Atoi(os.Getenv(depthVar))
	if n >= maxDepth {
		return failf(exitCannotRun, "run %s: ldwrap nested %d deep; is a copy of ldwrap installed as the real tool, or do two wrapper directories call each other?", os.Args[0], n)
	}
	os.Setenv(depthVar, strconv.Itoa(n+1))
	return 0
}

// exitLike returns the exit status the tool ended with, so make and ninja
// see what they would have seen; a tool killed by a signal kills ldwrap
// with the same signal. When ldwrap itself received sig, it dies of sig.
// (die returns only in the tests: the status is then a shell's, 128+sig.)
func exitLike(status syscall.WaitStatus, sig syscall.Signal) int {
	if sig == 0 && status.Signaled() {
		sig = status.Signal()
	}
	if sig != 0 {
		die(sig)
		return 128 + int(sig)
	}
	return status.ExitStatus()
}

// Main is the command called name in commands.All: every command's main
// calls it.
func Main(name string) {
	c, ok := commands.Named(name)
	switch {
	case !ok:
		fatalf(exitCannotRun, "run %s: not in the table of commands", name)
	case c.Model.Wraps():
		// One P: a step's goroutines (the relay, the signal loop, the
		// wait) only wait, and with a second P each wake-up spins up or
		// wakes a thread on the other CPU. Measured in the bench's floor
		// share (GOMAXPROCS=1 against the default, a compile -c -MD): 0.2
		// to 0.4 ms less CPU per call, the wall time unchanged.
		runtime.GOMAXPROCS(1)
		os.Exit(wrap(c, os.Args[0], os.Args[1:]))
	case c.Model == commands.Run:
		// One P, as for the wrappers: in namespace mode too the
		// goroutines only wait (measured: 0.3 ms less CPU a call there,
		// 0.2 in argument mode, BenchmarkRunModes' step).
		runtime.GOMAXPROCS(1)
		runCommand()
	case c.Model == commands.Install:
		os.Exit(runInstall(os.Args[1:], os.Stdout, os.Stderr))
	case c.Model == commands.Stale:
		staleCommand()
	}
}
