//go:build linux

package e2e

import (
	"strings"
	"syscall"
	"testing"

	"github.com/stretchr/testify/assert"
	"golang.org/x/sys/unix"
)

var _ = portableToo(TestToolKilledBySignal)

// A tool killed by a signal makes ldwrap die of the same signal, with
// nothing printed: an ld64 assertion shows as "Abort trap: 6" (134), as
// bare. Go's runtime takes SIGABRT, SIGSEGV, SIGBUS, SIGILL, SIGFPE and
// SIGQUIT for a crash of its own (a goroutine dump and exit 2) unless
// ldwrap takes care; off Linux it cannot set SIG_DFL directly, and the
// portable run tests that path here.
func TestToolKilledBySignal(t *testing.T) {
	sigs := []syscall.Signal{syscall.SIGABRT, syscall.SIGSEGV, syscall.SIGBUS, syscall.SIGILL, syscall.SIGFPE,
		syscall.SIGQUIT, syscall.SIGTRAP, syscall.SIGSYS, syscall.SIGTERM, syscall.SIGUSR1}
	for _, sig := range sigs {
		name := strings.TrimPrefix(unix.SignalName(sig), "SIG")
		script := `echo x > "$1"; kill -s ` + name + ` $$`
		for _, wrapped := range []bool{false, true} {
			dir := t.TempDir()
			writeFile(t, dir+"/out", "old")
			argv := []string{"sh", "-c", script, "sh", "out"}
			if wrapped {
				argv = append([]string{ldwrap("ldwrap-run"), "-o", "out", "--"}, argv...)
			}
			code, out := exitCode(dir, []string{"GOTRACEBACK="}, argv...)
			assert.Equal(t, -int(sig), code, "%s, wrapped %v: %s", name, wrapped, out)
			assert.Empty(t, out, "%s, wrapped %v", name, wrapped)
			if wrapped {
				assert.Equal(t, "old", string(readFile(t, dir+"/out")), "a killed tool's output is not committed")
			}
			assert.Empty(t, leftovers(t, dir))
		}
	}
}
