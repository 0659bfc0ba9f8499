package cli

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// runInstall is ldwrap-install without a process: its decisions (into a
// directory or onto a file, -D, -v, -d, messages) are unit-testable.
func TestRunInstall(t *testing.T) {
	dir := t.TempDir()
	src := filepath.Join(dir, "prog")
	require.NoError(t, os.WriteFile(src, []byte("v1"), 0o700))
	var out, errs bytes.Buffer

	// Onto a file, making the leading directories (-D), verbosely.
	dst := filepath.Join(dir, "a", "b", "prog")
	require.Equal(t, 0, runInstall([]string{"-D", "-v", "-m", "0640", src, dst}, &out, &errs), errs.String())
	assert.Equal(t, "'"+src+"' -> '"+dst+"'\n", out.String())
	fi, err := os.Stat(dst)
	require.NoError(t, err)
	assert.Equal(t, os.FileMode(0o640), fi.Mode().Perm())

	// Into a directory: the last operand is one.
	require.Equal(t, 0, runInstall([]string{src, filepath.Join(dir, "a")}, &out, &errs), errs.String())
	assert.FileExists(t, filepath.Join(dir, "a", "prog"))

	// -d makes directories with the mode asked for.
	require.Equal(t, 0, runInstall([]string{"-d", "-m", "700", filepath.Join(dir, "d1"), filepath.Join(dir, "d2")}, &out, &errs))
	fi, err = os.Stat(filepath.Join(dir, "d2"))
	require.NoError(t, err)
	assert.True(t, fi.IsDir())
	assert.Equal(t, os.FileMode(0o700), fi.Mode().Perm())

	// Failures: one "ldwrap: <what> <path>: <cause>" line, status 1, and
	// the destination untouched.
	for _, c := range []struct {
		args []string
		msg  string
	}{
		{[]string{"-s", src, dst}, "ldwrap: option -s: not supported by ldwrap-install\n"},
		{[]string{filepath.Join(dir, "missing"), dst}, "ldwrap: open " + filepath.Join(dir, "missing") + ": no such file or directory\n"},
		{[]string{"-t", filepath.Join(dir, "nodir"), src}, "ldwrap: target " + filepath.Join(dir, "nodir") + ": not a directory\n"},
		{[]string{"-o", "no-such-user-ldwrap", src, dst}, "ldwrap: owner no-such-user-ldwrap: user: unknown user no-such-user-ldwrap\n"},
		{[]string{"-m"}, "ldwrap: option -m: needs a value\n"},
	} {
		errs.Reset()
		assert.Equal(t, 1, runInstall(c.args, &out, &errs), "%q", c.args)
		assert.Equal(t, c.msg, errs.String(), "%q", c.args)
	}
	b, err := os.ReadFile(dst)
	require.NoError(t, err)
	assert.Equal(t, "v1", string(b))
}
