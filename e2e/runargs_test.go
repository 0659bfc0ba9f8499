//go:build linux

package e2e

import (
	"crypto/sha256"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"syscall"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/sys/unix"
)

// argsMode forces ldwrap-run's argument mode (the staged path in the
// command's arguments), which stays the mode where namespace mode cannot
// run, so that these tests keep testing it once namespace mode is the
// default.
const argsMode = "LDWRAP_RUN_MODE=args"

// argsCase is one step run bare and under ldwrap-run in argument mode, in
// twin directories that setup made alike.
type argsCase struct {
	name   string
	setup  func(dir string, uid int) error // makes the tree, of uid's unless it says otherwise
	cwd    string                          // where the step runs, under the twin
	bare   []string                        // the step without ldwrap
	run    []string                        // ldwrap-run's options and the command, after ldwrap-run
	nobody bool                            // the step runs as nobody, in a tree of nobody's
}

// The findings of issue 32 that argument mode can fix: what a new output
// takes from its directory, the seed (a copy of the old output for a
// command that reads or appends to it) keeping ACLs, xattrs and holes,
// --stdout keeping the old file's mode and owner, and the steps ldwrap
// refused or got wrong where bare works: a write-only old output, a
// command that replaces its output with a symlink or a directory, or
// deletes it or moves it away.
var argsCases = []argsCase{
	{name: "new output under a default ACL", setup: defaultACLDir("."),
		bare: sh(`echo new > out`), run: shRun("-o", "out", `echo new > "$1"`, "out")},
	{name: "new output and side file under a default ACL", setup: defaultACLDir("."),
		bare: sh(`echo new > out; echo dep > out.d`), run: shRun("-o", "out", `echo new > "$1"; echo dep > "$1.d"`, "out")},
	{name: "new output in a setgid directory", setup: setgidDir("sg"), cwd: "sg",
		bare: sh(`echo new > out`), run: shRun("-o", "out", `echo new > "$1"`, "out")},
	{name: "new output in a setgid directory as nobody", setup: setgidDir("sg"), cwd: "sg", nobody: true,
		bare: sh(`echo new > out`), run: shRun("-o", "out", `echo new > "$1"`, "out")},

	{name: "append keeps the ACL and xattrs", setup: all(file("out", "old\n", 0o644), accessACL("out"), userXattr("out")),
		bare: sh(`echo more >> out`), run: shRun("-o", "out", `echo more >> "$1"`, "out")},
	{name: "append under a default ACL to a file without one", setup: all(file("out", "old\n", 0o640), defaultACLDir(".")),
		bare: sh(`echo more >> out`), run: shRun("-o", "out", `echo more >> "$1"`, "out")},
	{name: "append to a sparse file", setup: sparseFile("out", 4<<30),
		bare: sh(`echo more >> out`), run: shRun("-o", "out", `echo more >> "$1"`, "out")},
	{name: "append to a write-only output as nobody", setup: file("out", "old\n", 0o200), nobody: true,
		bare: sh(`echo more >> out`), run: shRun("-o", "out", `echo more >> "$1"`, "out")},
	{name: "append to root's file as nobody", setup: all(file("out", "old\n", 0o666), chown("out", 0)), nobody: true,
		bare: sh(`echo more >> out`), run: shRun("-o", "out", `echo more >> "$1"`, "out")},

	{name: "replace root's read-only file as nobody", setup: all(file("out", "old\n", 0o644), chown("out", 0)), nobody: true,
		bare: sh(`cat out > t && echo more >> t && mv t out`), run: shRun("-o", "out", `cat "$1" > t && echo more >> t && mv t "$1"`, "out")},

	{name: "--stdout keeps the mode", setup: file("s", "old\n", 0o600),
		bare: sh(`echo secret > s`), run: []string{"--stdout", "s", "--", "echo", "secret"}},
	{name: "--stdout keeps the owner and setuid", setup: all(file("s", "old\n", 0o4755), chown("s", 1)),
		bare: sh(`echo secret > s`), run: []string{"--stdout", "s", "--", "echo", "secret"}},
	{name: "--stdout as nobody drops setuid as a write does", setup: file("s", "old\n", 0o4755), nobody: true,
		bare: sh(`echo secret > s`), run: []string{"--stdout", "s", "--", "echo", "secret"}},
	{name: "--stdout keeps the ACL and xattrs", setup: all(defaultACLDir("."), file("s", "old\n", 0o644), accessACL("s"), userXattr("s")),
		bare: sh(`echo secret > s`), run: []string{"--stdout", "s", "--", "echo", "secret"}},
	{name: "--stdout to root's file as nobody", setup: all(file("s", "old\n", 0o666), chown("s", 0)), nobody: true,
		bare: sh(`echo secret > s`), run: []string{"--stdout", "s", "--", "echo", "secret"}},
	{name: "--stdout through a symlink", setup: all(file("real", "old\n", 0o600), symlink("real", "s")),
		bare: sh(`echo secret > s`), run: []string{"--stdout", "s", "--", "echo", "secret"}},
	{name: "--stdout in a directory nobody may not write", setup: all(unwritableDir("ro"), file("ro/s", "old\n", 0o640)), cwd: "ro", nobody: true,
		bare: sh(`echo secret > s`), run: []string{"--stdout", "s", "--", "echo", "secret"}},
	{name: "append in a directory nobody may not write", setup: all(unwritableDir("ro"), file("ro/out", "old\n", 0o640)), cwd: "ro", nobody: true,
		bare: sh(`echo more >> out`), run: shRun("-o", "out", `echo more >> "$1"`, "out")},
	{name: "--stdout /dev/null", bare: sh(`echo secret > /dev/null`), run: []string{"--stdout", "/dev/null", "--", "echo", "secret"}},
	{name: "--stdout /dev/null as nobody", nobody: true,
		bare: sh(`echo secret > /dev/null`), run: []string{"--stdout", "/dev/null", "--", "echo", "secret"}},

	{name: "side directory behind a symlink", setup: all(file("real.d/keep", "kept\n", 0o644), symlink("real.d", "out.d")),
		bare: sh(`echo new > out; mkdir -p out.d; echo dep > out.d/f`), run: shRun("-o", "out", `echo new > "$1"; mkdir -p "$1.d"; echo dep > "$1.d/f"`, "out")},
	{name: "output replaced by a symlink", setup: file("out", "old\n", 0o644),
		bare: sh(`rm -f out; ln -s src out`), run: shRun("-o", "out", `rm -f "$1"; ln -s src "$1"`, "out")},
	{name: "output replaced by ln -sf", setup: file("out", "old\n", 0o644),
		bare: sh(`ln -sf src out`), run: shRun("-o", "out", `ln -sf src "$1"`, "out")},
	{name: "output replaced by a directory", setup: file("out", "old\n", 0o644),
		bare: sh(`rm -f out; mkdir out; echo x > out/f`), run: shRun("-o", "out", `rm -f "$1"; mkdir "$1"; echo x > "$1/f"`, "out")},
	{name: "output deleted", setup: file("out", "old\n", 0o644),
		bare: sh(`rm out`), run: shRun("-o", "out", `rm "$1"`, "out")},
	{name: "output moved away", setup: file("out", "old\n", 0o644),
		bare: sh(`mv out moved`), run: shRun("-o", "out", `mv "$1" moved`, "out")},
	{name: "output renamed beside", setup: file("out", "old\n", 0o644),
		bare: sh(`mv out out.bak && echo new > out.new`), run: shRun("-o", "out", `mv "$1" "$1.bak" && echo new > "$1.new"`, "out")},
}

