//go:build linux

package e2e

import (
	"context"
	"fmt"
	"math/rand"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// The oracle for ldwrap-install is GNU install: generated command lines,
// each run by both in scratch directories holding the same tree, under
// the same umask and environment, as root. They must end with the same
// exit status, the same tree (types, modes, owners, extended attributes
// and ACLs, contents, link targets), and the same standard output and
// standard error, word for word (each names itself as it was run, as
// GNU's program_name is argv[0]). The differences allowed are the ones
// ldwrap-install --help lists, each checked as such: a device node at the
// destination is refused (GNU replaces it); where GNU removes a file it
// then fails to install (a failing strip; a source that is its own
// destination through a symlink), ldwrap keeps it; and install 9.1 puts
// the backup of DIR/X at ./X~ when DIR is the last operand (with -t DIR it
// is DIR/X~, as ldwrap always does). Beside the drawn cases, the
// permanent ones run every time.
//
// Every path is inside the scratch directories: GNU install, as root,
// replaces a device node it is given as the destination, and an early
// version of this test replaced the host's /dev/null that way.

// installCase is one generated command line and the tree it runs on.
type installCase struct {
	umask  int
	tree   []treeEntry
	args   []string
	env    []string
	nobody bool // run as nobody, in a directory of nobody's holding root's files and directories
}

type treeEntry struct {
	path, kind, content string // kind: file, dir, link, fifo, dev, prog, hardlink (of content), sgdir, acldir
	mode                os.FileMode
}

// The words the generator draws from. Names hold the characters GNU's
// quoting treats specially (a space, a quote); "prog" is an ELF program,
// which strip accepts. link points at real/sub, so link/.. is real, where
// the text alone says "."; sg is a setgid directory of group users, acl
// one with a default ACL (other::---, a named user): what -D and -d make
// under them must take their group and ACL as mkdir(2) gives them.
var (
	installSources = []string{"a", "b c", "q'x", "prog", "sub/a", "empty", "missing", "dir", "lnk", "dangling", "nul", "", "link/../a", "dest~", "secret", "a/", "sub/", "\u00e9t\u00e9"}
	installDests   = []string{"dest", "dir", "dir/", "dir/a", "new/", "new/x", "deep/er/x", "file", "file/", "lnk", "dirlnk", "fifo", "sink", "a", "sub", "sub/", ".", "nul", "nullnk",
		"", "link/..", "link/../x", "link/../new/x", "new/../x", "new/../y/x", "link/../dir", "sg", "sg/n/x", "acl", "acl/n/x", "dangling/x", "file/x/y", "\u00e9t\u00e9", "new\tline/x"}
	installModes = []string{"644", "0", "755", "4755", "0600", "u=rw+x", "a+X", "go-w,u=rwx", "=r", "u=rw,g=u", "+t", "bad", "7777", "o=", "2755",
		"+0755", "=0", "-7", "u+0", "+0755,u+s", "0755,u+s", "00755", "02755", ""}
	installFlags = []string{"-v", "-C", "-p", "-D", "-c", "-b", "-S.bak", "--backup=numbered", "--backup=simple", "--backup=existing", "--backup=none",
		"-T", "-d", "-s", "--strip-program=strip", "-o0", "-g0", "-ononesuch", "--verbose", "--compare", "-Dv", "--no-target-directory",
		"--backup=nu", "--backup=bogus", "--bogus", "-x", "--pre", "--verbose=1", "-Z", "--preserve-context", "--context=x"}
	// Owners and groups as GNU reads them: a name, else a number of any
	// base strtoumax takes (+0, 0x1, 010), never an empty or negative one.
	installIDs = []string{"0", "+0", "0x1", "010", "", " 1", "-1", "1x", "4294967295", "4294967296", "daemon", "users", "root"}
	// The environment's say in install: POSIXLY_CORRECT stops options at
	// the first operand; VERSION_CONTROL and SIMPLE_BACKUP_SUFFIX are
	// -b's defaults; in a UTF-8 locale names keep their characters and
	// quote() uses ‘ and ’.
	installEnvs = [][]string{{"POSIXLY_CORRECT=1"}, {"VERSION_CONTROL=numbered"}, {"VERSION_CONTROL=bad"}, {"SIMPLE_BACKUP_SUFFIX=.orig"}, {"SIMPLE_BACKUP_SUFFIX=a/b"},
		{"LC_ALL=C.UTF-8"}, {"LC_ALL=C.UTF-8"}}
)

// baseInstallTree is what every case's tree holds; dir has dirMode.
func baseInstallTree(dirMode os.FileMode) []treeEntry {
	return []treeEntry{
		{path: "a", kind: "file", content: "A\n", mode: 0o644},
		{path: "b c", kind: "file", content: "B\n", mode: 0o600},
		{path: "q'x", kind: "file", content: "Q\n", mode: 0o755},
		{path: "empty", kind: "file", mode: 0o640},
		{path: "prog", kind: "prog", mode: 0o755},
		{path: "sub", kind: "dir", mode: 0o755},
		{path: "sub/a", kind: "file", content: "subA\n", mode: 0o644},
		{path: "dir", kind: "dir", mode: dirMode},
		{path: "lnk", kind: "link", content: "a"},
		{path: "dirlnk", kind: "link", content: "dir"},
		{path: "dangling", kind: "link", content: "nowhere"},
		{path: "nul", kind: "dev"},
		{path: "sink", kind: "link", content: "nul"},
		{path: "nullnk", kind: "link", content: "nul"},
		{path: "real/sub", kind: "dir", mode: 0o755},
		{path: "real/a", kind: "file", content: "real A\n", mode: 0o644},
		{path: "link", kind: "link", content: "real/sub"},
		{path: "sg", kind: "sgdir", mode: 0o2775},
		{path: "acl", kind: "acldir", mode: 0o755},
		{path: "secret", kind: "file", content: "S\n", mode: 0o600},
	}
}

// genInstallCase draws a case: a tree, an umask, an environment and a
// command line.
func genInstallCase(rng *rand.Rand) installCase {
	// The POSIX fallback has no exchange of names: a backup of another
	// user's file, which the kernel will not link, is a copy there.
	c := installCase{umask: []int{0o022, 0o077, 0o002, 0o027}[rng.Intn(4)], nobody: rng.Intn(8) == 0 && !portable}
	c.tree = baseInstallTree([]os.FileMode{0o755, 0o700, 0o775}[rng.Intn(3)])
	if rng.Intn(2) == 0 {
		c.tree = append(c.tree, treeEntry{path: "dest", kind: "file", content: "old dest\n", mode: []os.FileMode{0o644, 0o755, 0o4755, 0o600}[rng.Intn(4)]})
		switch rng.Intn(4) {
		case 0: // -b's simple backup is already the destination itself
			c.tree = append(c.tree, treeEntry{path: "dest~", kind: "hardlink", content: "dest"})
		case 1:
			c.tree = append(c.tree, treeEntry{path: "dest~", kind: "file", content: "dest backup\n", mode: 0o644})
		}
	}
	if rng.Intn(2) == 0 {
		c.tree = append(c.tree, treeEntry{path: "file", kind: "file", content: "old file\n", mode: 0o644})
	}
	if rng.Intn(2) == 0 {
		c.tree = append(c.tree, treeEntry{path: "dir/a", kind: "file", content: "A\n", mode: 0o755})
	}
	if rng.Intn(3) == 0 {
		c.tree = append(c.tree, treeEntry{path: "fifo", kind: "fifo", mode: 0o644})
	}
	if rng.Intn(3) == 0 {
		c.tree = append(c.tree, treeEntry{path: "dest.~1~", kind: "file", content: "backup 1\n", mode: 0o644})
	}
	// Options are groups of words (an option and its value stay
	// together); they go anywhere among the operands, as getopt_long
	// takes them, or before a "--".
	var opts [][]string
	for n := rng.Intn(4); n > 0; n-- {
		opts = append(opts, []string{installFlags[rng.Intn(len(installFlags))]})
	}
	if rng.Intn(2) == 0 {
		m := installModes[rng.Intn(len(installModes))]
		opts = append(opts, [][]string{{"-m", m}, {"-m" + m}, {"--mode=" + m}, {"--mo=" + m}}[rng.Intn(4)])
	}
	if rng.Intn(6) == 0 {
		opts = append(opts, []string{"-t", installDests[rng.Intn(len(installDests))]})
	}
	for _, flag := range []string{"-o", "-g", "--owner=", "--group="} {
		if rng.Intn(12) == 0 {
			id := installIDs[rng.Intn(len(installIDs))]
			if strings.HasSuffix(flag, "=") {
				opts = append(opts, []string{flag + id})
			} else {
				opts = append(opts, []string{flag, id})
			}
		}
	}
	if rng.Intn(6) == 0 {
		c.env = installEnvs[rng.Intn(len(installEnvs))]
	}
	var ops []string
	for n := 1 + rng.Intn(3); n > 0 && rng.Intn(30) > 0; n-- {
		ops = append(ops, installSources[rng.Intn(len(installSources))])
	}
	if rng.Intn(8) > 0 {
		ops = append(ops, installDests[rng.Intn(len(installDests))])
	}
	if rng.Intn(10) == 0 {
		for _, o := range opts {
			c.args = append(c.args, o...)
		}
		c.args = append(append(c.args, "--"), ops...)
		return c
	}
	for _, op := range ops {
		opts = append(opts, []string{op})
	}
	// Shuffle the groups but keep the operands in their order.
	slots := rng.Perm(len(opts))
	placed := make([][]string, len(opts))
	k := 0
	for i, g := range opts {
		if i >= len(opts)-len(ops) {
			continue
		}
		placed[slots[k]] = g
		k++
	}
	j := 0
	for i := range placed {
		if placed[i] == nil {
			placed[i] = []string{ops[j]}
			j++
		}
	}
	for _, g := range placed {
		c.args = append(c.args, g...)
	}
	return c
}

// permanentInstallCases run every time beside the drawn ones: issue 33's
// findings and their neighbours. Each runs on the base tree with an old
// dest, dir/a and file; those marked linked also have dest~, a hard link
// of dest.
func permanentInstallCases() []installCase {
	cases := []struct {
		env    []string
		linked bool
		args   []string
	}{
		// link/.. is real, as the kernel resolves it, not ".".
		{nil, false, []string{"-v", "a", "link/../x"}},
		{nil, false, []string{"-Dv", "a", "link/../new/x"}},
		{nil, false, []string{"-Dv", "a", "new/../x"}},
		{nil, false, []string{"-Dv", "a", "new/../y/x"}},
		{nil, false, []string{"-v", "-t", "link/..", "a", "b c"}},
		{nil, false, []string{"-Dv", "-t", "link/../new", "a"}},
		{nil, false, []string{"-Dv", "-t", "new/../z", "a", "b c"}},
		{nil, false, []string{"-dv", "link/../d", "new/../e/f"}},
		{nil, false, []string{"-bv", "a", "link/../a"}},
		{nil, false, []string{"--backup=numbered", "-v", "a", "link/../a"}},
		{nil, false, []string{"-v", "link/../a", "x"}},
		{nil, false, []string{"-v", "link/../a", "link/.."}},
		// What -D and -d make takes a setgid directory's group and bit and
		// a default ACL, as mkdir(2) gives them.
		{nil, false, []string{"-Dv", "a", "sg/n/x"}},
		{nil, false, []string{"-dv", "sg/n", "sg/m/k"}},
		{nil, false, []string{"-d", "-m", "755", "sg/n"}},
		{nil, false, []string{"-d", "-m", "00755", "sg/n"}},
		{nil, false, []string{"-d", "-o", "0", "sg/n"}},
		{nil, false, []string{"-d", "-m", "g-s", "sg"}},
		{nil, false, []string{"-Dv", "a", "acl/n/x"}},
		{nil, false, []string{"-dv", "acl/n", "acl/m/k"}},
		{nil, false, []string{"-d", "-m", "700", "acl/n"}},
		{nil, false, []string{"-v", "-m", "640", "a", "acl/x"}},
		// GNU's messages, word for word.
		{nil, false, []string{"missing", "x"}},
		{nil, false, []string{"dangling", "x"}},
		{nil, false, []string{"a"}},
		{nil, false, []string{}},
		{nil, false, []string{"--"}},
		{nil, false, []string{"a", "nodir/b"}},
		{nil, false, []string{"a", "b c", "nodir"}},
		{nil, false, []string{"a", "b c", "file"}},
		{nil, false, []string{"-T", "a", "b c", "x"}},
		{nil, false, []string{"dir", "x"}},
		{nil, false, []string{"-v", "a", "dir", "b c", "sub"}},
		{nil, false, []string{"-t", "nodir", "a"}},
		{nil, false, []string{"-t", "file", "a"}},
		{nil, false, []string{"-v", "a", "new/"}},
		{nil, false, []string{"a", "file/"}},
		{nil, false, []string{"-T", "a", "dir"}},
		{nil, false, []string{"-T", "a", "dirlnk/"}},
		{nil, false, []string{"-D", "a", "file/x/y"}},
		{nil, false, []string{"-D", "a", "dangling/x"}},
		{nil, false, []string{"-d", "file/x", "file", "dangling"}},
		{nil, false, []string{"a", "a"}},
		{nil, false, []string{"-v", "a", "b c", "sub/a", "dir"}},
		{nil, false, []string{"", "x"}},
		{nil, false, []string{"a", ""}},
		{nil, false, []string{"-d", ""}},
		{nil, false, []string{"-t", "", "a"}},
		{nil, false, []string{"-Dv", "-t", "", "a", "b c"}},
		{nil, false, []string{"-m", "bad", "a", "b c", "nodir"}},
		{nil, false, []string{"--bogus"}},
		{nil, false, []string{"--bogus=1", "a", "x"}},
		{nil, false, []string{"-vx", "a", "x"}},
		{nil, false, []string{"-m"}},
		{nil, false, []string{"--mode"}},
		{nil, false, []string{"--pre", "a", "x"}},
		{nil, false, []string{"--s", "a", "x"}},
		{nil, false, []string{"--verbose=1", "a", "x"}},
		{nil, false, []string{"--backup=bogus", "a", "x"}},
		{nil, false, []string{"--backup=n", "a", "x"}},
		{[]string{"VERSION_CONTROL=bogus"}, false, []string{"-b", "a", "x"}},
		{nil, false, []string{"-C", "-p", "a", "x"}},
		{nil, false, []string{"-C", "-s", "a", "x"}},
		{nil, false, []string{"-d", "-s", "x"}},
		{nil, false, []string{"-d", "-t", "x", "y"}},
		{nil, false, []string{"-T", "-t", "dir", "a", "x"}},
		{nil, false, []string{"-t", "dir", "-t", "sub", "a"}},
		{nil, false, []string{"--strip-program=strip", "a", "x"}},
		{nil, false, []string{"-C", "-m", "4755", "a", "x"}},
		{nil, false, []string{"--preserve-context", "--context=x", "-Z", "a", "x"}},
		{nil, false, []string{"-s", "a", "x"}},
		{nil, false, []string{"-s", "--strip-program=nonesuch", "a", "x"}},
		// Owners and groups: numbers as strtoumax reads them.
		{nil, false, []string{"-o", "+0", "a", "x"}},
		{nil, false, []string{"-g", "+0", "a", "x"}},
		{nil, false, []string{"-o", "0x1", "-g", "0x1", "a", "x"}},
		{nil, false, []string{"-o", "010", "a", "x"}},
		{nil, false, []string{"-o", " 1", "a", "x"}},
		{nil, false, []string{"-o", "", "a", "x"}},
		{nil, false, []string{"-g", "", "a", "x"}},
		{nil, false, []string{"-o", "-1", "a", "x"}},
		{nil, false, []string{"-o", "4294967295", "a", "x"}},
		{nil, false, []string{"-o", "4294967296", "a", "x"}},
		{nil, false, []string{"-o", "1x", "a", "x"}},
		{nil, false, []string{"-g", "nonesuch", "a", "x"}},
		// Modes: an operator and an octal number.
		{nil, false, []string{"-m", "+0755", "a", "x"}},
		{nil, false, []string{"-m", "=0", "a", "x"}},
		{nil, false, []string{"-m", "-7", "a", "x"}},
		{nil, false, []string{"-m", "u+0", "a", "x"}},
		{nil, false, []string{"-m", "+0755,u+s", "a", "x"}},
		{nil, false, []string{"-m", "", "a", "x"}},
		// POSIXLY_CORRECT: options end at the first operand.
		{[]string{"POSIXLY_CORRECT=1"}, false, []string{"a", "x", "-m", "600"}},
		{[]string{"POSIXLY_CORRECT=1"}, false, []string{"-m", "600", "a", "x"}},
		{[]string{"POSIXLY_CORRECT=1"}, false, []string{"a", "-m", "600"}},
		// Backups: numbered ones of one name in one commit batch; a
		// backup that already is the destination.
		{[]string{"LDWRAP_DURABLE=1"}, false, []string{"-v", "--backup=numbered", "-t", "dir", "a", "sub/a"}},
		{[]string{"LDWRAP_DURABLE=1"}, false, []string{"-v", "-b", "-t", "dir", "a", "sub/a"}},
		{nil, true, []string{"-b", "-v", "a", "dest"}},
		{nil, true, []string{"-v", "a", "dest"}},
		{nil, true, []string{"-b", "dest~", "dest"}},
		{nil, false, []string{"-b", "-S", "", "a", "dest"}},
		{nil, false, []string{"-b", "-S", "x/", "a", "dest"}},
		{[]string{"SIMPLE_BACKUP_SUFFIX=a/b"}, false, []string{"-b", "a", "dest"}},
		// A UTF-8 locale: quote()'s marks, names' characters.
		{[]string{"LC_ALL=C.UTF-8"}, false, []string{"-v", "\u00e9t\u00e9", "q'x", "new\tline"}},
		{[]string{"LC_ALL=C.UTF-8"}, false, []string{"-v", "a", "\u00e9t\u00e9"}},
		{[]string{"LC_ALL=C.UTF-8"}, false, []string{"-o", "q'x", "a", "x"}},
		{[]string{"LC_ALL=C.UTF-8"}, false, []string{"-d", "file/x"}},
		{[]string{"LC_ALL=C.UTF-8"}, false, []string{"-m", "\u00e9", "a", "x"}},
		{[]string{"LC_ALL=C.UTF-8"}, false, []string{"--backup=n", "a", "x"}},
		{nil, false, []string{"-v", "a", "\u00e9t\u00e9"}},
		{nil, false, []string{"-d", "new\tline/x"}},
		// -C with nothing to copy still gives the owner and mode: a
		// source that is its destination is then no error; a symlink
		// (compared as itself) always is copied.
		{nil, false, []string{"--compare", "--owner=+0", "-g0", "q'x", "-t", "."}},
		{nil, false, []string{"--owner=+0", "-g0", "q'x", "-t", "."}},
		{nil, false, []string{"-C", "q'x", "-t", "."}},
		{nil, false, []string{"-C", "-m", "644", "a", "a"}},
		{nil, false, []string{"-C", "-m", "600", "a", "a"}},
		{nil, false, []string{"-C", "-o0", "-g0", "lnk", "-t", "."}},
		{nil, false, []string{"-C", "-o0", "-g0", "a", "lnk"}},
		{nil, true, []string{"-C", "-v", "-m", "644", "dest~", "dest"}},
		{nil, true, []string{"-v", "-m", "644", "dest~", "dest"}},
	}
	// As nobody, in a directory of nobody's holding root's files: what
	// GNU removes and then fails to install (an owner it may not give, a
	// source it may not read), and the words of each refusal.
	asNobody := [][]string{
		{"-o", "0", "a", "dest"},
		{"-v", "-g", "0", "a", "dest", "x"},
		{"-v", "secret", "dest"},
		{"-v", "secret", "x"},
		{"-v", "a", "dir/a"},
		{"-v", "a", "dir/x"},
		{"-bv", "a", "dir/a"},
		{"-Dv", "a", "dir/n/x"},
		{"-dv", "dir/n", "n/m"},
		{"-d", "-o", "0", "n"},
		{"-d", "-m", "700", "dir"},
		{"-C", "a", "dest"},
		{"-bv", "a", "dest"},
		{"-bv", "a", "lnk"},
		{"-bv", "a", "secret"},
		{"--backup=numbered", "-v", "a", "dest"},
		{"-bv", "a", "sink"},
		// -C with nothing to copy: the owner given again is not nobody's
		// to give; with none asked for, root's file needs a copy.
		{"q'x", "link/../a", "--compare", "--owner=+0", "-g0", "dest~", "-Z", "new/", "-t", "."},
		{"--compare", "--owner=+0", "-g0", "q'x", "-t", "."},
		{"--owner=+0", "-g0", "q'x", "-t", "."},
		{"--compare", "-g0", "q'x", "-t", "."},
		{"-C", "-o0", "-g0", "-m", "644", "a", "a"},
		{"-C", "-m", "644", "a", "a"},
		{"-C", "-o0", "-g0", "lnk", "-t", "."},
		{"-C", "-o0", "-g0", "a", "lnk"},
		// A copy whose group nobody may not give: GNU keeps it (its
		// backup is not renamed back), and it is just-created.
		{"link/../a", "link/../a", "-m", "0", "-S.bak", "--group=+0", "link/../a", "."},
		{"-v", "-g0", "sub/a", "link/../a", "."},
		{"-bv", "-g0", "a", "dest"},
		{"-bv", "-g0", "sub/a", "link/../a", "."},
		{"-v", "--backup=numbered", "-g0", "sub/a", "link/../a", "."},
		{"-s", "-v", "-g0", "prog", "x"},
	}
	var out []installCase
	for _, k := range cases {
		tree := append(baseInstallTree(0o755),
			treeEntry{path: "dest", kind: "file", content: "old dest\n", mode: 0o644},
			treeEntry{path: "dir/a", kind: "file", content: "old dir/a\n", mode: 0o644},
			treeEntry{path: "file", kind: "file", content: "old file\n", mode: 0o644})
		if k.linked {
			tree = append(tree, treeEntry{path: "dest~", kind: "hardlink", content: "dest"})
		}
		out = append(out, installCase{umask: 0o022, tree: tree, args: k.args, env: k.env})
	}
	for _, args := range asNobody {
		if portable {
			break // see genInstallCase
		}
		c := out[0]
		c.args, c.nobody = args, true
		out = append(out, c)
	}
	return out
}

// optionalEntries are the entries of the base tree only the command lines
// that name one of them need: creating files is most of this test's time.
var optionalEntries = map[string]string{"real/sub": "link", "real/a": "link", "link": "link", "sg": "sg", "acl": "acl", "secret": "secret"}

// pruned is c without the optional entries its command line does not name.
func (c installCase) pruned() installCase {
	line := strings.Join(c.args, " ")
	var tree []treeEntry
	for _, e := range c.tree {
		if word, ok := optionalEntries[e.path]; !ok || strings.Contains(line, word) {
			tree = append(tree, e)
		}
	}
	c.tree = tree
	return c
}

// makeTree builds c's tree in dir. prog is the ELF program to copy.
func (c installCase) makeTree(dir string, prog []byte) error {
	for _, e := range c.tree {
		p := filepath.Join(dir, e.path)
		var err error
		switch e.kind {
		case "file":
			if err = os.WriteFile(p, []byte(e.content), 0o600); err == nil {
				err = os.Chmod(p, e.mode)
			}
		case "prog":
			err = os.WriteFile(p, prog, e.mode)
		case "dir":
			if err = os.MkdirAll(p, 0o755); err == nil {
				err = os.Chmod(p, e.mode)
			}
		case "link":
			err = os.Symlink(e.content, p)
		case "fifo":
			err = syscall.Mkfifo(p, uint32(e.mode))
		case "dev": // a null device of the case's own
			err = syscall.Mknod(p, syscall.S_IFCHR|0o666, 1<<8|3)
		case "hardlink":
			err = os.Link(filepath.Join(dir, e.content), p)
		case "sgdir":
			if err = os.Mkdir(p, 0o755); err == nil {
				if err = os.Chown(p, -1, 100); err == nil {
					err = syscall.Chmod(p, uint32(e.mode))
				}
			}
		case "acldir":
			if err = os.Mkdir(p, e.mode); err == nil {
				err = syscall.Setxattr(p, "system.posix_acl_default", defaultACL, 0)
			}
		}
		if err != nil {
			return err
		}
	}
	return nil
}

// defaultACL is acl's default ACL, in the kernel's xattr form (version 2,
// then tag, permissions, id): user::rwx, user:daemon:rwx, group::r-x,
// mask::rwx, other::---. setfacl -d -m u:daemon:rwx,o::- would make it.
var defaultACL = func() []byte {
	const undefined = 0xffffffff
	entries := [][3]uint32{{0x01, 7, undefined}, {0x02, 7, 1}, {0x04, 5, undefined}, {0x10, 7, undefined}, {0x20, 0, undefined}}
	b := []byte{2, 0, 0, 0}
	for _, e := range entries {
		b = append(b, byte(e[0]), byte(e[0]>>8), byte(e[1]), byte(e[1]>>8), byte(e[2]), byte(e[2]>>8), byte(e[2]>>16), byte(e[2]>>24))
	}
	return b
}()

// xattrsOf lists p's extended attributes (ACLs among them) with their
// values, "" when it has none.
func xattrsOf(p string) string {
	buf := make([]byte, 4096)
	n, err := syscall.Listxattr(p, buf)
	if err != nil || n == 0 {
		return ""
	}
	var out []string
	for _, name := range strings.Split(strings.TrimRight(string(buf[:n]), "\x00"), "\x00") {
		val := make([]byte, 4096)
		m, err := syscall.Getxattr(p, name, val)
		if err != nil {
			m = 0
		}
		out = append(out, fmt.Sprintf("%s=%x", name, val[:m]))
	}
	sort.Strings(out)
	return " [" + strings.Join(out, " ") + "]"
}

// treeOf describes every entry under dir: kind, mode, owner, extended
// attributes (ACLs), and content or link target. Times are left out (a
// copy is made now).
func treeOf(t *testing.T, dir string) map[string]string {
	m := map[string]string{}
	filepath.Walk(dir, func(p string, fi os.FileInfo, err error) error {
		if err != nil {
			return nil
		}
		rel, _ := filepath.Rel(dir, p)
		st := fi.Sys().(*syscall.Stat_t)
		desc := fmt.Sprintf("%v %d:%d", fi.Mode(), st.Uid, st.Gid)
		if fi.Mode()&os.ModeSymlink == 0 {
			desc += xattrsOf(p)
		}
		switch {
		case fi.Mode().IsRegular():
			b, _ := os.ReadFile(p)
			desc += " " + fmt.Sprintf("%q", b)
		case fi.Mode()&os.ModeSymlink != 0:
			target, _ := os.Readlink(p)
			desc += " -> " + target
		}
		m[rel] = desc
		return nil
	})
	return m
}

func diffTrees(a, b map[string]string) string {
	var keys []string
	for k := range a {
		keys = append(keys, k)
	}
	for k := range b {
		if _, ok := a[k]; !ok {
			keys = append(keys, k)
		}
	}
	sort.Strings(keys)
	var out []string
	for _, k := range keys {
		if a[k] != b[k] {
			out = append(out, fmt.Sprintf("%s: GNU %q, ldwrap %q", k, a[k], b[k]))
		}
	}
	return strings.Join(out, "\n")
}

// installResult is one run of one install program on a case.
type installResult struct {
	code           int
	stdout, stderr string
	tree, before   map[string]string
}

// runInstallCase runs program on c in dir, and describes the tree before
// too if wantBefore. A run that reads a fifo waits for a writer, GNU's as
// ldwrap's: after a few seconds it is stopped, and the status is -1.
func runInstallCase(t *testing.T, c installCase, dir string, prog []byte, program string, wantBefore bool) (installResult, error) {
	if err := c.makeTree(dir, prog); err != nil {
		return installResult{}, err
	}
	argv := append([]string{"sh", "-c", fmt.Sprintf("umask %03o; exec \"$@\"", c.umask), "sh", program}, c.args...)
	if c.nobody {
		if err := os.Chown(dir, 65534, 65534); err != nil {
			return installResult{}, err
		}
		argv = asNobody(argv...)
	}
	var before map[string]string
	if wantBefore {
		before = treeOf(t, dir)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, argv[0], argv[1:]...)
	cmd.Dir = dir
	cmd.Env = append(append(os.Environ(), "LDWRAP_DURABLE=0", "LC_ALL=C"), c.env...)
	var o, e strings.Builder
	cmd.Stdout, cmd.Stderr = &o, &e
	err := cmd.Run()
	code := 0
	if ee, ok := err.(*exec.ExitError); ok {
		code = ee.ExitCode() // -1 when stopped
	} else if err != nil {
		return installResult{}, err
	}
	// Both name themselves as they were run (GNU's program_name is argv[0]).
	stdout := strings.ReplaceAll(o.String(), program+": ", "install: ")
	stderr := strings.ReplaceAll(e.String(), program, "install")
	return installResult{code, stdout, stderr, treeOf(t, dir), before}, nil
}

func TestInstallDifferential(t *testing.T) {
	t.Parallel() // see "Parallel tests" in helpers_test.go
	need(t, "root", "install", "gcc", "strip", "setpriv")
	seed := time.Now().UnixNano()
	if s := os.Getenv("LDWRAP_DIFF_SEED"); s != "" {
		fmt.Sscan(s, &seed)
	}
	// Each run draws new cases (a new seed); LDWRAP_DIFF_CASES runs more
	// (docs/tests.md, "Timings", has what 1,500 take).
	cases := 1500
	if testing.Short() {
		cases = 300
	}
	if s := os.Getenv("LDWRAP_DIFF_CASES"); s != "" {
		fmt.Sscan(s, &cases)
	}
	t.Logf("seed %d, %d cases (LDWRAP_DIFF_SEED=%d LDWRAP_DIFF_CASES=%d runs them again)", seed, cases, seed, cases)
	work := publicDir(t) // nobody's cases run in it
	writeFile(t, filepath.Join(work, "p.c"), "int main(void){return 0;}\n")
	run(t, work, nil, "gcc", "-o", "prog", "p.c")
	prog := readFile(t, filepath.Join(work, "prog"))
	gnu, err := exec.LookPath("install")
	require.NoError(t, err)

	rng := rand.New(rand.NewSource(seed))
	var all []installCase
	for _, c := range permanentInstallCases() {
		all = append(all, c.pruned())
	}
	for i := 0; i < cases; i++ {
		all = append(all, genInstallCase(rng).pruned())
	}
	var mu sync.Mutex
	var failures []string
	var wg sync.WaitGroup
	next := make(chan int)
	for w := 0; w < 2; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range next {
				c := all[i]
				root := filepath.Join(work, fmt.Sprint(i))
				a, b := filepath.Join(root, "gnu"), filepath.Join(root, "ldwrap")
				os.MkdirAll(a, 0o755)
				os.MkdirAll(b, 0o755)
				ga, err := runInstallCase(t, c, a, prog, gnu, false)
				lb, err2 := runInstallCase(t, c, b, prog, ldwrap("ldwrap-install"), true)
				var why []string
				if err != nil || err2 != nil {
					why = append(why, fmt.Sprintf("could not run: %v %v", err, err2))
				}
				// ldwrap refused a device, or a source that is its own
				// destination through a symlink, where GNU went on.
				refused := strings.Contains(lb.stderr, "install: will not replace device 'nul'") ||
					strings.Count(lb.stderr, "are the same file") > strings.Count(ga.stderr, "are the same file")
				if ga.code == -1 || lb.code == -1 {
					// A fifo among the sources: both wait for a writer
					// and are killed; what they flushed by then is chance.
					// A killed ldwrap-install leaves nothing (its file has
					// no name yet); the portable build leaves a named
					// .ldwrap.* file, which the next install of that
					// destination removes.
					if left := leftovers(t, b); len(left) > 0 && !portable {
						mu.Lock()
						failures = append(failures, fmt.Sprintf("case %d: install %q killed, left %v", i, c.args, left))
						mu.Unlock()
					}
					os.RemoveAll(root)
					continue
				}
				if ga.code != lb.code && !refused {
					why = append(why, fmt.Sprintf("status: GNU %d, ldwrap %d", ga.code, lb.code))
				}
				if ga.stdout != lb.stdout && !refused && !sameButForLost(ga, lb) {
					why = append(why, fmt.Sprintf("stdout: GNU %q, ldwrap %q", ga.stdout, lb.stdout))
				}
				if ga.stderr != lb.stderr && !refused {
					why = append(why, fmt.Sprintf("stderr: GNU %q, ldwrap %q", ga.stderr, lb.stderr))
				}
				if d := diffTrees(withBackupsMoved(c, ga.tree, lb.tree), lb.tree); d != "" && !saferThanGNU(c, ga, lb) {
					why = append(why, "tree:\n"+d)
				}
				if len(why) > 0 {
					mu.Lock()
					who := ""
					if c.nobody {
						who = "as nobody "
					}
					failures = append(failures, fmt.Sprintf("case %d: %sumask %03o %s install %q\n  GNU stderr: %q\n  ldwrap stderr: %q\n  %s",
						i, who, c.umask, strings.Join(c.env, " "), c.args, ga.stderr, lb.stderr, strings.Join(why, "\n  ")))
					mu.Unlock()
				}
				os.RemoveAll(root)
			}
		}()
	}
	for i := range all {
		mu.Lock()
		enough := len(failures) >= 10
		mu.Unlock()
		if enough {
			break
		}
		next <- i
	}
	close(next)
	wg.Wait()
	for _, f := range failures {
		t.Error(f)
	}
	t.Logf("%d cases, %d differences", len(all), len(failures))
	assert.Empty(t, leftovers(t, work))
}

