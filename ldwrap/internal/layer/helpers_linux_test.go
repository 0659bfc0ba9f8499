package layer

import (
	"crypto/sha256"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"testing"

	"golang.org/x/sys/unix"
)

// needRoot skips a test that makes whiteouts (mknod), sets trusted.*
// xattrs or mounts.
func needRoot(t *testing.T) {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skip("needs root: whiteouts, trusted.overlay.* xattrs and overlay mounts")
	}
	if os.Getenv("TEST_TMPDIR") != "" {
		// Bazel's sandbox maps only some ids into its user namespace: the
		// fixture's ACLs for other users cannot be copied there (EINVAL).
		// go test runs these; Bazel builds them.
		t.Skip("under Bazel: the sandbox's user namespace lacks the fixture's ids")
	}
}

var overlayOnce struct {
	sync.Once
	err error
}

// needOverlay skips a test that mounts an overlay where this system
// cannot: not root, no unshare(1), no overlayfs, or a sandbox without
// mount namespaces.
func needOverlay(t *testing.T) {
	t.Helper()
	needRoot(t)
	overlayOnce.Do(func() {
		dir, err := os.MkdirTemp("", "layer-probe")
		if err != nil {
			overlayOnce.err = err
			return
		}
		defer os.RemoveAll(dir)
		for _, d := range []string{"l", "u", "w"} {
			os.Mkdir(filepath.Join(dir, d), 0o755)
		}
		l := filepath.Join(dir, "l")
		out, err := exec.Command("unshare", "-m", "sh", "-c", `mount --make-rprivate / && mount -t overlay overlay -o "$1" "$2"`,
			"sh", MountOptions(l, filepath.Join(dir, "u"), filepath.Join(dir, "w"), false), l).CombinedOutput()
		if err != nil {
			overlayOnce.err = fmt.Errorf("%v: %s", err, out)
		}
	})
	if overlayOnce.err != nil {
		t.Skipf("no overlay mount here: %v", overlayOnce.err)
	}
}

// overlayScript mounts the overlay of s (volatile, as ldwrap-run mounts it)
// in a private mount namespace, runs
// script with sh -e in the root (entered after the mount, by its path:
// an inherited working directory would bypass the overlay), and unmounts.
const overlayScript = `mount --make-rprivate / && mount -t overlay overlay -o "$1" "$2" || exit 125
(cd "$2" && sh -ec "$3"); st=$?
cd / && umount "$2" || exit 125
exit $st`

func overlayCmd(s *Stage, script string, userxattr bool) *exec.Cmd {
	return overlayCmdIn("-m", s, script, userxattr)
}

// overlayCmdIn is overlayCmd with the namespaces of unshare's flags: -Urm
// for a user's mount.
func overlayCmdIn(flags string, s *Stage, script string, userxattr bool) *exec.Cmd {
	return exec.Command("unshare", flags, "sh", "-c", overlayScript, "sh", MountOptions(s.Root, s.Upper, s.Work, userxattr)+",volatile", s.Root, script)
}

// runInOverlay runs script in s's overlay, and fails the test if it fails.
func runInOverlay(t *testing.T, s *Stage, script string, userxattr bool) {
	t.Helper()
	if out, err := overlayCmd(s, script, userxattr).CombinedOutput(); err != nil {
		t.Fatalf("in the overlay: %s: %v\n%s", script, err, out)
	}
}

// commitScript runs script in the overlay of a new stage of root, and
// commits what it changed.
func commitScript(t *testing.T, root, script string, opts CommitOptions) *Stage {
	t.Helper()
	s, err := Prepare(root)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Remove() })
	runInOverlay(t, s, script, false)
	changes, err := s.Changes(false)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Commit(changes, opts); err != nil {
		t.Fatal(err)
	}
	return s
}

// fixtureRoot is a fixture in a new directory.
func fixtureRoot(t *testing.T) string {
	t.Helper()
	root := filepath.Join(t.TempDir(), "tree")
	if err := os.Mkdir(root, 0o755); err != nil {
		t.Fatal(err)
	}
	fixture(t, root)
	return root
}

// runBare runs script with sh -e in dir, the control.
func runBare(t *testing.T, dir, script string) {
	t.Helper()
	cmd := exec.Command("sh", "-ec", script)
	cmd.Dir = dir
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("bare: %s: %v\n%s", script, err, out)
	}
}

