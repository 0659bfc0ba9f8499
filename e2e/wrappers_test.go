//go:build linux

package e2e

import (
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// The ways ccache is used, tried on ldwrap-cc: the prefix form, masquerade
// links, and compositions with ccache, sccache, distcc and icecc in either
// order. Each compares with the bare compiler (or the bare launcher) as the
// control.

// viaShell runs argv through sh, so that the command is looked up on the
// PATH given in env, as make would.
func viaShell(argv ...string) []string {
	return append([]string{"sh", "-c", `exec "$@"`, "sh"}, argv...)
}

// versioned returns the names under /usr/bin of the versioned drivers
// (gcc-12, clang-14) and triplet-prefixed ones (x86_64-linux-gnu-gcc-12).
func versioned(t *testing.T) []string {
	t.Helper()
	var out []string
	for _, pat := range []string{"gcc-[0-9]*", "clang-[0-9]*", "*-linux-gnu-gcc-[0-9]*"} {
		m, _ := filepath.Glob("/usr/bin/" + pat)
		sort.Strings(m)
		for _, p := range m {
			if regexp.MustCompile(`^(?:[a-z0-9_]+-linux-gnu-)?(?:gcc|clang)-[0-9.]+$`).MatchString(filepath.Base(p)) {
				out = append(out, filepath.Base(p))
				break
			}
		}
	}
	require.Len(t, out, 3, "no versioned gcc, clang or triplet gcc in /usr/bin")
	return out
}

// Prefix form: ldwrap-cc COMPILER ARGS runs COMPILER (a command on PATH or
// a path), with the outputs committed through ldwrap and equal to the
// bare compiler's.
func TestPrefixForm(t *testing.T) {
	need(t, "gcc", "clang")
	dir := t.TempDir()
	writeFile(t, filepath.Join(dir, "a.c"), matrixC)
	require.NoError(t, os.MkdirAll(filepath.Join(dir, "sub"), 0o755))
	keep := map[string]bool{"a.c": true}
	words := append([]string{"gcc", "clang", "cc", "/usr/bin/gcc", "/usr/bin/clang"}, versioned(t)...)
	for _, w := range words {
		for _, args := range [][]string{{"-c", "-MD", "-g", "-o", "sub/x.o", "a.c"}, {"-g", "-o", "sub/prog", "a.c"}} {
			out := identical(t, dir, keep, append([]string{w}, args...), append([]string{ldwrap("ldwrap-cc"), w}, args...), nil)
			assert.Contains(t, out, "runs "+lookPath(t, w)+" (prefix "+w+")")
			assert.Contains(t, out, args[len(args)-2]+": committed", "%s %v", w, args)
		}
	}
	// ldwrap-c++ g++ and clang++ the same way.
	writeFile(t, filepath.Join(dir, "b.cc"), "#include <string>\nint main() { return std::string(\"x\").size() - 1; }\n")
	keep["b.cc"] = true
	for _, w := range []string{"g++", "clang++"} {
		out := identical(t, dir, keep, []string{w, "-o", "sub/prog", "b.cc"}, []string{ldwrap("ldwrap-c++"), w, "-o", "sub/prog", "b.cc"}, nil)
		assert.Contains(t, out, "sub/prog: committed")
	}
}

func lookPath(t *testing.T, w string) string {
	if strings.Contains(w, "/") {
		return w
	}
	for _, d := range filepath.SplitList(os.Getenv("PATH")) {
		if fi, err := os.Stat(filepath.Join(d, w)); err == nil && fi.Mode()&0o111 != 0 {
			return filepath.Join(d, w)
		}
	}
	t.Fatalf("%s not on PATH", w)
	return ""
}

// The prefix rule's edge cases (see compilerWord): a path to a compiler in
// the current directory runs it; an input file named like a command stays
// an input; a source named like a compiler is a source; a compiler that
// does not exist is an error naming it, with nothing written.
func TestPrefixEdgeCases(t *testing.T) {
	need(t, "gcc")
	dir := t.TempDir()
	writeFile(t, filepath.Join(dir, "a.c"), matrixC)

	t.Run("./gcc runs the gcc here", func(t *testing.T) {
		writeFile(t, filepath.Join(dir, "gcc"), "#!/bin/sh\necho ran >> ran-local\nexec /usr/bin/gcc \"$@\"\n")
		require.NoError(t, os.Chmod(filepath.Join(dir, "gcc"), 0o755))
		defer os.Remove(filepath.Join(dir, "gcc"))
		out := run(t, dir, []string{"LDWRAP_VERBOSE=1"}, ldwrap("ldwrap-cc"), "./gcc", "-c", "a.c", "-o", "a.o")
		assert.Equal(t, "ran\n", string(readFile(t, filepath.Join(dir, "ran-local"))))
		assert.Contains(t, out, "a.o: committed")
		os.Remove(filepath.Join(dir, "ran-local"))
	})

	t.Run("an object named like a command is an input", func(t *testing.T) {
		run(t, dir, nil, "gcc", "-c", "a.c", "-o", "date") // date is also /usr/bin/date
		defer os.Remove(filepath.Join(dir, "date"))
		keep := map[string]bool{"a.c": true, "date": true}
		out := identical(t, dir, keep, []string{"cc", "date", "-o", "prog"}, []string{ldwrap("ldwrap-cc"), "date", "-o", "prog"}, nil)
		assert.Contains(t, out, "runs "+lookPath(t, "cc")+" (cc)") // not /usr/bin/date
	})

	t.Run("a source named like a compiler is a source", func(t *testing.T) {
		writeFile(t, filepath.Join(dir, "gcc.c"), matrixC)
		defer os.Remove(filepath.Join(dir, "gcc.c"))
		keep := map[string]bool{"a.c": true, "gcc.c": true}
		identical(t, dir, keep, []string{"cc", "-c", "gcc.c"}, []string{ldwrap("ldwrap-cc"), "-c", "gcc.c"}, nil)
	})

	// The bare command is the compiler word run by sh, as make runs it:
	// the same exit status, and a message naming the word and the cause.
	t.Run("a compiler that cannot run fails as bare, naming it", func(t *testing.T) {
		need(t, "clang")
		writeFile(t, filepath.Join(dir, "mycc"), "#!/bin/sh\nexec gcc \"$@\"\n") // not executable
		writeFile(t, filepath.Join(dir, "clang"), "data")                        // as ./mycc, named like a compiler
		defer os.Remove(filepath.Join(dir, "mycc"))
		defer os.Remove(filepath.Join(dir, "clang"))
		writeFile(t, filepath.Join(dir, "a.o"), "old")
		for _, c := range []struct{ word, cause string }{
			{"./mycc", "(?i)permission denied"},
			{"./clang", "(?i)permission denied"},
			{"/opt/nonexistent/bin/gcc", "not found|does not exist"},
			{"./nonexistent-cc", "not found|does not exist"},
			{"gcc-99", "not found|does not exist"},
			{"clang-99", "not found|does not exist"},
			{"x86_64-linux-gnu-gcc-99", "not found|does not exist"},
			{"nonexistent-cc", "not found|does not exist"},
		} {
			args := []string{c.word, "-c", "a.c", "-o", "a.o"}
			bareCode, bareOut := exitCode(dir, nil, viaShell(args...)...)
			require.Contains(t, []int{126, 127}, bareCode, "control: bare %s runs: %s", c.word, bareOut)
			assert.Regexp(t, regexp.QuoteMeta(c.word)+`.*(`+c.cause+`)`, bareOut, "control")
			code, out := exitCode(dir, nil, append([]string{ldwrap("ldwrap-cc")}, args...)...)
			assert.Equal(t, bareCode, code, "%s: %s", c.word, out)
			assert.Regexp(t, `^ldwrap: run `+regexp.QuoteMeta(c.word)+`: [^\n]*(`+c.cause+`)[^\n]*\n$`, out)
			assert.Equal(t, "old", string(readFile(t, filepath.Join(dir, "a.o"))), "%s: nothing compiled", c.word)
			assert.Empty(t, leftovers(t, dir))
		}
	})

	t.Run("a data file named like a compiler leaves the compiler", func(t *testing.T) {
		need(t, "clang")
		writeFile(t, filepath.Join(dir, "clang"), "data")
		defer os.Remove(filepath.Join(dir, "clang"))
		keep := map[string]bool{"a.c": true, "clang": true}
		run(t, dir, nil, "gcc", "-c", "a.c", "-o", "x.o")
		gccBytes := readFile(t, filepath.Join(dir, "x.o"))
		out := identical(t, dir, keep, []string{"clang", "-c", "a.c", "-o", "x.o"}, []string{ldwrap("ldwrap-cc"), "clang", "-c", "a.c", "-o", "x.o"}, nil)
		assert.Contains(t, out, "runs "+lookPath(t, "clang")+" (prefix clang)")
		assert.NotEqual(t, gccBytes, readFile(t, filepath.Join(dir, "x.o")), "control: gcc's object differs from clang's")
	})
}

// A double wrap: ldwrap's own command as the compiler word is skipped, as
// ccache skips itself in "ccache ccache gcc", by name or path; CMake's
// launcher with CC=ldwrap-cc runs "ldwrap-cc /path/to/ldwrap-cc ARGS" to
// compile and to link. Each gives what one ldwrap gives: the bare
// compiler's outputs, committed once.
func TestPrefixDoubleWrap(t *testing.T) {
	need(t, "gcc")
	dir := t.TempDir()
	writeFile(t, filepath.Join(dir, "a.c"), matrixC)
	run(t, dir, nil, "gcc", "-c", "a.c", "-o", "in.o")
	keep := map[string]bool{"a.c": true, "in.o": true}
	cc, cxx := ldwrap("ldwrap-cc"), ldwrap("ldwrap-c++")
	env := []string{"LDWRAP_CC=gcc", "LDWRAP_CXX=g++"}
	for _, c := range []struct {
		bare, wrapped []string
	}{
		{[]string{"gcc", "-c", "-MD", "a.c", "-o", "x.o"}, []string{cc, "ldwrap-cc", "gcc", "-c", "-MD", "a.c", "-o", "x.o"}},
		{[]string{"gcc", "-c", "-MD", "a.c", "-o", "x.o"}, []string{cc, cc, "-c", "-MD", "a.c", "-o", "x.o"}},
		{[]string{"gcc", "-c", "-MD", "a.c", "-o", "x.o"}, []string{cc, cc, cc, "gcc", "-c", "-MD", "a.c", "-o", "x.o"}},
		{[]string{"gcc", "in.o", "-o", "prog"}, []string{cc, cc, "in.o", "-o", "prog"}},
		{[]string{"g++", "in.o", "-o", "prog"}, []string{cc, cxx, "in.o", "-o", "prog"}},
	} {
		out := identical(t, dir, keep, c.bare, c.wrapped, append([]string{"LDWRAP_VERBOSE=1"}, env...))
		assert.Equal(t, 1, strings.Count(out, ": runs "), "one ldwrap, not two: %v\n%s", c.wrapped, out)
		assert.Contains(t, out, c.bare[len(c.bare)-1]+": committed")
	}

	t.Run("control: run as a compiler, ldwrap-cc fails the link", func(t *testing.T) {
		// What a second ldwrap-cc as the tool would do with the first's
		// staged output: the bare driver taking ldwrap-cc for an input.
		code, out := exitCode(dir, env, "gcc", cc, "in.o", "-o", "prog")
		assert.NotEqual(t, 0, code)
		assert.Contains(t, out, "cannot use executable file")
	})
}

// installLinks makes a masquerade directory with ldwrap --install-links.
func installLinks(t *testing.T, dir string, env []string) string {
	t.Helper()
	return run(t, "/", append([]string{"LDWRAP_VERBOSE=1"}, env...), ldwrap("ldwrap"), "--install-links", dir)
}

var _ = portableToo(TestMasquerade)

// Masquerade links: a link named after a compiler runs the next compiler
// of that name on PATH, never another one: a link named clang runs clang
// (whose objects differ from gcc's, so the comparison tells them apart).
func TestMasquerade(t *testing.T) {
	need(t, "gcc", "clang")
	links := filepath.Join(t.TempDir(), "links")
	installLinks(t, links, nil)
	pathEnv := "PATH=" + links + ":" + os.Getenv("PATH")
	dir := t.TempDir()
	writeFile(t, filepath.Join(dir, "a.c"), matrixC)
	keep := map[string]bool{"a.c": true}
	objects := map[string][]byte{}
	for _, name := range append([]string{"gcc", "clang", "cc"}, versioned(t)...) {
		require.FileExists(t, filepath.Join(links, name))
		args := []string{"-c", "-g", "-o", "x.o", "a.c"}
		out := identical(t, dir, keep, append([]string{"/usr/bin/" + name}, args...), viaShell(append([]string{name}, args...)...), []string{pathEnv})
		assert.Contains(t, out, name+": runs /usr/bin/"+name+" (run as "+name+")")
		assert.Contains(t, out, "x.o: committed")
		objects[name] = readFile(t, filepath.Join(dir, "x.o"))
	}
	assert.NotEqual(t, objects["gcc"], objects["clang"], "control: gcc's and clang's objects differ, so the comparison above tells the compilers apart")
	// --version and --help are the compiler's, as bare: only ldwrap's own
	// names answer them.
	assert.Equal(t, run(t, dir, nil, "gcc", "--version"), run(t, dir, []string{pathEnv}, viaShell("gcc", "--version")...))

	t.Run("a link named after a missing compiler exits 127", func(t *testing.T) {
		require.NoError(t, os.Symlink(ldwrap("ldwrap-cc"), filepath.Join(links, "gcc-99")))
		writeFile(t, filepath.Join(dir, "x.o"), "old")
		code, out := exitCode(dir, []string{pathEnv}, viaShell("gcc-99", "-c", "a.c", "-o", "x.o")...)
		assert.Equal(t, 127, code, out)
		assert.Regexp(t, `^ldwrap: run gcc-99: .*\n$`, out)
		assert.Equal(t, "old", string(readFile(t, filepath.Join(dir, "x.o"))))
		assert.Empty(t, leftovers(t, dir))
	})
}

// ldwrap --install-links links every driver on PATH, as Debian's
// update-ccache-symlinks does, and run again refreshes the set: a new
// compiler gets a link, a removed one loses it, other files stay.
func TestInstallLinksRefresh(t *testing.T) {
	need(t, "gcc", "clang", "ar", "gcc-ar", "llvm-ar")
	links := filepath.Join(t.TempDir(), "links")
	extra := t.TempDir()
	pathEnv := "PATH=" + extra + ":" + os.Getenv("PATH")
	installLinks(t, links, []string{pathEnv})
	got := dirNames(t, links)
	want := []string{"cc", "c++", "gcc", "g++", "clang", "clang++", "ld", "ld.bfd", "ld.gold", "ld.lld", "ld.mold", "ar", "gcc-ar", "llvm-ar"}
	want = append(want, versioned(t)...)
	for _, n := range want {
		assert.Contains(t, got, n)
	}
	for _, n := range got {
		dest, err := os.Readlink(filepath.Join(links, n))
		require.NoError(t, err)
		assert.Equal(t, ldwrap("ldwrap"), dest, n)
	}
	assert.NotContains(t, got, "gcc-77")

	writeFile(t, filepath.Join(extra, "gcc-77"), "#!/bin/sh\nexec gcc \"$@\"\n")
	require.NoError(t, os.Chmod(filepath.Join(extra, "gcc-77"), 0o755))
	writeFile(t, filepath.Join(links, "notes.txt"), "mine")
	require.NoError(t, os.Symlink("/usr/bin/true", filepath.Join(links, "gcc-88"))) // not ldwrap's
	out := installLinks(t, links, []string{pathEnv})
	assert.Contains(t, out, "linked "+filepath.Join(links, "gcc-77"))
	assert.Contains(t, dirNames(t, links), "gcc-77")

	require.NoError(t, os.Remove(filepath.Join(extra, "gcc-77")))
	out = installLinks(t, links, []string{pathEnv})
	assert.Contains(t, out, "removed "+filepath.Join(links, "gcc-77"))
	now := dirNames(t, links)
	assert.NotContains(t, now, "gcc-77")
	assert.Contains(t, now, "notes.txt")
	assert.Contains(t, now, "gcc-88")
	assert.Equal(t, len(got)+2, len(now))
}

// --install-links replaces only what is missing or its own link: a user's
// script, file, directory or link at a tool's name stays as it was, each
// named on stderr, and the run exits 1 with the other links made. Before,
// every one of them became a link to ldwrap (exit 0, silent), and a
// directory named like a tool failed the run (126) after old links were
// already removed.
func TestInstallLinksLeavesUsersFiles(t *testing.T) {
	need(t, "cc", "gcc", "g++", "clang", "ar")
	links := filepath.Join(t.TempDir(), "links")
	require.NoError(t, os.MkdirAll(filepath.Join(links, "clang"), 0o755))
	writeFile(t, filepath.Join(links, "gcc"), "#!/bin/sh\necho mine\n")
	require.NoError(t, os.Chmod(filepath.Join(links, "gcc"), 0o755))
	writeFile(t, filepath.Join(links, "ld"), "mine")
	require.NoError(t, os.Symlink("/usr/bin/ar", filepath.Join(links, "ar")))
	require.NoError(t, os.Symlink("/elsewhere", filepath.Join(links, "cc")))
	require.NoError(t, os.Symlink("/gone/ldwrap", filepath.Join(links, "g++"))) // an older ldwrap's
	code, out := exitCode("/", nil, ldwrap("ldwrap"), "--install-links", links)
	assert.Equal(t, 1, code, out)
	var want []string
	for _, n := range []string{"ar", "cc", "clang", "gcc", "ld"} {
		want = append(want, "ldwrap: install-links "+filepath.Join(links, n)+": exists and is not ldwrap's link; left alone\n")
	}
	assert.Equal(t, strings.Join(want, ""), out)
	script, err := os.ReadFile(filepath.Join(links, "gcc"))
	require.NoError(t, err)
	assert.Equal(t, "#!/bin/sh\necho mine\n", string(script))
	fi, err := os.Lstat(filepath.Join(links, "clang"))
	require.NoError(t, err)
	assert.True(t, fi.IsDir())
	for n, dest := range map[string]string{"ar": "/usr/bin/ar", "cc": "/elsewhere", "g++": ldwrap("ldwrap"), "ld.gold": ldwrap("ldwrap")} {
		got, err := os.Readlink(filepath.Join(links, n))
		require.NoError(t, err, n)
		assert.Equal(t, dest, got, n)
	}
	ld, err := os.ReadFile(filepath.Join(links, "ld"))
	require.NoError(t, err)
	assert.Equal(t, "mine", string(ld))
}

func dirNames(t *testing.T, dir string) []string {
	t.Helper()
	ents, err := os.ReadDir(dir)
	require.NoError(t, err)
	var out []string
	for _, e := range ents {
		out = append(out, e.Name())
	}
	return out
}

// A cycle between masquerade directories (here a wrapper that puts
// ldwrap's directory back on PATH) ends with an error naming the cause,
// not a hang, and writes nothing.
func TestMasqueradeCycle(t *testing.T) {
	need(t, "gcc")
	links := filepath.Join(t.TempDir(), "links")
	installLinks(t, links, nil)
	other := t.TempDir()
	writeFile(t, filepath.Join(other, "gcc"), "#!/bin/sh\nPATH="+links+":$PATH exec gcc \"$@\"\n")
	require.NoError(t, os.Chmod(filepath.Join(other, "gcc"), 0o755))
	dir := t.TempDir()
	writeFile(t, filepath.Join(dir, "a.c"), matrixC)
	writeFile(t, filepath.Join(dir, "a.o"), "old")
	code, out := exitCode(dir, []string{"PATH=" + links + ":" + other + ":" + os.Getenv("PATH")},
		append([]string{"timeout", "60"}, viaShell("gcc", "-c", "a.c", "-o", "a.o")...)...)
	assert.Equal(t, 126, code, out)
	assert.Contains(t, out, "ldwrap: run gcc: ldwrap nested 8 deep")
	assert.Equal(t, "old", string(readFile(t, filepath.Join(dir, "a.o"))))
	assert.Empty(t, leftovers(t, dir))
}
