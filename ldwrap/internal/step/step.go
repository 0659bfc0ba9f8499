// Package step runs one tool around staged outputs: stage the outputs
// through the engine, run the tool with signals forwarded, and commit or
// abort. It neither reads ldwrap's environment variables, prints nor exits:
// the commands (internal/cli) and the Go API (package ldwrap) both build on
// it.
package step

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"syscall"

	"github.com/ldwrap/ldwrap/ldwrap/internal/cmdline"
	"github.com/ldwrap/ldwrap/ldwrap/internal/engine"
	"github.com/ldwrap/ldwrap/ldwrap/internal/rawio"
	"github.com/ldwrap/ldwrap/ldwrap/internal/toolpath"
	"golang.org/x/sys/unix"
)

// EnvOutput is an output the tool finds through an environment variable,
// which holds the staged path.
type EnvOutput struct {
	Name   string
	Output string
}

// Step is one wrapped invocation.
type Step struct {
	Tool toolpath.Tool
	Args []string // the tool's arguments as the user gave them
	Plan cmdline.Plan
	// Stdout, if set, is an output that receives the tool's standard output.
	Stdout     string
	EnvOutputs []EnvOutput
	// SeedEnvOutputs starts each EnvOutput as a copy of its old file, as
	// the plan's Seed does for the outputs in the arguments.
	SeedEnvOutputs bool
	// Forward signals to the tool (commands do; the Go API leaves the
	// program's signal handling alone).
	Forward bool
	// RelayStderr writes the tool's standard error back with each staged
	// path turned into the path the user gave (relay.go); its standard
	// output too where the two are one stream (2>&1).
	RelayStderr bool
	// Strict makes an output that cannot be staged an error. Without it,
	// such an output (a device, a directory not there yet) is left to the
	// tool, in place, and the others are still staged.
	Strict  bool
	Options engine.Options
}

// Untouchable says whether err is a target ldwrap does not stage: a
// special file, where there is nothing to replace, a missing directory,
// where there is nothing old to protect, or an old file no staged copy can
// stand for (engine.ErrInPlace). The tool writes it itself.
func Untouchable(err error) bool {
	return errors.Is(err, engine.ErrSpecial) || errors.Is(err, engine.ErrNoDirectory) || errors.Is(err, engine.ErrInPlace)
}

// leaveToTool decides what becomes of an output that could not be staged:
// ok if the tool may write it itself (Untouchable, and not Strict).
func (s Step) leaveToTool(target string, err error) bool {
	if !Untouchable(err) || (s.Strict && !isCharDevice(target)) {
		return false // a sink such as /dev/null is no file written in place, even to Strict
	}
	if logf := s.Options.Logf; logf != nil {
		logf("%s: not staged (%v); the tool writes it itself, not atomically", target, rawio.Cause(err))
	}
	return true
}

// Outcome is how the tool ended, and what the commit replaced.
type Outcome struct {
	Status syscall.WaitStatus
	// Signal is a signal ldwrap received after the tool had exited, or 0:
	// the command dies of it once it has committed. One received while
	// the tool ran was the tool's to handle, and its status tells.
	Signal   syscall.Signal
	Replaced []rawio.Inode // the old files the commit replaced
}

// Success reports whether the tool exited 0 and no signal came after.
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
	args, env, stdout, names, err := s.stage(txn)
	if err != nil {
		txn.Abort()
		return Outcome{}, err
	}
	stderr := os.Stderr
	var rl *relay
	if s.RelayStderr {
		var w *os.File
		if w, rl, err = startRelay(names); err != nil {
			txn.Abort()
			return Outcome{}, err
		}
		if w != nil {
			stderr = w
			// 2>&1: output and messages in one relay, in the order the
			// tool wrote them, as bare.
			if stdout == os.Stdout && sameStream(1, 2) {
				stdout = w
			}
		}
	}
	if logf := s.Options.Logf; logf != nil {
		for _, n := range s.Plan.Notes {
			logf("%s", n)
		}
		logf("running %s %s", strings.Join(s.Tool.Words, " "), strings.Join(args, " "))
	}
	ws, got, err := runTool(s.Tool, args, env, stdout, stderr, s.Forward)
	if stderr != os.Stderr {
		stderr.Close() // the tool has its own copy; the relay ends when the tool's processes close theirs
	}
	rl.finish()
	out := Outcome{Status: ws, Signal: got.last()}
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
	out.Replaced = txn.Replaced()
	// A signal that came after the tool exited, during the commit.
	out.Signal = got.last()
	return out, nil
}

