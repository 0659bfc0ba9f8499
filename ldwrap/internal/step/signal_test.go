package step

import (
	"os"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/ldwrap/ldwrap/ldwrap/internal/cmdline"
	"github.com/ldwrap/ldwrap/ldwrap/internal/sigign"
	"github.com/ldwrap/ldwrap/ldwrap/internal/toolpath"
)

// A signal that arrives after the tool has exited, while ldwrap commits,
// is not sent to the tool's (possibly reused) pid and does not cut the
// commit short: the output is committed, and the signal is reported so
// that the command dies of it afterwards.
func TestSignalAfterToolExited(t *testing.T) {
	dir := t.TempDir()
	out := filepath.Join(dir, "out")
	require.NoError(t, os.WriteFile(out, []byte("old"), 0o644))
	tool, err := toolpath.Default().Command("sh")
	require.NoError(t, err)
	args := []string{"-c", `echo new > "$1"`, "sh", out}
	plan, err := cmdline.PlanRun([]string{out}, args, cmdline.RunOptions{})
	require.NoError(t, err)

	// Not a signal this process's parent left ignored (nohup ignores
	// SIGHUP): ldwrap keeps those ignored, and it would never arrive.
	sig := syscall.Signal(0)
	ignored := sigign.Keep()
	for _, s := range forwarded {
		if !contains(ignored, s) {
			sig = s.(syscall.Signal)
			break
		}
	}
	if sig == 0 {
		t.Skip("every forwarded signal was ignored when the test started")
	}
	testHookBeforeCommit = func() {
		syscall.Kill(os.Getpid(), sig)
		time.Sleep(100 * time.Millisecond) // let the handler record it
	}
	defer func() { testHookBeforeCommit = nil }()
	o, err := Step{Tool: tool, Args: args, Plan: plan, Forward: true}.Execute()
	require.NoError(t, err)
	assert.True(t, o.Status.Exited() && o.Status.ExitStatus() == 0, "the tool itself succeeded")
	assert.Equal(t, sig, o.Signal, "reported, for the command to die of")
	b, err := os.ReadFile(out)
	require.NoError(t, err)
	assert.Equal(t, "new\n", string(b), "the commit went through")
	left, _ := filepath.Glob(filepath.Join(dir, ".ldwrap.*"))
	assert.Empty(t, left)
}
