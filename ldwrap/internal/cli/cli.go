// Package cli is what makes the ldwrap commands commands: their
// environment variables, usage texts, messages and exit statuses. The work
// itself is internal/step's (run a tool around staged outputs) and
// internal/engine's (install a file); the argument models are
// internal/cmdline's.
package cli

import (
	"errors"
	"fmt"
	"os"
	"strconv"
	"syscall"

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

// fatalf prints one "ldwrap: <what> <path>: <cause>" line and exits.
func fatalf(code int, format string, args ...interface{}) {
	fmt.Fprintf(os.Stderr, "ldwrap: "+format+"\n", args...)
	os.Exit(code)
}

// usageError is fatalf for a command line the command cannot take: what
// is the offending part ("option -x"), cause what is wrong with it.
func usageError(command, what, cause string) {
	fatalf(exitCannotRun, "%s: %s (see %s --help)", what, cause, command)
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

// run carries out s and exits the process: with the tool's status, by the
// tool's (or a forwarded) signal, or with 126/127 for ldwrap's own
// failures. A pass-through plan execs the tool untouched.
func run(s step.Step) {
	checkDepth()
	if in := step.OutputIsInput(s.Plan); in != "" {
		s.Plan = cmdline.Plan{Pass: in + " is an input and an output: the tool's own check decides"}
	}
	if s.Plan.Pass != "" {
		if !s.Plan.Quiet {
			if strict {
				fatalf(exitCannotRun, "stage %s: would pass through untouched (%s); not run, as LDWRAP_STRICT=1 asks", s.Tool.Words[0], s.Plan.Pass)
			}
			logf("passing through untouched: %s", s.Plan.Pass)
		}
		execTool(s.Tool, s.Args)
	}
	opts, err := optionsFromEnv(s.Options.Durable)
	if err != nil {
		fatalf(exitCannotRun, "config: %v", err)
	}
	opts.StageAbove = s.Options.StageAbove
	s.Options, s.Forward, s.RelayStderr, s.Strict = opts, true, true, strict
	out, err := s.Execute()
	if step.Untouchable(err) && s.Stdout == "" && !strict {
		// Nothing there to protect (a device, no directory yet): the tool
		// does what it does bare, fails or makes the directory.
		logf("passing through untouched: %v", err)
		for _, e := range s.EnvOutputs {
			os.Setenv(e.Name, e.Output)
		}
		execTool(s.Tool, s.Args)
	}
	if err != nil {
		if step.Untouchable(err) {
			fatalf(exitCannotRun, "%v; not run, as LDWRAP_STRICT=1 asks", err)
		}
		fatalf(exitCodeOf(err), "%v", err)
	}
	if staleReport {
		reportStale(out.Replaced)
	}
	if !out.Success() {
		exitLike(out.Status, out.Signal)
	}
	os.Exit(0)
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
// and keeps the tool's exit status and signals exact by construction.
// Signals the parent left ignored are ignored again first, so the tool
// inherits them as it would without ldwrap.
func execTool(t toolpath.Tool, args []string) {
	sigign.Keep()
	argv := append(append([]string(nil), t.Words...), args...)
	err := syscall.Exec(t.Path, argv, os.Environ())
	code := exitCannotRun
	if errors.Is(err, syscall.ENOENT) {
		code = exitNotFound
	}
	fatalf(code, "run %s: %v", t.Path, err)
}

func checkDepth() {
	n, _ := strconv.Atoi(os.Getenv(depthVar))
	if n >= maxDepth {
		fatalf(exitCannotRun, "run %s: ldwrap nested %d deep; is a copy of ldwrap installed as the real tool, or do two wrapper directories call each other?", os.Args[0], n)
	}
	os.Setenv(depthVar, strconv.Itoa(n+1))
}

// exitLike ends ldwrap the way the tool ended, so make and ninja see what
// they would have seen: the same exit code, or death by the same signal.
// When ldwrap itself received sig, it dies of sig.
func exitLike(status syscall.WaitStatus, sig syscall.Signal) {
	if sig == 0 && status.Signaled() {
		sig = status.Signal()
	}
	if sig != 0 {
		dieOf(sig)
	}
	os.Exit(status.ExitStatus())
}