// snapshot describes every entry under root, root included, by its path
// below root: type, mode, owner, link count, size, content (or link
// target, or device), and xattrs (ACLs among them). Times and inode
// numbers are left out: they differ between two runs of one script.
func snapshot(t *testing.T, root string) map[string]string {
	t.Helper()
	m := map[string]string{}
	err := filepath.Walk(root, func(p string, fi os.FileInfo, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(root, p)
		m[rel] = describe(t, p)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func describe(t *testing.T, p string) string {
	t.Helper()
	var st unix.Stat_t
	if err := unix.Lstat(p, &st); err != nil {
		if err == unix.ENOENT {
			return "absent"
		}
		t.Fatal(err)
	}
	s := fmt.Sprintf("mode=%o uid=%d gid=%d", st.Mode, st.Uid, st.Gid)
	if st.Mode&unix.S_IFMT != unix.S_IFDIR {
		s += fmt.Sprintf(" nlink=%d", st.Nlink) // a directory's is its subdirectories, each described
	}
	switch st.Mode & unix.S_IFMT {
	case unix.S_IFREG:
		data, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		s += fmt.Sprintf(" size=%d sha=%x", st.Size, sha256.Sum256(data))
	case unix.S_IFLNK:
		dest, _ := os.Readlink(p)
		s += " -> " + dest
	case unix.S_IFCHR, unix.S_IFBLK:
		s += fmt.Sprintf(" rdev=%d", st.Rdev)
	}
	x, err := xattrs(p, "")
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for k := range x {
		names = append(names, k)
	}
	sort.Strings(names)
	for _, k := range names {
		s += fmt.Sprintf(" %s=%x", k, x[k])
	}
	return s
}

// diffSnapshots lists the paths where a and b differ.
func diffSnapshots(a, b map[string]string) []string {
	var out []string
	for p, v := range a {
		if w, ok := b[p]; !ok {
			out = append(out, fmt.Sprintf("%s: %s / absent", p, v))
		} else if v != w {
			out = append(out, fmt.Sprintf("%s: %s / %s", p, v, w))
		}
	}
	for p, w := range b {
		if _, ok := a[p]; !ok {
			out = append(out, fmt.Sprintf("%s: absent / %s", p, w))
		}
	}
	sort.Strings(out)
	return out
}

// defaultACL is a default ACL in the kernel's xattr form (version 2, then
// tag, permissions, id): user::rwx, user:daemon:rwx, group::r-x, mask::rwx,
// other::---; setfacl -d -m u:daemon:rwx,o::- would make it.
var defaultACL = aclXattr([][3]uint32{{0x01, 7, 0xffffffff}, {0x02, 7, 1}, {0x04, 5, 0xffffffff}, {0x10, 7, 0xffffffff}, {0x20, 0, 0xffffffff}})

// accessACL is user::rw-, user:daemon:r--, group::r--, mask::r--,
// other::---.
var accessACL = aclXattr([][3]uint32{{0x01, 6, 0xffffffff}, {0x02, 4, 1}, {0x04, 4, 0xffffffff}, {0x10, 4, 0xffffffff}, {0x20, 0, 0xffffffff}})

func aclXattr(entries [][3]uint32) []byte {
	b := []byte{2, 0, 0, 0}
	for _, e := range entries {
		b = append(b, byte(e[0]), byte(e[0]>>8), byte(e[1]), byte(e[1]>>8), byte(e[2]), byte(e[2]>>8), byte(e[2]>>16), byte(e[2]>>24))
	}
	return b
}

// fixture fills dir with the tree the tests change: files, a directory
// tree, a symlink, a file with a user xattr and an ACL, a directory with a
// default ACL, a setgid directory, a sparse file, a read-only directory,
// two hard links.
func fixture(t *testing.T, dir string) {
	t.Helper()
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	write := func(rel, content string, mode os.FileMode) {
		t.Helper()
		p := filepath.Join(dir, rel)
		must(os.MkdirAll(filepath.Dir(p), 0o755))
		must(os.WriteFile(p, []byte(content), mode))
		must(os.Chmod(p, mode))
	}
	write("f", "old f\n", 0o644)
	write("g", "old g\n", 0o644)
	write("h", "old h\n", 0o644)
	write("k", "old k\n", 0o755)
	write("d/old1", "1\n", 0o644)
	write("d/sub/old2", "2\n", 0o600)
	must(os.Symlink("f", filepath.Join(dir, "link")))
	write("withx", "x\n", 0o640)
	must(unix.Lsetxattr(filepath.Join(dir, "withx"), "user.test", []byte("value"), 0))
	must(unix.Lsetxattr(filepath.Join(dir, "withx"), "system.posix_acl_access", accessACL, 0))
	must(os.Mkdir(filepath.Join(dir, "acl"), 0o775))
	must(unix.Lsetxattr(filepath.Join(dir, "acl"), "system.posix_acl_default", defaultACL, 0))
	must(os.Mkdir(filepath.Join(dir, "sgid"), 0o775))
	must(os.Chown(filepath.Join(dir, "sgid"), -1, 100))
	must(unix.Chmod(filepath.Join(dir, "sgid"), 0o2775))
	f, err := os.Create(filepath.Join(dir, "sparse"))
	must(err)
	_, err = f.WriteAt([]byte("tail\n"), 64<<20)
	must(err)
	must(f.Close())
	write("ro/x", "ro\n", 0o444)
	must(os.Chmod(filepath.Join(dir, "ro"), 0o555))
	write("hl1", "linked\n", 0o644)
	must(os.Link(filepath.Join(dir, "hl1"), filepath.Join(dir, "hl2")))
}

// twoTrees makes the fixture twice: bare, the control, and root, the
// layer's.
func twoTrees(t *testing.T) (bare, root string) {
	t.Helper()
	base := t.TempDir()
	bare, root = filepath.Join(base, "bare", "tree"), filepath.Join(base, "layer", "tree")
	for _, d := range []string{bare, root} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
		fixture(t, d)
	}
	return bare, root
}

func inode(t *testing.T, p string) uint64 {
	t.Helper()
	var st unix.Stat_t
	if err := unix.Lstat(p, &st); err != nil {
		t.Fatal(err)
	}
	return st.Ino
}

func listing(changes []Change) string {
	var b strings.Builder
	FormatChanges(&b, changes)
	return b.String()
}

// assertNoLeftover checks that the stage of root is gone.
func assertNoLeftover(t *testing.T, root string) {
	t.Helper()
	names, err := os.ReadDir(filepath.Dir(root))
	if err != nil {
		t.Fatal(err)
	}
	for _, n := range names {
		if n.Name() != filepath.Base(root) {
			t.Errorf("left in %s: %s", filepath.Dir(root), n.Name())
		}
	}
}
