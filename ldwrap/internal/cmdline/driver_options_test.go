package cmdline

import (
	"go/ast"
	"go/parser"
	"go/token"
	"math/bits"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// The table is sorted, one row per option, and every row is found by the
// argument forms it declares: a row sorted out of place, or one hidden by a
// longer row, would be silently skipped.
func TestDriverOptionTable(t *testing.T) {
	for i, o := range driverOptions {
		f := o.flags
		require.True(t, len(o.name) > 1 && o.name[0] == '-', "%q: an option's name", o.name)
		if i > 0 {
			require.Less(t, driverOptions[i-1].name, o.name, "sorted, and no name twice")
		}
		assert.True(t, f != 0 || o.alias != "", "%s: a row that says nothing", o.name)
		assert.LessOrEqual(t, bits.OnesCount64(uint64(f&values)), 1, "%s: one kind of value", o.name)
		assert.False(t, f&values != 0 && f&(argSeparate|argJoined) == 0, "%s: a value, but no way to take it", o.name)
		assert.False(t, f&argJoinedAndSeparate != 0 && f&argJoined == 0, "%s", o.name)
		assert.False(t, f&argEquals != 0 && f&argJoined != 0, "%s: joined already takes name=value", o.name)
		clang := f&onlyClang != 0
		forms := map[string]bool{o.name: true}
		if f&argJoined != 0 {
			forms[o.name+"v"] = true
		}
		if f&argEquals != 0 {
			forms[o.name+"=v"] = true
		}
		want := &driverOptions[i]
		if o.alias != "" {
			assert.Equal(t, f&^argJoined, optFlags(0), "%s: an alias's row says only how it is spelled", o.name)
			j := rowsUpTo(o.alias) - 1
			require.True(t, j >= 0 && driverOptions[j].name == o.alias, "%s: alias of a missing %s", o.name, o.alias)
			want = &driverOptions[j]
			assert.Empty(t, want.alias, "%s: alias of an alias", o.name)
			assert.False(t, f&argJoined != 0 && want.flags&argJoined == 0, "%s: %s takes no joined value", o.name, o.alias)
		}
		for a := range forms {
			got, n := findDriverOption(a, clang)
			assert.Same(t, want, got, "%q", a)
			assert.Equal(t, len(o.name), n, "%q", a)
			if clang {
				got, _ = findDriverOption(a, false)
				assert.NotSame(t, want, got, "%q: only clang reads it", a)
			}
		}
	}
	for _, a := range []string{"-", "--", "-O2", "-Wall", "-fPIC", "-g", "-DX", "-isystemx", "-Xclangx", "-save-temps=x"} {
		o, _ := findDriverOption(a, true)
		if a == "-save-temps=x" {
			assert.Equal(t, "-save-temps", o.name)
			continue
		}
		assert.Nil(t, o, "%q", a)
	}
}

// A value option's value is not an input, under either driver, however it
// is spelled.
func TestDriverValueOptions(t *testing.T) {
	for _, o := range driverOptions {
		target := o
		if o.alias != "" {
			target = driverOptions[rowsUpTo(o.alias)-1]
		}
		if target.flags&argSeparate == 0 || o.flags&argJoined != 0 {
			continue
		}
		for _, d := range []Driver{{}, {Clang: true}} {
			s := d.scan([]Arg{{"-c", 0}, {o.name, 1}, {"v.c", 2}, {"a.c", 3}})
			assert.Equal(t, []string{"a.c"}, s.inputs, "%s", o.name)
			assert.Equal(t, target.name+" without a value", d.Plan([]string{"a.c", o.name}, nil).Pass, "%s", o.name)
		}
	}
}

// Every row that does more than take a value is named by a test case of
// this package (its argument, or one it begins), so that no row goes
// unchecked.
func TestDriverOptionsExercised(t *testing.T) {
	if os.Getenv("TEST_SRCDIR") != "" {
		t.Skip("under Bazel: the test sources are not among the runfiles")
	}
	var words []string
	tests, err := filepath.Glob("*_test.go")
	require.NoError(t, err)
	seeds, err := filepath.Glob("testdata/seed-*")
	require.NoError(t, err)
	for _, name := range seeds {
		b, err := os.ReadFile(name)
		require.NoError(t, err)
		words = append(words, strings.Fields(string(b))...)
	}
	fs := token.NewFileSet()
	for _, name := range tests {
		f, err := parser.ParseFile(fs, name, nil, 0)
		require.NoError(t, err)
		ast.Inspect(f, func(n ast.Node) bool {
			if l, ok := n.(*ast.BasicLit); ok && l.Kind == token.STRING {
				s, err := strconv.Unquote(l.Value)
				require.NoError(t, err)
				words = append(words, strings.Fields(s)...)
			}
			return true
		})
	}
	for _, o := range driverOptions {
		if o.flags == argSeparate {
			continue // TestDriverValueOptions
		}
		named := false
		for _, w := range words {
			named = named || w == o.name || o.flags&argJoined != 0 && strings.HasPrefix(w, o.name) ||
				o.flags&argEquals != 0 && strings.HasPrefix(w, o.name+"=")
		}
		assert.True(t, named, "no test case names %s", o.name)
	}
}

var gcc, clang = Driver{}, Driver{Clang: true}

// rowCases name the rows no other test case names: what each mode, side
// file and pass-through does to a plan. (A header input is a mode of its
// own, so the option that names the mode comes after it.)
var rowCases = []struct {
	d          Driver
	argv, want []string // want: the rewritten argv, or one word, the reason to pass through
}{
	{gcc, []string{"-###", "a.c"}, []string{"an informational call"}},
	{gcc, []string{"-help"}, []string{"an informational call"}},
	{gcc, []string{"--help=warnings"}, []string{"an informational call"}},
	{gcc, []string{"-dumpversion"}, []string{"an informational call"}},
	{gcc, []string{"-dumpfullversion"}, []string{"an informational call"}},
	{gcc, []string{"-dumpmachine"}, []string{"an informational call"}},
	{gcc, []string{"-dumpspecs"}, []string{"an informational call"}},
	{gcc, []string{"-print-file-name=libc.a"}, []string{"an informational call"}},
	{clang, []string{"--help-hidden"}, []string{"a call that writes no file"}},
	{clang, []string{"-fdriver-only", "-c", "a.c", "-o", "a.o"}, []string{"a call that writes no file"}},
	{clang, []string{"--precompile", "a.cppm", "-o", "a.pcm"}, []string{"--precompile: a mode ldwrap does not stage"}},
	{clang, []string{"-emit-module", "-fmodules", "m.modulemap", "-o", "m.pcm"}, []string{"-emit-module: a mode ldwrap does not stage"}},
	{clang, []string{"-emit-module-interface", "a.cppm"}, []string{"-emit-module-interface: a mode ldwrap does not stage"}},
	{clang, []string{"-xc++-user-header", "a.h", "-emit-header-unit"}, []string{"-emit-header-unit: a mode ldwrap does not stage"}},
	{gcc, []string{"a.h", "-fmodule-header"}, []string{"-fmodule-header: a mode ldwrap does not stage"}},
	{clang, []string{"-emit-interface-stubs", "a.c"}, []string{"-emit-interface-stubs: a mode ldwrap does not stage"}},
	{clang, []string{"-emit-merged-ifs", "a.ifs"}, []string{"-emit-merged-ifs: a mode ldwrap does not stage"}},
	{clang, []string{"-emit-llvm-uselists", "-c", "-emit-llvm", "a.c"}, []string{"-emit-llvm-uselists: a mode ldwrap does not stage"}},
	{clang, []string{"a.h", "-o", "api.json", "-extract-api"}, []string{"-extract-api: a mode ldwrap does not stage"}},
	{clang, []string{"--emit-static-lib", "a.o", "-o", "liba.a"}, []string{"--emit-static-lib: a mode ldwrap does not stage"}},
	{clang, []string{"-cc1", "-emit-obj", "a.c", "-o", "a.o"}, []string{"-cc1: a mode ldwrap does not stage"}},
	{clang, []string{"-cc1as", "-filetype", "obj", "a.s", "-o", "a.o"}, []string{"-cc1as: a mode ldwrap does not stage"}},
	{gcc, []string{"--user-dependencies", "a.c"}, []string{"preprocessing to standard output"}},
	{gcc, []string{"-c", "--write-user-dependencies", "a.c", "-o", "a.o"}, []string{"-c", "--write-user-dependencies", "a.c", "-o", "T/a.o", "-MF", "T/a.d", "-MQ", "a.o"}},
	// The user's -dumpdir, or a -dumpbase with a directory, places GCC's
	// .dwo: ldwrap adds no -dumpdir of its own.
	{gcc, []string{"-c", "-gsplit-dwarf", "--dumpdir", "d/", "a.c", "-o", "s/a.o"}, []string{"-c", "-gsplit-dwarf", "--dumpdir", "d/", "a.c", "-o", "T/s/a.o"}},
	{gcc, []string{"-c", "-gsplit-dwarf", "-dumpbase", "d/a", "a.c", "-o", "s/a.o"}, []string{"-c", "-gsplit-dwarf", "-dumpbase", "d/a", "a.c", "-o", "T/s/a.o"}},
	{gcc, []string{"-c", "-gsplit-dwarf", "--dumpbase", "a", "a.c", "-o", "s/a.o"}, []string{"-c", "-gsplit-dwarf", "--dumpbase", "a", "a.c", "-o", "T/s/a.o", "-dumpdir", "s/"}},
	{gcc, []string{"-c", "-fprofile-arcs", "a.c", "-o", "s/a.o"}, []string{"-c", "-fprofile-arcs", "a.c", "-o", "T/s/a.o", "-dumpdir", "s/"}},
	{gcc, []string{"-c", "-ftest-coverage", "a.c", "-o", "s/a.o"}, []string{"-c", "-ftest-coverage", "a.c", "-o", "T/s/a.o", "-dumpdir", "s/"}},
	{gcc, []string{"-c", "-fprofile-generate", "a.c", "-o", "s/a.o"}, []string{"-c", "-fprofile-generate", "a.c", "-o", "T/s/a.o", "-dumpdir", "s/"}},
	{clang, []string{"-c", "-fprofile-generate", "a.c", "-o", "s/a.o"}, []string{"-c", "-fprofile-generate", "a.c", "-o", "T/s/a.o"}},
	{clang, []string{"-c", "-fprofile-arcs", "a.c", "-o", "a.o"}, []string{"clang -fprofile-arcs records the output name; passed through"}},
	{clang, []string{"-c", "-ftest-coverage", "a.c", "-o", "a.o"}, []string{"clang -ftest-coverage records the output name; passed through"}},
	{clang, []string{"-c", "-frecord-command-line", "a.c", "-o", "a.o"}, []string{"clang -frecord-command-line records the output name; passed through"}},
	{clang, []string{"-c", "-grecord-command-line", "a.c", "-o", "a.o"}, []string{"clang -grecord-command-line records the output name; passed through"}},
	{gcc, []string{"-c", "-grecord-command-line", "a.c", "-o", "a.o"}, []string{"-c", "-grecord-command-line", "a.c", "-o", "T/a.o"}},
	{clang, []string{"-c", "-serialize-diagnostics", "a.dia", "a.c", "-o", "a.o"}, []string{"-serialize-diagnostics is not supported; passed through"}},
	{clang, []string{"-c", "--serialize-diagnostics", "a.dia", "a.c", "-o", "a.o"}, []string{"--serialize-diagnostics is not supported; passed through"}},
	{clang, []string{"-c", "-working-directory", "sub", "a.c", "-o", "a.o"}, []string{"-working-directory is not supported; passed through"}},
	{gcc, []string{"-c", "-fdiagnostics-format=json-file", "a.c", "-o", "a.o"}, []string{"-fdiagnostics-format=json-file is not supported; passed through"}},
	{gcc, []string{"-c", "-fdiagnostics-set-output=sarif", "a.c", "-o", "a.o"}, []string{"-fdiagnostics-set-output is not supported; passed through"}},
	// Side files named after a link's output: the link passes through.
	{gcc, []string{"-fcallgraph-info=su", "a.c", "-o", "p"}, []string{"compile+link with -fcallgraph-info: side files are named after the output"}},
	{gcc, []string{"-c", "-fcallgraph-info", "a.c", "-o", "s/a.o"}, []string{"-c", "-fcallgraph-info", "a.c", "-o", "T/s/a.o"}},
	{gcc, []string{"-fdump-tree-all", "a.c", "-o", "p"}, []string{"compile+link with -fdump-: side files are named after the output"}},
	// -fno-lto after -flto: linking a.o compiles nothing, so -MD's depfile
	// (of no compile) does not matter.
	{gcc, []string{"-flto", "-MD", "a.o", "-o", "p"}, []string{"compile+link with a depfile: its target is the output name"}},
	{gcc, []string{"-flto", "-fno-lto", "-MD", "a.o", "-o", "p"}, []string{"-flto", "-fno-lto", "-MD", "a.o", "-o", "T/p"}},
	{clang, []string{"--ld-path=/usr/bin/ld.gold", "-shared", "a.o", "-o", "l.so"}, []string{"gold -shared without -soname records the output path in the library"}},
	{clang, []string{"--ld-path", "/usr/bin/ld.gold", "-shared", "a.o", "-o", "l.so"}, []string{"gold -shared without -soname records the output path in the library"}},
	// clang's -object-file-name= is not -o; GCC's is.
	{clang, []string{"-c", "a.c", "-o", "a.o", "-object-file-name=a.o"}, []string{"-c", "a.c", "-o", "T/a.o", "-object-file-name=a.o"}},
	{gcc, []string{"-c", "a.c", "-o", "a.o", "-object-file-name=a.o"}, []string{"-c", "a.c", "-o", "a.o", "-oT/bject-file-name=a.o"}},
}

func TestDriverOptionRows(t *testing.T) {
	for _, c := range rowCases {
		r := c.d.Plan(c.argv, files(nil))
		if len(c.want) == 1 {
			assert.Equal(t, c.want[0], r.Pass, "%q", c.argv)
			continue
		}
		require.Empty(t, r.Pass, "%q", c.argv)
		assert.Equal(t, c.want, apply(t, r, c.argv), "%q", c.argv)
	}
}

// A compile as CMake's Makefile and Ninja generators write it, to measure
// the driver model's per-call cost (issue 33 bounds it).
var cmakeCompile = []string{
	"-DNDEBUG", "-DFOO_EXPORTS", "-I/src/include", "-I/build/gen", "-isystem", "/opt/dep/include",
	"-O2", "-g", "-Wall", "-Wextra", "-Werror=return-type", "-fPIC", "-std=gnu++17",
	"-fvisibility=hidden", "-MD", "-MT", "obj/a.cpp.o", "-MF", "obj/a.cpp.o.d",
	"-o", "obj/a.cpp.o", "-c", "/src/a.cpp",
}

func BenchmarkPlanCompile(b *testing.B) {
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		Driver{}.Plan(cmakeCompile, nil)
	}
}
