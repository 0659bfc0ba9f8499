package layer

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"golang.org/x/sys/unix"

	"github.com/ldwrap/ldwrap/ldwrap/internal/engine"
)

// The commit gives the tree the bare command gives: each script runs bare
// in one copy of the fixture, and in the overlay of another, committed;
// the two trees must be equal, modes, owners, link counts, xattrs and
// ACLs included. want is the --dry-run listing, with R for the root.
var differentialCases = []struct {
	name, script, want string
}{
	{"add", `echo new > added`, "add R/added\n"},
	{"replace", `echo new > f`, "replace R/f\n"},
	{"remove", `rm f`, "remove R/f\n"},
	{"remove tree", `rm -rf d`, "remove R/d\n"},
	{"opaque dir", `rm -rf d && mkdir d && echo y > d/y`,
		"remove R/d/old1\nremove R/d/sub\nadd R/d/y\n"},
	{"symlinks", `ln -s g newlink && ln -sfn g link`, "replace R/link\nadd R/newlink\n"},
	{"new tree", `mkdir -p n/a/b && echo x > n/a/b/x && ln -s x n/a/b/l && chmod 700 n/a`,
		"mkdir R/n\nmkdir R/n/a\nmkdir R/n/a/b\nadd R/n/a/b/l\nadd R/n/a/b/x\n"},
	{"modes and owners", `chmod 600 g && chown 1:2 h && chmod 4755 k && chmod 700 d && chmod 750 .`,
		"attrs R\nattrs R/d\nreplace R/g\nreplace R/h\nreplace R/k\n"},
	{"xattrs and ACLs", `cp -a withx withx2 && cp -a withx d/withx3`, "add R/d/withx3\nadd R/withx2\n"},
	{"inherited ACL and group", `echo a > acl/new && mkdir acl/sub && echo b > sgid/new && mkdir sgid/sub`,
		"add R/acl/new\nmkdir R/acl/sub\nadd R/sgid/new\nmkdir R/sgid/sub\n"},
	{"directory over file, file over directory", `rm f && mkdir f && echo x > f/x && rm -rf d && echo file > d`,
		"replace R/d\nreplace R/f\nadd R/f/x\n"},
	{"sparse append", `echo z >> sparse`, "replace R/sparse\n"},
	{"hard links made", `ln g g2 && echo a > n1 && ln n1 n2`, "replace R/g\nadd R/g2\nadd R/n1\nadd R/n2\n"},
	{"copy-up without a change", `: >> f && chmod 644 f && chown 0:0 g && : >> sparse`, ""},
	{"same bytes rewritten", `cat f > f.tmp && cat f.tmp > f && rm f.tmp`, "replace R/f\n"},
	{"moved", `mv g moved && mv d/sub d/sub2`,
		"remove R/d/sub\nmkdir R/d/sub2\nadd R/d/sub2/old2\nremove R/g\nadd R/moved\n"},
	{"read-only directory", `chmod 755 ro && echo y > ro/y && chmod 555 ro`, "add R/ro/y\n"},
	{"fifo", `mkfifo fifo`, "add R/fifo\n"},
	{"odd names", `echo a > "$(printf 'nl\nx')" && echo b > 'back\slash' && mv f 'sp ace'`,
		"add R/back\\x5cslash\nremove R/f\nadd R/nl\\x0ax\nadd R/sp ace\n"},
	{"remove and remake", `rm -rf ro && mkdir ro && chmod 700 ro`, "attrs R/ro\nremove R/ro/x\n"},
}

func TestCommitDifferential(t *testing.T) {
	needOverlay(t)
	for _, userxattr := range []bool{false, true} {
		for _, c := range differentialCases {
			name := c.name
			if userxattr {
				name += " userxattr"
			}
			t.Run(name, func(t *testing.T) {
				bare, root := twoTrees(t)
				runBare(t, bare, c.script)
				s, err := Prepare(root)
				if err != nil {
					t.Fatal(err)
				}
				runInOverlay(t, s, c.script, userxattr)
				changes, err := s.Changes(userxattr)
				if err != nil {
					t.Fatal(err)
				}
				if got := strings.ReplaceAll(listing(changes), root, "R"); got != c.want {
					t.Errorf("listing:\n%s\nwant:\n%s", got, c.want)
				}
				if err := s.Commit(changes, CommitOptions{Durable: true}); err != nil {
					t.Fatal(err)
				}
				if err := s.Remove(); err != nil {
					t.Fatal(err)
				}
				for _, d := range diffSnapshots(snapshot(t, bare), snapshot(t, root)) {
					t.Errorf("bare / layer: %s", d)
				}
				assertNoLeftover(t, root)
			})
		}
	}
}