// saferThanGNU says whether the trees differ only the ways README allows:
// GNU replaced the device node nul or removed a file it then failed to
// install, where ldwrap left each as it was, and both failed.
func saferThanGNU(c installCase, gnu, ld installResult) bool {
	if strings.Contains(ld.stderr, "install: will not replace device 'nul'") {
		return strings.HasPrefix(ld.tree["nul"], "Dc") // refused: the device is untouched
	}
	if gnu.code == 0 || ld.code == 0 {
		return false
	}
	before := map[string]string{}
	for _, e := range c.tree {
		before[e.path] = e.path
	}
	for k, g := range gnu.tree {
		l, ok := ld.tree[k]
		switch {
		case ok && l == g:
		case k == "nul" && strings.HasPrefix(l, "Dc"):
			// GNU replaced the device; ldwrap refused.
		case !ok && isBackupOf(k, gnu.tree, ld.tree):
			// GNU moved a file to its backup and then failed (strip);
			// ldwrap left it where it was.
		case l == ld.before[k] && failedAfterReplacing(k, gnu.stderr):
			// GNU replaced it (or made its backup, or a new file) and
			// then failed to give the new file its owner or mode;
			// ldwrap left it as it was.
		default:
			return false
		}
	}
	for k := range ld.tree {
		if _, ok := gnu.tree[k]; !ok && before[k] == "" {
			return false // something ldwrap made that GNU did not
		}
	}
	return true
}

