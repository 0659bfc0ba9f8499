package cmdline

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// fakeStage maps every target to T/<target> so rewrites are easy to read.
func fakeStage(e Edit) (string, error) { return "T/" + e.Target, nil }

func files(m map[string]string) func(string) ([]byte, error) {
	return func(name string) ([]byte, error) {
		if s, ok := m[name]; ok {
			return []byte(s), nil
		}
		return nil, os.ErrNotExist
	}
}

func TestSplitResponse(t *testing.T) {
	cases := map[string][]string{
		"":                         nil,
		"  a b\n\tc ":              {"a", "b", "c"},
		`'a b' "c d" e\ f`:         {"a b", "c d", "e f"},
		`'it''s'`:                  {"its"},
		`"x\"y"`:                   {`x"y`},
		`'a\'b'`:                   {"a'b"}, // libiberty: backslash escapes inside single quotes too
		`""`:                       {""},
		"-o\nout file":             {"-o", "out", "file"},
		`-Wl,-rpath,'$ORIGIN/lib'`: {"-Wl,-rpath,$ORIGIN/lib"},
	}
	for in, want := range cases {
		assert.Equal(t, want, SplitResponse(in), "%q", in)
	}
}

func TestExpandNestedAndMissing(t *testing.T) {
	read := files(map[string]string{"a.rsp": "-x @b.rsp y", "b.rsp": "-o 'o u t'", "self.rsp": "@self.rsp"})
	got := Expand([]string{"cc", "@a.rsp", "@missing", "@self.rsp"}, read)
	var vals []string
	for _, a := range got {
		vals = append(vals, a.Value)
	}
	assert.Equal(t, []string{"cc", "-x", "-o", "o u t", "y", "@missing"}, vals[:6])
	assert.Equal(t, 0, got[0].Top)
	assert.Equal(t, -1, got[2].Top)
	assert.Equal(t, 2, got[5].Top)
}

func apply(t *testing.T, r Plan, argv []string) []string {
	t.Helper()
	require.Empty(t, r.Pass, "unexpected pass-through")
	out, err := r.Apply(argv, fakeStage)
	require.NoError(t, err)
	return out
}

func TestLinkerOutputSpellings(t *testing.T) {
	cases := []struct {
		kind Linker
		argv []string
		want []string
	}{
		{BFD, []string{"a.o", "-o", "p"}, []string{"a.o", "-o", "T/p"}},
		{BFD, []string{"a.o", "-op"}, []string{"a.o", "-oT/p"}},
		{LLD, []string{"a.o", "--output", "p"}, []string{"a.o", "--output", "T/p"}},
		{Mold, []string{"a.o", "--output=p"}, []string{"a.o", "--output=T/p"}},
		{BFD, []string{"-o", "x", "a.o", "-o", "p"}, []string{"-o", "x", "a.o", "-o", "T/p"}},
		{BFD, []string{"a.o"}, []string{"a.o", "-o", "T/a.out"}},
		{Gold, []string{"a.o", "-output", "p"}, []string{"a.o", "-output", "T/p"}},
		{Gold, []string{"a.o", "-output=p"}, []string{"a.o", "-output=T/p"}},
		{BFD, []string{"a.o", "-output=p"}, []string{"a.o", "-oT/utput=p"}},
		{LLD, []string{"a.o", "-o=p"}, []string{"a.o", "-oT/=p"}},
		{BFD, []string{"-soname", "-o", "a.o", "-o", "p"}, []string{"-soname", "-o", "a.o", "-o", "T/p"}},
		{BFD, []string{"--out", "imp", "a.o"}, []string{"--out", "imp", "a.o", "-o", "T/a.out"}},
	}
	for _, c := range cases {
		r := PlanLinker(c.kind, c.argv, files(nil))
		assert.Equal(t, c.want, apply(t, r, c.argv), "%v %v", c.kind, c.argv)
	}
}

