package engine

import (
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/sys/unix"
)

// A process that holds the old file sees it as "<target> (deleted)", as
// after install(1), for an output a tool wrote and for one this process
// wrote itself: the rename deletes the old entry where it stands.
func TestOldFileKeepsTargetName(t *testing.T) {
	for _, unnamed := range []bool{false, true} {
		dir := t.TempDir()
		target := filepath.Join(dir, "prog")
		write(t, target, "old")
		holder := exec.Command("sleep", "30")
		f, err := os.Open(target)
		require.NoError(t, err)
		holder.ExtraFiles = []*os.File{f}
		require.NoError(t, holder.Start())
		f.Close()
		t.Cleanup(func() { holder.Process.Kill(); holder.Wait() })

		txn := New(Options{})
		if unnamed {
			_, fd, err := txn.Create(target, 0o644)
			require.NoError(t, err)
			writeFD(t, fd, "new")
		} else {
			o, err := txn.Stage(target)
			require.NoError(t, err)
			write(t, o.Temp, "new")
		}
		require.NoError(t, txn.Commit())
		link, err := os.Readlink("/proc/" + strconv.Itoa(holder.Process.Pid) + "/fd/3")
		require.NoError(t, err)
		assert.Equal(t, target+" (deleted)", link, "unnamed=%v", unnamed)
	}
}

// Two commits of one target at once both succeed; the target is one of
// the two files, whole.
func TestConcurrentCommitsLastWins(t *testing.T) {
	dir := t.TempDir()
	target := filepath.Join(dir, "out")
	write(t, target, "old")
	for round := 0; round < 50; round++ {
		var wg sync.WaitGroup
		errs := make([]error, 2)
		for i := range errs {
			wg.Add(1)
			go func(i int) {
				defer wg.Done()
				txn := New(Options{})
				o, err := txn.Stage(target)
				if err == nil {
					err = os.WriteFile(o.Temp, []byte("writer"+strconv.Itoa(i)), 0o644)
				}
				if err == nil {
					err = txn.Commit()
				} else {
					txn.Abort()
				}
				errs[i] = err
			}(i)
		}
		wg.Wait()
		require.NoError(t, errs[0])
		require.NoError(t, errs[1])
		assert.Contains(t, []string{"writer0", "writer1"}, read(t, target))
	}
	assert.Equal(t, []string{"out"}, entries(t, dir))
}

// A directory that takes the target's place after staging is never
// replaced or removed; its contents survive.
func TestDirectoryAtTargetNeverRemoved(t *testing.T) {
	for _, when := range []string{"before-commit", "before-rename"} {
		t.Run(when, func(t *testing.T) {
			dir := t.TempDir()
			target := filepath.Join(dir, "out")
			write(t, target, "old")
			txn := New(Options{})
			o, err := txn.Stage(target)
			require.NoError(t, err)
			write(t, o.Temp, "new")
			makeDir := func(string) {
				require.NoError(t, os.Remove(target))
				require.NoError(t, os.Mkdir(target, 0o755))
				write(t, filepath.Join(target, "precious"), "precious")
			}
			if when == "before-commit" {
				makeDir(target)
			} else {
				testHookBeforeRename = makeDir
				defer func() { testHookBeforeRename = nil }()
			}
			err = txn.Commit()
			require.Error(t, err)
			assert.ErrorIs(t, err, unix.EISDIR)
			assert.Equal(t, "precious", read(t, filepath.Join(target, "precious")))
			assert.Equal(t, []string{"out"}, entries(t, dir), "nothing left behind")
		})
	}
}

// Only regular files, and symlinks under ReplaceLink, are replaced; a
// fifo or socket too under ReplaceSpecial; a device never.
func TestCommitReplacesOnlyFilesAndLinks(t *testing.T) {
	dir := t.TempDir()
	target := filepath.Join(dir, "out")
	write(t, target, "old")
	txn := New(Options{Symlinks: FollowLink})
	o, err := txn.Stage(target)
	require.NoError(t, err)
	write(t, o.Temp, "new")
	require.NoError(t, os.Remove(target))
	require.NoError(t, unix.Mkfifo(target, 0o644))
	err = txn.Commit()
	assert.ErrorIs(t, err, ErrSpecial)
	fi, err := os.Lstat(target)
	require.NoError(t, err)
	assert.Equal(t, os.ModeNamedPipe, fi.Mode().Type(), "the fifo is left")

	require.NoError(t, os.Remove(target))
	write(t, filepath.Join(dir, "elsewhere"), "elsewhere")
	txn = New(Options{Symlinks: FollowLink})
	o, err = txn.Stage(target)
	require.NoError(t, err)
	write(t, o.Temp, "new")
	require.NoError(t, os.Symlink("elsewhere", target))
	assert.Error(t, txn.Commit(), "a link that appears under FollowLink is not replaced")
	assert.Equal(t, "elsewhere", read(t, target))
	assert.ElementsMatch(t, []string{"out", "elsewhere"}, entries(t, dir))
}

func TestReplaceSpecial(t *testing.T) {
	dir := t.TempDir()
	fifo := filepath.Join(dir, "fifo")
	require.NoError(t, unix.Mkfifo(fifo, 0o644))
	link := filepath.Join(dir, "link")
	require.NoError(t, os.Symlink("/dev/null", link))
	for _, target := range []string{fifo, link} {
		txn := New(Options{ReplaceSpecial: true})
		_, fd, err := txn.Create(target, 0o644)
		require.NoError(t, err, target)
		writeFD(t, fd, "new")
		require.NoError(t, txn.Commit(), target)
		assert.Equal(t, "new", read(t, target))
	}
	// A device node (where this process may make one: root, outside a
	// user namespace such as Bazel's sandbox) is never replaced.
	dev := filepath.Join(dir, "null")
	if unix.Mknod(dev, unix.S_IFCHR|0o666, 1<<8|3) == nil {
		_, _, err := New(Options{ReplaceSpecial: true}).Create(dev, 0o644)
		assert.ErrorIs(t, err, ErrSpecial, "a device node is never replaced")
	}
}

// A symlink the tool made replaces the old entry as a new file does (ln
// -sf through ldwrap-run; ldwrap --install-links): the old file or link
// is replaced, never a directory. A directory the tool made replaces
// nothing.
func TestCommitNewSymlinkReplaces(t *testing.T) {
	dir := t.TempDir()
	for _, old := range []string{"file", "link"} {
		target := filepath.Join(dir, old)
		if old == "file" {
			write(t, target, "old")
		} else {
			require.NoError(t, os.Symlink("elsewhere", target))
		}
		txn := New(Options{})
		o, err := txn.Stage(target)
		require.NoError(t, err)
		require.NoError(t, os.Symlink("new", o.Temp))
		require.NoError(t, txn.Commit(), old)
		dest, err := os.Readlink(target)
		require.NoError(t, err, old)
		assert.Equal(t, "new", dest, old)
	}
	target := filepath.Join(dir, "file")
	require.NoError(t, os.Remove(target))
	write(t, target, "old")
	txn := New(Options{})
	o, err := txn.Stage(target)
	require.NoError(t, err)
	require.NoError(t, os.Mkdir(o.Temp, 0o755))
	assert.ErrorIs(t, txn.Commit(), unix.EEXIST, "a new directory replaces nothing")
	assert.Equal(t, "old", read(t, target))
	assert.ElementsMatch(t, []string{"file", "link"}, entries(t, dir))
}
