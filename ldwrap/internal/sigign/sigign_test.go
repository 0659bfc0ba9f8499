//go:build linux && (amd64 || arm64) && !ldwrap_portable

package sigign

import (
	"os"
	"os/exec"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// The test binary runs itself again with signals its parent (a shell's
// trap) ignores, and prints what Keep found there.
func TestInheritedIgnoredSignals(t *testing.T) {
	if os.Getenv("SIGIGN_CHILD") == "1" {
		var names []string
		for _, s := range Keep() {
			names = append(names, s.String())
		}
		os.Stdout.WriteString("found:" + strings.Join(names, ",") + "\n")
		return
	}
	if _, ok := fwdSigAddr(); !ok {
		t.Skip("runtime.fwdSig is not readable in this binary (stripped, or position-independent)")
	}
	exe, err := os.Executable()
	require.NoError(t, err)
	child := func(script string) string {
		cmd := exec.Command("sh", "-c", script+`exec "$0" -test.run='^TestInheritedIgnoredSignals$'`, exe)
		cmd.Env = append(os.Environ(), "SIGIGN_CHILD=1")
		out, err := cmd.CombinedOutput()
		require.NoError(t, err, "%s", out)
		for _, line := range strings.Split(string(out), "\n") {
			if strings.HasPrefix(line, "found:") {
				return line
			}
		}
		t.Fatalf("no result in %s", out)
		return ""
	}
	found := child(`trap "" TERM USR1 PIPE QUIT; `)
	for _, want := range []string{"terminated", "user defined signal 1", "broken pipe", "quit"} {
		assert.Contains(t, found, want)
	}
	assert.NotContains(t, found, "interrupt")
	assert.Equal(t, "found:", child(""), "control: nothing ignored, nothing found")
}
