package engine

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

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

func TestCommitReplacesAndKeepsOldInodeForReaders(t *testing.T) {
	dir := t.TempDir()
	target := filepath.Join(dir, "prog")
	write(t, target, "old")
	held, err := os.Open(target)
	require.NoError(t, err)
	defer held.Close()

	txn := New(Options{})
	o, err := txn.Stage(target)
	require.NoError(t, err)
	assert.Equal(t, "prog", filepath.Base(o.Temp), "the staged file keeps the basename")
	fi, err := os.Stat(filepath.Dir(o.Temp))
	require.NoError(t, err)
	assert.Equal(t, os.FileMode(0o700), fi.Mode().Perm())
	assert.Equal(t, "old", read(t, target), "staging leaves the target alone")
	write(t, o.Temp, "new")
	require.NoError(t, txn.Commit())

	assert.Equal(t, "new", read(t, target))
	b := make([]byte, 3)
	_, err = held.ReadAt(b, 0)
	require.NoError(t, err)
	assert.Equal(t, "old", string(b), "an open reader keeps the old inode")
	assert.Equal(t, []string{"prog"}, entries(t, dir), "no staging directory is left")
}

func TestAbortLeavesTarget(t *testing.T) {
	dir := t.TempDir()
	target := filepath.Join(dir, "lib.so")
	write(t, target, "old")
	txn := New(Options{})
	o, err := txn.Stage(target)
	require.NoError(t, err)
	write(t, o.Temp, "half")
	txn.Abort()
	assert.Equal(t, "old", read(t, target))
	assert.Equal(t, []string{"lib.so"}, entries(t, dir))
}

func TestSideFilesCommittedFirstAndUnwrittenOutputsSkipped(t *testing.T) {
	dir := t.TempDir()
	write(t, filepath.Join(dir, "a.d"), "old dep")
	write(t, filepath.Join(dir, "b.o"), "old b")
	txn := New(Options{})
	a, err := txn.Stage(filepath.Join(dir, "a.o"))
	require.NoError(t, err)
	d, err := txn.StageSide(filepath.Join(dir, "a.d"))
	require.NoError(t, err)
	_, err = txn.Stage(filepath.Join(dir, "b.o")) // the tool does not write it
	require.NoError(t, err)
	write(t, a.Temp, "obj")
	write(t, d.Temp, "dep")
	write(t, filepath.Join(filepath.Dir(a.Temp), "a.su"), "stack") // an unnamed side file
	require.NoError(t, txn.Commit())
	assert.Equal(t, "obj", read(t, filepath.Join(dir, "a.o")))
	assert.Equal(t, "dep", read(t, filepath.Join(dir, "a.d")))
	assert.Equal(t, "stack", read(t, filepath.Join(dir, "a.su")))
	assert.Equal(t, "old b", read(t, filepath.Join(dir, "b.o")))
	assert.ElementsMatch(t, []string{"a.o", "a.d", "a.su", "b.o"}, entries(t, dir))
}

// The order of the renames, seen at each one: side files (named and
// unnamed) are in place before the primary output is.
func TestSideFilesRenamedBeforePrimary(t *testing.T) {
	dir := t.TempDir()
	for _, n := range []string{"a.o", "a.d", "a.su"} {
		write(t, filepath.Join(dir, n), "old")
	}
	txn := New(Options{})
	a, err := txn.Stage(filepath.Join(dir, "a.o"))
	require.NoError(t, err)
	d, err := txn.StageSide(filepath.Join(dir, "a.d"))
	require.NoError(t, err)
	write(t, a.Temp, "new")
	write(t, d.Temp, "new")
	write(t, filepath.Join(filepath.Dir(a.Temp), "a.su"), "new")
	var seen []string
	testHookBeforeExchange = func(target string) {
		state := filepath.Base(target) + ":"
		for _, n := range []string{"a.o", "a.d", "a.su"} {
			state += " " + n + "=" + read(t, filepath.Join(dir, n))
		}
		seen = append(seen, state)
	}
	defer func() { testHookBeforeExchange = nil }()
	require.NoError(t, txn.Commit())
	require.Len(t, seen, 3)
	assert.Equal(t, "a.o: a.o=old a.d=new a.su=new", seen[2], "the primary output is renamed last: %v", seen)
}

