package engine

import (
	"errors"
	"os"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestSkipIdentical(t *testing.T) {
	dir := t.TempDir()
	target := filepath.Join(dir, "a")
	write(t, target, "same")
	past := time.Now().Add(-time.Hour).Truncate(time.Second)
	require.NoError(t, os.Chtimes(target, past, past))
	before, _ := os.Stat(target)

	for _, mode := range []SkipIdentical{KeepUntouched, KeepAndTouch} {
		txn := New(Options{Skip: mode})
		o, err := txn.Stage(target)
		require.NoError(t, err)
		write(t, o.Temp, "same")
		require.NoError(t, txn.Commit())
		after, _ := os.Stat(target)
		assert.True(t, os.SameFile(before, after), "the old inode is kept")
		if mode == KeepUntouched {
			assert.Equal(t, past, after.ModTime())
		} else {
			assert.True(t, after.ModTime().After(past))
		}
	}
	txn := New(Options{Skip: KeepAndTouch})
	o, err := txn.Stage(target)
	require.NoError(t, err)
	write(t, o.Temp, "diff")
	require.NoError(t, txn.Commit())
	after, _ := os.Stat(target)
	assert.False(t, os.SameFile(before, after))
	assert.Equal(t, "diff", read(t, target))
}

// KeepAndTouch gives a new mtime to an identical file the tool wrote, as
// bare would have, but not to a seeded copy the tool never touched: bare
// would have left that file, mtime and all, alone.
func TestSkipIdenticalTouchesOnlyWhatTheToolWrote(t *testing.T) {
	dir := t.TempDir()
	target := filepath.Join(dir, "a")
	write(t, target, "same")
	past := time.Now().Add(-time.Hour).Truncate(time.Second)
	require.NoError(t, os.Chtimes(target, past, past))
	before, _ := os.Stat(target)

	txn := New(Options{Skip: KeepAndTouch})
	o, err := txn.Stage(target)
	require.NoError(t, err)
	require.NoError(t, txn.Seed(o))
	require.NoError(t, txn.Commit())
	after, _ := os.Stat(target)
	assert.True(t, os.SameFile(before, after), "the old inode is kept")
	assert.Equal(t, past, after.ModTime(), "never touched by the tool: the old mtime")

	txn = New(Options{Skip: KeepAndTouch})
	o, err = txn.Stage(target)
	require.NoError(t, err)
	require.NoError(t, txn.Seed(o))
	write(t, o.Temp, "same") // rewritten, same bytes
	require.NoError(t, txn.Commit())
	after, _ = os.Stat(target)
	assert.True(t, os.SameFile(before, after), "the old inode is kept")
	assert.True(t, after.ModTime().After(past), "rewritten by the tool: touched")
}

func exactMode(m os.FileMode) *os.FileMode { return &m }

// An explicit mode, 0 included, is applied before the rename.
func TestExplicitModeBeforeRename(t *testing.T) {
	target := filepath.Join(t.TempDir(), "a")
	write(t, target, "old")
	for _, mode := range []os.FileMode{0o600, 0} {
		txn := New(Options{})
		o, err := txn.Stage(target)
		require.NoError(t, err)
		o.Mode = exactMode(mode)
		write(t, o.Temp, "newer")
		require.NoError(t, txn.Commit())
		fi, _ := os.Stat(target)
		assert.Equal(t, mode, fi.Mode().Perm(), "an explicit mode, 0 included")
	}
}

// Ownership: a file the tool wrote beside the output keeps the owner it
// was written with; an explicit owner, root's uid 0 included, is applied.
func TestOwnersOfCommittedFiles(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("needs root to chown")
	}
	dir := t.TempDir()
	txn := New(Options{})
	o, err := txn.Stage(filepath.Join(dir, "a.o"))
	require.NoError(t, err)
	write(t, o.Temp, "obj")
	write(t, filepath.Join(filepath.Dir(o.Temp), "a.su"), "side")
	if err := os.Lchown(o.Temp, 65534, 65534); errors.Is(err, syscall.EINVAL) {
		t.Skip("uid 65534 is not mapped here")
	}
	o.Uid, o.Gid = 0, 0
	require.NoError(t, txn.Commit())
	for _, n := range []string{"a.o", "a.su"} {
		fi, err := os.Stat(filepath.Join(dir, n))
		require.NoError(t, err)
		st := fi.Sys().(*syscall.Stat_t)
		assert.Equal(t, [2]uint32{0, 0}, [2]uint32{st.Uid, st.Gid}, n)
	}
}