func TestLinkerResponseFile(t *testing.T) {
	read := files(map[string]string{"l.rsp": "a.o -o p"})
	argv := []string{"@l.rsp"}
	assert.Equal(t, []string{"@l.rsp", "-o", "T/p"}, apply(t, PlanLinker(BFD, argv, read), argv))
	// A later top-level -o wins over the file's and is rewritten in place.
	argv = []string{"@l.rsp", "-o", "q"}
	assert.Equal(t, []string{"@l.rsp", "-o", "T/q"}, apply(t, PlanLinker(BFD, argv, read), argv))
}

func TestLinkerPassThrough(t *testing.T) {
	cases := []struct {
		kind  Linker
		argv  []string
		quiet bool
	}{
		{BFD, []string{"a.o", "-Map=m", "-o", "p"}, false},
		{BFD, []string{"a.o", "-Map", "m", "-o", "p"}, false},
		{BFD, []string{"a.o", "--print-map", "-o", "p"}, false},
		{LLD, []string{"a.o", "--dependency-file=d", "-o", "p"}, false},
		{Gold, []string{"-shared", "a.o", "-o", "p"}, false},
		{BFD, []string{"a.o", "-o", "-"}, false},
		{LLD, []string{"a.o", "--save-temps", "-o", "p"}, false},
		{BFD, []string{"--version"}, true},
		{BFD, []string{"-o", "p"}, true},
	}
	for _, c := range cases {
		r := PlanLinker(c.kind, c.argv, files(nil))
		assert.NotEmpty(t, r.Pass, "%v %v", c.kind, c.argv)
		assert.Equal(t, c.quiet, r.Quiet, "%v", c.argv)
	}
	// gold with a soname, and the other linkers' maps, are staged.
	for _, c := range [][]string{{"-shared", "-soname", "x", "a.o", "-o", "p"}, {"-shared", "-hx", "a.o", "-o", "p"}} {
		assert.Empty(t, PlanLinker(Gold, c, files(nil)).Pass, "%v", c)
	}
	for _, k := range []Linker{Gold, LLD, Mold} {
		assert.Empty(t, PlanLinker(k, []string{"a.o", "-Map=m", "-o", "p"}, files(nil)).Pass, "%v", k)
	}
}

func TestDriverCompile(t *testing.T) {
	gcc, clang := Driver{}, Driver{Clang: true}
	cases := []struct {
		d    Driver
		argv []string
		want []string
	}{
		{gcc, []string{"-c", "a.c", "-o", "sub/a.o"}, []string{"-c", "a.c", "-o", "T/sub/a.o"}},
		{gcc, []string{"-c", "a.c", "-osub/a.o"}, []string{"-c", "a.c", "-oT/sub/a.o"}},
		{gcc, []string{"-c", "a.c", "--output=a.o"}, []string{"-c", "a.c", "--output=T/a.o"}},
		{gcc, []string{"-c", "sub/a.c"}, []string{"-c", "sub/a.c", "-o", "T/a.o"}},
		{gcc, []string{"-S", "a.c"}, []string{"-S", "a.c", "-o", "T/a.s"}},
		{gcc, []string{"-c", "-MD", "a.c", "-o", "s/x.y.o"}, []string{"-c", "-MD", "a.c", "-o", "T/s/x.y.o", "-MF", "T/s/x.y.d", "-MQ", "s/x.y.o"}},
		{gcc, []string{"-c", "-MMD", "-MF", "d/a.dep", "a.c", "-o", "a.o"}, []string{"-c", "-MMD", "-MF", "T/d/a.dep", "a.c", "-o", "T/a.o", "-MQ", "a.o"}},
		{gcc, []string{"-c", "-MD", "-MT", "t", "a.c", "-o", "a.o"}, []string{"-c", "-MD", "-MT", "t", "a.c", "-o", "T/a.o", "-MF", "T/a.d"}},
		{gcc, []string{"-c", "-g", "-gsplit-dwarf", "a.c", "-o", "s/a.o"}, []string{"-c", "-g", "-gsplit-dwarf", "a.c", "-o", "T/s/a.o", "-dumpdir", "s/"}},
		{gcc, []string{"-c", "--coverage", "a.c", "-o", "a.o"}, []string{"-c", "--coverage", "a.c", "-o", "T/a.o", "-dumpdir", ""}},
		{gcc, []string{"-c", "-fstack-usage", "a.c", "-o", "s/a.o"}, []string{"-c", "-fstack-usage", "a.c", "-o", "T/s/a.o"}},
		{clang, []string{"-c", "-MD", "a.c", "-o", "a.o"}, []string{"-c", "-MD", "a.c", "-o", "T/a.o", "-MF", "T/a.d", "-MQ", "a.o"}},
		{gcc, []string{"-E", "a.c", "-o", "a.i"}, []string{"-E", "a.c", "-o", "T/a.i"}},
		{gcc, []string{"-x", "c", "-c", "-", "-o", "a.o"}, []string{"-x", "c", "-c", "-", "-o", "T/a.o"}},
	}
	for _, c := range cases {
		r := c.d.Plan(c.argv, files(nil))
		assert.Equal(t, c.want, apply(t, r, c.argv), "%v", c.argv)
	}
}

