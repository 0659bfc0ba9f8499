package ldwrap

import (
	"os"
	"path/filepath"
	"syscall"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestWriteFileKeepsOldOnError(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "f")
	require.NoError(t, os.WriteFile(path, []byte("old"), 0o600))
	p, err := Create(path, 0o644)
	require.NoError(t, err)
	p.Write([]byte("half"))
	require.NoError(t, p.Cleanup())
	b, _ := os.ReadFile(path)
	assert.Equal(t, "old", string(b))
	entries, _ := os.ReadDir(dir)
	assert.Len(t, entries, 1)
}

func TestInstallModeOwnerCompare(t *testing.T) {
	dir := t.TempDir()
	src, dst := filepath.Join(dir, "src"), filepath.Join(dir, "dst")
	require.NoError(t, os.WriteFile(src, []byte("x"), 0o600))
	require.NoError(t, Install(src, dst, WithMode(0o751), WithOwner(os.Getuid(), os.Getgid())))
	fi, err := os.Stat(dst)
	require.NoError(t, err)
	assert.Equal(t, os.FileMode(0o751), fi.Mode().Perm())
	ino := fi.Sys().(*syscall.Stat_t).Ino
	require.NoError(t, Install(src, dst, WithMode(0o751), SkipIdentical(false)))
	fi, _ = os.Stat(dst)
	assert.Equal(t, ino, fi.Sys().(*syscall.Stat_t).Ino, "identical: the inode is kept")
	require.NoError(t, Install(src, dst, WithMode(0o755), SkipIdentical(false)))
	fi, _ = os.Stat(dst)
	assert.NotEqual(t, ino, fi.Sys().(*syscall.Stat_t).Ino, "a different mode is a different file")
	assert.Error(t, Install(dir, dst))
	assert.Error(t, Install(filepath.Join(dir, "missing"), dst))
}

func TestRunStdoutAndMissingOutput(t *testing.T) {
	dir := t.TempDir()
	out := filepath.Join(dir, "out")
	require.NoError(t, Run(nil, []string{"echo", "hello"}, Stdout(out)))
	b, _ := os.ReadFile(out)
	assert.Equal(t, "hello\n", string(b))
	assert.Error(t, Run([]string{filepath.Join(dir, "x")}, []string{"true"}))
	err := Run(nil, []string{"sh", "-c", "echo bad; exit 2"}, Stdout(out))
	var ee *ExitError
	require.ErrorAs(t, err, &ee)
	assert.Equal(t, 2, ee.Status.ExitStatus())
	b, _ = os.ReadFile(out)
	assert.Equal(t, "hello\n", string(b))
}