// stage stages every output of s in txn and returns what the tool runs
// with: its arguments, its environment and its standard output, each
// pointed at the staged files.
func (s Step) stage(txn *engine.Txn) (args, env []string, stdout *os.File, names []stagedName, err error) {
	// name records a staged output's directory as the tool sees it, and
	// the directory of the output as the user wrote it.
	name := func(o *engine.Output, target string) {
		dir, _ := filepath.Split(target)
		names = append(names, stagedName{staged: filepath.Dir(o.Temp), target: dir})
	}
	// One output that cannot be staged is left to the tool; the others
	// are still staged. When none can be, the first reason is returned,
	// and the command runs the tool untouched.
	var firstUnstaged error
	staged := 0
	args, err = s.Plan.Apply(s.Args, func(e cmdline.Edit) (string, error) {
		stage := txn.Stage
		if e.Side {
			stage = txn.StageSide
		}
		o, err := stage(e.Target)
		if err == nil && e.Seed {
			err = seed(txn, o)
		}
		if err != nil && s.leaveToTool(e.Target, err) {
			if firstUnstaged == nil {
				firstUnstaged = err
			}
			return e.Target, nil
		}
		if err != nil {
			return "", err
		}
		staged++
		name(o, e.Target)
		return o.Temp, nil
	})
	if err != nil {
		return nil, nil, nil, nil, err
	}
	env = os.Environ()
	for _, eo := range s.EnvOutputs {
		o, err := txn.Stage(eo.Output)
		if err == nil && s.SeedEnvOutputs {
			err = seed(txn, o)
		}
		if err != nil && s.leaveToTool(eo.Output, err) {
			if firstUnstaged == nil {
				firstUnstaged = err
			}
			env = append(env, eo.Name+"="+eo.Output)
			continue
		}
		if err != nil {
			return nil, nil, nil, nil, err
		}
		staged++
		name(o, eo.Output)
		env = append(env, eo.Name+"="+o.Temp)
	}
	if s.Stdout == "" {
		if staged == 0 && firstUnstaged != nil {
			return nil, nil, nil, nil, firstUnstaged
		}
		return args, env, os.Stdout, names, nil
	}
	// Nothing derives a name from standard output: the file can be
	// unnamed. It is the shell's > Stdout: the old file's owner and mode
	// stay, and another user's file is truncated in place, as there.
	_, fd, err := txn.Redirect(s.Stdout)
	if err != nil && s.leaveToTool(s.Stdout, err) {
		// What the shell's > would do: a device is written, a missing
		// directory is an error.
		fd, err = rawio.Open(s.Stdout, unix.O_WRONLY|unix.O_CREAT|unix.O_TRUNC|unix.O_CLOEXEC, 0o666)
		if err != nil {
			err = &engine.Error{Op: "open", Path: s.Stdout, Err: err}
		}
	}
	if err != nil {
		return nil, nil, nil, nil, err
	}
	return args, env, os.NewFile(uintptr(fd), s.Stdout), names, nil
}

// seed starts o as a copy of its old file; one that no copy can stand for
// is dropped, for the tool to write in place (engine.ErrInPlace).
func seed(txn *engine.Txn, o *engine.Output) error {
	err := txn.Seed(o)
	if errors.Is(err, engine.ErrInPlace) {
		txn.Drop(o)
	}
	return err
}

// testHookBeforeCommit runs once the tool has succeeded, before the
// commit, in tests.
var testHookBeforeCommit func()

func isCharDevice(path string) bool {
	var st unix.Stat_t
	return rawio.Stat(path, &st) == nil && st.Mode&unix.S_IFMT == unix.S_IFCHR
}
