// Package step runs one tool around staged outputs: find the real tool
// (never ldwrap itself), stage the outputs through the engine, run the tool
// with signals forwarded, and commit or abort. It neither reads ldwrap's
// environment variables nor exits: the commands (internal/cli) and the Go
// API (package ldwrap) both build on it.
package step

import (
	"errors"
	"fmt"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"

	"golang.org/x/sys/unix"

	"github.com/ldwrap/ldwrap/ldwrap/internal/cmdline"
	"github.com/ldwrap/ldwrap/ldwrap/internal/engine"
	"github.com/ldwrap/ldwrap/ldwrap/internal/stale"
)

// Tool is the real program a command stands in front of.
type Tool struct {
	Path  string   // resolved executable
	Words []string // argv[0] and fixed arguments (LDWRAP_CC='ccache gcc')
}

// FindTool resolves spec, a command with fixed arguments split at spaces
// as in LDWRAP_CC='ccache gcc', on PATH, skipping any file that is this
// very executable.
func FindTool(spec string) (Tool, error) {
	words := strings.Fields(spec)
	if len(words) == 0 {
		return Tool{}, &toolError{spec, errors.New("empty command")}
	}
	t, err := FindCommand(words[0])
	t.Words = words
	return t, err
}

// FindCommand resolves name, one argv word (spaces and all), as FindTool
// does.
func FindCommand(name string) (Tool, error) {
	if name == "" {
		return Tool{}, &toolError{name, errors.New("empty command")}
	}
	path, err := lookPathNotSelf(name)
	if err != nil {
		return Tool{}, err
	}
	return Tool{Path: path, Words: []string{name}}, nil
}

type toolError struct {
	name string
	err  error
}

func (e *toolError) Error() string { return "run " + e.name + ": " + e.err.Error() }

func (e *toolError) Unwrap() error { return e.err }

// NotFound reports whether err says the tool does not exist (a command
// exits 127 for that, 126 for any other failure to run it).
func NotFound(err error) bool {
	var te *toolError
	return errors.As(err, &te) && errors.Is(te.err, os.ErrNotExist)
}

var errSelf = errors.New("refusing to run ldwrap itself as the real tool")

// selfInfo is this executable, looked up once and only when a candidate
// tool exists to compare with it: one stat through /proc/self/exe rather
// than os.Executable's readlink and a stat of what it names. Without /proc,
// os.Executable could not say either.
var selfInfo = func() func() os.FileInfo {
	var once sync.Once
	var fi os.FileInfo
	return func() os.FileInfo {
		once.Do(func() { fi, _ = os.Stat("/proc/self/exe") })
		return fi
	}
}()

func lookPathNotSelf(name string) (string, error) {
	check := func(p string) error {
		fi, err := os.Stat(p)
		if err != nil {
			return err
		}
		if fi.IsDir() || fi.Mode()&0o111 == 0 {
			return syscall.EACCES
		}
		if self := selfInfo(); self != nil && os.SameFile(fi, self) {
			return errSelf
		}
		return nil
	}
	if strings.Contains(name, "/") {
		if err := check(name); err != nil {
			if errors.Is(err, syscall.ENOENT) {
				err = os.ErrNotExist
			}
			return "", &toolError{name, engine.Cause(err)}
		}
		return name, nil
	}
	var firstErr error
	for _, dir := range filepath.SplitList(os.Getenv("PATH")) {
		if dir == "" {
			dir = "."
		}
		p := filepath.Join(dir, name)
		err := check(p)
		if err == nil {
			return p, nil
		}
		if firstErr == nil && !errors.Is(err, os.ErrNotExist) {
			firstErr = err
		}
	}
	switch firstErr {
	case nil:
		return "", &toolError{name, fmt.Errorf("%w in PATH", os.ErrNotExist)}
	case errSelf:
		return "", &toolError{name, fmt.Errorf("%w: no other %s in PATH", os.ErrNotExist, name)}
	}
	return "", &toolError{name, engine.Cause(firstErr)}
}

