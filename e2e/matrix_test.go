//go:build linux

package e2e

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// clean removes everything in dir but the named inputs, keeping directories.
func clean(t *testing.T, dir string, keep map[string]bool) {
	t.Helper()
	var files []string
	filepath.Walk(dir, func(p string, fi os.FileInfo, err error) error {
		rel, _ := filepath.Rel(dir, p)
		if err == nil && !fi.IsDir() && !keep[rel] {
			files = append(files, p)
		}
		return nil
	})
	for _, f := range files {
		require.NoError(t, os.Remove(f))
	}
}

// without returns snap minus the inputs.
func without(snap map[string][]byte, keep map[string]bool) map[string][]byte {
	out := map[string][]byte{}
	for k, v := range snap {
		if !keep[k] {
			out[k] = v
		}
	}
	return out
}

func diffSnapshots(a, b map[string][]byte) string {
	var d []string
	for k, v := range a {
		if w, ok := b[k]; !ok {
			d = append(d, "only bare: "+k)
		} else if !bytes.Equal(v, w) {
			d = append(d, "differs: "+k)
		}
	}
	for k := range b {
		if _, ok := a[k]; !ok {
			d = append(d, "only wrapped: "+k)
		}
	}
	return strings.Join(d, ", ")
}

// identical builds the same thing bare and wrapped, in the same directory
// with the same paths, and requires the wrapped build's files (outputs and
// side files) to equal the bare ones. It returns ldwrap's verbose output.
func identical(t *testing.T, dir string, keep map[string]bool, bare, wrapped []string, env []string) string {
	t.Helper()
	return identicalIn(t, bookworm, dir, keep, bare, wrapped, env)
}

// identicalIn is identical for generation g (dir as g sees it).
func identicalIn(t *testing.T, g generation, dir string, keep map[string]bool, bare, wrapped []string, env []string) string {
	t.Helper()
	return wrotePerBare(t, bareOutputs(t, g, dir, keep, bare), wrapped, env)
}

// bareBuild is what a bare command wrote in dir (all but keep), and how to
// run it again.
type bareBuild struct {
	g     generation
	dir   string
	keep  map[string]bool
	cmd   []string
	files map[string][]byte
}

// bareOutputs runs bare in dir and returns what it wrote.
func bareOutputs(t *testing.T, g generation, dir string, keep map[string]bool, bare []string) bareBuild {
	t.Helper()
	b := bareBuild{g: g, dir: dir, keep: keep, cmd: bare}
	b.files = b.run(t)
	require.NotEmpty(t, b.files, "the bare build wrote nothing")
	return b
}

func (b bareBuild) run(t *testing.T) map[string][]byte {
	t.Helper()
	hostDir := b.g.host(b.dir)
	clean(t, hostDir, b.keep)
	b.g.run(t, b.dir, nil, b.cmd...)
	return without(snapshot(t, hostDir), b.keep)
}

// wrotePerBare runs wrapped in bare's directory and asserts it wrote what
// bare did, and left nothing else; it returns the wrapper's verbose
// output. A difference is checked against a second bare build, the
// control that makes it mean something: if the bare builds differ too,
// the test compares nothing and fails as such. (The control runs only
// then: where the wrapped build equals the bare one, it adds nothing.)
func wrotePerBare(t *testing.T, bare bareBuild, wrapped []string, env []string) string {
	t.Helper()
	hostDir := bare.g.host(bare.dir)
	clean(t, hostDir, bare.keep)
	out := bare.g.run(t, bare.dir, append([]string{"LDWRAP_VERBOSE=1"}, env...), wrapped...)
	got := without(snapshot(t, hostDir), bare.keep)
	assert.Empty(t, leftovers(t, hostDir))
	if d := diffSnapshots(bare.files, got); d != "" {
		require.Empty(t, diffSnapshots(bare.files, bare.run(t)), "the bare build is not deterministic: %v", bare.cmd)
		assert.Fail(t, "the wrapped build differs from the bare one", "%v\n%s\n%s", wrapped, d, out)
	}
	return out
}

func how(verbose string) string {
	if strings.Contains(verbose, "passing through") {
		return "passed through"
	}
	if strings.Contains(verbose, "written in place") || strings.Contains(verbose, "in place (not atomically)") {
		return "staged; side files in place"
	}
	return "staged"
}