func TestSymlinkPolicies(t *testing.T) {
	dir := t.TempDir()
	real := filepath.Join(dir, "real")
	link := filepath.Join(dir, "link")
	write(t, real, "old")
	require.NoError(t, os.Symlink("real", link))

	txn := New(Options{}) // replace the link, as lld and mold do
	o, err := txn.Stage(link)
	require.NoError(t, err)
	write(t, o.Temp, "new")
	require.NoError(t, txn.Commit())
	fi, err := os.Lstat(link)
	require.NoError(t, err)
	assert.True(t, fi.Mode().IsRegular())
	assert.Equal(t, "old", read(t, real))

	require.NoError(t, os.Remove(link))
	require.NoError(t, os.Symlink("real", link))
	txn = New(Options{Symlinks: FollowLink})
	o, err = txn.Stage(link)
	require.NoError(t, err)
	assert.Equal(t, real, o.Target)
	write(t, o.Temp, "new")
	require.NoError(t, txn.Commit())
	fi, err = os.Lstat(link)
	require.NoError(t, err)
	assert.True(t, fi.Mode()&os.ModeSymlink != 0, "the link stays a link")
	assert.Equal(t, "new", read(t, link))
}

func TestSpecialTargetsAndDirectories(t *testing.T) {
	txn := New(Options{})
	_, err := txn.Stage("/dev/null")
	assert.ErrorIs(t, err, ErrSpecial)
	_, err = txn.Stage("-")
	assert.ErrorIs(t, err, ErrSpecial)
	dir := t.TempDir()
	require.NoError(t, syscall.Mkfifo(filepath.Join(dir, "fifo"), 0o644))
	_, err = txn.Stage(filepath.Join(dir, "fifo"))
	assert.ErrorIs(t, err, ErrSpecial)
	require.NoError(t, os.Symlink("/dev/null", filepath.Join(dir, "sink")))
	_, err = txn.Stage(filepath.Join(dir, "sink"))
	assert.ErrorIs(t, err, ErrSpecial)
	require.NoError(t, os.Mkdir(filepath.Join(dir, "d"), 0o755))
	_, err = txn.Stage(filepath.Join(dir, "d"))
	assert.ErrorIs(t, err, syscall.EISDIR)
	assert.Contains(t, err.Error(), "stage "+filepath.Join(dir, "d")+": is a directory")
	_, err = txn.Stage(filepath.Join(dir, "missing", "x"))
	assert.ErrorIs(t, err, syscall.ENOENT)
	txn.Abort()
	assert.ElementsMatch(t, []string{"fifo", "sink", "d"}, entries(t, dir))
}

func TestHardLinkWarns(t *testing.T) {
	dir := t.TempDir()
	write(t, filepath.Join(dir, "a"), "old")
	require.NoError(t, os.Link(filepath.Join(dir, "a"), filepath.Join(dir, "b")))
	var warned string
	txn := New(Options{Warnf: func(f string, a ...interface{}) { warned = f }})
	_, err := txn.Stage(filepath.Join(dir, "a"))
	require.NoError(t, err)
	txn.Abort()
	assert.Contains(t, warned, "hard links")

	// One link: nothing to say.
	warned = ""
	write(t, filepath.Join(dir, "single"), "old")
	txn = New(Options{Warnf: func(f string, a ...interface{}) { warned = f }})
	_, err = txn.Stage(filepath.Join(dir, "single"))
	require.NoError(t, err)
	txn.Abort()
	assert.Empty(t, warned)
}

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

