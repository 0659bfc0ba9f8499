package cli

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/ldwrap/ldwrap/internal/commands"
	"github.com/ldwrap/ldwrap/ldwrap/internal/toolpath"
	"github.com/ldwrap/ldwrap/ldwrap/internal/toolpath/toolpathtest"
)

// world is a finder over a temporary tree: bin/ with compilers, links/
// holding "ldwrap" itself, and cwd/ as the current directory.
type world struct {
	root string
	f    toolpath.Finder
}

func newWorld(t *testing.T, files map[string]string) world {
	root, self := toolpathtest.Tree(t, files)
	cwd := filepath.Join(root, "cwd")
	os.MkdirAll(cwd, 0o755)
	stat := func(p string) (os.FileInfo, error) {
		if !filepath.IsAbs(p) {
			p = filepath.Join(cwd, p)
		}
		return os.Stat(p)
	}
	path := strings.Join([]string{filepath.Join(root, "links"), filepath.Join(root, "ccache"), filepath.Join(root, "bin")}, ":")
	return world{root, toolpath.Finder{PATH: path, Self: self, Stat: stat}}
}

func (w world) rel(p string) string {
	r, err := filepath.Rel(w.root, p)
	if err != nil {
		return p
	}
	return r
}

var noEnv = func(string) string { return "" }

