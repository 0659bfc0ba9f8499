package engine

import (
	"os"
	"path/filepath"
	"strings"
	"syscall"
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

// A tool that removes its output, moves it away, or puts a symlink or a
// directory in its place does that to the target, as without ldwrap; a
// file put at the target since the seed is not removed.
func TestSeedRemovedOrReplacedByTool(t *testing.T) {
	for _, c := range []struct {
		name string
		tool func(temp string) error
		want func(t *testing.T, target string)
	}{
		{"removed", os.Remove, func(t *testing.T, target string) {
			_, err := os.Lstat(target)
			assert.True(t, os.IsNotExist(err), "removed")
		}},
		{"moved", func(temp string) error { return os.Rename(temp, temp+".bak") }, func(t *testing.T, target string) {
			_, err := os.Lstat(target)
			assert.True(t, os.IsNotExist(err), "removed")
			assert.Equal(t, "old", read(t, target+".bak"), "where the tool moved it")
		}},
		{"symlink", func(temp string) error {
			if err := os.Remove(temp); err != nil {
				return err
			}
			return os.Symlink("elsewhere", temp)
		}, func(t *testing.T, target string) {
			dest, err := os.Readlink(target)
			require.NoError(t, err)
			assert.Equal(t, "elsewhere", dest)
		}},
		{"directory", func(temp string) error {
			if err := os.Remove(temp); err != nil {
				return err
			}
			return os.Mkdir(temp, 0o755)
		}, func(t *testing.T, target string) {
			fi, err := os.Lstat(target)
			require.NoError(t, err)
			assert.True(t, fi.IsDir())
		}},
	} {
		t.Run(c.name, func(t *testing.T) {
			dir, target, txn, o := seededOld(t)
			require.NoError(t, c.tool(o.Temp))
			require.NoError(t, txn.Commit())
			c.want(t, target)
			assert.NotContains(t, strings.Join(entries(t, dir), " "), stagingPrefix)
		})
	}

	// Replaced by someone else during the step: that file stays.
	_, target, txn, o := seededOld(t)
	require.NoError(t, os.Remove(o.Temp))
	write(t, target+".new", "another's")
	require.NoError(t, os.Rename(target+".new", target))
	require.NoError(t, txn.Commit())
	assert.Equal(t, "another's", read(t, target))
}

// seededOld stages dir/out, whose old content is "old", as a seeded copy.
func seededOld(t *testing.T) (dir, target string, txn *Txn, o *Output) {
	dir = t.TempDir()
	target = filepath.Join(dir, "out")
	write(t, target, "old")
	txn = New(Options{})
	o, err := txn.Stage(target)
	require.NoError(t, err)
	require.NoError(t, txn.Seed(o))
	return dir, target, txn, o
}

// The seed keeps the old file's holes: a 1 GiB file of 4 KiB of data
// stays that small (a plain copy would write 1 GiB of zeros).
func TestSeedKeepsHoles(t *testing.T) {
	dir := t.TempDir()
	target := filepath.Join(dir, "sparse")
	f, err := os.Create(target)
	require.NoError(t, err)
	_, err = f.Write(bytesOf('x', 4096))
	require.NoError(t, err)
	require.NoError(t, f.Truncate(1<<30))
	require.NoError(t, f.Close())
	var st syscall.Stat_t
	require.NoError(t, syscall.Stat(target, &st))
	if st.Blocks*512 >= 1<<30 {
		t.Skip("the filesystem has no holes")
	}
	txn := New(Options{})
	defer txn.Abort()
	o, err := txn.Stage(target)
	require.NoError(t, err)
	require.NoError(t, txn.Seed(o))
	var seeded syscall.Stat_t
	require.NoError(t, syscall.Stat(o.Temp, &seeded))
	assert.Equal(t, st.Size, seeded.Size)
	assert.LessOrEqual(t, seeded.Blocks, st.Blocks+8, "the copy takes no more blocks than the old file")
}