// xattrDir is a temporary directory whose filesystem takes user xattrs:
// TMPDIR if it does (ext4; tmpfs before Linux 6.6 does not), else one
// beside the test.
func xattrDir(t *testing.T) string {
	dir := t.TempDir()
	if syscall.Setxattr(dir, "user.probe", []byte("1"), 0) == nil {
		return dir
	}
	dir, err := os.MkdirTemp(".", "xattr-test")
	require.NoError(t, err)
	t.Cleanup(func() { os.RemoveAll(dir) })
	require.NoError(t, syscall.Setxattr(dir, "user.probe", []byte("1"), 0), "no filesystem here takes user xattrs")
	return dir
}

func TestKeepAttrsAndModeBeforeRename(t *testing.T) {
	dir := xattrDir(t)
	target := filepath.Join(dir, "a")
	write(t, target, "old")
	require.NoError(t, os.Chmod(target, 0o751))
	require.NoError(t, syscall.Setxattr(target, "user.ldwrap", []byte("v"), 0))
	txn := New(Options{KeepAttrs: true, Durable: true})
	o, err := txn.Stage(target)
	require.NoError(t, err)
	write(t, o.Temp, "new")
	require.NoError(t, txn.Commit())
	fi, _ := os.Stat(target)
	assert.Equal(t, os.FileMode(0o751), fi.Mode().Perm())
	buf := make([]byte, 8)
	n, err := syscall.Getxattr(filepath.Join(dir, "a"), "user.ldwrap", buf)
	require.NoError(t, err, "the xattr is carried over")
	assert.Equal(t, "v", string(buf[:n]))

	txn = New(Options{})
	o, err = txn.Stage(target)
	require.NoError(t, err)
	o.Mode = 0o600
	write(t, o.Temp, "newer")
	require.NoError(t, txn.Commit())
	fi, _ = os.Stat(target)
	assert.Equal(t, os.FileMode(0o600), fi.Mode().Perm())
}

// A staging directory whose owner died (no lock held) is swept by the next
// stage of the same target that finds the first name taken; a live one
// (lock held) is not; nor is a staging directory of another target. A
// live run keeps the first name; the others use random ones.
func TestSweep(t *testing.T) {
	dir := t.TempDir()
	target := filepath.Join(dir, "a")
	first := filepath.Join(dir, ".ldwrap.a."+firstSuffix)
	dead := filepath.Join(dir, ".ldwrap.a.deadbeef")
	for _, d := range []string{first, dead} {
		require.NoError(t, os.Mkdir(d, 0o700))
		write(t, filepath.Join(d, "a"), "partial")
	}
	other := filepath.Join(dir, ".ldwrap.a.b.deadbeef")
	require.NoError(t, os.Mkdir(other, 0o700))

	live := New(Options{})
	lo, err := live.Stage(target)
	require.NoError(t, err)
	assert.Equal(t, first, filepath.Dir(lo.Temp), "the first name, once its dead owner's directory is swept")
	_, err = os.Stat(dead)
	assert.True(t, os.IsNotExist(err), "every dead run's directory is swept")

	txn := New(Options{})
	o, err := txn.Stage(target)
	require.NoError(t, err)
	assert.NotEqual(t, first, filepath.Dir(o.Temp), "a live run's first name is left to it")
	assert.True(t, IsStagingName(filepath.Base(filepath.Dir(o.Temp)), "a"))
	_, err = os.Stat(filepath.Dir(lo.Temp))
	assert.NoError(t, err, "a live run's directory is not swept")
	_, err = os.Stat(other)
	assert.NoError(t, err, "another target's directory is not")
	txn.Abort()
	live.Abort()
	assert.ElementsMatch(t, []string{".ldwrap.a.b.deadbeef"}, entries(t, dir))
}

