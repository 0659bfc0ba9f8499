//go:build linux

// Package e2e drives the ldwrap commands against real compilers, linkers,
// build systems and daemons. A test whose tools are missing is skipped,
// naming the mage target that provides them; under go run mage.go check
// (LDWRAP_E2E_STRICT=1) it fails instead.
package e2e

import (
	"bytes"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"sort"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/ldwrap/ldwrap/internal/testenv"
)

// bin holds the ldwrap commands built for this run.
var bin string

// strict makes a missing tool a failure, not a skip: go run mage.go check
// (and so CI) sets it; a plain go test ./... does not.
var strict = testenv.Strict()

// providers say where each thing a test needs comes from.
var providers = map[string]string{
	"root":    "run as root (go run mage.go check does)",
	"sid":     "the Debian sid chroot, as root: go run mage.go sid",
	"bazel7":  "Bazel 7 in the sid chroot: go run mage.go bazel:bzlmodSetup",
	"bazel":   "Bazel 4.2.3 set up offline: go run mage.go bazel:setup",
	"go1.19":  "Go 1.19: go run mage.go deps",
	"default": "go run mage.go deps",
}

// need skips the test (or, under strict, fails it) when a tool it drives
// is missing: a command on PATH, or "root", "sid" (the chroot), "bazel7".
func need(t testing.TB, what ...string) {
	t.Helper()
	for _, w := range what {
		ok := false
		switch w {
		case "root":
			ok = os.Geteuid() == 0
		case "sid":
			ok = sidReady
		case "bazel7":
			_, err := os.Stat(sidRoot + testenv.SidBazelrc)
			ok = sidReady && err == nil
		case "bazel":
			_, err := exec.LookPath("bazel")
			_, rc := os.Stat(testenv.OfflineRulesCC)
			ok = err == nil && rc == nil
		default:
			_, err := exec.LookPath(w)
			ok = err == nil
		}
		if ok {
			continue
		}
		from := providers[w]
		if from == "" {
			from = providers["default"]
		}
		if strict {
			t.Fatalf("missing %s: %s", w, from)
		}
		t.Skipf("needs %s: %s", w, from)
	}
}

// portable is set when the commands under test were built with the
// ldwrap_portable tag (LDWRAP_E2E_TAGS=ldwrap_portable): the POSIX
// fallbacks, whose promises are weaker (named leftovers instead of none,
// no death signal for the tool), and the tests assert them as such.
var portable = strings.Contains(testenv.Tags(), "ldwrap_portable")

// Parallel tests: the builds of whole projects and of Go programs, the
// matrices and the differential tests call t.Parallel. Each works in its
// own directories and starts no daemon, and most run one tool at a time,
// so two of them share the 2 cores of the CI machine where one alone
// leaves one idle. In one go test process they run after the others, which
// watch processes, signals and timing and so run one at a time; mage check
// runs the two kinds in two processes side by side (e2eBuildTests in
// magefiles/magefile.go).

// sidReady: the sid chroot exists and holds this run's ldwrap.
var sidReady bool

// removeAtExit are directories shared by tests, removed when they all ran.
var removeAtExit []string

func TestMain(m *testing.M) {
	// Go keeps an inherited SIG_IGN of SIGHUP and SIGINT (nohup, a
	// background job), and so would every command the tests start: ldwrap
	// keeps them ignored, as it must, and the tests that send them would
	// see nothing happen. A handler that drops them leaves this process as
	// deaf as it was started, and its children start with the default.
	for _, s := range []os.Signal{syscall.SIGHUP, syscall.SIGINT} {
		if signal.Ignored(s) {
			signal.Notify(make(chan os.Signal, 1), s)
		}
	}
	flag.Parse()
	if err := selectPortable(); err != nil {
		fmt.Fprintln(os.Stderr, "e2e:", err)
		os.Exit(1)
	}
	dir, err := os.MkdirTemp("", "ldwrap-e2e-bin")
	if err != nil {
		panic(err)
	}
	os.Chmod(dir, 0o755) // the security tests run the commands as nobody
	root := repoRoot()
	cmd := exec.Command("go", "build", "-tags="+testenv.Tags(), "-o", dir, "./ldwrap/cmd/...")
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0") // as go run mage.go install builds them
	cmd.Dir = root
	cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
	if err := cmd.Run(); err != nil {
		fmt.Fprintln(os.Stderr, "e2e: building ldwrap:", err)
		os.Exit(1)
	}
	bin = dir
	if _, err := os.Stat(testenv.SidMarker()); err == nil {
		switch err := copyBinaries(dir); {
		case err == nil:
			sidReady = true
		case os.Geteuid() != 0:
			// Root's chroot: a user's go test skips the tests that need it.
		default:
			fmt.Fprintln(os.Stderr, "e2e: copying ldwrap into the sid chroot:", err)
			os.Exit(1)
		}
	}
	code := m.Run()
	if err := devNullIntact(); err != nil {
		fmt.Fprintln(os.Stderr, "e2e:", err)
		code = 1
	}
	os.RemoveAll(dir)
	for _, d := range removeAtExit {
		os.RemoveAll(d)
	}
	if err := writeBenchReport(os.Getenv(testenv.BenchDirVar)); err != nil {
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
	need(t, "root", "setpriv")
}

// devNullIntact checks, after every test, that no test replaced the
// host's /dev/null or /dev/stdout: during one run of check it became a regular file, and
// nothing said which test did it.
func devNullIntact() error {
	fi, err := os.Lstat("/dev/null")
	if err != nil {
		return err
	}
	if fi.Mode()&os.ModeCharDevice == 0 || fi.Mode()&os.ModeDevice == 0 {
		return fmt.Errorf("/dev/null is no longer a character device: %v", fi.Mode())
	}
	// A staged -o /dev/stdout once replaced the link with a file.
	for _, fd := range []string{"stdin", "stdout", "stderr"} {
		if dest, err := os.Readlink("/dev/" + fd); err != nil || !strings.HasPrefix(dest, "/proc/self/fd/") {
			return fmt.Errorf("/dev/%s is no longer a link to /proc/self/fd: %v", fd, err)
		}
	}
	return nil
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

func names[V any](m map[string]V) []string {
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
	// ldwrap-run stages in the parent of the output's directory.
	above, _ := filepath.Glob(filepath.Join(filepath.Dir(filepath.Clean(dir)), ".ldwrap.*"))
	return append(found, above...)
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