// A replaced file is a new inode; whoever has the old one open keeps
// reading the old content. A file only copied up keeps its inode.
func TestReplaceIsNewInodeAndCopyUpKeepsIt(t *testing.T) {
	needOverlay(t)
	root := fixtureRoot(t)
	f, g := filepath.Join(root, "f"), filepath.Join(root, "g")
	oldF, oldG := inode(t, f), inode(t, g)
	held, err := os.Open(f)
	if err != nil {
		t.Fatal(err)
	}
	defer held.Close()
	s := commitScript(t, root, `echo new > f && : >> g && chmod 644 g`, CommitOptions{})
	if got := inode(t, f); got == oldF {
		t.Errorf("f kept its inode %d", got)
	}
	if got := inode(t, g); got != oldG {
		t.Errorf("g, only copied up, is a new inode %d (was %d)", got, oldG)
	}
	buf := make([]byte, 64)
	n, _ := held.ReadAt(buf, 0)
	if string(buf[:n]) != "old f\n" {
		t.Errorf("the old f, open before the commit, reads %q", buf[:n])
	}
	if data, _ := os.ReadFile(f); string(data) != "new\n" {
		t.Errorf("f reads %q", data)
	}
	if r := s.Replaced(); len(r) != 1 || r[0].Path != f || r[0].Ino != oldF {
		t.Errorf("Replaced() = %v", r)
	}
}

// An append to a sparse file leaves it sparse: overlayfs copies up holes
// as holes, and the commit renames the copy.
func TestSparseStaysSparse(t *testing.T) {
	needOverlay(t)
	root := fixtureRoot(t)
	commitScript(t, root, `echo z >> sparse`, CommitOptions{})
	var st unix.Stat_t
	if err := unix.Stat(filepath.Join(root, "sparse"), &st); err != nil {
		t.Fatal(err)
	}
	if st.Size != 64<<20+7 || st.Blocks*512 > 1<<20 {
		t.Errorf("sparse: size %d, %d bytes allocated", st.Size, st.Blocks*512)
	}
}

// A hard link the command makes to a real file copies that file up and
// links the copy: the two names stay one file, a new inode (bare keeps
// the old one). A real file with a second name outside upper/ is replaced
// at the name the command wrote only, as a rename does: Warnf says so.
func TestHardLinks(t *testing.T) {
	needOverlay(t)
	root := fixtureRoot(t)
	var warnings []string
	warnf := func(f string, a ...interface{}) { warnings = append(warnings, f) }
	commitScript(t, root, `ln g g2 && echo more >> hl1`, CommitOptions{Warnf: warnf})
	if a, b := inode(t, filepath.Join(root, "g")), inode(t, filepath.Join(root, "g2")); a != b {
		t.Errorf("g and g2 are inodes %d and %d", a, b)
	}
	if data, _ := os.ReadFile(filepath.Join(root, "hl2")); string(data) != "linked\n" {
		t.Errorf("hl2 reads %q", data)
	}
	if len(warnings) != 1 {
		t.Errorf("warnings: %q", warnings)
	}
}

// LDWRAP_SKIP_IDENTICAL: a rewrite with the same bytes keeps the old
// inode.
func TestSkipIdentical(t *testing.T) {
	needOverlay(t)
	root := fixtureRoot(t)
	f := filepath.Join(root, "f")
	old := inode(t, f)
	commitScript(t, root, `cat f > f.tmp && cat f.tmp > f && rm f.tmp`, CommitOptions{Skip: engine.KeepAndTouch})
	if got := inode(t, f); got != old {
		t.Errorf("f is a new inode %d (was %d)", got, old)
	}
}

func TestPrepareRefuses(t *testing.T) {
	if _, err := Prepare("/"); err == nil || !strings.Contains(err.Error(), "no parent") {
		t.Errorf("Prepare(/): %v", err)
	}
	if _, err := Prepare("/proc"); err == nil || !strings.Contains(err.Error(), "mount point") {
		t.Errorf("Prepare(/proc): %v", err)
	}
	if _, err := Prepare(filepath.Join(t.TempDir(), "none")); err == nil {
		t.Errorf("Prepare of a missing root succeeded")
	}
}

// A bind mount of a directory of the same filesystem is a mount point
// too: a rename out of it fails with EXDEV.
func TestPrepareRefusesBindMount(t *testing.T) {
	needOverlay(t)
	root := filepath.Join(t.TempDir(), "tree")
	os.Mkdir(root, 0o755)
	cmd := exec.Command("unshare", "-m", "sh", "-c", `mount --make-rprivate / && mount --bind "$1" "$1" && exec "$2" -test.run=^$`, "sh", root, os.Args[0])
	cmd.Env = append(os.Environ(), bindProbeEnv+"="+root)
	if out, err := cmd.CombinedOutput(); err != nil || string(out) != "refused\n" {
		t.Errorf("Prepare of a bind mount: %v: %s", err, out)
	}
}