func sh(script string) []string { return []string{"sh", "-c", script} }

// shRun is ldwrap-run's command line for script with the output as "$1".
func shRun(opt, out, script string, args ...string) []string {
	return append([]string{opt, out, "--", "sh", "-c", script, "sh"}, args...)
}

var _ = portableToo(TestRunArgsModeAsBare)

// Each of argsCases bare and through ldwrap-run's argument mode, in twin
// directories: the same status, streams and tree (describeTree). Every
// case succeeds bare; each failed before issue 32's fixes but the two
// --stdout /dev/null ones, the two symlink ones (a54b037 fixed those),
// "append under a default ACL to a file without one" and "replace root's
// read-only file as nobody", which guard the fixes.
func TestRunArgsModeAsBare(t *testing.T) {
	t.Parallel() // see "Parallel tests" in helpers_test.go
	need(t, "root", "setpriv")
	for _, c := range argsCases {
		c := c
		t.Run(c.name, func(t *testing.T) { runArgsCase(t, c, argsMode, c.run) })
	}
}

// runArgsCase runs c bare and as ldwrap-run's command line run, with the
// mode LDWRAP_RUN_MODE=... in env (argsMode, or namespace mode's).
func runArgsCase(t *testing.T, c argsCase, mode string, run []string) {
	root := publicDir(t)
	tw := twin{filepath.Join(root, "bare"), filepath.Join(root, "wrapped")}
	uid := 0
	if c.nobody {
		uid = 65534
	}
	for _, d := range []string{tw.bare, tw.wrapped} {
		require.NoError(t, os.Mkdir(d, 0o755))
		require.NoError(t, os.Chown(d, uid, uid))
		require.NoError(t, file("src", "from src\n", 0o644)(d, uid))
		if c.setup != nil {
			require.NoError(t, c.setup(d, uid))
		}
	}
	step := func(dir string, argv []string) outcome {
		if c.nobody {
			argv = asNobody(argv...)
		}
		return streamsOf(filepath.Join(dir, c.cwd), []string{mode, "LC_ALL=C"}, argv...)
	}
	bare := step(tw.bare, c.bare)
	require.Equal(t, 0, bare.code, "the bare step: %s", bare.stderr)
	wrapped := step(tw.wrapped, append([]string{ldwrap("ldwrap-run")}, run...))
	assert.Equal(t, bare.code, wrapped.code, "status\n%s", wrapped.stderr)
	assert.Equal(t, bare.stdout, wrapped.stdout, "standard output")
	assert.Equal(t, bare.stderr, wrapped.stderr, "standard error")
	assert.Empty(t, diffDescribed(describeTree(t, tw.bare), describeTree(t, tw.wrapped)), "the trees")
	assert.Empty(t, leftovers(t, tw.wrapped))
}