// failedAfterReplacing says whether GNU's messages tell of a failure
// with the new file at k (or at the file k is the backup of), after GNU
// put it there: its owner or its mode could not be set.
func failedAfterReplacing(k, stderr string) bool {
	names := map[string]bool{k: true}
	for _, suffix := range []string{"~", ".bak", ".orig", ".~1~", ".~2~"} {
		if strings.HasSuffix(k, suffix) {
			names[strings.TrimSuffix(k, suffix)] = true
		}
	}
	for _, line := range strings.Split(stderr, "\n") {
		for _, what := range []string{"install: cannot change ownership of ", "install: cannot change permissions of "} {
			if !strings.HasPrefix(line, what) {
				continue
			}
			q := strings.TrimPrefix(line, what)
			if i := strings.LastIndex(q, ": "); i >= 0 {
				q = q[:i]
			}
			if names[filepath.Clean(unquoteGNU(q))] {
				return true
			}
		}
	}
	return false
}

// sameButForLost says whether the -v lines differ only by "removed 'D'"
// lines, or a "(backup: ...)" of D, for a destination D that GNU removed
// and then failed to install (a strip that fails) and ldwrap kept: a
// second install of D in the same command finds the file there, and says
// it removes it or backs it up, where GNU's finds nothing. Likewise the
// backup of a D that GNU replaced and then failed to give its owner or
// mode: GNU's next numbered backup of D is of its new file, ldwrap's of
// the old one it kept, one number lower.
func sameButForLost(gnu, ld installResult) bool {
	if gnu.code == 0 || ld.code == 0 {
		return false
	}
	lost := map[string]bool{}
	for k := range ld.tree {
		if _, ok := gnu.tree[k]; !ok {
			lost[k] = true
		}
	}
	withoutRemovalsOfLost := func(stdout string) string {
		var kept []string
		for _, line := range strings.SplitAfter(stdout, "\n") {
			name := strings.TrimSuffix(strings.TrimPrefix(line, "removed "), "\n")
			if strings.HasPrefix(line, "removed ") && lost[filepath.Clean(unquoteGNU(name))] {
				continue
			}
			// "'a' -> 'D' (backup: 'D~')": the backup of a D GNU lost,
			// or replaced before failing.
			if i := strings.Index(line, " (backup: "); i >= 0 {
				if j := strings.LastIndex(line[:i], " -> "); j >= 0 {
					if d := filepath.Clean(unquoteGNU(line[j+4 : i])); lost[d] || failedAfterReplacing(d, gnu.stderr) {
						line = line[:i] + "\n"
					}
				}
			}
			kept = append(kept, line)
		}
		return strings.Join(kept, "")
	}
	return withoutRemovalsOfLost(gnu.stdout) == withoutRemovalsOfLost(ld.stdout)
}