func TestDriverLink(t *testing.T) {
	d := Driver{}
	cases := []struct{ argv, want []string }{
		{[]string{"a.o", "-o", "p"}, []string{"a.o", "-o", "T/p"}},
		{[]string{"a.o"}, []string{"a.o", "-o", "T/a.out"}},
		{[]string{"a.c", "-o", "p"}, []string{"a.c", "-o", "T/p"}},
		{[]string{"-shared", "-fPIC", "a.o", "-o", "lib.so", "-Wl,-soname,lib.so"}, []string{"-shared", "-fPIC", "a.o", "-o", "T/lib.so", "-Wl,-soname,lib.so"}},
		{[]string{"-fuse-ld=lld", "a.o", "-Wl,-Map=m", "-o", "p"}, []string{"-fuse-ld=lld", "a.o", "-Wl,-Map=m", "-o", "T/p"}},
		{[]string{"--coverage", "a.o", "-o", "p"}, []string{"--coverage", "a.o", "-o", "T/p"}},
	}
	for _, c := range cases {
		assert.Equal(t, c.want, apply(t, d.Plan(c.argv, files(nil)), c.argv), "%v", c.argv)
	}
}

func TestDriverPassThrough(t *testing.T) {
	gcc, clang := Driver{}, Driver{Clang: true}
	cases := []struct {
		d     Driver
		argv  []string
		quiet bool
	}{
		{gcc, []string{"--version"}, true},
		{gcc, []string{"-E", "a.c"}, true},
		{gcc, []string{"-c", "a.c", "b.c"}, false},
		{gcc, []string{"-c", "a.c", "-o", "-"}, false},
		{gcc, []string{"a.o", "-Wl,-o,x", "-o", "p"}, false},
		{gcc, []string{"a.o", "-Xlinker", "-o", "-Xlinker", "x"}, false},
		{gcc, []string{"a.o", "-Wl,-Map=p.map", "-o", "p"}, false},
		{gcc, []string{"-fuse-ld=gold", "-shared", "a.o", "-o", "l.so"}, false},
		{gcc, []string{"-MD", "a.c", "-o", "p"}, false},
		{gcc, []string{"-gsplit-dwarf", "a.c", "-o", "p"}, false},
		{gcc, []string{"-flto", "-save-temps", "a.o", "-o", "p"}, false},
		{gcc, []string{"-c", "-gsplit-dwarf", "-save-temps=cwd", "a.c", "-o", "s/a.o"}, false},
		{clang, []string{"-c", "-gsplit-dwarf", "a.c", "-o", "a.o"}, false},
		{clang, []string{"-c", "-ftime-trace", "a.c", "-o", "a.o"}, false},
		{clang, []string{"-c", "-MJ", "cc.json", "a.c", "-o", "a.o"}, false},
		{gcc, []string{"-c", "-Xclang", "-foo", "a.c", "-o", "a.o"}, false},
		{gcc, []string{"-c", "-fdiagnostics-format=sarif-file", "a.c", "-o", "a.o"}, false},
		{gcc, []string{"-c", "-fdiagnostics-add-output=sarif", "a.c", "-o", "a.o"}, false},
		{clang, []string{"-c", "-g", "-gsplit-dwarf=single", "a.c", "-o", "a.o"}, false},
		{clang, []string{"-c", "-ftime-trace=t.json", "a.c", "-o", "a.o"}, false},
		{clang, []string{"-a.o", "-fuse-ld=lld", "-Wl,--reproduce=r.tar", "a.o", "-o", "p"}, false},
		// Calls that are not links never get "-o a.out".
		{gcc, []string{"-MM", "a.c", "b.c"}, true},
		{gcc, []string{"-M", "a.c"}, true},
		{gcc, []string{"--dependencies", "a.c"}, true},
		{gcc, []string{"-fsyntax-only", "a.c"}, true},
		{gcc, []string{"--syntax-only", "a.c"}, true},
		{gcc, []string{"-E", "-dM", "h.h"}, true},
		{gcc, []string{"--target-help"}, true},
		{gcc, []string{"-M", "-MF", "d", "a.c"}, false},
		{gcc, []string{"h.h"}, false},
		{gcc, []string{"-x", "c++-header", "a.c"}, false},
		{gcc, []string{"--language=c-header", "a.c"}, false},
		{clang, []string{"-emit-ast", "a.c"}, false},
		{clang, []string{"--analyze", "a.c"}, false},
		{clang, []string{"-c", "-frecord-gcc-switches", "a.c", "-o", "a.o"}, false},
		{gcc, []string{"-c", "-foo", "inc", "a.c", "-o", "a.o"}, false},
	}
	for _, c := range cases {
		r := c.d.Plan(c.argv, files(nil))
		assert.NotEmpty(t, r.Pass, "%v", c.argv)
		assert.Equal(t, c.quiet, r.Quiet, "%v: %s", c.argv, r.Pass)
	}
}