const matrixC = `#include <stdio.h>
static int helper(int x) { char buf[64]; snprintf(buf, sizeof buf, "%d", x); return buf[0]; }
int api(int x) { return helper(x) + 1; }
#ifndef NOMAIN
int main(void) { return api(3) == 0; }
#endif
`

// Compile steps: outputs and side files are byte-identical to a bare
// build, for every flag of the side-output matrix, with gcc and clang.
func TestCompileMatrixByteIdentical(t *testing.T) {
	t.Parallel() // see "Parallel tests" in helpers_test.go
	need(t, "gcc", "clang", "sid")
	// Each case carries what ldwrap does with it under each compiler, the
	// README table's cell: "" where the compiler lacks the flag.
	const (
		staged  = "staged"
		inPlace = "staged; side files in place"
		through = "passed through"
	)
	type tc struct {
		name       string
		flags      []string
		out        string // the output -o names
		gcc, clang string
		alsoNoO    bool // also without -o
	}
	cases := []tc{
		{"plain", []string{"-c"}, "sub/x.o", staged, staged, true},
		{"debug", []string{"-c", "-g3"}, "sub/x.o", staged, staged, false},
		{"MD", []string{"-c", "-MD"}, "sub/x.o", staged, staged, true},
		{"MMD-MF", []string{"-c", "-MMD", "-MF", "dep/x.dep"}, "sub/x.o", staged, staged, false},
		{"MD-MT", []string{"-c", "-MD", "-MT", "custom"}, "sub/x.o", staged, staged, false},
		{"MD-MP", []string{"-c", "-MD", "-MP"}, "sub/x.o", staged, staged, false},
		{"split-dwarf", []string{"-c", "-g", "-gsplit-dwarf"}, "sub/x.o", inPlace, through, true},
		{"coverage", []string{"-c", "--coverage"}, "sub/x.o", inPlace, through, false},
		{"profile-arcs", []string{"-c", "-fprofile-arcs"}, "sub/x.o", inPlace, "", false},
		{"stack-usage", []string{"-c", "-fstack-usage"}, "sub/x.o", staged, staged, false},
		{"callgraph-info", []string{"-c", "-fcallgraph-info"}, "sub/x.o", staged, "", false},
		{"save-temps", []string{"-c", "-save-temps"}, "sub/x.o", staged, staged, false},
		{"save-temps-obj", []string{"-c", "-save-temps=obj"}, "sub/x.o", staged, staged, false},
		{"dump-tree", []string{"-c", "-fdump-tree-original"}, "sub/x.o", staged, "", false},
		{"lto", []string{"-c", "-flto"}, "sub/x.o", staged, staged, false},
		{"record-switches", []string{"-c", "-frecord-gcc-switches"}, "sub/x.o", staged, through, false},
		{"record-command-line", []string{"-c", "-frecord-command-line"}, "sub/x.o", "", through, false},
		{"asm", []string{"-S"}, "sub/x.s", staged, staged, false},
		{"preprocess", []string{"-E"}, "sub/x.i", staged, staged, false},
		{"split-dwarf+MD+stack-usage", []string{"-c", "-g", "-gsplit-dwarf", "-MD", "-fstack-usage"}, "sub/x.o", inPlace, "", false},
		// Other spellings and newer flags.
		{"split-dwarf-single", []string{"-c", "-g", "-gsplit-dwarf=single"}, "sub/x.o", "", through, false},
		{"record-command-line-g", []string{"-c", "-g", "-grecord-command-line"}, "sub/x.o", "", through, false},
		{"profile-note", []string{"-c", "--coverage", "-fprofile-note=sub/n.gcno"}, "sub/x.o", inPlace, "", false},
	}
	keep := map[string]bool{"a.c": true}
	summary := map[string]string{}
	for _, g := range generations {
		for _, compiler := range []string{"gcc", "clang"} {
			for _, c := range cases {
				want := map[string]string{"gcc": c.gcc, "clang": c.clang}[compiler]
				if want == "" {
					continue
				}
				outs := []string{c.out}
				if c.alsoNoO {
					outs = append(outs, "")
				}
				for _, out := range outs {
					name := g.name + "/" + compiler + "/" + c.name
					if out == "" {
						name += "/no-o"
					}
					t.Run(name, func(t *testing.T) {
						dir := g.tempDir(t)
						writeFile(t, g.host(dir+"/a.c"), matrixC)
						require.NoError(t, os.MkdirAll(g.host(dir+"/sub"), 0o755))
						require.NoError(t, os.MkdirAll(g.host(dir+"/dep"), 0o755))
						args := append([]string{}, c.flags...)
						if compiler == "gcc" {
							args = append(args, "-frandom-seed=ldwrap")
						}
						if out != "" {
							args = append(args, "-o", out)
						}
						args = append(args, "a.c")
						bare := append([]string{compiler}, args...)
						wrapped := append([]string{g.ldwrap("ldwrap-cc")}, args...)
						v := identicalIn(t, g, dir, keep, bare, wrapped, []string{"LDWRAP_CC=" + compiler})
						summary[name] = how(v)
						assert.Equal(t, want, summary[name], "the README's cell for %s", name)
					})
				}
			}
		}
	}
	for _, k := range names(toBytes(summary)) {
		t.Logf("%-40s %s", k, summary[k])
	}
}

