package engine

import (
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// A seeded output starts as the old file: bytes, mode and times. A tool
// that appends sees the old lines; one that leaves it alone leaves the old
// inode in place.
func TestSeedStartsFromOldFile(t *testing.T) {
	dir := t.TempDir()
	target := filepath.Join(dir, "log.txt")
	write(t, target, "line1\n")
	require.NoError(t, os.Chmod(target, 0o640))
	past := time.Now().Add(-time.Hour).Truncate(time.Second)
	require.NoError(t, os.Chtimes(target, past, past))
	before := inodeOf(t, target)

	txn := New(Options{})
	o, err := txn.Stage(target)
	require.NoError(t, err)
	require.NoError(t, txn.Seed(o))
	assert.Equal(t, "line1\n", read(t, o.Temp))
	fi, err := os.Stat(o.Temp)
	require.NoError(t, err)
	assert.Equal(t, os.FileMode(0o640), fi.Mode().Perm())
	assert.Equal(t, past, fi.ModTime(), "the tool sees the old mtime (cp -u, make)")
	f, err := os.OpenFile(o.Temp, os.O_APPEND|os.O_WRONLY, 0)
	require.NoError(t, err)
	f.WriteString("line2\n")
	f.Close()
	require.NoError(t, txn.Commit())
	assert.Equal(t, "line1\nline2\n", read(t, target))
	assert.NotEqual(t, before, inodeOf(t, target))

	// Untouched: the old file stays, inode and all.
	before = inodeOf(t, target)
	txn = New(Options{})
	o, err = txn.Stage(target)
	require.NoError(t, err)
	require.NoError(t, txn.Seed(o))
	require.NoError(t, txn.Commit())
	assert.Equal(t, before, inodeOf(t, target))
	assert.Equal(t, []string{"log.txt"}, entries(t, dir))
}

// A change that keeps the size and lands within the seed's clock tick is
// still committed: the content decides, not the times alone.
func TestSeedSameTimesOtherContent(t *testing.T) {
	dir := t.TempDir()
	target := filepath.Join(dir, "data")
	write(t, target, "aaaa")
	txn := New(Options{})
	o, err := txn.Stage(target)
	require.NoError(t, err)
	require.NoError(t, txn.Seed(o))
	var st seedState = *o.seed
	f, err := os.OpenFile(o.Temp, os.O_WRONLY, 0)
	require.NoError(t, err)
	f.WriteAt([]byte("X"), 0)
	f.Close()
	o.seed = &st
	// Make the times say "untouched", as a coarse clock could.
	at := time.Unix(int64(st.mtime.Sec), int64(st.mtime.Nsec)) // int32 on 32-bit systems
	require.NoError(t, os.Chtimes(o.Temp, at, at))
	fresh, err := seedStateOf(mustOpen(t, o.Temp))
	require.NoError(t, err)
	o.seed.ctime = fresh.ctime
	require.NoError(t, txn.Commit())
	assert.Equal(t, "Xaaa", read(t, target))
}

func mustOpen(t *testing.T, path string) int {
	f, err := os.Open(path)
	require.NoError(t, err)
	t.Cleanup(func() { f.Close() })
	return int(f.Fd())
}

func TestSeedWithoutOldFile(t *testing.T) {
	dir := t.TempDir()
	txn := New(Options{})
	o, err := txn.Stage(filepath.Join(dir, "new"))
	require.NoError(t, err)
	require.NoError(t, txn.Seed(o))
	_, err = os.Lstat(o.Temp)
	assert.True(t, os.IsNotExist(err), "nothing to copy: the place stays empty")
	txn.Abort()
}