// The long spellings and the value options from GCC's and clang's lists
// are read as the short ones.
func TestDriverAliasesAndValues(t *testing.T) {
	cases := []struct{ argv, want []string }{
		{[]string{"--compile", "a.c"}, []string{"--compile", "a.c", "-o", "T/a.o"}},
		{[]string{"--assemble", "a.c"}, []string{"--assemble", "a.c", "-o", "T/a.s"}},
		{[]string{"--preprocess", "a.c", "-o", "a.i"}, []string{"--preprocess", "a.c", "-o", "T/a.i"}},
		{[]string{"-c", "--write-dependencies", "a.c", "-o", "a.o"}, []string{"-c", "--write-dependencies", "a.c", "-o", "T/a.o", "-MF", "T/a.d", "-MQ", "a.o"}},
		{[]string{"-c", "-iwithsysroot", "inc", "a.c", "-o", "a.o"}, []string{"-c", "-iwithsysroot", "inc", "a.c", "-o", "T/a.o"}},
		{[]string{"-c", "-include-pch", "p.pch", "a.c", "-o", "a.o"}, []string{"-c", "-include-pch", "p.pch", "a.c", "-o", "T/a.o"}},
		{[]string{"-c", "-Xarch_x86_64", "-O2", "a.c", "-o", "a.o"}, []string{"-c", "-Xarch_x86_64", "-O2", "a.c", "-o", "T/a.o"}},
		{[]string{"--language", "c", "a.src", "--compile", "-o", "a.o"}, []string{"--language", "c", "a.src", "--compile", "-o", "T/a.o"}},
		{[]string{"a.o", "--for-linker", "--build-id", "-o", "p"}, []string{"a.o", "--for-linker", "--build-id", "-o", "T/p"}},
	}
	for _, c := range cases {
		r := Driver{}.Plan(c.argv, files(nil))
		require.Empty(t, r.Pass, "%v", c.argv)
		assert.Equal(t, c.want, apply(t, r, c.argv), "%v", c.argv)
	}
	// --for-linker is -Xlinker: GNU ld's map names the output, so the link
	// passes through.
	assert.NotEmpty(t, Driver{}.Plan([]string{"a.o", "--for-linker", "-Map=m", "-o", "p"}, files(nil)).Pass)
}