// describeTree describes every entry under dir: kind, mode, owner, link
// count, extended attributes (ACLs among them), and a regular file's
// allocated size and content, or a symlink's target. Times are left out:
// the two runs are not at the same instant.
func describeTree(t *testing.T, dir string) map[string]string {
	m := map[string]string{}
	require.NoError(t, filepath.Walk(dir, func(p string, fi os.FileInfo, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(dir, p)
		st := fi.Sys().(*syscall.Stat_t)
		desc := fmt.Sprintf("%v %d:%d links=%d", fi.Mode(), st.Uid, st.Gid, st.Nlink)
		switch {
		case fi.Mode().IsRegular():
			desc += fmt.Sprintf(" blocks=%d%s %s", st.Blocks, xattrsOf(p), contentOf(t, p, fi.Size()))
		case fi.Mode()&os.ModeSymlink != 0:
			target, _ := os.Readlink(p)
			desc += " -> " + target
		default:
			desc += xattrsOf(p)
		}
		m[rel] = desc
		return nil
	}))
	return m
}

// contentOf is a small file's bytes, a bigger one's hash, or for a big
// one its size and the hash of each stretch of data between holes: a
// 4 GiB sparse file is not read whole.
func contentOf(t *testing.T, p string, size int64) string {
	switch {
	case size <= 200:
		return fmt.Sprintf("%q", readFile(t, p))
	case size <= 1<<20:
		return fmt.Sprintf("size=%d sha256=%x", size, sha256.Sum256(readFile(t, p)))
	}
	f, err := os.Open(p)
	require.NoError(t, err)
	defer f.Close()
	desc := fmt.Sprintf("size=%d", size)
	for off := int64(0); off < size; {
		data, err := unix.Seek(int(f.Fd()), off, unix.SEEK_DATA)
		if err == unix.ENXIO {
			break
		}
		require.NoError(t, err)
		hole, err := unix.Seek(int(f.Fd()), data, unix.SEEK_HOLE)
		require.NoError(t, err)
		b := make([]byte, hole-data)
		_, err = f.ReadAt(b, data)
		require.NoError(t, err)
		desc += fmt.Sprintf(" data@%d+%d:%x", data, hole-data, sha256.Sum256(b))
		off = hole
	}
	return desc
}

func all(fs ...func(string, int) error) func(string, int) error {
	return func(dir string, uid int) error {
		for _, f := range fs {
			if err := f(dir, uid); err != nil {
				return err
			}
		}
		return nil
	}
}

// file makes a file of uid's, and its directory.
func file(name, content string, mode os.FileMode) func(string, int) error {
	return func(dir string, uid int) error {
		p := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			return err
		}
		if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
			return err
		}
		if err := os.Chown(p, uid, uid); err != nil {
			return err
		}
		return os.Chmod(p, mode) // after chown, which clears setuid
	}
}

// chown gives name to id, keeping its mode.
func chown(name string, id int) func(string, int) error {
	return func(dir string, _ int) error {
		p := filepath.Join(dir, name)
		fi, err := os.Lstat(p)
		if err != nil {
			return err
		}
		if err := os.Lchown(p, id, id); err != nil {
			return err
		}
		return os.Chmod(p, fi.Mode())
	}
}

func symlink(dest, name string) func(string, int) error {
	return func(dir string, uid int) error {
		p := filepath.Join(dir, name)
		if err := os.Symlink(dest, p); err != nil {
			return err
		}
		return os.Lchown(p, uid, uid)
	}
}

// unwritableDir makes a directory of root's that others may not write.
func unwritableDir(name string) func(string, int) error {
	return func(dir string, _ int) error { return os.Mkdir(filepath.Join(dir, name), 0o755) }
}