// unquoteGNU undoes coreutils' quoting of a name in a message, as a
// shell reads it: 'single-quoted' parts, \' between them, $'\303\251' and
// $'\n' escapes, "double-quoted" names. Anything else stays as it is.
func unquoteGNU(q string) string {
	var b strings.Builder
	for i := 0; i < len(q); {
		switch {
		case strings.HasPrefix(q[i:], "$'"):
			for i += 2; i < len(q) && q[i] != '\''; i++ {
				if q[i] != '\\' || i+1 == len(q) {
					b.WriteByte(q[i])
					continue
				}
				i++
				if n := 0; q[i] >= '0' && q[i] <= '7' {
					for k := 0; k < 3 && i < len(q) && q[i] >= '0' && q[i] <= '7'; k++ {
						n = n*8 + int(q[i]-'0')
						i++
					}
					b.WriteByte(byte(n))
					i--
					continue
				}
				e := map[byte]byte{'n': '\n', 't': '\t', 'r': '\r', 'a': '\a', 'b': '\b', 'f': '\f', 'v': '\v'}[q[i]]
				if e == 0 {
					e = q[i]
				}
				b.WriteByte(e)
			}
			i++
		case q[i] == '\'' || q[i] == '"':
			j := strings.IndexByte(q[i+1:], q[i])
			if j < 0 {
				return q
			}
			b.WriteString(q[i+1 : i+1+j])
			i += j + 2
		case q[i] == '\\' && i+1 < len(q):
			b.WriteByte(q[i+1])
			i += 2
		default:
			b.WriteByte(q[i])
			i++
		}
	}
	return b.String()
}