// Under distcc, the -MD depfile is distcc's business: no -MF, no -MQ.
func TestDriverDistcc(t *testing.T) {
	d := Driver{Distcc: true}
	argv := []string{"-c", "-MD", "a.c", "-o", "sub/a.o"}
	assert.Equal(t, []string{"-c", "-MD", "a.c", "-o", "T/sub/a.o"}, apply(t, d.Plan(argv, files(nil)), argv))
	argv = []string{"-c", "-MD", "-MF", "x.d", "a.c", "-o", "sub/a.o"}
	assert.Equal(t, []string{"-c", "-MD", "-MF", "T/x.d", "a.c", "-o", "T/sub/a.o"}, apply(t, d.Plan(argv, files(nil)), argv))
}

func TestDriverResponseFiles(t *testing.T) {
	read := files(map[string]string{"c.rsp": "-c a.c -o 'o dir/a.o'", "md.rsp": "-MD -MF a.d"})
	argv := []string{"@c.rsp"}
	assert.Equal(t, []string{"@c.rsp", "-o", "T/o dir/a.o"}, apply(t, Driver{}.Plan(argv, read), argv))
	// -MF hidden in a response file cannot be redirected: pass through.
	assert.NotEmpty(t, Driver{}.Plan([]string{"@c.rsp", "@md.rsp"}, read).Pass)
}

func TestApplyStageError(t *testing.T) {
	r := PlanLinker(BFD, []string{"a.o", "-o", "p"}, files(nil))
	_, err := r.Apply([]string{"a.o", "-o", "p"}, func(Edit) (string, error) { return "", errors.New("boom") })
	assert.EqualError(t, err, "boom")
}

// FuzzPlan checks that no argv makes a model panic, that a rewrite stages
// only outputs it names, and that it never drops or reorders the user's
// arguments (it only replaces output values and appends).
func FuzzPlan(f *testing.F) {
	seeds, _ := filepath.Glob("testdata/seed-*.rsp")
	for _, s := range seeds {
		b, _ := os.ReadFile(s)
		f.Add(string(b))
	}
	f.Add("-c a.c -o sub/a.o -MD")
	f.Add("a.o -Wl,-o,x @r.rsp -o")
	f.Add("-o\x00-oX --output= -MF")
	f.Fuzz(func(t *testing.T, line string) {
		argv := strings.Split(line, " ")
		read := files(map[string]string{"r.rsp": line})
		for _, r := range []Plan{
			Driver{}.Plan(argv, read), Driver{Clang: true}.Plan(argv, read),
			PlanLinker(BFD, argv, read), PlanLinker(Gold, argv, read), PlanLinker(LLD, argv, read),
		} {
			if r.Pass != "" {
				continue
			}
			out, err := r.Apply(argv, fakeStage)
			if err != nil {
				t.Fatal(err)
			}
			if len(out) < len(argv) {
				t.Fatalf("rewrite dropped arguments: %q -> %q", argv, out)
			}
			for i, a := range argv {
				if out[i] != a && !strings.Contains(out[i], "T/") {
					t.Fatalf("argument %d changed without staging: %q -> %q", i, a, out[i])
				}
			}
			for _, e := range r.Edits {
				if e.Target == "" {
					t.Fatalf("empty target staged for %q", argv)
				}
			}
		}
	})
}

