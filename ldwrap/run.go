//go:build unix

package ldwrap

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"syscall"

	"github.com/ldwrap/ldwrap/ldwrap/internal/cmdline"
	"github.com/ldwrap/ldwrap/ldwrap/internal/step"
	"github.com/ldwrap/ldwrap/ldwrap/internal/toolpath"
)

// Run runs argv with its outputs staged: every argument equal to an output
// is pointed at the staged file, which starts as a copy of the old output
// (unless Fresh), and the outputs replace their destinations only if the
// command succeeds. A mention of an output inside a longer argument is an
// error: give it as an argument of its own (sh -c '... > "$1"' sh OUT).
// Files the command writes beside a staged output (a depfile, a .map) are
// committed with it. A failing command leaves every destination untouched
// and returns *ExitError. An output whose directory does not exist has no
// old file to protect: the command then runs untouched, and makes the
// directory or fails as it would without ldwrap. Run does not touch the
// program's signal handling.
//
//	ldwrap.Run([]string{"bin/app"}, []string{"go", "build", "-o", "bin/app", "./cmd/app"}, ldwrap.Fresh())
func Run(outputs []string, argv []string, opts ...RunOption) error {
	c := newConfig(false, opts)
	if len(argv) == 0 {
		return fmt.Errorf("run: empty command")
	}
	plan, err := cmdline.PlanRun(outputs, argv[1:], cmdline.RunOptions{Fresh: c.fresh})
	if err != nil {
		return err
	}
	tool, err := toolpath.Default().Command(argv[0])
	if err != nil {
		return err
	}
	eo := c.engineOptions()
	eo.StageAbove = true // as ldwrap-run: a command that lists its output's directory does not see the staging
	out, err := step.Step{Tool: tool, Args: argv[1:], Plan: plan, Stdout: c.stdout, Options: eo}.Execute()
	if step.Untouchable(err) && c.stdout == "" {
		// Nothing there to protect (a device, no directory yet): the
		// command runs as it would without ldwrap, as the commands do.
		return runUntouched(tool, argv)
	}
	if err != nil {
		return err
	}
	if !out.Success() {
		e := &ExitError{Argv: argv, Code: out.Status.ExitStatus()}
		if out.Status.Signaled() {
			e.Code, e.Signal = -1, out.Status.Signal().String()
		}
		return e
	}
	return nil
}

// runUntouched runs argv as exec.Command would, with this process's
// standard streams.
func runUntouched(tool toolpath.Tool, argv []string) error {
	words := append(append([]string{}, tool.Words...), argv[1:]...)
	cmd := exec.Command(tool.Path, words[1:]...)
	cmd.Args = words
	cmd.Stdin, cmd.Stdout, cmd.Stderr = os.Stdin, os.Stdout, os.Stderr
	err := cmd.Run()
	var ee *exec.ExitError
	if !errors.As(err, &ee) {
		return err
	}
	e := &ExitError{Argv: argv, Code: ee.ExitCode()}
	if ws, ok := ee.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
		e.Code, e.Signal = -1, ws.Signal().String()
	}
	return e
}