// Step is one wrapped invocation.
type Step struct {
	Tool Tool
	Args []string // the tool's arguments as the user gave them
	Plan cmdline.Rewrite
	// Stdout, if set, is an output that receives the tool's standard output.
	Stdout string
	// EnvOutputs are outputs the tool finds through environment variables
	// (name -> output): each variable holds the staged path.
	EnvOutputs [][2]string
	// Forward signals to the tool (commands do; the Go API leaves the
	// program's signal handling alone).
	Forward bool
	Options engine.Options
	// ReportStale: after the commit, name the processes that still use a
	// replaced file (LDWRAP_STALE=1).
	ReportStale bool
}

// Outcome is how the tool ended.
type Outcome struct {
	Status syscall.WaitStatus
	Signal syscall.Signal // a signal ldwrap received and forwarded, or 0
}

// Success reports whether the tool exited 0 and no signal was forwarded.
func (o Outcome) Success() bool {
	return o.Signal == 0 && o.Status.Exited() && o.Status.ExitStatus() == 0
}

// Execute stages the outputs, runs the tool, and commits them if it
// succeeded or removes them if not. The error is ldwrap's own failure
// (staging, starting the tool, committing); the tool's failure is in the
// Outcome. A pass-through plan is not Execute's business: the commands
// exec the tool.
func (s Step) Execute() (Outcome, error) {
	txn := engine.New(s.Options)
	args, env, stdout, err := s.stage(txn)
	if err != nil {
		txn.Abort()
		return Outcome{}, err
	}
	if logf := s.Options.Logf; logf != nil {
		for _, n := range s.Plan.Notes {
			logf("%s", n)
		}
		logf("running %s %s", strings.Join(s.Tool.Words, " "), strings.Join(args, " "))
	}
	var got atomic.Int32
	ws, err := runTool(s.Tool, args, env, stdout, s.Forward, &got)
	out := Outcome{Status: ws, Signal: syscall.Signal(got.Load())}
	if s.Stdout != "" {
		// Closed before the commit: no writable descriptor of a committed
		// file stays open in this process.
		if cerr := stdout.Close(); cerr != nil && err == nil && out.Success() {
			err = &engine.Error{Op: "write", Path: s.Stdout, Err: cerr}
		}
	}
	if err != nil || !out.Success() {
		txn.Abort()
		return out, err
	}
	if testHookBeforeCommit != nil {
		testHookBeforeCommit()
	}
	if err := txn.Commit(); err != nil {
		return out, err
	}
	if s.ReportStale {
		reportStale(txn.Replaced())
	}
	// A signal that came after the tool exited, during the commit.
	out.Signal = syscall.Signal(got.Load())
	return out, nil
}

// stage stages every output of s in txn and returns what the tool runs
// with: its arguments, its environment and its standard output, each
// pointed at the staged files.
func (s Step) stage(txn *engine.Txn) (args, env []string, stdout *os.File, err error) {
	args, err = s.Plan.Apply(s.Args, func(target string, side bool) (string, error) {
		stage := txn.Stage
		if side {
			stage = txn.StageSide
		}
		o, err := stage(target)
		if err != nil {
			return "", err
		}
		return o.Temp, nil
	})
	if err != nil {
		return nil, nil, nil, err
	}
	env = os.Environ()
	for _, kv := range s.EnvOutputs {
		o, err := txn.Stage(kv[1])
		if err != nil {
			return nil, nil, nil, err
		}
		env = append(env, kv[0]+"="+o.Temp)
	}
	if s.Stdout == "" {
		return args, env, os.Stdout, nil
	}
	// Nothing derives a name from standard output: the file can be unnamed.
	_, fd, err := txn.Create(s.Stdout, 0o666)
	if err != nil {
		return nil, nil, nil, err
	}
	return args, env, os.NewFile(uintptr(fd), s.Stdout), nil
}

// testHookBeforeCommit runs once the tool has succeeded, before the
// commit, in tests.
var testHookBeforeCommit func()

// reportStale prints, for each replaced file still in use, "ldwrap: <path>:
// old version still in use by PID (COMM)[, ...]", and how many processes
// could not be inspected. It never fails the step.
func reportStale(replaced []engine.Replaced) {
	if len(replaced) == 0 {
		return
	}
	olds := make([]stale.Inode, len(replaced))
	for i, r := range replaced {
		olds[i] = stale.Inode{Path: r.Path, Dev: r.Dev, Ino: r.Ino}
	}
	res, err := stale.ByInode(olds)
	stale.Print(os.Stderr, res, err)
}

