package engine

import (
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

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
}

// Where there are no unnamed files, Create falls back to a staging
// directory; attributes, the identical check and durability work on both
// paths.
func TestCreateBothPaths(t *testing.T) {
	for _, unnamed := range []bool{unnamedFiles(t), false} {
		if !unnamed {
			saved := sys
			sys.openUnnamed = noUnnamed
			defer func() { sys = saved }()
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
		o2.Mode = exactMode(0o755 | os.ModeSetuid)
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

// FreeBSD and NetBSD list extended attributes as extattr_list_link(2)
// gives them, and x/sys passes that on (golang/go#54357): each name after
// its length in one byte, no NUL, no namespace. Read as NUL-separated
// names, that is one name that does not exist, and LDWRAP_KEEP_ATTRS
// failed on any file with an extattr. Here the listing answers in that
// form (the file's user attributes), and they are carried over.
func TestKeepAttrsWithBSDExtattrList(t *testing.T) {
	bsdList := func(path string) []byte {
		names, err := nulSeparatedXattrs(path)
		require.NoError(t, err)
		var raw []byte
		for _, n := range names {
			if strings.HasPrefix(n, "user.") {
				raw = append(append(raw, byte(len(n)-5)), n[5:]...)
			}
		}
		return raw
	}
	assert.Equal(t, []string{"user.a", "user.bb"}, parseExtattrList("user.", []byte("\x01a\x02bb")))
	withSys(t, func(s *sysCalls) {
		s.xattrNames = func(path string) ([]string, error) { return parseExtattrList("user.", bsdList(path)), nil }
	})
	dir := xattrDir(t)
	target := filepath.Join(dir, "a")
	write(t, target, "old")
	for name, val := range map[string]string{"user.one": "1", "user.second": "22"} {
		require.NoError(t, syscall.Setxattr(target, name, []byte(val), 0))
	}
	txn := New(Options{KeepAttrs: true})
	o, err := txn.Stage(target)
	require.NoError(t, err)
	write(t, o.Temp, "new")
	require.NoError(t, txn.Commit())
	for name, val := range map[string]string{"user.one": "1", "user.second": "22"} {
		buf := make([]byte, 8)
		n, err := syscall.Getxattr(target, name, buf)
		require.NoError(t, err, "%s is carried over", name)
		assert.Equal(t, val, string(buf[:n]))
	}
}

// Redirect is the shell's > target: through a symlink, the file it leads
// to is replaced, and the new one has the old one's mode and xattrs, as
// the truncated old file would.
func TestRedirectKeepsModeAndXattrs(t *testing.T) {
	dir := xattrDir(t)
	target := filepath.Join(dir, "real")
	write(t, target, "old")
	require.NoError(t, os.Chmod(target, 0o600))
	require.NoError(t, syscall.Setxattr(target, "user.ldwrap", []byte("v"), 0))
	link := filepath.Join(dir, "link")
	require.NoError(t, os.Symlink("real", link))
	txn := New(Options{})
	_, fd, err := txn.Redirect(link)
	require.NoError(t, err)
	writeFD(t, fd, "new")
	require.NoError(t, txn.Commit())
	assert.Equal(t, "real", readlink(t, link), "the link stays")
	assert.Equal(t, "new", read(t, target))
	fi, err := os.Stat(target)
	require.NoError(t, err)
	assert.Equal(t, os.FileMode(0o600), fi.Mode().Perm())
	buf := make([]byte, 8)
	n, err := syscall.Getxattr(target, "user.ldwrap", buf)
	require.NoError(t, err)
	assert.Equal(t, "v", string(buf[:n]))
}
