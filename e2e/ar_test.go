//go:build linux

package e2e

import (
	"bytes"
	"crypto/sha256"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// arTools are the archivers ldwrap-ar stands in front of.
var arTools = []string{"ar", "gcc-ar", "llvm-ar"}

// arObjects compiles three members, a.o b.o c.o, into dir.
func arObjects(t *testing.T, dir string) {
	t.Helper()
	for _, n := range []string{"a", "b", "c"} {
		writeFile(t, filepath.Join(dir, n+".c"), "int "+n+"(void) { return 1; }\n")
	}
	run(t, dir, nil, "gcc", "-c", "a.c", "b.c", "c.c")
}

// arOutcome is what one ar command did: status, both streams, the tree.
type arOutcome struct {
	code           int
	stdout, stderr string
	tree           map[string]string
}

func runAr(t *testing.T, dir string, env []string, argv ...string) arOutcome {
	t.Helper()
	o := streamsOf(dir, env, argv...)
	return arOutcome{o.code, o.stdout, o.stderr, arTree(t, dir)}
}

// arTree is treeOf with each file's bytes as their SHA-256, so that a
// difference reads in a line.
func arTree(t *testing.T, dir string) map[string]string {
	tree := treeOf(t, dir)
	for rel, desc := range tree {
		if i := strings.IndexByte(desc, '"'); i >= 0 {
			tree[rel] = desc[:i] + fmt.Sprintf("sha256:%x", sha256.Sum256(readFile(t, filepath.Join(dir, rel))))
		}
	}
	return tree
}

// Each ar command line, with ar, gcc-ar and llvm-ar, bare and through
// ldwrap: by its own name (LDWRAP_AR=tool ldwrap-ar ...) and as a link
// named after the tool. Both give the same status, standard output and
// error, and tree, every archive byte for byte (D: deterministic). A
// failing ar (a member missing, no archive) leaves the old archive
// byte-identical, as bare; t, p and x, and thin archives, run untouched.
func TestArDifferential(t *testing.T) {
	need(t, "gcc")
	objects := t.TempDir()
	arObjects(t, objects)
	cases := [][]string{
		{"rcsD", "new.a", "a.o", "b.o"},
		{"rD", "new.a", "a.o"}, // "creating new.a", naming the archive as given
		{"rD", "lib.a", "c.o"},
		{"rD", "lib.a", "a.o"}, // the same member again: the archive is unchanged
		{"-r", "-c", "-D", "lib.a", "c.o"},
		{"rbD", "b.o", "lib.a", "c.o"},
		{"dD", "lib.a", "a.o"},
		{"qD", "lib.a", "c.o"},
		{"sD", "lib.a"},
		{"t", "lib.a"},
		{"p", "lib.a", "a.o"},
		{"x", "lib.a", "b.o"},
		{"rD", "lib.a", "missing.o"},
		{"dD", "nolib.a", "a.o"},
		{"rD", "thin.a", "c.o"},
		{"rcD", "--thin", "newthin.a", "a.o"},
		{"--version"},
	}
	for _, tool := range arTools {
		tool := tool
		t.Run(tool, func(t *testing.T) {
			need(t, tool)
			links := t.TempDir()
			require.NoError(t, os.Symlink(ldwrap("ldwrap-ar"), filepath.Join(links, tool)))
			forms := []struct {
				name string
				pre  []string
				env  []string
			}{
				{"bare", []string{tool}, nil},
				{"ldwrap-ar", []string{ldwrap("ldwrap-ar")}, []string{"LDWRAP_AR=" + tool}},
				// As a shell runs it from PATH: exec.Command would look
				// the name up in this process's PATH, not the command's.
				{"link", viaShell(tool), []string{"PATH=" + links + ":" + os.Getenv("PATH")}},
			}
			for _, args := range cases {
				var outcomes []arOutcome
				var before map[string]string
				for _, f := range forms {
					dir := t.TempDir()
					for _, o := range []string{"a.o", "b.o", "c.o"} {
						writeFile(t, filepath.Join(dir, o), string(readFile(t, filepath.Join(objects, o))))
					}
					run(t, dir, nil, tool, "rcD", "lib.a", "a.o", "b.o")
					run(t, dir, nil, tool, "rcD", "--thin", "thin.a", "a.o")
					before = arTree(t, dir)
					outcomes = append(outcomes, runAr(t, dir, f.env, append(append([]string{}, f.pre...), args...)...))
					assert.Empty(t, leftovers(t, dir), "%s %v", f.name, args)
				}
				bare := outcomes[0]
				for i, o := range outcomes[1:] {
					what := forms[i+1].name + " " + strings.Join(args, " ")
					assert.Equal(t, bare.code, o.code, "%s: status\n%s", what, o.stderr)
					assert.Equal(t, bare.stdout, o.stdout, "%s: standard output", what)
					assert.Equal(t, bare.stderr, o.stderr, "%s: standard error", what)
					assert.Empty(t, diffTrees(bare.tree, o.tree), "%s: the tree", what)
				}
				if bare.code != 0 {
					assert.Equal(t, before["lib.a"], outcomes[1].tree["lib.a"], "%v failed: the old archive as it was", args)
				}
			}
			// The link form ran ldwrap: it says so.
			dir := t.TempDir()
			writeFile(t, filepath.Join(dir, "a.o"), string(readFile(t, filepath.Join(objects, "a.o"))))
			out := run(t, dir, append(forms[2].env, "LDWRAP_VERBOSE=1"), append(forms[2].pre, "rcD", "v.a", "a.o")...)
			assert.Contains(t, out, "ldwrap: "+tool+": runs ")
			assert.Contains(t, out, "ldwrap: v.a: committed\n")
		})
	}
}

// What ldwrap-ar did, as verbose mode says it: the archive committed, or
// a thin archive left to ar, with the reason.
func TestArVerbose(t *testing.T) {
	need(t, "gcc", "ar")
	dir := t.TempDir()
	arObjects(t, dir)
	verbose := []string{"LDWRAP_VERBOSE=1"}
	out := run(t, dir, verbose, ldwrap("ldwrap-ar"), "rcD", "lib.a", "a.o")
	assert.Contains(t, out, "ldwrap: lib.a: committed\n")
	out = run(t, dir, verbose, ldwrap("ldwrap-ar"), "rcD", "--thin", "thin.a", "a.o")
	assert.Contains(t, out, "passing through untouched: a thin archive names its members relative to itself")
	assert.NotContains(t, out, "committed")
	run(t, dir, nil, "ar", "rcD", "--thin", "thin.a", "b.o", "c.o")
	out = run(t, dir, verbose, ldwrap("ldwrap-ar"), "dD", "thin.a", "a.o")
	assert.Contains(t, out, "passing through untouched: thin.a is a thin archive")
	assert.Equal(t, "b.o\nc.o\n", run(t, dir, nil, "ar", "t", "thin.a"))
	code, msg := exitCode(dir, []string{"LDWRAP_STRICT=1"}, ldwrap("ldwrap-ar"), "dD", "thin.a", "b.o")
	assert.Equal(t, 126, code, "LDWRAP_STRICT=1 refuses what would be written in place")
	assert.Contains(t, msg, "would pass through untouched (thin.a is a thin archive")
	assert.Equal(t, "b.o\nc.o\n", run(t, dir, nil, "ar", "t", "thin.a"))
}

// A reader that has the archive open while ar updates it (a link of a
// parallel make) reads the old archive whole: ldwrap-ar renames a new
// file over it. The control: bare GNU ar rewrites the file in place
// (O_TRUNC), and the same reader reads the new archive's bytes.
func TestArUnderReader(t *testing.T) {
	need(t, "gcc", "ar")
	for _, wrapped := range []bool{false, true} {
		dir := t.TempDir()
		arObjects(t, dir)
		run(t, dir, nil, "ar", "rcD", "lib.a", "a.o", "b.o")
		old := readFile(t, filepath.Join(dir, "lib.a"))
		reader, err := os.Open(filepath.Join(dir, "lib.a"))
		require.NoError(t, err)
		argv := []string{"ar", "rD", "lib.a", "c.o"}
		if wrapped {
			argv[0] = ldwrap("ldwrap-ar")
		}
		run(t, dir, nil, argv...)
		seen, err := io.ReadAll(reader)
		require.NoError(t, err)
		reader.Close()
		now := readFile(t, filepath.Join(dir, "lib.a"))
		assert.NotEqual(t, old, now, "ar added c.o")
		if wrapped {
			assert.Equal(t, old, seen, "the reader reads the old archive whole")
		} else {
			assert.Equal(t, now, seen, "control: bare ar wrote over the file the reader had open")
		}
	}
}

// ar that fails on a full disk: bare GNU ar writes the new archive to a
// temporary file, truncates the old one and fails copying it there,
// leaving neither; through ldwrap-ar it fails before, and the old
// archive is byte-identical. The members are data of 64 KiB each, and
// the tmpfs holds the archive with room for its new version once but
// not twice.
func TestArDiskFull(t *testing.T) {
	need(t, "root", "ar", "mount")
	members := t.TempDir()
	for _, n := range []string{"a", "b", "c"} {
		data := bytes.Repeat([]byte(n), 64<<10)
		require.NoError(t, os.WriteFile(filepath.Join(members, n+".dat"), data, 0o644))
	}
	for _, wrapped := range []bool{false, true} {
		dir := filepath.Join(t.TempDir(), "fs")
		mountTmpfs(t, dir, "size=356k")
		run(t, dir, nil, "ar", "rcD", "lib.a", filepath.Join(members, "a.dat"), filepath.Join(members, "b.dat"))
		old := readFile(t, filepath.Join(dir, "lib.a"))
		argv := []string{"ar", "rD", "lib.a", filepath.Join(members, "c.dat")}
		if wrapped {
			argv[0] = ldwrap("ldwrap-ar")
		}
		code, out := exitCode(dir, nil, argv...)
		assert.Equal(t, 1, code, "ar's own status: %s", out)
		assert.Contains(t, out, "No space left on device")
		if wrapped {
			assert.Equal(t, old, readFile(t, filepath.Join(dir, "lib.a")), "the old archive, byte-identical")
			assert.Empty(t, leftovers(t, dir))
		} else {
			assert.NotEqual(t, old, readFile(t, filepath.Join(dir, "lib.a")), "control: bare ar lost the old archive")
		}
	}
}
