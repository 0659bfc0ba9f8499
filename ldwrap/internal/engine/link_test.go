//go:build linux || darwin || freebsd || netbsd || openbsd || dragonfly

package engine

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/sys/unix"
)

// bsdLink is link(2) as macOS and the BSDs have it: a symlink at from is
// followed (Linux's link(2) does not follow).
func bsdLink(from, to string) error {
	return unix.Linkat(unix.AT_FDCWD, from, unix.AT_FDCWD, to, unix.AT_SYMLINK_FOLLOW)
}

// withBSDLink runs the rest of the test with link following symlinks and
// with the rename that refuses to replace made of link and unlink, as on
// FreeBSD.
func withBSDLink(t *testing.T) {
	withSys(t, func(s *sysCalls) {
		s.link = bsdLink
		s.renameNoReplace = renameNoReplaceByLink
	})
}

func readlink(t *testing.T, path string) string {
	t.Helper()
	dest, err := os.Readlink(path)
	require.NoError(t, err)
	return dest
}

// Symlinks a tool makes are committed as symlinks where link(2) follows
// them: a relative one would fail with ENOENT (it is resolved from the
// staging directory), an absolute one would become a hard link to its
// target.
func TestSymlinkOutputsWhereLinkFollows(t *testing.T) {
	withBSDLink(t)
	dir := t.TempDir()
	write(t, filepath.Join(dir, "lib.so.1"), "library")
	write(t, filepath.Join(dir, "real"), "real")
	txn := New(Options{})
	o, err := txn.Stage(filepath.Join(dir, "lib.so"))
	require.NoError(t, err)
	require.NoError(t, os.Symlink("lib.so.1", o.Temp))
	require.NoError(t, os.Symlink(filepath.Join(dir, "real"), filepath.Join(filepath.Dir(o.Temp), "abs")))
	require.NoError(t, txn.Commit())
	assert.Equal(t, "lib.so.1", readlink(t, filepath.Join(dir, "lib.so")))
	assert.Equal(t, filepath.Join(dir, "real"), readlink(t, filepath.Join(dir, "abs")))
	var st unix.Stat_t
	require.NoError(t, unix.Lstat(filepath.Join(dir, "real"), &st))
	assert.EqualValues(t, 1, st.Nlink, "no hard link to the symlink's target")
	assert.ElementsMatch(t, []string{"lib.so", "lib.so.1", "real", "abs"}, entries(t, dir))
}

// The backup of a symlink (install -b) is the symlink, as GNU install's
// is, where link(2) would follow it and back up the file it points to.
func TestBackupOfSymlinkWhereLinkFollows(t *testing.T) {
	withBSDLink(t)
	dir := t.TempDir()
	write(t, filepath.Join(dir, "real"), "precious")
	require.NoError(t, os.Symlink("real", filepath.Join(dir, "dest")))
	txn := New(Options{ReplaceSpecial: true})
	o, fd, err := txn.Create(filepath.Join(dir, "dest"), 0o644)
	require.NoError(t, err)
	o.Backup = filepath.Join(dir, "dest~")
	writeFD(t, fd, "new")
	require.NoError(t, txn.Commit())
	assert.Equal(t, "new", read(t, filepath.Join(dir, "dest")))
	assert.Equal(t, "real", readlink(t, filepath.Join(dir, "dest~")), "the backup is the old symlink")
	var st unix.Stat_t
	require.NoError(t, unix.Lstat(filepath.Join(dir, "real"), &st))
	assert.EqualValues(t, 1, st.Nlink)
	assert.ElementsMatch(t, []string{"dest", "dest~", "real"}, entries(t, dir))
}

// Where the filesystem has no hard links (darwin's msdos and exFAT answer
// ENOTSUP, 45, not EOPNOTSUPP, 102), the backup is a copy and the rename
// that refuses to replace falls back to its check; FreeBSD's O_NOFOLLOW
// refuses a symlink with EMLINK.
func TestNoHardLinks(t *testing.T) {
	for _, errno := range []error{unix.ENOTSUP, unix.EOPNOTSUPP, unix.EPERM, unix.EXDEV, unix.EMLINK} {
		withSys(t, func(s *sysCalls) {
			s.link = func(string, string) error { return errno }
			s.renameNoReplace = renameNoReplaceByLink
		})
		dir := t.TempDir()
		write(t, filepath.Join(dir, "dest"), "old")
		txn := New(Options{})
		o, err := txn.Stage(filepath.Join(dir, "dest"))
		require.NoError(t, err)
		o.Backup = filepath.Join(dir, "dest~")
		write(t, o.Temp, "new")
		require.NoError(t, txn.Commit(), "%v", errno)
		assert.Equal(t, "new", read(t, filepath.Join(dir, "dest")))
		assert.Equal(t, "old", read(t, filepath.Join(dir, "dest~")), "%v: a copy", errno)
		assert.ElementsMatch(t, []string{"dest", "dest~"}, entries(t, dir))
	}
	assert.True(t, isSymlinkRefused(unix.ELOOP))
	assert.True(t, isSymlinkRefused(unix.EMLINK), "FreeBSD")
}
