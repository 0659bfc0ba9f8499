package e2e

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func ccacheHits(t *testing.T, dir string, env []string) int {
	t.Helper()
	out := run(t, dir, env, "ccache", "--print-stats")
	total := 0
	for _, key := range []string{"direct_cache_hit", "preprocessed_cache_hit"} {
		m := regexp.MustCompile(`(?m)^` + key + `\t(\d+)$`).FindStringSubmatch(out)
		require.NotNil(t, m, "ccache stats: %s", out)
		n, _ := strconv.Atoi(m[1])
		total += n
	}
	return total
}

// LDWRAP_CC='ccache gcc': ldwrap composes with ccache, the second build is
// a cache hit, and the outputs equal a bare gcc build.
func TestCcache(t *testing.T) {
	dir := t.TempDir()
	writeFile(t, filepath.Join(dir, "a.c"), matrixC)
	require.NoError(t, os.MkdirAll(filepath.Join(dir, "sub"), 0o755))
	env := []string{"CCACHE_DIR=" + filepath.Join(t.TempDir(), "cache"), "LDWRAP_CC=ccache gcc"}
	keep := map[string]bool{"a.c": true}
	args := []string{"-c", "-MD", "-g", "-o", "sub/x.o", "a.c"}
	identical(t, dir, keep, append([]string{"gcc"}, args...), append([]string{ldwrap("ldwrap-cc")}, args...), env)
	before := ccacheHits(t, dir, env)
	identical(t, dir, keep, append([]string{"gcc"}, args...), append([]string{ldwrap("ldwrap-cc")}, args...), env)
	assert.Equal(t, before+1, ccacheHits(t, dir, env), "the second wrapped compile is a ccache hit")
}

// A make -j build of many files through ldwrap-cc and ldwrap-c++ gives the
// same program as a bare one.
func TestParallelMake(t *testing.T) {
	dir := t.TempDir()
	var objs []string
	var main strings.Builder
	for i := 0; i < 30; i++ {
		ext := ".c"
		if i%3 == 0 {
			ext = ".cc"
		}
		writeFile(t, filepath.Join(dir, fmt.Sprintf("src/f%d%s", i, ext)), fmt.Sprintf("extern \"C\" int f%d(void) { return %d; }\n", i, i))
		if ext == ".c" {
			writeFile(t, filepath.Join(dir, fmt.Sprintf("src/f%d%s", i, ext)), fmt.Sprintf("int f%d(void) { return %d; }\n", i, i))
		}
		objs = append(objs, fmt.Sprintf("obj/f%d.o", i))
		fmt.Fprintf(&main, "int f%d(void);\n", i)
	}
	main.WriteString("int main(void) { return f29() - 29; }\n")
	writeFile(t, filepath.Join(dir, "src/main.c"), main.String())
	objs = append(objs, "obj/main.o")
	mk := "OBJS = " + strings.Join(objs, " ") + "\n" +
		"prog: $(OBJS)\n\t$(CXX) -o $@ $(OBJS)\n" +
		"obj/%.o: src/%.c\n\t@mkdir -p obj\n\t$(CC) -c -MMD -O2 -o $@ $<\n" +
		"obj/%.o: src/%.cc\n\t@mkdir -p obj\n\t$(CXX) -c -MMD -O2 -o $@ $<\n" +
		"-include $(OBJS:.o=.d)\n"
	writeFile(t, filepath.Join(dir, "Makefile"), mk)
	keep := map[string]bool{"Makefile": true, "src/main.c": true}
	for i := 0; i < 30; i++ {
		ext := ".c"
		if i%3 == 0 {
			ext = ".cc"
		}
		keep[fmt.Sprintf("src/f%d%s", i, ext)] = true
	}
	identical(t, dir, keep, []string{"make", "-j2", "CC=gcc", "CXX=g++"},
		[]string{"make", "-j2", "CC=" + ldwrap("ldwrap-cc"), "CXX=" + ldwrap("ldwrap-c++")}, nil)
	run(t, dir, nil, "./prog")
}
