package engine

import (
	"os"
	"path/filepath"
	"syscall"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// A file the caller writes itself has no name until the commit: nothing of
// it is in the directory while it is written, or after an abort.
func TestCreateUnnamedUntilCommit(t *testing.T) {
	dir := t.TempDir()
	target := filepath.Join(dir, "tool")
	write(t, target, "old")
	held, err := os.Open(target)
	require.NoError(t, err)
	defer held.Close()

	txn := New(Options{})
	o, fd, err := txn.Create(target, 0o644)
	require.NoError(t, err)
	writeFD(t, fd, "new")
	if unnamedFiles(t) {
		require.NotNil(t, o.unnamed)
		assert.Equal(t, []string{"tool"}, entries(t, dir), "the new file has no name yet")
	} else {
		names := entries(t, dir)
		require.Len(t, names, 2, "the fallback: a staging directory")
		assert.True(t, IsStagingName(names[0], "tool"), "the fallback: a staging directory: %v", names)
	}
	o.Mode = exactMode(0o751)
	require.NoError(t, txn.Commit())
	assert.Equal(t, "new", read(t, target))
	fi, _ := os.Stat(target)
	assert.Equal(t, os.FileMode(0o751), fi.Mode().Perm())
	b := make([]byte, 3)
	_, err = held.ReadAt(b, 0)
	require.NoError(t, err)
	assert.Equal(t, "old", string(b), "an open reader keeps the old inode")
	assert.Equal(t, []string{"tool"}, entries(t, dir))

	txn = New(Options{})
	_, fd, err = txn.Create(target, 0o644)
	require.NoError(t, err)
	writeFD(t, fd, "half")
	txn.Abort()
	assert.Equal(t, "new", read(t, target))
	assert.Equal(t, []string{"tool"}, entries(t, dir))
}

// A mode without the owner's read bit still commits, with that mode: the
// bit the engine needs to open the file again is taken back.
func TestCreateWriteOnlyMode(t *testing.T) {
	old := syscall.Umask(0)
	defer syscall.Umask(old)
	dir := t.TempDir()
	target := filepath.Join(dir, "secret")
	txn := New(Options{})
	_, fd, err := txn.Create(target, 0o200)
	require.NoError(t, err)
	writeFD(t, fd, "w")
	require.NoError(t, txn.Commit())
	fi, err := os.Stat(target)
	require.NoError(t, err)
	assert.Equal(t, os.FileMode(0o200), fi.Mode().Perm())
}

// The last Create of a target wins, as with install(1) run twice.
func TestCreateTwiceLastWins(t *testing.T) {
	dir := t.TempDir()
	target := filepath.Join(dir, "f")
	txn := New(Options{})
	_, fd, err := txn.Create(target, 0o644)
	require.NoError(t, err)
	writeFD(t, fd, "first")
	_, fd, err = txn.Create(target, 0o644)
	require.NoError(t, err)
	writeFD(t, fd, "second")
	require.NoError(t, txn.Commit())
	assert.Equal(t, "second", read(t, target))
	assert.Equal(t, []string{"f"}, entries(t, dir))
}

// A run killed between linking its file and the rename leaves it under the
// fixed name; the next Create of the target sweeps it. A live run's file
// there (locked) is left alone and another name is used.
func TestCreateSweepsLinkedLeftover(t *testing.T) {
	dir := t.TempDir()
	target := filepath.Join(dir, "f")
	leftover := filepath.Join(dir, ".ldwrap.f."+firstSuffix)
	write(t, leftover, "partial")
	txn := New(Options{})
	_, fd, err := txn.Create(target, 0o644)
	require.NoError(t, err)
	writeFD(t, fd, "new")
	require.NoError(t, txn.Commit())
	assert.Equal(t, "new", read(t, target))
	assert.Equal(t, []string{"f"}, entries(t, dir), "the dead run's file is swept")

	write(t, leftover, "live")
	lock, err := os.Open(leftover)
	require.NoError(t, err)
	defer lock.Close()
	require.NoError(t, syscall.Flock(int(lock.Fd()), syscall.LOCK_EX))
	txn = New(Options{})
	_, fd, err = txn.Create(target, 0o644)
	require.NoError(t, err)
	writeFD(t, fd, "newer")
	require.NoError(t, txn.Commit())
	assert.Equal(t, "newer", read(t, target))
	assert.Equal(t, "live", read(t, leftover), "a live run's file is not swept")
	assert.ElementsMatch(t, []string{"f", ".ldwrap.f." + firstSuffix}, entries(t, dir))
}
