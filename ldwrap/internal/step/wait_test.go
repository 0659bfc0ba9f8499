//go:build linux

package step

import (
	"os"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/sys/unix"
)

func startShell(t *testing.T, script string) int {
	t.Helper()
	pid, err := syscall.ForkExec("/bin/sh", []string{"sh", "-c", script},
		&syscall.ProcAttr{Env: os.Environ(), Files: []uintptr{0, 1, 2}})
	require.NoError(t, err)
	return pid
}

// Both ways of reaping the tool report the status exactly: the pidfd one
// ldwrap uses, and the wait4 one it falls back to where pidfd_open is
// missing or refused.
func TestWaitReportsStatus(t *testing.T) {
	for name, wait := range map[string]func(int) (syscall.WaitStatus, error){
		"pidfd": waitTool, "wait4": waitBlocking,
	} {
		t.Run(name, func(t *testing.T) {
			if name == "pidfd" { // else waitTool would quietly be wait4
				fd, err := unix.PidfdOpen(os.Getpid(), 0)
				require.NoError(t, err, "pidfd_open on this kernel")
				unix.Close(fd)
			}
			ws, err := wait(startShell(t, "sleep 0.05; exit 3"))
			require.NoError(t, err)
			assert.True(t, ws.Exited())
			assert.Equal(t, 3, ws.ExitStatus())

			ws, err = wait(startShell(t, "kill -TERM $$"))
			require.NoError(t, err)
			assert.True(t, ws.Signaled())
			assert.Equal(t, syscall.SIGTERM, ws.Signal())

			// Already exited when the wait starts: the pidfd is readable
			// from the moment it is registered.
			pid := startShell(t, "exit 0")
			time.Sleep(50 * time.Millisecond)
			ws, err = wait(pid)
			require.NoError(t, err)
			assert.True(t, ws.Exited())
			assert.Equal(t, 0, ws.ExitStatus())
		})
	}
}

func TestWaitNotAChild(t *testing.T) {
	_, err := waitTool(os.Getppid())
	assert.Error(t, err)
}
