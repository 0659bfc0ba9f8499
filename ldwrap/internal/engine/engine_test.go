package engine

import (
	"os"
	"path/filepath"
	"syscall"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func write(t *testing.T, path, content string) {
	t.Helper()
	require.NoError(t, os.WriteFile(path, []byte(content), 0o644))
}

func read(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	require.NoError(t, err)
	return string(b)
}

func entries(t *testing.T, dir string) []string {
	t.Helper()
	d, err := os.ReadDir(dir)
	require.NoError(t, err)
	var names []string
	for _, e := range d {
		names = append(names, e.Name())
	}
	return names
}

// writeFD writes content to fd and closes it, as Create's callers do.
func writeFD(t *testing.T, fd int, content string) {
	t.Helper()
	_, err := syscall.Write(fd, []byte(content))
	require.NoError(t, err)
	require.NoError(t, syscall.Close(fd))
}

func inodeOf(t *testing.T, path string) uint64 {
	t.Helper()
	fi, err := os.Stat(path)
	require.NoError(t, err)
	return fi.Sys().(*syscall.Stat_t).Ino
}

func TestAbortLeavesTarget(t *testing.T) {
	dir := t.TempDir()
	target := filepath.Join(dir, "lib.so")
	write(t, target, "old")
	txn := New(Options{})
	o, err := txn.Stage(target)
	require.NoError(t, err)
	write(t, o.Temp, "half")
	require.NoError(t, txn.Abort())
	assert.Equal(t, "old", read(t, target))
	assert.Equal(t, []string{"lib.so"}, entries(t, dir))
	assert.NoError(t, txn.Abort(), "twice is fine")
	assert.Equal(t, errDone, txn.Commit())
}

func TestStageTwiceIsOneOutput(t *testing.T) {
	dir := t.TempDir()
	txn := New(Options{})
	a, err := txn.Stage(filepath.Join(dir, "a"))
	require.NoError(t, err)
	b, err := txn.Stage(filepath.Join(dir, ".", "a"))
	require.NoError(t, err)
	assert.Same(t, a, b)
	c, err := txn.Stage(filepath.Join(dir, "c"))
	require.NoError(t, err)
	assert.Equal(t, filepath.Dir(a.Temp), filepath.Dir(c.Temp), "one staging directory per directory")
	txn.Abort()
}

// unnamedFiles says whether this build makes unnamed files (Linux, not
// under the ldwrap_portable tag): the tests assert the weaker promise of
// the fallback where it does not.
func unnamedFiles(t *testing.T) bool {
	fd, err := sys.openUnnamed(t.TempDir(), 0o600)
	if err == errNotSupported {
		return false
	}
	require.NoError(t, err)
	syscall.Close(fd)
	return true
}

// firstNames says whether this build renames a staging directory to its
// target's first name (where the system can rename a directory without
// replacing); the fallback keeps random names and sweeps every time.
func firstNames(t *testing.T) bool {
	dir := t.TempDir()
	from, to := dir+"/a", dir+"/b"
	require.NoError(t, os.Mkdir(from, 0o700))
	return sys.renameNoReplace(from, to) != errNotSupported
}
