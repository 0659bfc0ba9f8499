package cli

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/ldwrap/ldwrap/ldwrap/internal/cmdline"
	"github.com/ldwrap/ldwrap/ldwrap/internal/step"
	"github.com/ldwrap/ldwrap/ldwrap/internal/toolpath"
)

// stepWorld replaces what runStep does to the process for one test: its
// messages go to a buffer, a pass-through records the tool instead of
// becoming it, and a death by signal is recorded.
type stepWorld struct {
	msgs   bytes.Buffer
	execed []string // the pass-through's argv
	died   syscall.Signal
}

func newStepWorld(t *testing.T) *stepWorld {
	w := &stepWorld{}
	oldStderr, oldExec, oldDie, oldStrict := stderr, execTool, die, strict
	t.Cleanup(func() { stderr, execTool, die, strict = oldStderr, oldExec, oldDie, oldStrict })
	stderr = &w.msgs
	execTool = func(tool toolpath.Tool, args []string) int {
		w.execed = append(append([]string{}, tool.Words...), args...)
		return 42
	}
	die = func(sig syscall.Signal) { w.died = sig }
	strict = false
	t.Setenv(depthVar, "")
	return w
}

// shStep is a step that runs sh -c script with out as $1, out staged as
// ldwrap-run stages it.
func shStep(t *testing.T, dir, script string) step.Step {
	t.Helper()
	sh, err := exec.LookPath("sh")
	require.NoError(t, err)
	out := filepath.Join(dir, "out")
	args := []string{"-c", script, "sh", out}
	plan, err := cmdline.PlanRun([]string{out}, args, cmdline.RunOptions{})
	require.NoError(t, err)
	return step.Step{Tool: toolpath.Tool{Path: sh, Words: []string{"sh"}}, Args: args, Plan: plan}
}

func readString(t *testing.T, p string) string {
	t.Helper()
	b, err := os.ReadFile(p)
	require.NoError(t, err)
	return string(b)
}