func toBytes(m map[string]string) map[string][]byte {
	out := map[string][]byte{}
	for k, v := range m {
		out[k] = []byte(v)
	}
	return out
}

// The control for the compile matrix: a naive temp directory (the same
// basename, no argument fixes) changes the depfile target, the recorded
// .dwo name and the .gcda path. The matrix above passes only because of
// ldwrap's rewrites.
func TestCompileMatrixControl(t *testing.T) {
	need(t, "gcc")
	for _, flags := range [][]string{{"-c", "-MD"}, {"-c", "-g", "-gsplit-dwarf"}, {"-c", "--coverage"}} {
		dir := t.TempDir()
		writeFile(t, filepath.Join(dir, "a.c"), matrixC)
		require.NoError(t, os.MkdirAll(filepath.Join(dir, "sub", ".tmp"), 0o755))
		keep := map[string]bool{"a.c": true}
		args := append(append([]string{"gcc"}, flags...), "-frandom-seed=ldwrap", "a.c")
		run(t, dir, nil, append(args, "-o", "sub/x.o")...)
		want := without(snapshot(t, dir), keep)
		clean(t, dir, keep)
		run(t, dir, nil, append(args, "-o", "sub/.tmp/x.o")...)
		entries, _ := os.ReadDir(filepath.Join(dir, "sub", ".tmp"))
		for _, e := range entries {
			require.NoError(t, os.Rename(filepath.Join(dir, "sub", ".tmp", e.Name()), filepath.Join(dir, "sub", e.Name())))
		}
		got := without(snapshot(t, dir), keep)
		assert.NotEmpty(t, diffSnapshots(want, got), "control %v: a naive temp dir should change bytes", flags)
	}
}

