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

// Real build systems configured the way their manuals say to use a
// compiler wrapper, against a plain build of the same tree in the same
// directory as the control.

// demoSources: a shared library, a static one and a program using both.
var demoSources = map[string]string{
	"util.c": "int util(int x) { return x * 2; }\n",
	"stat.c": "int stat_fn(int x) { return x + 1; }\n",
	"main.c": "#include <stdio.h>\nint util(int);\nint stat_fn(int);\n" +
		"int main(void) { printf(\"%d\\n\", util(stat_fn(20))); return 0; }\n",
}

// products are a build tree's objects, libraries and programs (ELF files
// and archives) and depfiles, by path relative to dir.
func products(t *testing.T, dir string) map[string][]byte {
	t.Helper()
	out := map[string][]byte{}
	for rel, b := range snapshot(t, dir) {
		if strings.HasPrefix(rel, "CMakeFiles/") && strings.Contains(rel, "CompilerId") {
			continue // written by CMake's compiler check, not the build
		}
		if strings.Contains(rel, "/CMakeTmp/") || strings.HasPrefix(rel, "meson-private/") {
			continue
		}
		dep := strings.HasSuffix(rel, ".d") || strings.HasSuffix(rel, ".Po") || strings.HasSuffix(rel, ".Plo")
		if dep || len(b) >= 4 && string(b[:4]) == "\x7fELF" || len(b) >= 8 && string(b[:8]) == "!<arch>\n" {
			out[rel] = b
		}
	}
	return out
}

// sameProducts builds dir twice, plain and through ldwrap, each from a
// fresh copy of the tree src (same paths, so debug info can match), and
// requires the same products. It returns the wrapped build's output.
func sameProducts(t *testing.T, src, dir string, plain, wrapped func() string) string {
	t.Helper()
	fresh := func() {
		require.NoError(t, os.RemoveAll(dir))
		run(t, "/", nil, "cp", "-a", src, dir)
	}
	fresh()
	plain()
	want := products(t, dir)
	require.NotEmpty(t, want, "control: the plain build made nothing")
	fresh()
	out := wrapped()
	got := products(t, dir)
	assert.Empty(t, diffSnapshots(want, got), out)
	assert.Empty(t, leftovers(t, dir))
	return out
}

// committed lists the outputs ldwrap says it committed, relative to the
// directories the tools ran in.
func committed(log string) []string {
	var out []string
	for _, m := range regexp.MustCompile(`(?m)^ldwrap: (\S+): committed$`).FindAllStringSubmatch(log, -1) {
		out = append(out, filepath.Base(m[1]))
	}
	sort.Strings(out)
	return out
}

// CMake with -DCMAKE_C_COMPILER_LAUNCHER and -DCMAKE_C_LINKER_LAUNCHER
// (CMake runs "ldwrap-cc /usr/bin/cc ARGS") and -DCMAKE_AR=ldwrap-ar,
// under Ninja and Makefiles: every object and depfile, the shared and the
// static library and the program are committed through ldwrap, and all
// products equal a plain build's. The same with CC=ldwrap-cc as well, as
// the README allows: CMake then runs "ldwrap-cc /path/to/ldwrap-cc ARGS",
// and each output is still committed once.
func TestCMakeLaunchers(t *testing.T) {
	t.Parallel() // see "Parallel tests" in helpers_test.go
	need(t, "cmake", "ninja", "make", "gcc")
	cml := "cmake_minimum_required(VERSION 3.21)\nproject(demo C)\n" +
		"add_library(util SHARED util.c)\nadd_library(stat STATIC stat.c)\n" +
		"add_executable(prog main.c)\ntarget_link_libraries(prog util stat)\n"
	sources := map[string]string{"src/CMakeLists.txt": cml}
	for k, v := range demoSources {
		sources["src/"+k] = v
	}
	src := writeTree(t, sources)
	for _, gen := range []string{"Ninja", "Unix Makefiles"} {
		for _, cc := range []string{"", ldwrap("ldwrap-cc")} {
			name := gen
			if cc != "" {
				name += " with CC=ldwrap-cc" // no comma: the build directory is in an -rpath
			}
			t.Run(name, func(t *testing.T) {
				dir := filepath.Join(t.TempDir(), "w")
				b := filepath.Join(dir, "b")
				configure := func(env []string, extra ...string) string {
					return run(t, dir, env, append([]string{"cmake", "-G", gen, "-S", "src", "-B", "b", "-DCMAKE_BUILD_TYPE=RelWithDebInfo"}, extra...)...)
				}
				build := func(env []string) string {
					return run(t, dir, env, "cmake", "--build", "b", "--", "-j2")
				}
				out := sameProducts(t, src, dir, func() string {
					configure(nil)
					return build(nil)
				}, func() string {
					var env []string
					if cc != "" {
						env = []string{"CC=" + cc}
					}
					conf := configure(env, "-DCMAKE_C_COMPILER_LAUNCHER="+ldwrap("ldwrap-cc"), "-DCMAKE_C_LINKER_LAUNCHER="+ldwrap("ldwrap-cc"),
						"-DCMAKE_AR="+ldwrap("ldwrap-ar"))
					if cc != "" {
						assert.Contains(t, conf, "Check for working C compiler: "+cc)
					}
					return build([]string{"LDWRAP_VERBOSE=1"})
				})
				assert.Equal(t, []string{"libstat.a", "libutil.so", "main.c.o", "main.c.o.d", "prog", "stat.c.o", "stat.c.o.d", "util.c.o", "util.c.o.d"}, committed(out), out)
				run(t, b, nil, "./prog")
			})
		}
	}
}