// Compiles ldwrap cannot redirect without changing what the tool writes
// run untouched, each for its own stated reason.
func TestDriverPassThroughReasons(t *testing.T) {
	read := files(map[string]string{"c.rsp": "-c a.c -o out4.o"})
	for _, c := range []struct {
		args   []string
		reason string
	}{
		{[]string{"-c", "x.s", "-o", "x.o", "-Wa,--MD,x.dep"}, "the assembler's -Wa,--MD names the object in what it writes"},
		{[]string{"-c", "x.s", "-o", "x.o", "-Xassembler", "--MD", "-Xassembler", "x.dep"}, "the assembler's -Wa,--MD names the object in what it writes"},
		{[]string{"@c.rsp", "-MMD"}, "-o inside a response file, with -MD and no -MF: the depfile is named after it"},
	} {
		assert.Equal(t, c.reason, Driver{}.Plan(c.args, read).Pass, "%q", c.args)
	}
	assert.Empty(t, Driver{}.Plan([]string{"-c", "x.s", "-o", "x.o", "-Wa,--noexecstack"}, read).Pass, "other assembler options are staged")
	assert.Empty(t, Driver{}.Plan([]string{"@c.rsp"}, read).Pass, "-o in a response file without a depfile is staged")
}

// ld64's options are single-dash words: those that begin with -o
// (-order_file, -object_path_lto, -oso_prefix) are not its output, which
// is -o followed by a path and nothing else. A dylib without an install
// name is named after its output: -final_output keeps the name it would
// have had.
func TestLD64Linker(t *testing.T) {
	cases := []struct{ argv, want []string }{
		{[]string{"-o", "app", "main.o", "-order_file", "order.txt"}, []string{"-o", "T/app", "main.o", "-order_file", "order.txt"}},
		{[]string{"main.o", "-order_file", "order.txt", "-o", "app"}, []string{"main.o", "-order_file", "order.txt", "-o", "T/app"}},
		{[]string{"main.o", "-object_path_lto", "lto.o", "-oso_prefix", "/src"}, []string{"main.o", "-object_path_lto", "lto.o", "-oso_prefix", "/src", "-o", "T/a.out"}},
		{[]string{"-platform_version", "macos", "11.0", "12.0", "-o", "app", "main.o"}, []string{"-platform_version", "macos", "11.0", "12.0", "-o", "T/app", "main.o"}},
		{[]string{"-dylib", "-o", "sub/libx.dylib", "x.o"}, []string{"-dylib", "-o", "T/sub/libx.dylib", "x.o", "-final_output", "sub/libx.dylib"}},
		{[]string{"-dylib", "-install_name", "@rpath/libx.dylib", "-o", "libx.dylib", "x.o"}, []string{"-dylib", "-install_name", "@rpath/libx.dylib", "-o", "T/libx.dylib", "x.o"}},
	}
	for _, c := range cases {
		r := PlanLinker(LD64, c.argv, files(nil))
		assert.Equal(t, c.want, apply(t, r, c.argv), "%v", c.argv)
		assert.NotContains(t, r.Inputs, "order.txt", "a value is not an input")
		assert.NotContains(t, r.Inputs, "11.0")
	}
	for _, argv := range [][]string{{"main.o", "-map", "m.txt", "-o", "app"}, {"main.o", "-dependency_info", "d", "-o", "app"}, {"main.o", "-oapp"}} {
		r := PlanLinker(LD64, argv, files(nil))
		if argv[1] == "-oapp" { // ld64 refuses it; ldwrap leaves it as it is
			assert.Equal(t, []string{"main.o", "-oapp", "-o", "T/a.out"}, apply(t, r, argv))
			continue
		}
		assert.NotEmpty(t, r.Pass, "%v: the file names the output", argv)
	}
}