// Link steps: byte-identical outputs (and maps) across gcc/clang x
// bfd/gold/lld/mold, through ldwrap-cc and through ldwrap as the linker.
func TestLinkMatrixByteIdentical(t *testing.T) {
	t.Parallel() // see "Parallel tests" in helpers_test.go
	need(t, "gcc", "clang", "ld.bfd", "ld.gold", "ld.lld", "mold", "sid")
	// Each variant carries the compile flags its object needs, where it
	// applies, and where ldwrap passes it through (the README's cells):
	// where the linker writes the output's name into a file.
	type variant struct {
		name          string
		cflags, flags []string
		out           string
		only          func(cc, ld string) bool
		passedThrough func(cc, ld string) bool
	}
	all := func(string, string) bool { return true }
	none := func(string, string) bool { return false }
	variants := []variant{
		{"exe", nil, nil, "sub/prog", all, none},
		{"exe-default-a.out", nil, nil, "", all, none},
		{"build-id", nil, []string{"-Wl,--build-id"}, "sub/prog", all, none},
		{"shared-soname", []string{"-DNOMAIN"}, []string{"-shared", "-Wl,-soname,libx.so.1"}, "sub/libx.so", all, none},
		// gold writes the output path into a library without a soname.
		{"shared", []string{"-DNOMAIN"}, []string{"-shared"}, "sub/libx.so", all, func(cc, ld string) bool { return ld == "gold" }},
		// GNU ld's map has an OUTPUT(...) line.
		{"map", nil, []string{"-Wl,-Map=sub/prog.map"}, "sub/prog", all, func(cc, ld string) bool { return ld == "bfd" }},
		{"dependency-file", nil, []string{"-Wl,--dependency-file=sub/prog.dep"}, "sub/prog", func(cc, ld string) bool { return ld == "bfd" || ld == "lld" }, all},
		{"why-extract", nil, []string{"-Wl,--why-extract=sub/why.txt"}, "sub/prog", func(cc, ld string) bool { return ld == "lld" }, none},
		// gcc+lld: the archive holds collect2's temporary names, so it differs run to run even bare.
		{"reproduce", nil, []string{"-Wl,--reproduce=sub/repro.tar"}, "sub/prog", func(cc, ld string) bool { return ld == "lld" && cc == "clang" }, all},
		{"lto", []string{"-flto"}, []string{"-flto"}, "sub/prog", func(cc, ld string) bool {
			return (cc == "gcc" && ld != "lld") || (cc == "clang" && ld == "lld")
		}, none},
	}
	summary := map[string]string{}
	objects := map[string][]byte{}
	for _, g := range generations {
		for _, cc := range []string{"gcc", "clang"} {
			for _, ld := range []string{"bfd", "gold", "lld", "mold"} {
				if ld == "gold" && g.root != "" {
					continue // binutils 2.47 (sid) no longer ships gold
				}
				for _, v := range variants {
					if !v.only(cc, ld) {
						continue
					}
					cell := g.name + "/" + cc + "/" + ld + "/" + v.name
					t.Run(cell, func(t *testing.T) {
						dir := g.tempDir(t)
						writeFile(t, g.host(dir+"/a.c"), matrixC)
						require.NoError(t, os.MkdirAll(g.host(dir+"/sub"), 0o755))
						// The object depends on the compiler and its flags only:
						// the cells that share them share one compile.
						cflags := append([]string{"-c", "-fPIC", "-O1"}, v.cflags...)
						key := g.name + " " + cc + " " + strings.Join(cflags, " ")
						if obj, ok := objects[key]; ok {
							writeFile(t, g.host(dir+"/a.o"), string(obj))
						} else {
							g.run(t, dir, nil, append(append([]string{cc}, cflags...), "a.c", "-o", "a.o")...)
							objects[key] = readFile(t, g.host(dir+"/a.o"))
						}
						keep := map[string]bool{"a.c": true, "a.o": true}
						args := append([]string{"-fuse-ld=" + ld}, v.flags...)
						if v.out != "" {
							args = append(args, "-o", v.out)
						}
						args = append(args, "a.o")
						// One bare build for both front ends.
						bare := bareOutputs(t, g, dir, keep, append([]string{cc}, args...))
						for _, front := range []string{"ldwrap-cc", "ldwrap"} {
							name := cell + "/" + front
							t.Run(front, func(t *testing.T) {
								var wrapped, env []string
								if front == "ldwrap-cc" {
									wrapped = append([]string{g.ldwrap("ldwrap-cc")}, args...)
									env = []string{"LDWRAP_CC=" + cc}
								} else if cc == "gcc" {
									links := dir + "-links"
									if g.root == "" {
										links = filepath.Join(t.TempDir(), "links")
									} else {
										t.Cleanup(func() { os.RemoveAll(g.host(links)) })
									}
									g.run(t, dir, nil, g.ldwrap("ldwrap"), "--install-links", links)
									wrapped = append([]string{cc, "-B", links}, args...)
								} else {
									wrapped = append([]string{cc, "--ld-path=" + g.ldwrap("ldwrap")}, args...)
									env = []string{"LDWRAP_LD=ld." + ld}
								}
								summary[name] = how(wrotePerBare(t, bare, wrapped, env))
								want := "staged"
								if v.passedThrough(cc, ld) {
									want = "passed through"
								}
								assert.Equal(t, want, summary[name], "the README's cell for %s", name)
							})
						}
					})
				}
			}
		}
	}
	for _, k := range names(toBytes(summary)) {
		t.Logf("%-45s %s", k, summary[k])
	}
}
