// Package e2e drives the ldwrap commands against real compilers, linkers,
// make and ccache. Every tool is required: a missing one fails the run.
package e2e

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"sort"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// bin holds the ldwrap commands built for this run.
var bin string

// requiredTools are the programs these tests drive. .ci/run installs them.
var requiredTools = []string{"gcc", "g++", "clang", "ld.bfd", "ld.gold", "ld.lld", "mold", "make", "ccache", "distcc", "distccd", "install", "setpriv", "bazel"}

func TestMain(m *testing.M) {
	var missing []string
	for _, t := range requiredTools {
		if _, err := exec.LookPath(t); err != nil {
			missing = append(missing, t)
		}
	}
	if _, err := os.Stat(sidRoot + "/root/.bazelrc"); err != nil {
		missing = append(missing, "the sid chroot with Bazel 7 (go run mage.go bazel:bzlmodSetup)")
	}
	if len(missing) > 0 {
		fmt.Fprintf(os.Stderr, "e2e: missing tools %v: run .ci/run or `go run mage.go deps`\n", missing)
		os.Exit(1)
	}
	dir, err := os.MkdirTemp("", "ldwrap-e2e-bin")
	if err != nil {
		panic(err)
	}
	os.Chmod(dir, 0o755) // the security tests run the commands as nobody
	_, self, _, _ := runtime.Caller(0)
	root := filepath.Dir(filepath.Dir(self))
	cmd := exec.Command("go", "build", "-o", dir, "./ldwrap/cmd/...")
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0") // as go run mage.go install builds them
	cmd.Dir = root
	cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
	if err := cmd.Run(); err != nil {
		fmt.Fprintln(os.Stderr, "e2e: building ldwrap:", err)
		os.Exit(1)
	}
	bin = dir
	if err := copyBinaries(dir); err != nil {
		fmt.Fprintln(os.Stderr, "e2e: copying ldwrap into the sid chroot:", err)
		os.Exit(1)
	}
	code := m.Run()
	os.RemoveAll(dir)
	if err := writeBenchReport(os.Getenv("LDWRAP_BENCH_DIR")); err != nil {
		fmt.Fprintln(os.Stderr, "e2e: writing the benchmark report:", err)
		code = 1
	}
	os.Exit(code)
}

func ldwrap(name string) string { return filepath.Join(bin, name) }

// publicDir is a temporary directory that other users can traverse, for
// the tests that run commands as nobody.
func publicDir(t *testing.T) string {
	t.Helper()
	dir, err := os.MkdirTemp("", "ldwrap-e2e-pub")
	require.NoError(t, err)
	require.NoError(t, os.Chmod(dir, 0o755))
	t.Cleanup(func() { os.RemoveAll(dir) })
	return dir
}

// asNobody prefixes argv to run it as the unprivileged user nobody.
func asNobody(argv ...string) []string {
	return append([]string{"setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", "--"}, argv...)
}

func requireRoot(t *testing.T) {
	t.Helper()
	require.Equal(t, 0, os.Geteuid(), "this test mounts filesystems and switches users: run it as root (CI does)")
}

// run runs argv in dir with extra environment and returns combined output;
// it fails the test on a non-zero exit.
func run(t testing.TB, dir string, env []string, argv ...string) string {
	t.Helper()
	out, err := runErr(dir, env, argv...)
	require.NoError(t, err, "%v\n%s", argv, out)
	return out
}

func runErr(dir string, env []string, argv ...string) (string, error) {
	cmd := exec.Command(argv[0], argv[1:]...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), env...)
	var b bytes.Buffer
	cmd.Stdout, cmd.Stderr = &b, &b
	err := cmd.Run()
	return b.String(), err
}

// exitCode runs argv and returns its exit status (or -signal) and stderr.
func exitCode(dir string, env []string, argv ...string) (int, string) {
	out, err := runErr(dir, env, argv...)
	if err == nil {
		return 0, out
	}
	if ee, ok := err.(*exec.ExitError); ok {
		ws := ee.Sys().(syscall.WaitStatus)
		if ws.Signaled() {
			return -int(ws.Signal()), out
		}
		return ws.ExitStatus(), out
	}
	return -1000, out + err.Error()
}

func writeFile(t testing.TB, path, content string) {
	t.Helper()
	require.NoError(t, os.MkdirAll(filepath.Dir(path), 0o755))
	require.NoError(t, os.WriteFile(path, []byte(content), 0o644))
}

func readFile(t testing.TB, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	require.NoError(t, err)
	return b
}

// snapshot returns every file under dir (relative path -> content).
func snapshot(t *testing.T, dir string) map[string][]byte {
	t.Helper()
	m := map[string][]byte{}
	err := filepath.Walk(dir, func(p string, fi os.FileInfo, err error) error {
		if err != nil {
			return err
		}
		if fi.Mode().IsRegular() {
			rel, _ := filepath.Rel(dir, p)
			b, err := os.ReadFile(p)
			if err != nil {
				return err
			}
			m[rel] = b
		}
		return nil
	})
	require.NoError(t, err)
	return m
}

func names(m map[string][]byte) []string {
	var n []string
	for k := range m {
		n = append(n, k)
	}
	sort.Strings(n)
	return n
}

// leftovers lists ldwrap staging directories under dir.
func leftovers(t *testing.T, dir string) []string {
	t.Helper()
	var found []string
	filepath.Walk(dir, func(p string, fi os.FileInfo, err error) error {
		if err == nil && strings.HasPrefix(fi.Name(), ".ldwrap.") {
			found = append(found, p)
		}
		return nil
	})
	return found
}

func waitFor(t *testing.T, what string, timeout time.Duration, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(2 * time.Millisecond)
	}
}

const helloC = `#include <stdio.h>
int main(void) { puts("VERSION"); return 0; }
`

func hello(version string) string { return strings.Replace(helloC, "VERSION", version, 1) }