// defaultACLDir gives the directory name under the twin defaultACL (a
// named user, a mask, and other::---).
func defaultACLDir(name string) func(string, int) error {
	return func(dir string, _ int) error {
		return syscall.Setxattr(filepath.Join(dir, name), "system.posix_acl_default", defaultACL, 0)
	}
}

// setgidDir makes name a setgid directory of group 100 (users), writable
// by its group: what a file made in it takes is that group.
func setgidDir(name string) func(string, int) error {
	return func(dir string, _ int) error {
		p := filepath.Join(dir, name)
		if err := os.Mkdir(p, 0o755); err != nil {
			return err
		}
		if err := os.Chown(p, 65534, 100); err != nil {
			return err
		}
		return os.Chmod(p, 0o775|os.ModeSetgid)
	}
}

// accessACL gives name an ACL whose mask grants a named user (daemon)
// writing, where the group bits alone would not: user::rw-,
// user:daemon:rw-, group::r--, mask::rw-, other::r--.
func accessACL(name string) func(string, int) error {
	const undefined = 0xffffffff
	entries := [][3]uint32{{0x01, 6, undefined}, {0x02, 6, 1}, {0x04, 4, undefined}, {0x10, 6, undefined}, {0x20, 4, undefined}}
	acl := []byte{2, 0, 0, 0}
	for _, e := range entries {
		acl = append(acl, byte(e[0]), byte(e[0]>>8), byte(e[1]), byte(e[1]>>8), byte(e[2]), byte(e[2]>>8), byte(e[2]>>16), byte(e[2]>>24))
	}
	return func(dir string, _ int) error {
		return syscall.Setxattr(filepath.Join(dir, name), "system.posix_acl_access", acl, 0)
	}
}

func userXattr(name string) func(string, int) error {
	return func(dir string, _ int) error {
		return syscall.Setxattr(filepath.Join(dir, name), "user.origin", []byte("kept"), 0)
	}
}

// sparseFile makes name a file of size bytes of which only the first 4 KiB
// hold data.
func sparseFile(name string, size int64) func(string, int) error {
	return func(dir string, _ int) error {
		f, err := os.Create(filepath.Join(dir, name))
		if err != nil {
			return err
		}
		defer f.Close()
		if _, err := f.Write([]byte(strings.Repeat("old data\n", 455))); err != nil {
			return err
		}
		return f.Truncate(size)
	}
}

// diffDescribed lists the entries that a and b (from describeTree)
// describe differently.
func diffDescribed(a, b map[string]string) string {
	keys := map[string]bool{}
	for k := range a {
		keys[k] = true
	}
	for k := range b {
		keys[k] = true
	}
	none := func(m map[string]string, k string) string {
		if d, ok := m[k]; ok {
			return d
		}
		return "(none)"
	}
	var out []string
	for k := range keys {
		if a[k] != b[k] {
			out = append(out, fmt.Sprintf("%s:\n  bare:   %s\n  ldwrap: %s", k, none(a, k), none(b, k)))
		}
	}
	sort.Strings(out)
	return strings.Join(out, "\n")
}

// The seed of a sparse output keeps its holes: on a 16 MiB tmpfs, a
// 4 GiB file of 4 KiB of data is appended to as bare, where a plain copy
// failed with ENOSPC and filled the filesystem.
func TestRunSeedKeepsHolesOnSmallTmpfs(t *testing.T) {
	requireRoot(t)
	mnt := t.TempDir()
	require.NoError(t, syscall.Mount("tmpfs", mnt, "tmpfs", 0, "size=16m"))
	t.Cleanup(func() { syscall.Unmount(mnt, syscall.MNT_DETACH) })
	tw := twin{filepath.Join(mnt, "bare"), filepath.Join(mnt, "wrapped")}
	for _, d := range []string{tw.bare, tw.wrapped} {
		require.NoError(t, os.Mkdir(d, 0o755))
		require.NoError(t, sparseFile("big", 4<<30)(d, 0))
	}
	run(t, tw.bare, nil, "sh", "-c", `echo more >> big`)
	run(t, tw.wrapped, []string{argsMode}, ldwrap("ldwrap-run"), "-o", "big", "--", "sh", "-c", `echo more >> "$1"`, "sh", "big")
	assert.Empty(t, diffDescribed(describeTree(t, tw.bare), describeTree(t, tw.wrapped)))
	var fs syscall.Statfs_t
	require.NoError(t, syscall.Statfs(mnt, &fs))
	assert.Greater(t, fs.Bfree*uint64(fs.Bsize), uint64(15<<20), "the filesystem is as empty as the two small files leave it")
	assert.Empty(t, leftovers(t, tw.wrapped))
}
