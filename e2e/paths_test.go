//go:build linux

package e2e

import (
	"math/rand"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// Round three's data-loss cases, each run bare and wrapped in identical
// fresh directories: the bare tool is the oracle for the exit status, the
// output and the whole tree.

// asBare is one command run bare and wrapped. setup fills a fresh
// directory; bare and wrapped are the two command lines, run there.
type asBare struct {
	name          string
	setup         func(t *testing.T, dir string)
	bare, wrapped []string
	env           []string
	// filesOnly compares the trees alone: the wrapped form's own messages
	// stand for the bare form's (ldwrap-run --stdout for the shell's >).
	filesOnly bool
}

// result is what a run leaves: its status, its output (both streams, in
// order) and the tree, with the directory's own path written as $D.
type result struct {
	code int
	out  string
	tree map[string]string
}

func runAsBare(t *testing.T, dir string, env, argv []string) result {
	code, out := exitCode(dir, env, argv...)
	tree := treeOf(t, dir)
	for k, v := range tree {
		tree[k] = strings.ReplaceAll(v, dir, "$D")
	}
	return result{code, strings.ReplaceAll(out, dir, "$D"), tree}
}

// check runs c bare and wrapped and reports every difference.
func (c asBare) check(t *testing.T) {
	t.Helper()
	var got [2]result
	for i, argv := range [][]string{c.bare, c.wrapped} {
		dir := t.TempDir()
		c.setup(t, dir)
		got[i] = runAsBare(t, dir, c.env, argv)
		assert.Empty(t, leftovers(t, dir), "%s: staging left behind", c.name)
	}
	bare, wrapped := got[0], got[1]
	if d := diffTrees(bare.tree, wrapped.tree); d != "" {
		t.Errorf("%s: trees differ (GNU means bare here):\n%s", c.name, d)
	}
	if c.filesOnly {
		return
	}
	assert.Equal(t, bare.code, wrapped.code, "%s: exit status (bare %v)\n%s", c.name, c.bare, wrapped.out)
	assert.Equal(t, bare.out, wrapped.out, "%s: output", c.name)
}

const sourceC = "int f(void) { return 1; }\n"

// TestOutputIsInputAsBare: a step whose output is one of its inputs runs
// untouched, so the tool's own "input file is the same as output file"
// check fires, as bare. Through a staged output, gcc -c a.c -o a.c turned
// the source into an object and exited 0.
func TestOutputIsInputAsBare(t *testing.T) {
	need(t, "gcc", "clang", "ld.bfd")
	sources := func(t *testing.T, dir string) {
		writeFile(t, filepath.Join(dir, "a.c"), sourceC)
		writeFile(t, filepath.Join(dir, "a.s"), ".text\n.globl f\nf: ret\n")
		run(t, dir, nil, "gcc", "-c", "a.c", "-o", "a.o")
		require.NoError(t, os.Symlink("a.c", filepath.Join(dir, "l.c")))
		require.NoError(t, os.Symlink("a.c", filepath.Join(dir, "out.o")))
	}
	cc := func(args ...string) asBare {
		return asBare{
			name:    strings.Join(args, " "),
			setup:   sources,
			bare:    args,
			wrapped: append([]string{ldwrap("ldwrap-cc")}, args...),
		}
	}
	cases := []asBare{
		cc("gcc", "-c", "a.c", "-o", "a.c"),
		cc("gcc", "-E", "a.c", "-o", "a.c"),
		cc("gcc", "-x", "c++", "-c", "a.c", "-o", "a.c"),
		cc("gcc", "-c", "a.s", "-o", "a.s"),
		cc("gcc", "-S", "a.c", "-o", "a.c"),
		cc("gcc", "-c", "l.c", "-o", "a.c"),
		cc("gcc", "-c", "a.c", "-o", "out.o"),
		cc("gcc", "a.o", "-o", "a.o"),
		cc("gcc", "-shared", "a.o", "-o", "a.o"),
		cc("gcc", "-MD", "-MF", "a.c", "-c", "a.c", "-o", "a.o"),
		cc("clang", "-c", "a.c", "-o", "a.c"),
		cc("clang", "a.o", "-o", "a.o"),
		{name: "ld.bfd a.o -o a.o", setup: sources, bare: []string{"ld.bfd", "a.o", "-o", "a.o"},
			wrapped: []string{ldwrap("ldwrap"), "a.o", "-o", "a.o"}, env: []string{"LDWRAP_LD=ld.bfd"}},
		{name: "CC=ldwrap-cc", setup: sources, bare: []string{"gcc", "-c", "a.c", "-o", "a.c"},
			wrapped: []string{ldwrap("ldwrap-cc"), "-c", "a.c", "-o", "a.c"}, env: []string{"LDWRAP_CC=gcc"}},
	}
	for _, c := range cases {
		c.check(t)
	}
}

// pathFixture is a tree where a path's text and the kernel disagree:
// link and link2 are symlinks to directories two levels down, so link/..
// is real, not ".". An old out.o in each directory shows which one a
// command replaced.
func pathFixture(t *testing.T, dir string) {
	for _, d := range []string{"real/sub/inner", "real2"} {
		require.NoError(t, os.MkdirAll(filepath.Join(dir, d), 0o755))
	}
	require.NoError(t, os.Symlink("real/sub", filepath.Join(dir, "link")))
	require.NoError(t, os.Symlink("real/sub/inner", filepath.Join(dir, "link2")))
	require.NoError(t, os.Symlink("../../real2", filepath.Join(dir, "real/sub/up")))
	for _, d := range []string{".", "real", "real/sub", "real/sub/inner", "real2"} {
		writeFile(t, filepath.Join(dir, d, "out.o"), "old "+d+"\n")
	}
	writeFile(t, filepath.Join(dir, "a.c"), sourceC)
	// A link for LDWRAP_SYMLINKS=follow whose target has a .. after a link.
	require.NoError(t, os.Symlink("link/../out.o", filepath.Join(dir, "via.o")))
}

// randomPath draws a path through the fixture: names, links, "." and
// "..", ending in out.o.
func randomPath(r *rand.Rand) string {
	words := []string{"link", "link2", "real", "sub", "inner", "up", "real2", "..", "..", ".", ""}
	var p []string
	for n := 1 + r.Intn(4); len(p) < n; {
		w := words[r.Intn(len(words))]
		if len(p) == 0 && (w == "" || w == "..") {
			continue // not "/..." nor "../...": the test's own directory only
		}
		p = append(p, w)
	}
	return strings.Join(append(p, "out.o"), "/")
}

// TestDotDotAfterSymlinkAsBare: every command writes link/../out.o where
// the kernel does (real/out.o), on generated paths through symlinked
// directories. Cleaned by its text, the path named ./out.o, and ldwrap
// replaced that file instead.
func TestDotDotAfterSymlinkAsBare(t *testing.T) {
	need(t, "gcc", "ld.bfd")
	seed := time.Now().UnixNano()
	if s := os.Getenv("LDWRAP_PATHS_SEED"); s != "" {
		seed, _ = strconv.ParseInt(s, 10, 64)
	}
	t.Logf("seed %d (LDWRAP_PATHS_SEED)", seed)
	r := rand.New(rand.NewSource(seed))
	paths := []string{"link/../out.o", "link2/../../out.o", "link/./../sub/../out.o", "real/sub/up/../out.o"}
	for len(paths) < 30 {
		// Never a path that may leave the test's directory (real/../..):
		// as root it would write beside it, or in /.
		if p := randomPath(r); !strings.HasPrefix(filepath.Clean(p), "..") {
			paths = append(paths, p)
		}
	}
	objects := func(t *testing.T, dir string) {
		pathFixture(t, dir)
		run(t, dir, nil, "gcc", "-c", "a.c", "-o", "a.o")
	}
	for _, p := range paths {
		for _, c := range []asBare{
			{name: "compile -o " + p, setup: pathFixture,
				bare: []string{"gcc", "-c", "a.c", "-o", p}, wrapped: []string{ldwrap("ldwrap-cc"), "gcc", "-c", "a.c", "-o", p}},
			{name: "link -o " + p, setup: objects, env: []string{"LDWRAP_LD=ld.bfd"},
				bare: []string{"ld.bfd", "-r", "a.o", "-o", p}, wrapped: []string{ldwrap("ldwrap"), "-r", "a.o", "-o", p}},
			{name: "run -o " + p, setup: pathFixture,
				bare:    []string{"sh", "-c", `echo new > "$1"`, "sh", p},
				wrapped: []string{ldwrap("ldwrap-run"), "-o", p, "--", "sh", "-c", `echo new > "$1"`, "sh", p}},
			{name: "run --stdout " + p, setup: pathFixture, filesOnly: true,
				bare:    []string{"sh", "-c", `echo new > "$1"`, "sh", p},
				wrapped: []string{ldwrap("ldwrap-run"), "--stdout", p, "--", "echo", "new"}},
		} {
			c.check(t)
		}
	}
	// LDWRAP_SYMLINKS=follow replaces the file a link at the output leads
	// to (bare gcc would replace the link): the oracle writes through it.
	follow := asBare{name: "LDWRAP_SYMLINKS=follow via.o", setup: pathFixture, env: []string{"LDWRAP_SYMLINKS=follow"},
		bare:    []string{"sh", "-c", "gcc -c a.c -o x.o && cat x.o > via.o && rm x.o"},
		wrapped: []string{ldwrap("ldwrap-cc"), "gcc", "-c", "a.c", "-o", "via.o"}}
	follow.check(t)
}

// TestOneUnstageableOutputKeepsOthers: an output that cannot be staged is
// left to the tool, and the others are still protected. The step used to
// run untouched as a whole, so a failing command left its other outputs
// partly written.
func TestOneUnstageableOutputKeepsOthers(t *testing.T) {
	need(t, "gcc")
	dir := t.TempDir()
	writeFile(t, filepath.Join(dir, "a"), "old\n")
	code, out := exitCode(dir, nil, ldwrap("ldwrap-run"), "-o", "a", "-o", "nodir/b", "--",
		"sh", "-c", `echo partial > "$1"; exit 1`, "sh", "a", "nodir/b")
	assert.Equal(t, 1, code, out)
	assert.Equal(t, "old\n", string(readFile(t, filepath.Join(dir, "a"))))
	assert.Empty(t, leftovers(t, dir))

	// The same command bare: the control, which loses a's old content.
	code, _ = exitCode(dir, nil, "sh", "-c", `echo partial > "$1"; exit 1`, "sh", "a", "nodir/b")
	assert.Equal(t, 1, code)
	assert.Equal(t, "partial\n", string(readFile(t, filepath.Join(dir, "a"))))

	// LDWRAP_STRICT=1: a depfile to /dev/null is a sink, not a file
	// written in place; the object is still staged and committed.
	writeFile(t, filepath.Join(dir, "a.c"), sourceC)
	writeFile(t, filepath.Join(dir, "a.o"), "old\n")
	before := inode(t, filepath.Join(dir, "a.o"))
	strict := []string{"LDWRAP_STRICT=1"}
	run(t, dir, strict, ldwrap("ldwrap-cc"), "gcc", "-MD", "-MF", "/dev/null", "-c", "a.c", "-o", "a.o")
	assert.NotEqual(t, before, inode(t, filepath.Join(dir, "a.o")), "a.o written in place")
	assert.NotEqual(t, "old\n", string(readFile(t, filepath.Join(dir, "a.o"))))

	// An output in a directory that is not there would be written in
	// place by a tool that makes it: strict refuses, runs nothing.
	code, out = exitCode(dir, strict, ldwrap("ldwrap-run"), "-o", "a", "-o", "nodir/b", "--",
		"sh", "-c", `mkdir nodir; echo new > "$1"; echo new > "$2"`, "sh", "a", "nodir/b")
	assert.Equal(t, 126, code)
	assert.Equal(t, "ldwrap: stage nodir/b: no such file or directory; not run, as LDWRAP_STRICT=1 asks\n", out)
	assert.NoDirExists(t, filepath.Join(dir, "nodir"))
}

// TestDescriptorNamesAreWrittenThrough: -o /dev/stdout, /dev/fd/1 or a
// link to /proc/self/fd/1 names a descriptor. Bare, the tool writes
// through it into whatever standard output is; staged and committed, the
// link itself was replaced by a file (as root, /dev/stdout on the host).
func TestDescriptorNamesAreWrittenThrough(t *testing.T) {
	need(t, "gcc")
	for _, o := range []string{"/dev/stdout", "/dev/fd/1", "fd1"} {
		var got [2]string
		for i, pre := range [][]string{nil, {ldwrap("ldwrap-cc")}} {
			dir := t.TempDir()
			writeFile(t, filepath.Join(dir, "a.c"), sourceC)
			require.NoError(t, os.Symlink("/proc/self/fd/1", filepath.Join(dir, "fd1")))
			argv := append(append([]string{}, pre...), "gcc", "-E", "-P", "a.c", "-o", o)
			run(t, dir, nil, append([]string{"sh", "-c", `"$@" > out.txt`, "sh"}, argv...)...)
			got[i] = string(readFile(t, filepath.Join(dir, "out.txt")))
			dest, err := os.Readlink(filepath.Join(dir, "fd1"))
			require.NoError(t, err, "fd1 is no longer a link")
			assert.Equal(t, "/proc/self/fd/1", dest)
		}
		assert.Equal(t, got[0], got[1], "-o %s", o)
		assert.Contains(t, got[1], "return 1", "-o %s", o)
	}
	require.NoError(t, devNullIntact())
}
