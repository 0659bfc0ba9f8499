//go:build linux

package e2e

import (
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// Calls that must write nothing but what the bare tool writes. Each runs the
// bare tool as the control and ldwrap in the same directory state, and
// compares what each did to the directory.

const precious = "a program that was here\n"

// driverModes are the driver calls that write no file, write to standard
// output, or write a file other than an object or a program, from GCC's and
// clang's manuals. None of them may make ldwrap add "-o a.out".
var driverModes = []struct {
	cc   string
	args []string
}{
	{"gcc", []string{"-M", "a.c", "b.c"}},
	{"gcc", []string{"-MM", "a.c", "b.c"}},
	{"gcc", []string{"-M", "-MG", "a.c"}},
	{"gcc", []string{"--dependencies", "a.c"}},
	{"gcc", []string{"--user-dependencies", "a.c", "b.c"}},
	{"gcc", []string{"-M", "-MF", "deps.d", "a.c"}},
	{"gcc", []string{"-fsyntax-only", "a.c"}},
	{"gcc", []string{"-E", "a.c"}},
	{"gcc", []string{"--preprocess", "a.c"}},
	{"gcc", []string{"-E", "-dM", "a.c"}},
	{"gcc", []string{"--compile", "a.c"}},
	{"gcc", []string{"--assemble", "a.c"}},
	{"gcc", []string{"h.h"}},
	{"gcc", []string{"-x", "c-header", "h.h", "-o", "h.gch"}},
	{"gcc", []string{"--help"}},
	{"gcc", []string{"--target-help"}},
	{"gcc", []string{"-dumpspecs"}},
	{"gcc", []string{"-dumpmachine"}},
	{"gcc", []string{"-v"}},
	{"gcc", []string{"--version"}},
	{"gcc", []string{"-print-search-dirs"}},
	{"gcc", []string{"-###", "a.c"}},
	{"clang", []string{"-MM", "a.c", "b.c"}},
	{"clang", []string{"-fsyntax-only", "a.c"}},
	{"clang", []string{"-E", "a.c"}},
	{"clang", []string{"--preprocess", "a.c"}},
	{"clang", []string{"--compile", "a.c"}},
	{"clang", []string{"-emit-ast", "a.c"}},
	{"clang", []string{"--analyze", "a.c"}},
	{"clang", []string{"h.h"}},
	{"clang", []string{"-help"}},
	{"clang", []string{"-v"}},
	{"clang", []string{"-###", "a.c"}},
}

// A call that is not a link (-MM, -E, --help ...) never has
// "-o a.out" added. The bare driver is the control: after it, a.out is the
// program that was there, and ldwrap-cc must leave the directory and the
// standard output exactly as the bare driver did.
func TestDriverModesTouchNothingElse(t *testing.T) {
	inputTime := time.Date(2020, 1, 2, 3, 4, 5, 0, time.UTC)
	need(t, "gcc", "clang")
	for _, m := range driverModes {
		t.Run(m.cc+" "+strings.Join(m.args, " "), func(t *testing.T) {
			dir := t.TempDir()
			inputs := map[string]bool{"a.c": true, "b.c": true, "h.h": true}
			setup := func() {
				clean(t, dir, inputs)
				writeFile(t, filepath.Join(dir, "a.c"), "#include \"h.h\"\nint a(void) { return H; }\n")
				writeFile(t, filepath.Join(dir, "b.c"), "int b(void) { return 2; }\n")
				writeFile(t, filepath.Join(dir, "h.h"), "#define H 1\n")
				writeFile(t, filepath.Join(dir, "a.out"), precious)
				// clang -emit-ast (and a .gch) records each input's mtime,
				// in seconds: inputs rewritten a second later would make
				// the bare and wrapped files differ on a slow machine.
				for name := range inputs {
					require.NoError(t, os.Chtimes(filepath.Join(dir, name), inputTime, inputTime))
				}
			}
			setup()
			bareCode, bareOut := exitCode(dir, nil, append([]string{m.cc}, m.args...)...)
			bare := snapshot(t, dir)
			require.Equal(t, precious, string(bare["a.out"]), "control: bare %s leaves a.out alone", m.cc)
			setup()
			code, out := exitCode(dir, []string{"LDWRAP_CC=" + m.cc}, append([]string{ldwrap("ldwrap-cc")}, m.args...)...)
			got := snapshot(t, dir)
			assert.Equal(t, bareCode, code, out)
			assert.Equal(t, precious, string(got["a.out"]), "a.out is untouched")
			assert.Equal(t, names(bare), names(got), "the same files")
			for name, b := range bare {
				if !strings.HasSuffix(name, ".gch") && !strings.HasSuffix(name, ".plist") {
					assert.Equal(t, string(b), string(got[name]), name)
				}
			}
			if !strings.Contains(strings.Join(m.args, " "), "-###") && !strings.Contains(strings.Join(m.args, " "), "-v") {
				assert.Equal(t, bareOut, out, "the same standard output")
			}
			assert.Empty(t, leftovers(t, dir))
		})
	}
}

// cc -MM as the Makefile idiom writes it: the dependency lines go
// to the redirected standard output.
func TestDependsIdiom(t *testing.T) {
	need(t, "gcc")
	dir := t.TempDir()
	writeFile(t, filepath.Join(dir, "a.c"), "int a;\n")
	writeFile(t, filepath.Join(dir, "b.c"), "int b;\n")
	writeFile(t, filepath.Join(dir, "a.out"), precious)
	run(t, dir, nil, "sh", "-c", "gcc -MM a.c b.c > bare.depend")
	run(t, dir, nil, "sh", "-c", ldwrap("ldwrap-cc")+" -MM a.c b.c > .depend")
	assert.Equal(t, "a.o: a.c\nb.o: b.c\n", string(readFile(t, filepath.Join(dir, "bare.depend"))))
	assert.Equal(t, string(readFile(t, filepath.Join(dir, "bare.depend"))), string(readFile(t, filepath.Join(dir, ".depend"))))
	assert.Equal(t, precious, string(readFile(t, filepath.Join(dir, "a.out"))))
}

var _ = portableToo(TestDirectoryAppearsAtOutput)

// A directory that appears at the target while the tool runs is neither
// replaced nor removed ("$2" names the real target: the tool writes "$1",
// the staged file, then makes a directory at "$2"): the commit fails, and
// the directory keeps its contents.
func TestDirectoryAppearsAtOutput(t *testing.T) {
	dir := t.TempDir()
	script := `echo new > "$1"; mkdir "$2"; echo precious > "$2/precious"`
	// Argument mode's: in namespace mode the command sees out at its own
	// path, and its mkdir fails as bare (TestNamespaceReviewCases).
	code, msg := exitCode(dir, []string{"LDWRAP_RUN_MODE=args"}, ldwrap("ldwrap-run"), "-o", "out", "--", "sh", "-c", script, "sh", "out", dir+"/./out")
	assert.Equal(t, 126, code, msg)
	assert.Equal(t, "ldwrap: commit out: is a directory\n", msg)
	assert.Equal(t, "precious\n", string(readFile(t, filepath.Join(dir, "out", "precious"))))
	assert.Empty(t, leftovers(t, dir))
}

// -fsyntax-only in a directory the user cannot write.
func TestSyntaxOnlyInUnwritableDir(t *testing.T) {
	need(t, "root", "setpriv", "gcc")
	requireRoot(t)
	dir := publicDir(t)
	writeFile(t, filepath.Join(dir, "a.c"), "int a;\n")
	for _, argv := range [][]string{{"gcc"}, {ldwrap("ldwrap-cc")}} {
		code, out := exitCode(dir, nil, asNobody(append(argv, "-fsyntax-only", "a.c")...)...)
		assert.Equal(t, 0, code, "%v: %s", argv, out)
	}
	assert.Equal(t, []string{"a.c"}, names(snapshot(t, dir)))
}

// An option that takes a value is read as one, and an
// argument ldwrap cannot place is said in verbose mode, and refused under
// LDWRAP_STRICT=1.
func TestUnknownArgumentsAreSaid(t *testing.T) {
	need(t, "gcc", "clang")
	dir := t.TempDir()
	writeFile(t, filepath.Join(dir, "a.c"), "#include \"h.h\"\nint a = H;\n")
	writeFile(t, filepath.Join(dir, "inc", "h.h"), "#define H 1\n")
	keep := map[string]bool{"a.c": true, "inc/h.h": true}
	for _, opt := range []string{"-iwithsysroot", "-idirafter", "--include-directory-after"} {
		args := []string{"-c", opt, "inc", "a.c", "-o", "a.o"}
		v := identical(t, dir, keep, append([]string{"clang"}, args...), append([]string{ldwrap("ldwrap-cc")}, args...), []string{"LDWRAP_CC=clang"})
		assert.Equal(t, "staged", how(v), "%s takes a value: %s", opt, v)
	}
	args := []string{"-c", "-fno-such-option", "inc", "a.c", "-o", "a.o"}
	bareCode, _ := exitCode(dir, nil, append([]string{"clang"}, args...)...)
	code, out := exitCode(dir, []string{"LDWRAP_CC=clang", "LDWRAP_VERBOSE=1"}, append([]string{ldwrap("ldwrap-cc")}, args...)...)
	assert.Equal(t, bareCode, code)
	assert.Contains(t, out, "ldwrap: passing through untouched: not understood: -o with several inputs (inc a.c)")
	code, out = exitCode(dir, []string{"LDWRAP_CC=clang", "LDWRAP_STRICT=1"}, append([]string{ldwrap("ldwrap-cc")}, args...)...)
	assert.Equal(t, 126, code)
	assert.Equal(t, "ldwrap: run clang: would pass through untouched (not understood: -o with several inputs (inc a.c): the driver rejects that, unless one of them is the value of an option ldwrap does not know); not run, as LDWRAP_STRICT=1 asks\n", out)
	// Strict leaves a staged step and a call that writes no file alone.
	run(t, dir, []string{"LDWRAP_CC=clang", "LDWRAP_STRICT=1"}, ldwrap("ldwrap-cc"), "-c", "-Iinc", "a.c", "-o", "a.o")
	run(t, dir, []string{"LDWRAP_CC=clang", "LDWRAP_STRICT=1"}, ldwrap("ldwrap-cc"), "-fsyntax-only", "-Iinc", "a.c")
}

// LDWRAP_SYMLINKS=follow as root does not follow a link
// that another user planted in a sticky world-writable directory. The
// control: a plain shell redirect as root follows it (with this machine's
// fs.protected_symlinks) or not (where the kernel protects), and ldwrap
// refuses either way.
func TestFollowRefusesPlantedSymlink(t *testing.T) {
	need(t, "root", "gcc")
	requireRoot(t)
	base := t.TempDir()
	pub := filepath.Join(base, "tmp")
	require.NoError(t, os.Mkdir(pub, 0o755))
	require.NoError(t, syscall.Chmod(pub, 0o1777))
	victim := filepath.Join(base, "victim")
	writeFile(t, filepath.Join(base, "a.c"), "int a;\n")
	link := filepath.Join(pub, "a.o")
	for _, wrapped := range []bool{false, true} {
		writeFile(t, victim, precious)
		os.Remove(link)
		require.NoError(t, os.Symlink(victim, link))
		require.NoError(t, os.Lchown(link, 65534, 65534))
		if wrapped {
			code, msg := exitCode(base, []string{"LDWRAP_SYMLINKS=follow"}, ldwrap("ldwrap-cc"), "-c", "a.c", "-o", link)
			assert.Equal(t, 126, code, msg)
			assert.True(t, strings.HasPrefix(msg, "ldwrap: resolve "+link+": permission denied"), msg)
			assert.Equal(t, precious, string(readFile(t, victim)))
		} else {
			runErr(base, nil, "sh", "-c", "echo planted > "+link)
			t.Logf("control: protected_symlinks=%s; victim after a bare write through the link: %q",
				strings.TrimSpace(string(readFile(t, "/proc/sys/fs/protected_symlinks"))), readFile(t, victim))
		}
	}
}

// A command path with spaces is one word.
func TestCommandPathWithSpaces(t *testing.T) {
	dir := t.TempDir()
	gen := filepath.Join(dir, "my tools", "gen")
	writeFile(t, gen, "#!/bin/sh\necho generated > \"$1\"\n")
	require.NoError(t, os.Chmod(gen, 0o755))
	run(t, dir, nil, gen, "bare")
	run(t, dir, nil, ldwrap("ldwrap-run"), "-o", "out", "--", gen, "out")
	assert.Equal(t, readFile(t, filepath.Join(dir, "bare")), readFile(t, filepath.Join(dir, "out")))
}

// GNU ld rejects -o=X, and so does ldwrap in front of it.
func TestLinkerRejectsOEquals(t *testing.T) {
	need(t, "gcc", "ld.bfd", "ld.gold")
	dir := t.TempDir()
	writeFile(t, filepath.Join(dir, "a.c"), "int main(void) { return 0; }\n")
	run(t, dir, nil, "gcc", "-c", "a.c")
	bareCode, bareOut := exitCode(dir, nil, "ld.bfd", "-o=xx", "a.o")
	code, out := exitCode(dir, []string{"LDWRAP_LD=ld.bfd"}, ldwrap("ldwrap"), "-o=xx", "a.o")
	assert.Equal(t, 1, bareCode)
	assert.Equal(t, bareCode, code)
	assert.Equal(t, bareOut, out)
	assert.NoFileExists(t, filepath.Join(dir, "=xx"))
	// gold, lld and mold write "=xx"; ldwrap stages it like any name.
	for _, ld := range []string{"ld.gold", "ld.lld", "mold"} {
		run(t, dir, nil, ld, "-o=xx", "a.o")
		bare := readFile(t, filepath.Join(dir, "=xx"))
		require.NoError(t, os.Remove(filepath.Join(dir, "=xx")))
		run(t, dir, []string{"LDWRAP_LD=" + ld}, ldwrap("ldwrap"), "-o=xx", "a.o")
		assert.Equal(t, bare, readFile(t, filepath.Join(dir, "=xx")), ld)
		require.NoError(t, os.Remove(filepath.Join(dir, "=xx")))
	}
}

var _ = portableToo(TestHardLinksKeepOldContent)

// "Other hard-link names keep the old content": the rename replaces one
// name; the control (cp, which writes in place) changes every name.
func TestHardLinksKeepOldContent(t *testing.T) {
	need(t, "gcc")
	dir := t.TempDir()
	writeFile(t, filepath.Join(dir, "a.c"), hello("v2"))
	for _, wrapped := range []bool{false, true} {
		for _, n := range []string{"prog", "other"} {
			os.Remove(filepath.Join(dir, n))
		}
		writeFile(t, filepath.Join(dir, "prog"), precious)
		require.NoError(t, os.Chmod(filepath.Join(dir, "prog"), 0o755))
		require.NoError(t, os.Link(filepath.Join(dir, "prog"), filepath.Join(dir, "other")))
		if wrapped {
			out := run(t, dir, nil, ldwrap("ldwrap-cc"), "a.c", "-o", "prog")
			assert.Contains(t, out, "has 2 hard links; the others keep the old content")
			assert.Equal(t, precious, string(readFile(t, filepath.Join(dir, "other"))))
		} else {
			run(t, dir, nil, "gcc", "a.c", "-o", "new")
			run(t, dir, nil, "cp", "new", "prog")
			assert.NotEqual(t, precious, string(readFile(t, filepath.Join(dir, "other"))), "control: cp writes through every name")
		}
		assert.Equal(t, "v2\n", run(t, dir, nil, "./prog"))
	}
}