func TestStagingNames(t *testing.T) {
	assert.True(t, IsStagingName(".ldwrap.a.o.abcd1234", "a.o"))
	assert.False(t, IsStagingName(".ldwrap.a.o.abcd1234", "a"))
	assert.False(t, IsStagingName(".ldwrap.a.o.ABCD1234", "a.o"))
	key := stagingKey(string(bytesOf('x', 250)))
	assert.LessOrEqual(t, len(stagingPrefix+key+".")+suffixLen, 255)
	assert.Len(t, key, maxKeyLen, "a long name is cut and hashed to exactly maxKeyLen")
	assert.Equal(t, string(bytesOf('x', maxKeyLen-17))+"~", key[:maxKeyLen-16])
	assert.NotEqual(t, key, stagingKey(string(bytesOf('x', 251))), "the hash tells long names apart")
	exact := string(bytesOf('y', maxKeyLen))
	assert.Equal(t, exact, stagingKey(exact), "a name of maxKeyLen is kept as it is")
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

func bytesOf(c byte, n int) []byte {
	b := make([]byte, n)
	for i := range b {
		b[i] = c
	}
	return b
}

// A directory that takes the target's place after staging is never
// replaced, exchanged or removed; its contents survive (issue 14).
func TestDirectoryAtTargetNeverRemoved(t *testing.T) {
	for _, when := range []string{"before-commit", "during-exchange"} {
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
				testHookBeforeExchange = makeDir
				defer func() { testHookBeforeExchange = nil }()
			}
			err = txn.Commit()
			require.Error(t, err)
			assert.Equal(t, "precious", read(t, filepath.Join(target, "precious")))
			assert.Equal(t, []string{"out"}, entries(t, dir), "nothing left behind")
		})
	}
}

// An exchange that brought back something not approved (a directory made
// at the target in between) and could not be undone: the foreign entry is
// moved to a .ldwrap-kept. name, which the error gives and nothing removes,
// for a tool's staged output and for a file ldwrap wrote itself.
func TestForeignEntryKept(t *testing.T) {
	for _, unnamed := range []bool{false, true} {
		dir := t.TempDir()
		target := filepath.Join(dir, "out")
		write(t, target, "old")
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
		testHookBeforeExchange = func(string) {
			require.NoError(t, os.Remove(target))
			require.NoError(t, os.Mkdir(target, 0o755))
			write(t, filepath.Join(target, "precious"), "precious")
		}
		testHookExchangeBack = func() error { return syscall.EBUSY }
		err := txn.Commit()
		testHookBeforeExchange, testHookExchangeBack = nil, nil
		require.Error(t, err)
		var kept string
		for _, e := range entries(t, dir) {
			if strings.HasPrefix(e, ".ldwrap-kept.out.") {
				kept = filepath.Join(dir, e)
			}
		}
		require.NotEmpty(t, kept, "unnamed=%v: %v", unnamed, entries(t, dir))
		assert.Contains(t, err.Error(), "could not be put back: it is at "+kept)
		precious := filepath.Join(kept, "precious")
		if !unnamed {
			precious = filepath.Join(kept, "out", "precious")
		}
		assert.Equal(t, "precious", read(t, precious), "the foreign directory, whole")
		assert.Equal(t, "new", read(t, target))
		txn.Abort()
		sweep(dir, "out", func(string, ...interface{}) {})
		assert.DirExists(t, kept, "never swept")
	}
}