// The ways a wrapper is run, each deciding the tool, its arguments and
// the family of compiler.
func TestChooseTool(t *testing.T) {
	w := newWorld(t, map[string]string{
		"bin/gcc": "exe", "bin/clang": "exe", "bin/clang-14": "exe", "bin/ld": "exe", "bin/ld.gold": "exe",
		"bin/cc": "gcc", "bin/ccache": "exe", "bin/distcc": "exe",
		"links/gcc": "self", "links/clang": "self", "links/clang-14": "self", "links/ld.gold": "self", "links/clang-99": "self",
		"ccache/clang": "../bin/ccache",
		"cwd/gcc":      "file", "cwd/mytool": "exe", "cwd/a.c": "file",
		"cwd/clang": "file", "cwd/date": "file", "bin/date": "exe", "bin/c++": "exe",
		"links/ldwrap-cc": "self", "other/ldwrap-c++": "exe",
		"bin/ar": "exe", "bin/llvm-ar-14": "exe", "links/llvm-ar-14": "self",
	})
	for _, c := range []struct {
		argv0 string
		args  []string
		env   map[string]string
		tool  string // relative to the world, or an error's text
		words string
		rest  string
		model commands.Model
		clang bool
	}{
		// By its own name: $LDWRAP_CC, else cc.
		{"ldwrap-cc", []string{"-c", "a.c"}, nil, "bin/cc", "cc", "-c a.c", commands.Driver, false},
		{"ldwrap-cc", []string{"-c", "a.c"}, map[string]string{"LDWRAP_CC": "ccache clang"}, "bin/ccache", "ccache clang", "-c a.c", commands.Driver, true},
		{"ldwrap", []string{"a.o"}, nil, "bin/ld", "ld", "a.o", commands.Linker, false},
		// Prefix: the first argument names the compiler (cwd/clang is a
		// data file: it does not count).
		{"ldwrap-cc", []string{"clang", "-c", "a.c"}, nil, "ccache/clang", "clang", "-c a.c", commands.Driver, true},
		{"ldwrap-cc", []string{"ccache", "clang-14", "-c", "a.c"}, nil, "bin/ccache", "ccache clang-14", "-c a.c", commands.Driver, true},
		{"ldwrap-cc", []string{"./mytool", "-c", "a.c"}, nil, "./mytool", "./mytool", "-c a.c", commands.Driver, false},
		// A source named like a command is a source; a file here that
		// cannot run is an input when its name is no compiler's, whatever
		// PATH has; a compiler's name is the compiler, whatever is here.
		{"ldwrap-cc", []string{"a.c", "-o", "p"}, nil, "bin/cc", "cc", "a.c -o p", commands.Driver, false},
		{"ldwrap-cc", []string{"date", "-o", "p"}, nil, "bin/cc", "cc", "date -o p", commands.Driver, false},
		{"ldwrap-cc", []string{"gcc", "-o", "p"}, nil, "bin/gcc", "gcc", "-o p", commands.Driver, false},
		// ldwrap's own command first is skipped (CMake's launcher with
		// CC=ldwrap-cc), by name or path, and read as that command.
		{"ldwrap-cc", []string{"ldwrap-cc", "gcc", "-c", "a.c"}, nil, "bin/gcc", "gcc", "-c a.c", commands.Driver, false},
		{"ldwrap-cc", []string{filepath.Join(w.root, "links", "ldwrap-cc"), "-c", "a.c"}, nil, "bin/cc", "cc", "-c a.c", commands.Driver, false},
		{"ldwrap-cc", []string{"ldwrap-cc", filepath.Join(w.root, "links", "ldwrap-cc"), "-c", "a.c"}, nil, "bin/cc", "cc", "-c a.c", commands.Driver, false},
		{"ldwrap-cc", []string{filepath.Join(w.root, "other", "ldwrap-c++"), "-c", "a.cc"}, nil, "bin/c++", "c++", "-c a.cc", commands.Driver, false},
		{"ldwrap-cc", []string{filepath.Join(w.root, "links", "gcc"), "-c", "a.c"}, nil, "bin/gcc", "gcc", "-c a.c", commands.Driver, false},
		// Masquerade: the next of that name after ldwrap's directory.
		{filepath.Join(w.root, "links", "clang"), []string{"-c", "a.c"}, map[string]string{"LDWRAP_CC": "gcc"}, "ccache/clang", "clang", "-c a.c", commands.Driver, true},
		{"clang-14", []string{"-c", "a.c"}, nil, "bin/clang-14", "clang-14", "-c a.c", commands.Driver, true},
		{"gcc", []string{"-c", "a.c"}, nil, "bin/gcc", "gcc", "-c a.c", commands.Driver, false},
		{"ld.gold", []string{"a.o"}, nil, "bin/ld.gold", "ld.gold", "a.o", commands.Linker, false},
		// ar: $LDWRAP_AR, else ar; no prefix form ("ar" is r with a);
		// a link named after one, the next of that name.
		{"ldwrap-ar", []string{"qc", "lib.a", "a.o"}, nil, "bin/ar", "ar", "qc lib.a a.o", commands.Archiver, false},
		{"ldwrap-ar", []string{"ar", "b.o", "lib.a", "a.o"}, map[string]string{"LDWRAP_AR": "llvm-ar-14"}, "bin/llvm-ar-14", "llvm-ar-14", "ar b.o lib.a a.o", commands.Archiver, false},
		{filepath.Join(w.root, "links", "llvm-ar-14"), []string{"t", "lib.a"}, map[string]string{"LDWRAP_AR": "ar"}, "bin/llvm-ar-14", "llvm-ar-14", "t lib.a", commands.Archiver, false},
	} {
		env := func(k string) string { return c.env[k] }
		inv, err := choose(ownOf(c.argv0), c.argv0, c.args, w.f, env)
		name := strings.Join(append([]string{filepath.Base(c.argv0)}, c.args...), " ")
		require.NoError(t, err, name)
		assert.Equal(t, c.tool, w.rel(inv.tool.Path), name)
		assert.Equal(t, c.words, strings.Join(inv.tool.Words, " "), name)
		assert.Equal(t, c.rest, strings.Join(inv.args, " "), name)
		assert.Equal(t, c.model, inv.model, name)
		if c.model == commands.Driver {
			assert.Equal(t, c.clang, driverFamily(inv, w.f).Clang, "%s: clang?", name)
		}
	}
}

