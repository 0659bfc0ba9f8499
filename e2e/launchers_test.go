//go:build linux

package e2e

import (
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

// launcher is a compiler launcher ldwrap composes with.
type launcher struct {
	name string
	// masq is its masquerade directory, as Debian installs it; "" if it
	// has none (sccache).
	masq string
	// start readies it for one test: the environment it needs, and a count
	// of the work it did (cache hits, or jobs its daemon ran).
	start func(t *testing.T) (env []string, work func() int)
	// cache: a rebuild must add a hit. Otherwise each compile adds a job.
	cache bool
}

var launchers = []launcher{
	{name: "ccache", masq: "/usr/lib/ccache", cache: true, start: startCcache},
	{name: "sccache", cache: true, start: startSccache},
	{name: "distcc", masq: "/usr/lib/distcc", start: func(t *testing.T) ([]string, func() int) {
		hosts, jobs := startDistccd(t)
		return []string{hosts, "DISTCC_FALLBACK=0", "DISTCC_SKIP_LOCAL_RETRY=1", "DISTCC_DIR=" + t.TempDir()}, jobs
	}},
	{name: "icecc", masq: "/usr/lib/icecc/bin", start: startIcecream},
}

func startCcache(t *testing.T) ([]string, func() int) {
	env := []string{"CCACHE_DIR=" + t.TempDir()}
	return env, func() int { return ccacheHits(t, bookworm, "/", env) }
}

func startSccache(t *testing.T) ([]string, func() int) {
	env := []string{"SCCACHE_DIR=" + t.TempDir(), "SCCACHE_SERVER_PORT=" + strconv.Itoa(freePort(t)), "SCCACHE_IDLE_TIMEOUT=0"}
	run(t, "/", env, "sccache", "--start-server")
	t.Cleanup(func() { runErr("/", env, "sccache", "--stop-server") })
	return env, func() int {
		out := run(t, "/", env, "sccache", "--show-stats")
		m := regexp.MustCompile(`(?m)^Cache hits\s+(\d+)$`).FindStringSubmatch(out)
		require.NotNil(t, m, "sccache stats: %s", out)
		n, _ := strconv.Atoi(m[1])
		return n
	}
}

// startIcecream runs Debian's icecc scheduler and daemon on loopback, as
// TestDistcc runs distccd: the daemon asks the scheduler for each job, and
// the scheduler logs it. The daemon's socket is /var/run/icecc's, so the
// test needs root and no other iceccd.
func startIcecream(t *testing.T) ([]string, func() int) {
	requireRoot(t)
	logDir := publicDir(t)
	// The scheduler runs as user icecc, and the daemon recreates its
	// environment cache in here as icecc.
	require.NoError(t, os.Chmod(logDir, 0o1777))
	schedLog := filepath.Join(logDir, "scheduler.log")
	port := freePort(t) // and port+1, its telnet interface
	start := func(argv ...string) {
		cmd := exec.Command(argv[0], argv[1:]...)
		out, err := os.Create(filepath.Join(logDir, filepath.Base(argv[0])+".out"))
		require.NoError(t, err)
		cmd.Stdout, cmd.Stderr = out, out
		require.NoError(t, cmd.Start())
		t.Cleanup(func() {
			syscall.Kill(cmd.Process.Pid, syscall.SIGTERM)
			cmd.Wait()
			out.Close()
		})
	}
	start("icecc-scheduler", "-p", strconv.Itoa(port), "-l", schedLog, "-vv")
	daemonPort := freePort(t)
	for daemonPort == port+1 { // the scheduler's telnet interface
		daemonPort = freePort(t)
	}
	start("iceccd", "-s", "127.0.0.1:"+strconv.Itoa(port), "-p", strconv.Itoa(daemonPort), "-m", "2",
		"-b", filepath.Join(logDir, "envs"), "-vvv")
	daemonLog := filepath.Join(logDir, "iceccd.out")
	deadline := time.Now().Add(60 * time.Second)
	for {
		b, _ := os.ReadFile(daemonLog)
		if strings.Contains(string(b), "Connected to scheduler") {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("iceccd did not join the scheduler:\n%s", b)
		}
		time.Sleep(100 * time.Millisecond)
	}
	return []string{"ICECC_DEBUG=warning"}, func() int {
		b, _ := os.ReadFile(schedLog)
		return len(regexp.MustCompile(`(?m): NEW \d+ client=`).FindAll(b, -1))
	}
}

// compositionForm is one way of putting ldwrap and a launcher together.
type compositionForm struct {
	name string
	// outer: ldwrap runs the launcher, so it commits every output, cache
	// hits included. Inner forms (the launcher runs ldwrap) commit only
	// what the compiler writes: on a hit ccache writes the output itself.
	outer bool
	argv  func(l launcher, links string, args []string) []string
	path  func(l launcher, links string) string // "" keeps PATH
}

var compositionForms = []compositionForm{
	{"prefix", true, func(l launcher, _ string, args []string) []string {
		return append([]string{ldwrap("ldwrap-cc"), l.name, "gcc"}, args...)
	}, nil},
	{"LDWRAP_CC", true, func(_ launcher, _ string, args []string) []string {
		return append([]string{ldwrap("ldwrap-cc")}, args...)
	}, nil},
	{"links before the launcher's", true, func(_ launcher, _ string, args []string) []string {
		return viaShell(append([]string{"gcc"}, args...)...)
	}, func(l launcher, links string) string { return links + ":" + l.masq }},
	{"links after the launcher's", false, func(l launcher, links string, args []string) []string {
		if l.masq == "" { // sccache: the launcher in front of ldwrap's link
			return append([]string{l.name, filepath.Join(links, "gcc")}, args...)
		}
		return viaShell(append([]string{"gcc"}, args...)...)
	}, func(l launcher, links string) string {
		if l.masq == "" {
			return ""
		}
		return l.masq + ":" + links
	}},
}

// Each launcher in each form: the outputs equal the bare launcher's, the
// launcher does its work (a rebuild hits the cache; the daemon runs the
// job), an outer ldwrap commits even a cache hit, a failing compile exits
// as the bare one does, and nothing loops.
func TestLauncherCompositions(t *testing.T) {
	need(t, "gcc", "ccache", "sccache", "distcc", "distccd", "icecc", "iceccd", "icecc-scheduler")
	// iceccd packs the compiler it is asked about as user icecc, so the
	// links must be where that user can read them.
	links := filepath.Join(publicDir(t), "links")
	installLinks(t, links, nil)
	for _, l := range launchers {
		l := l
		t.Run(l.name, func(t *testing.T) {
			env, work := l.start(t)
			dir := t.TempDir()
			writeFile(t, filepath.Join(dir, "a.c"), matrixC)
			writeFile(t, filepath.Join(dir, "bad.c"), "int f(void) { return nope; }\n")
			require.NoError(t, os.MkdirAll(filepath.Join(dir, "sub"), 0o755))
			keep := map[string]bool{"a.c": true, "bad.c": true}
			args := []string{"-c", "-MD", "-O2", "-o", "sub/x.o", "a.c"}
			clean(t, dir, keep)
			run(t, dir, env, append([]string{l.name, "gcc"}, args...)...)
			bare := without(snapshot(t, dir), keep)
			badArgs := []string{"-c", "-o", "sub/x.o", "bad.c"}
			bareCode, bareOut := exitCode(dir, env, append([]string{l.name, "gcc"}, badArgs...)...)
			require.NotEqual(t, 0, bareCode, bareOut)

			for _, f := range compositionForms {
				if f.name == "links before the launcher's" && l.masq == "" {
					continue // sccache has no masquerade directory
				}
				t.Run(f.name, func(t *testing.T) {
					fenv := append([]string{"LDWRAP_VERBOSE=1"}, env...)
					if f.name == "LDWRAP_CC" {
						fenv = append(fenv, "LDWRAP_CC="+l.name+" gcc")
					}
					if f.path != nil && f.path(l, links) != "" {
						fenv = append(fenv, "PATH="+f.path(l, links)+":"+os.Getenv("PATH"))
					}
					clean(t, dir, keep)
					for round := 1; round <= 2; round++ {
						before := work()
						out := run(t, dir, fenv, f.argv(l, links, args)...)
						assert.Empty(t, diffSnapshots(bare, without(snapshot(t, dir), keep)), "round %d\n%s", round, out)
						assert.Empty(t, leftovers(t, dir))
						if f.outer {
							assert.Contains(t, out, "sub/x.o: committed", "round %d", round)
						}
						switch {
						case !l.cache:
							waitFor(t, l.name+" to count the job", 60*time.Second, func() bool { return work() == before+1 })
						case round == 2:
							assert.Equal(t, before+1, work(), "the rebuild is a cache hit\n%s", out)
						}
					}
					old := readFile(t, filepath.Join(dir, "sub/x.o"))
					code, out := exitCode(dir, fenv, f.argv(l, links, badArgs)...)
					assert.Equal(t, bareCode, code, out)
					if f.outer {
						assert.Equal(t, old, readFile(t, filepath.Join(dir, "sub/x.o")), "a failed compile leaves the old object")
					}
					assert.Empty(t, leftovers(t, dir))
				})
			}
		})
	}
}