// Only regular files, and symlinks under ReplaceLink, are replaced.
func TestCommitReplacesOnlyFilesAndLinks(t *testing.T) {
	dir := t.TempDir()
	target := filepath.Join(dir, "out")
	write(t, target, "old")
	txn := New(Options{Symlinks: FollowLink})
	o, err := txn.Stage(target)
	require.NoError(t, err)
	write(t, o.Temp, "new")
	require.NoError(t, os.Remove(target))
	require.NoError(t, syscall.Mkfifo(target, 0o644))
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

// FollowLink obeys fs.protected_symlinks: as root, a link that another user
// owns in a sticky world-writable directory is not followed (issue 14).
func TestFollowLinkProtectedSymlinks(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("needs root to give a link to another user")
	}
	dir := t.TempDir()
	pub := filepath.Join(dir, "tmp")
	require.NoError(t, os.Mkdir(pub, 0o777))
	require.NoError(t, syscall.Chmod(pub, 0o1777))
	victim := filepath.Join(dir, "victim")
	write(t, victim, "precious")
	link := filepath.Join(pub, "out")
	require.NoError(t, os.Symlink(victim, link))
	if err := os.Lchown(link, 65534, 65534); errors.Is(err, syscall.EINVAL) {
		// A user namespace without uid 65534 (Bazel's sandbox); the e2e
		// test TestFollowRefusesPlantedSymlink runs this as real root.
		t.Skip("uid 65534 is not mapped here")
	} else {
		require.NoError(t, err)
	}

	txn := New(Options{Symlinks: FollowLink})
	_, err := txn.Stage(link)
	assert.ErrorIs(t, err, syscall.EACCES)
	txn.Abort()
	assert.Equal(t, "precious", read(t, victim))

	// Control: the same link owned by the directory's owner is followed.
	require.NoError(t, os.Lchown(link, 0, 0))
	txn = New(Options{Symlinks: FollowLink})
	o, err := txn.Stage(link)
	require.NoError(t, err)
	assert.Equal(t, victim, o.Target)
	txn.Abort()
}

// writeFD writes content to fd and closes it, as Create's callers do.
func writeFD(t *testing.T, fd int, content string) {
	t.Helper()
	_, err := syscall.Write(fd, []byte(content))
	require.NoError(t, err)
	require.NoError(t, syscall.Close(fd))
}

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
	require.NotNil(t, o.unnamed, "O_TMPFILE is there on the test's filesystem")
	writeFD(t, fd, "new")
	assert.Equal(t, []string{"tool"}, entries(t, dir), "the new file has no name yet")
	o.Mode = 0o751
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

// Without O_TMPFILE (or /proc), Create falls back to a staging directory;
// attributes, the identical check and durability work on both paths.
func TestCreateBothPaths(t *testing.T) {
	for _, unnamed := range []bool{true, false} {
		if !unnamed {
			saved := procFDMounted
			procFDMounted = func() bool { return false }
			defer func() { procFDMounted = saved }()
		}
		dir := xattrDir(t)
		target := filepath.Join(dir, "a")
		write(t, target, "same")
		require.NoError(t, os.Chmod(target, 0o640))
		require.NoError(t, syscall.Setxattr(target, "user.ldwrap", []byte("v"), 0))
		before, _ := os.Stat(target)

		txn := New(Options{Skip: KeepUntouched, KeepAttrs: true})
		o, fd, err := txn.Create(target, 0o600)
		require.NoError(t, err)
		assert.Equal(t, unnamed, o.unnamed != nil)
		writeFD(t, fd, "same")
		require.NoError(t, txn.Commit())
		after, _ := os.Stat(target)
		assert.True(t, os.SameFile(before, after), "identical: the old inode is kept (unnamed=%v)", unnamed)

		txn = New(Options{KeepAttrs: true, Durable: true})
		_, fd, err = txn.Create(target, 0o600)
		require.NoError(t, err)
		writeFD(t, fd, "diff")
		o2, fd2, err := txn.Create(filepath.Join(dir, "b"), 0o600)
		require.NoError(t, err)
		o2.Mode = 0o755 | os.ModeSetuid
		writeFD(t, fd2, "b")
		require.NoError(t, txn.Commit())
		assert.Equal(t, "diff", read(t, target))
		fi, _ := os.Stat(target)
		assert.Equal(t, os.FileMode(0o640), fi.Mode().Perm(), "mode carried (unnamed=%v)", unnamed)
		buf := make([]byte, 8)
		n, err := syscall.Getxattr(target, "user.ldwrap", buf)
		require.NoError(t, err, "the xattr is carried over (unnamed=%v)", unnamed)
		assert.Equal(t, "v", string(buf[:n]))
		fi, _ = os.Stat(filepath.Join(dir, "b"))
		assert.Equal(t, os.FileMode(0o755)|os.ModeSetuid, fi.Mode()&(os.ModePerm|os.ModeSetuid))
		assert.ElementsMatch(t, []string{"a", "b"}, entries(t, dir))
	}
}