// Meson with CC="ldwrap-cc gcc", as its manual says to use ccache: it
// detects gcc through ldwrap-cc, and the objects, the library and the
// program are committed and equal a plain build's.
func TestMeson(t *testing.T) {
	t.Parallel() // see "Parallel tests" in helpers_test.go
	need(t, "meson", "ninja", "gcc")
	sources := map[string]string{"meson.build": "project('demo', 'c')\n" +
		"util = shared_library('util', 'util.c')\nst = static_library('stat', 'stat.c')\n" +
		"executable('prog', 'main.c', link_with: [util, st])\n"}
	for k, v := range demoSources {
		sources[k] = v
	}
	dir := filepath.Join(t.TempDir(), "w")
	out := sameProducts(t, writeTree(t, sources), dir, func() string {
		run(t, dir, []string{"CC=gcc"}, "meson", "setup", "b")
		return run(t, dir, nil, "ninja", "-C", "b")
	}, func() string {
		setup := run(t, dir, []string{"CC=" + ldwrap("ldwrap-cc") + " gcc"}, "meson", "setup", "b")
		assert.Regexp(t, `C compiler for the host machine: `+regexp.QuoteMeta(ldwrap("ldwrap-cc"))+` gcc \(gcc `, setup)
		return run(t, dir, []string{"LDWRAP_VERBOSE=1"}, "ninja", "-C", "b")
	})
	assert.Equal(t, []string{"libutil.so", "main.c.o", "main.c.o.d", "prog", "stat.c.o", "stat.c.o.d", "util.c.o", "util.c.o.d"}, committed(out), out)
	run(t, filepath.Join(dir, "b"), nil, "./prog")
}

// Autotools with libtool, configured with CC="ldwrap-cc gcc" and
// AR=ldwrap-ar: configure's compiler checks pass through ldwrap-cc,
// libtool's shared library, the static library and the program are
// committed, and the products equal a plain build's.
func TestAutotools(t *testing.T) {
	t.Parallel() // see "Parallel tests" in helpers_test.go
	need(t, "autoreconf", "automake", "libtoolize", "make", "gcc")
	sources := map[string]string{
		"configure.ac": "AC_INIT([demo],[1.0])\nAM_INIT_AUTOMAKE([foreign])\nAC_PROG_CC\nLT_INIT\n" +
			"AC_CONFIG_FILES([Makefile])\nAC_OUTPUT\n",
		"Makefile.am": "lib_LTLIBRARIES = libutil.la\nlibutil_la_SOURCES = util.c\n" +
			"noinst_LIBRARIES = libstat.a\nlibstat_a_SOURCES = stat.c\n" +
			"bin_PROGRAMS = prog\nprog_SOURCES = main.c\nprog_LDADD = libutil.la libstat.a\n",
	}
	for k, v := range demoSources {
		sources[k] = v
	}
	dir := filepath.Join(t.TempDir(), "w")
	// autoreconf once: its output is an input of both builds.
	src := writeTree(t, sources)
	run(t, src, nil, "autoreconf", "-fi")
	out := sameProducts(t, src, dir, func() string {
		run(t, dir, nil, "./configure", "CC=gcc")
		return run(t, dir, nil, "make", "-j2")
	}, func() string {
		conf := run(t, dir, nil, "./configure", "CC="+ldwrap("ldwrap-cc")+" gcc", "AR="+ldwrap("ldwrap-ar"))
		assert.Contains(t, conf, "checking whether the C compiler works... yes")
		return run(t, dir, []string{"LDWRAP_VERBOSE=1"}, "make", "-j2")
	})
	got := committed(out)
	for _, want := range []string{"libstat.a", "libutil.so.0.0.0", "main.o", "prog", "stat.o", "util.o"} {
		assert.Contains(t, got, want, out)
	}
	run(t, dir, nil, "./prog")
}

// writeTree writes files into a new directory and returns it.
func writeTree(t *testing.T, files map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	for name, content := range files {
		writeFile(t, filepath.Join(dir, name), content)
	}
	return dir
}