// lld picks its flavor from the name it runs under (ld64.lld is Apple's,
// whatever it links to); on macOS, plain ld is ld64.
func TestLinkerNamed(t *testing.T) {
	cases := []struct {
		name, resolved string
		darwin         bool
		argv           []string
		want           Linker
	}{
		{"/usr/bin/ld64.lld", "/usr/lib/llvm-14/bin/lld", false, nil, LD64},
		{"/usr/bin/ld64.lld-14", "/usr/lib/llvm-14/bin/lld", false, nil, LD64},
		{"/usr/bin/ld.lld", "/usr/lib/llvm-14/bin/lld", false, nil, LLD},
		{"/usr/bin/ld", "/usr/bin/ld", true, nil, LD64},
		{"/usr/bin/ld", "/usr/bin/x86_64-linux-gnu-ld.bfd", false, nil, BFD},
		{"/opt/osxcross/bin/x86_64-apple-darwin20.4-ld", "/opt/osxcross/bin/x86_64-apple-darwin20.4-ld", false, nil, LD64},
		{"/usr/bin/lld", "/usr/bin/lld", false, []string{"-flavor", "darwin", "a.o"}, LD64},
		{"/usr/bin/ld.gold", "/usr/bin/x86_64-linux-gnu-ld.gold", true, nil, Gold},
	}
	for _, c := range cases {
		assert.Equal(t, c.want, LinkerNamed(c.name, c.resolved, c.darwin, c.argv), "%+v", c)
	}
}

// A driver linking for an Apple target runs ld64: -Wl,-order_file and
// -Xlinker -object_path_lto are the linker's options, not -o; clang's own
// -object and -objcmt-* are not -o either (GCC, which has none of them,
// reads -object as -o bject).
func TestDriverAppleTarget(t *testing.T) {
	clang, gcc := Driver{Clang: true}, Driver{}
	apple := []string{"-target", "arm64-apple-macos11", "-fuse-ld=lld"}
	cases := []struct {
		d          Driver
		argv, want []string
	}{
		{clang, append(apple[:3:3], "main.o", "-Wl,-order_file,order.txt", "-o", "app"), append(apple[:3:3], "main.o", "-Wl,-order_file,order.txt", "-o", "T/app")},
		{clang, append(apple[:3:3], "main.o", "-Xlinker", "-object_path_lto", "-Xlinker", "lto.o", "-o", "app"), append(apple[:3:3], "main.o", "-Xlinker", "-object_path_lto", "-Xlinker", "lto.o", "-o", "T/app")},
		{clang, append(apple[:3:3], "main.o", "-o", "app", "-object"), append(apple[:3:3], "main.o", "-o", "T/app", "-object")},
		{clang, []string{"-c", "a.m", "-o", "a.o", "-objcmt-migrate-literals"}, []string{"-c", "a.m", "-o", "T/a.o", "-objcmt-migrate-literals"}},
		{Driver{Clang: true, Darwin: true}, []string{"main.o", "-Wl,-order_file,order.txt", "-o", "app"}, []string{"main.o", "-Wl,-order_file,order.txt", "-o", "T/app"}},
		{clang, append(apple[:3:3], "-dynamiclib", "x.o", "-o", "libx.dylib"), append(apple[:3:3], "-dynamiclib", "x.o", "-o", "T/libx.dylib", "-Xlinker", "-final_output", "-Xlinker", "libx.dylib")},
		{clang, append(apple[:3:3], "-dynamiclib", "-install_name", "@rpath/libx.dylib", "x.o", "-o", "libx.dylib"), append(apple[:3:3], "-dynamiclib", "-install_name", "@rpath/libx.dylib", "x.o", "-o", "T/libx.dylib")},
		{gcc, []string{"-c", "a.c", "-o", "a.o", "-object"}, []string{"-c", "a.c", "-o", "a.o", "-oT/bject"}},
	}
	for _, c := range cases {
		assert.Equal(t, c.want, apply(t, c.d.Plan(c.argv, files(nil)), c.argv), "%v", c.argv)
	}
	// Another target on a Mac links with its own linker's rules.
	mac := Driver{Clang: true, Darwin: true}
	argv := []string{"--target=x86_64-linux-gnu", "main.o", "-Wl,-order_file,x", "-o", "app"}
	assert.NotEmpty(t, mac.Plan(argv, files(nil)).Pass, "GNU rules: -Wl,-o... names the output, passed through")
}
