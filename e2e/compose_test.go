//go:build linux

package e2e

import (
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func ccacheHits(t *testing.T, g generation, dir string, env []string) int {
	t.Helper()
	out := g.run(t, dir, env, "ccache", "--print-stats")
	total := 0
	for _, key := range []string{"direct_cache_hit", "preprocessed_cache_hit"} {
		m := regexp.MustCompile(`(?m)^` + key + `\t(\d+)$`).FindStringSubmatch(out)
		require.NotNil(t, m, "ccache stats: %s", out)
		n, _ := strconv.Atoi(m[1])
		total += n
	}
	return total
}

// LDWRAP_CC='ccache gcc': ldwrap composes with ccache (4.7 on bookworm,
// 4.14 on sid), the second build is a cache hit, and the outputs equal a
// bare gcc build.
func TestCcache(t *testing.T) {
	need(t, "gcc", "ccache", "sid")
	for _, g := range generations {
		t.Run(g.name, func(t *testing.T) {
			dir := g.tempDir(t)
			writeFile(t, g.host(dir+"/a.c"), matrixC)
			require.NoError(t, os.MkdirAll(g.host(dir+"/sub"), 0o755))
			env := []string{"CCACHE_DIR=" + dir + "-cache", "LDWRAP_CC=ccache gcc"}
			t.Cleanup(func() { os.RemoveAll(g.host(dir + "-cache")) })
			keep := map[string]bool{"a.c": true}
			args := []string{"-c", "-MD", "-g", "-o", "sub/x.o", "a.c"}
			identicalIn(t, g, dir, keep, append([]string{"gcc"}, args...), append([]string{g.ldwrap("ldwrap-cc")}, args...), env)
			before := ccacheHits(t, g, dir, env)
			identicalIn(t, g, dir, keep, append([]string{"gcc"}, args...), append([]string{g.ldwrap("ldwrap-cc")}, args...), env)
			assert.Equal(t, before+1, ccacheHits(t, g, dir, env), "the second wrapped compile is a ccache hit")
		})
	}
}

// A make -j build of many files through ldwrap-cc and ldwrap-c++ gives the
// same program as a bare one.
func TestParallelMake(t *testing.T) {
	need(t, "gcc", "make")
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

// distcc over loopback: a real distccd on 127.0.0.1, started here and
// stopped by its PID. LDWRAP_CC='distcc gcc' compiles through the daemon
// (its log counts one more job per compile, and DISTCC_FALLBACK=0 forbids
// a local compile), and the object and depfile equal a distcc build
// without ldwrap.
func TestDistcc(t *testing.T) {
	need(t, "gcc", "distcc", "distccd", "sid")
	dir := t.TempDir()
	hosts, jobs := startDistccd(t)
	env := []string{hosts, "DISTCC_FALLBACK=0", "DISTCC_SKIP_LOCAL_RETRY=1", "DISTCC_DIR=" + t.TempDir(), "LDWRAP_CC=distcc gcc"}
	writeFile(t, filepath.Join(dir, "a.c"), matrixC)
	keep := map[string]bool{"a.c": true}
	for _, flags := range [][]string{{"-c", "-O2"}, {"-c", "-MD"}} {
		args := append(append([]string{}, flags...), "a.c", "-o", "sub/a.o")
		require.NoError(t, os.MkdirAll(filepath.Join(dir, "sub"), 0o755))
		clean(t, dir, keep)
		before := jobs()
		run(t, dir, env, append([]string{"distcc", "gcc"}, args...)...)
		// The daemon logs a job just after its client returns.
		waitFor(t, "control: the bare distcc compile in the daemon's log", 60*time.Second, func() bool { return jobs() == before+1 })
		bare := without(snapshot(t, dir), keep)
		clean(t, dir, keep)
		out := run(t, dir, append(env, "LDWRAP_VERBOSE=1"), append([]string{ldwrap("ldwrap-cc")}, args...)...)
		waitFor(t, "the compile through ldwrap-cc in the daemon's log", 60*time.Second, func() bool { return jobs() == before+2 })
		got := without(snapshot(t, dir), keep)
		assert.Empty(t, diffSnapshots(bare, got), "%v\n%s", flags, out)
		want := "staged"
		if flags[1] == "-MD" {
			// distcc names the depfile after the source (a.d here, target
			// a.o), bare or not; ldwrap leaves it to distcc.
			want = "staged; side files in place"
			assert.True(t, strings.HasPrefix(string(got["a.d"]), "a.o: a.c "), "%q", got["a.d"])
		}
		assert.Equal(t, want, how(out), out)
		assert.Empty(t, leftovers(t, dir))
	}
}

// startDistccd starts a distccd on 127.0.0.1, stopped by its PID when the
// test ends. It returns DISTCC_HOSTS=... and the count of the jobs it has
// compiled.
func startDistccd(t *testing.T) (hosts string, jobs func() int) {
	t.Helper()
	port := freePort(t)
	logFile := filepath.Join(publicDir(t), "distccd.log") // distccd logs as nobody
	require.NoError(t, os.WriteFile(logFile, nil, 0o644))
	require.NoError(t, os.Chmod(logFile, 0o666)) // past the umask
	daemon := exec.Command("distccd", "--daemon", "--no-detach", "--user", "nobody", "--allow", "127.0.0.1",
		"--listen", "127.0.0.1", "--port", fmt.Sprint(port), "--log-file="+logFile, "--log-level=info", "--jobs", "2")
	require.NoError(t, daemon.Start())
	t.Cleanup(func() {
		syscall.Kill(daemon.Process.Pid, syscall.SIGTERM)
		daemon.Wait()
	})
	waitFor(t, "distccd to listen", 60*time.Second, func() bool {
		c, err := net.Dial("tcp", fmt.Sprintf("127.0.0.1:%d", port))
		if err == nil {
			c.Close()
		}
		return err == nil
	})
	return fmt.Sprintf("DISTCC_HOSTS=127.0.0.1:%d", port), func() int {
		return strings.Count(string(readFile(t, logFile)), "COMPILE_OK")
	}
}

func freePort(t *testing.T) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}