// runStep returns the tool's status and commits only on success; ldwrap's
// own failures are 126 with one line; a pass-through becomes the tool.
func TestRunStepStatus(t *testing.T) {
	t.Run("success commits", func(t *testing.T) {
		w, dir := newStepWorld(t), t.TempDir()
		require.NoError(t, os.WriteFile(filepath.Join(dir, "out"), []byte("old"), 0o644))
		assert.Equal(t, 0, runStep(shStep(t, dir, `echo new > "$1"`)))
		assert.Equal(t, "new\n", readString(t, filepath.Join(dir, "out")))
		assert.Empty(t, w.msgs.String())
		assert.Equal(t, []string{"out"}, entries(t, dir), "nothing left beside it")
	})
	t.Run("failure keeps the old output", func(t *testing.T) {
		w, dir := newStepWorld(t), t.TempDir()
		require.NoError(t, os.WriteFile(filepath.Join(dir, "out"), []byte("old"), 0o644))
		assert.Equal(t, 3, runStep(shStep(t, dir, `echo new > "$1"; exit 3`)))
		assert.Equal(t, "old", readString(t, filepath.Join(dir, "out")))
		assert.Empty(t, w.msgs.String())
		assert.Equal(t, []string{"out"}, entries(t, dir))
	})
	t.Run("a tool killed by a signal kills ldwrap with it", func(t *testing.T) {
		w, dir := newStepWorld(t), t.TempDir()
		assert.Equal(t, 128+int(syscall.SIGTERM), runStep(shStep(t, dir, `echo new > "$1"; kill -TERM $$`)))
		assert.Equal(t, syscall.SIGTERM, w.died)
		assert.Empty(t, entries(t, dir), "nothing committed")
	})
	t.Run("pass-through execs the tool", func(t *testing.T) {
		w, dir := newStepWorld(t), t.TempDir()
		s := shStep(t, dir, `echo new > "$1"`)
		s.Plan = cmdline.Plan{Pass: "a reason"}
		assert.Equal(t, 42, runStep(s))
		assert.Equal(t, append([]string{"sh"}, s.Args...), w.execed)
		assert.Empty(t, entries(t, dir), "the test's exec runs nothing")
	})
	t.Run("an output that is an input passes through", func(t *testing.T) {
		w, dir := newStepWorld(t), t.TempDir()
		require.NoError(t, os.WriteFile(filepath.Join(dir, "out"), []byte("old"), 0o644))
		s := shStep(t, dir, `cat "$1" > "$1"`)
		s.Plan.Inputs = []string{filepath.Join(dir, "out")}
		assert.Equal(t, 42, runStep(s))
		assert.NotEmpty(t, w.execed)
	})
	t.Run("strict refuses a pass-through", func(t *testing.T) {
		w, dir := newStepWorld(t), t.TempDir()
		strict = true
		s := shStep(t, dir, `echo new > "$1"`)
		s.Plan = cmdline.Plan{Pass: "a reason"}
		assert.Equal(t, exitCannotRun, runStep(s))
		assert.Nil(t, w.execed)
		assert.Equal(t, "ldwrap: run sh: would pass through untouched (a reason); not run, as LDWRAP_STRICT=1 asks\n", w.msgs.String())
		s.Plan = cmdline.Plan{Pass: "--version", Quiet: true}
		assert.Equal(t, 42, runStep(s), "a quiet pass-through writes nothing: strict runs it")
	})
	t.Run("a directory that is not there is the tool's business", func(t *testing.T) {
		w, dir := newStepWorld(t), t.TempDir()
		assert.Equal(t, 42, runStep(shStep(t, filepath.Join(dir, "missing"), `echo new > "$1"`)))
		assert.NotEmpty(t, w.execed)
		strict = true
		w.execed = nil
		assert.Equal(t, exitCannotRun, runStep(shStep(t, filepath.Join(dir, "missing"), `echo new > "$1"`)))
		assert.Nil(t, w.execed)
		assert.Contains(t, w.msgs.String(), "not run, as LDWRAP_STRICT=1 asks\n")
	})
	t.Run("a bad setting is ldwrap's failure", func(t *testing.T) {
		w, dir := newStepWorld(t), t.TempDir()
		t.Setenv("LDWRAP_SYMLINKS", "sideways")
		assert.Equal(t, exitCannotRun, runStep(shStep(t, dir, `echo new > "$1"`)))
		assert.Equal(t, "ldwrap: config: LDWRAP_SYMLINKS=sideways: want replace or follow\n", w.msgs.String())
		assert.Empty(t, entries(t, dir))
	})
	t.Run("a tool that is not there exits 127", func(t *testing.T) {
		w, dir := newStepWorld(t), t.TempDir()
		s := shStep(t, dir, `echo new > "$1"`)
		s.Tool = toolpath.Tool{Path: filepath.Join(dir, "no-such-tool"), Words: []string{"no-such-tool"}}
		assert.Equal(t, exitNotFound, runStep(s))
		assert.Contains(t, w.msgs.String(), "no-such-tool")
		assert.Empty(t, entries(t, dir))
	})
	t.Run("nested too deep", func(t *testing.T) {
		w, dir := newStepWorld(t), t.TempDir()
		t.Setenv(depthVar, "8")
		assert.Equal(t, exitCannotRun, runStep(shStep(t, dir, `echo new > "$1"`)))
		assert.Contains(t, w.msgs.String(), "ldwrap nested 8 deep")
		assert.Empty(t, entries(t, dir))
	})
}

// The usage error names the part of the command line, what is wrong with
// it, and where to read more, in one line.
func TestFailUsage(t *testing.T) {
	w := newStepWorld(t)
	assert.Equal(t, exitCannotRun, failUsage("ldwrap-run", &usageError{"option -x", "unknown"}))
	assert.Equal(t, "ldwrap: option -x: unknown (see ldwrap-run --help)\n", w.msgs.String())
	assert.False(t, strings.Contains(w.msgs.String(), "\n\n"))
}