// A compiler that cannot be run is an error naming it, with the shell's
// exit status: 127 if it is not there, 126 if it cannot be executed.
func TestChooseToolErrors(t *testing.T) {
	w := newWorld(t, map[string]string{
		"bin/gcc": "exe", "links/clang-99": "self", "cwd/mycc": "file", "cwd/sub": "dir", "cwd/a.c": "file",
	})
	for _, c := range []struct {
		argv0 string
		args  []string
		msg   string
		code  int
	}{
		{"ldwrap-cc", []string{"gcc-99", "-c", "a.c"}, "run gcc-99: file does not exist in PATH", 127},
		{"ldwrap-cc", []string{"mycc2", "-c", "a.c"}, "run mycc2: file does not exist in PATH", 127},
		{"ldwrap-cc", []string{"ccache", "gcc", "-c", "a.c"}, "run ccache: file does not exist in PATH", 127},
		{"ldwrap-cc", []string{"./mycc", "-c", "a.c"}, "run ./mycc: permission denied", 126},
		{"ldwrap-cc", []string{"./sub", "-c", "a.c"}, "run ./sub: permission denied", 126},
		{"ldwrap-cc", []string{"./gcc", "-c", "a.c"}, "run ./gcc: file does not exist", 127},
		{"ldwrap-cc", []string{"/nonexistent/bin/gcc", "-c", "a.c"}, "run /nonexistent/bin/gcc: file does not exist", 127},
		{"ldwrap-cc", []string{"/nonexistent/bin/ldwrap-cc", "-c", "a.c"}, "run /nonexistent/bin/ldwrap-cc: file does not exist", 127},
		{"clang-99", []string{"-c", "a.c"}, "file does not exist in PATH after", 127},
	} {
		name := strings.Join(append([]string{c.argv0}, c.args...), " ")
		_, err := choose(ownOf(c.argv0), c.argv0, c.args, w.f, noEnv)
		require.Error(t, err, name)
		assert.Contains(t, err.Error(), c.msg, name)
		assert.Equal(t, c.code, exitCodeOf(err), name)
	}
}

// ownOf is which binary a test's argv0 stands for: its own name, or for a
// masquerade link, ldwrap.
func ownOf(argv0 string) string {
	if _, ok := wrapperNamed(filepath.Base(argv0)); ok {
		return filepath.Base(argv0)
	}
	return "ldwrap"
}

func TestNames(t *testing.T) {
	for _, n := range []string{"cc", "c++", "gcc", "g++", "clang", "clang++", "gcc-12", "clang-14", "x86_64-linux-gnu-gcc-12", "aarch64-linux-gnu-g++", "clang++-21"} {
		assert.True(t, isCompilerName(n), n)
	}
	for _, n := range []string{"ccache", "gccgo", "ld", "cpp", "clang-format", "gcc-ar", "x86_64-linux-gnu-gcc-ar-12"} {
		assert.False(t, isCompilerName(n), n)
	}
	for _, n := range []string{"ld", "ld.bfd", "ld.gold", "ld.lld", "ld.mold", "mold", "x86_64-linux-gnu-ld", "x86_64-linux-gnu-ld.gold"} {
		assert.True(t, isLinkerName(n), n)
	}
	for _, n := range []string{"ar", "gcc-ar", "llvm-ar", "gcc-ar-12", "llvm-ar-14", "x86_64-linux-gnu-ar", "x86_64-linux-gnu-gcc-ar-12"} {
		assert.True(t, isArchiverName(n), n)
		m, _ := modelOfName(n)
		assert.Equal(t, commands.Archiver, m, n)
	}
	for _, n := range []string{"tar", "eu-ar", "ar-x", "ranlib", "gcc-ranlib", "llvm-ar-", "gp-archive"} {
		assert.False(t, isArchiverName(n), n)
	}
}

// --ldwrap-help states the prefix rule compilerWord applies, as the README
// says it does: each kind of first word, and the 127 of a missing compiler.
func TestHelpStatesPrefixRule(t *testing.T) {
	for _, part := range []string{"The prefix rule", "an option (-c) or a response file (@args)", "an input's suffix (a.c",
		"ldwrap's own command", "a path (with a slash) is the compiler (./gcc runs the gcc here)", "exits 127, one not executable 126",
		"whatever file of that name is here", "not\n    executable, else the command on PATH", "8 nested calls"} {
		assert.Contains(t, wrapUsage(), part)
	}
}