// forwarded are the signals ldwrap passes on to the tool: the ones make
// reacts to by deleting targets, and those a terminal or a job control
// system sends.
var forwarded = []os.Signal{syscall.SIGINT, syscall.SIGTERM, syscall.SIGHUP, syscall.SIGQUIT}

// runTool runs the tool and waits, forwarding signals to it if forward,
// and records in got the last signal ldwrap received (forwarded or, once
// the tool is gone, only recorded).
//
// It uses syscall.ForkExec and waitTool rather than os.StartProcess, which on
// its first use forks a throwaway child to probe for pidfd support. The
// signal handler is set up after the fork, while the tool starts: that costs
// ldwrap nothing. A signal in between kills ldwrap (the default action,
// leaving the target untouched and the staging to the next sweep), and
// Pdeathsig then passes SIGTERM on to the tool. The handler is never
// removed: signal.Stop is a handshake with the runtime's signal thread
// (strace shows futex and rt_sigprocmask round trips between threads) that
// sat between the tool's exit and the commit; a signal after the tool has exited is recorded, and the command dies of
// it after the commit.
func runTool(t Tool, args, env []string, stdout *os.File, forward bool, got *atomic.Int32) (syscall.WaitStatus, error) {
	argv := append(append([]string(nil), t.Words...), args...)
	attr := &syscall.ProcAttr{
		Env:   env,
		Files: []uintptr{0, stdout.Fd(), 2},
		Sys:   &syscall.SysProcAttr{Pdeathsig: syscall.SIGTERM},
	}
	pid, err := syscall.ForkExec(t.Path, argv, attr)
	if err != nil {
		return 0, &toolError{t.Path, err}
	}
	var reaped atomic.Bool
	if forward {
		// A signal our parent told us to ignore (nohup, a background
		// job) stays ignored, for us and for the tool.
		var sigs []os.Signal
		for _, s := range forwarded {
			if !signal.Ignored(s) {
				sigs = append(sigs, s)
			}
		}
		ch := make(chan os.Signal, 4)
		signal.Notify(ch, sigs...)
		go func() {
			for s := range ch {
				got.Store(int32(s.(syscall.Signal)))
				if !reaped.Load() { // its pid may be another process's by now
					syscall.Kill(pid, s.(syscall.Signal))
				}
			}
		}()
	}
	ws, err := waitTool(pid)
	reaped.Store(true)
	if err != nil {
		return 0, &toolError{t.Path, err}
	}
	return ws, nil
}

// waitTool reaps the tool. It parks on a pidfd in Go's netpoller instead
// of blocking in wait4: while a goroutine sits in a blocking system call,
// the runtime's sysmon thread wakes every 20 µs or so for up to 10 ms to
// see whether to take its P back, and in a parallel build that steals CPU
// from the other jobs (make -j2: 3% of the build's time, measured). Parked
// in the netpoller, every P is idle and sysmon sleeps. Where pidfd_open is
// missing (Linux < 5.3) or refused (a seccomp filter), plain wait4 it is.
func waitTool(pid int) (syscall.WaitStatus, error) {
	var ws syscall.WaitStatus
	reaped := func() (bool, error) {
		for {
			got, err := syscall.Wait4(pid, &ws, syscall.WNOHANG, nil)
			if err == syscall.EINTR {
				continue
			}
			return got == pid, err
		}
	}
	// PIDFD_NONBLOCK would need Linux 5.10; SetNonblock works from 5.3.
	if fd, err := unix.PidfdOpen(pid, 0); err == nil {
		// Non-blocking, so os.NewFile registers it with the netpoller.
		unix.SetNonblock(fd, true)
		f := os.NewFile(uintptr(fd), "pidfd")
		defer f.Close()
		if rc, err := f.SyscallConn(); err == nil {
			var werr error
			var done bool
			rerr := rc.Read(func(uintptr) bool {
				done, werr = reaped()
				return done || werr != nil
			})
			if werr != nil || done || rerr == nil {
				return ws, werr
			}
			// rerr: not pollable after all; wait4 below.
		}
	}
	return waitBlocking(pid)
}

func waitBlocking(pid int) (syscall.WaitStatus, error) {
	var ws syscall.WaitStatus
	for {
		_, err := syscall.Wait4(pid, &ws, 0, nil)
		if err != syscall.EINTR {
			return ws, err
		}
	}
}