// isBackupOf says whether k, in GNU's tree only, is the backup of a file
// that GNU then lost and ldwrap kept with that content.
// (install 9.1 may have put the backup at the top: the file can be in
// any directory.)
func isBackupOf(k string, gnu, ld map[string]string) bool {
	for _, suffix := range []string{"~", ".bak", ".~1~", ".~2~"} {
		orig := strings.TrimSuffix(k, suffix)
		if orig == k {
			continue
		}
		for lk, lv := range ld {
			if (lk == orig || !strings.Contains(k, "/") && filepath.Base(lk) == orig) && gnu[lk] == "" && lv == gnu[k] {
				return true
			}
		}
	}
	return false
}

// withBackupsMoved is GNU's tree with install 9.1's misplaced backups put
// where ldwrap puts them: a backup GNU made at the top that ldwrap made in
// a directory, with the same content.
func withBackupsMoved(c installCase, gnu, ld map[string]string) map[string]string {
	before := map[string]bool{}
	for _, e := range c.tree {
		before[e.path] = true
	}
	moved := map[string]string{}
	for k, v := range gnu {
		moved[k] = v
	}
	for k, v := range gnu {
		if strings.Contains(k, "/") || before[k] || ld[k] != "" || !(strings.HasSuffix(k, "~") || strings.HasSuffix(k, ".bak")) {
			continue
		}
		for lk, lv := range ld {
			if filepath.Base(lk) == k && lk != k && lv == v && gnu[lk] == "" {
				delete(moved, k)
				moved[lk] = v
				break
			}
		}
	}
	return moved
}
