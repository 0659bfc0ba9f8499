//go:build linux

package e2e

import (
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// staleScene is a directory with a program and a library user running,
// and an unrelated copy of the program running from another directory.
type staleScene struct {
	dir, other      string
	prog, user, cpy *running
}

func newStaleScene(t *testing.T) *staleScene {
	base := publicDir(t)
	s := &staleScene{dir: filepath.Join(base, "app"), other: filepath.Join(base, "other")}
	writeFile(t, filepath.Join(s.dir, "prog.c"), strings.Replace(waitingMain, "VERSION", "v1", 1))
	writeFile(t, filepath.Join(s.dir, "foo.c"), libSource(1, 0))
	writeFile(t, filepath.Join(s.dir, "foo2.c"), libSource(2, 200))
	writeFile(t, filepath.Join(s.dir, "user.c"), libUser)
	run(t, s.dir, nil, "gcc", "-o", "prog", "prog.c")
	run(t, s.dir, nil, "gcc", "-shared", "-fPIC", "-o", "libfoo.so", "foo.c")
	run(t, s.dir, nil, "gcc", "-o", "user", "user.c", "-L.", "-lfoo", "-Wl,-rpath,$ORIGIN")
	require.NoError(t, os.MkdirAll(s.other, 0o755))
	run(t, s.dir, nil, "cp", "prog", filepath.Join(s.other, "prog"))
	s.prog = startWaiting(t, s.dir, "./prog")
	s.user = startWaiting(t, s.dir, "./user")
	s.cpy = startWaiting(t, s.other, "./prog")
	// The unrelated copy is replaced too (by rename, not by ldwrap): it is
	// an old version of other/prog, never of app/prog.
	run(t, s.other, nil, "sh", "-c", "cp prog prog.new && mv prog.new prog")
	t.Cleanup(func() { s.prog.finish(); s.user.finish(); s.cpy.finish() })
	return s
}

func pid(r *running) int { return r.cmd.Process.Pid }

// noneFound is ldwrap-stale's status when it found nothing: 0, or 3 when
// n processes could not be inspected.
func noneFound(n int) int {
	if n > 0 {
		return 3
	}
	return 0
}

// denied splits off the line that counts uninspectable processes. Even as
// root there can be some: a sandbox's own init hides its maps.
func denied(out string) (rest string, n int) {
	re := regexp.MustCompile(`(?m)^ldwrap(-stale)?: ([0-9]+) process(es)? could not be inspected \(permission denied\)(: .*)?\n`)
	if m := re.FindStringSubmatch(out); m != nil {
		n, _ = strconv.Atoi(m[2])
	}
	return re.ReplaceAllString(out, ""), n
}

// After a replacement through ldwrap-cc or ldwrap-install, LDWRAP_STALE=1
// names the running program and the library user, by PID; ldwrap-stale
// lists them with their kind; the unrelated copy is in neither; after they
// exit, ldwrap-stale lists nothing and exits 0.
func TestStaleAfterReplacement(t *testing.T) {
	need(t, "gcc")
	for _, front := range []string{"ldwrap-cc", "ldwrap-install"} {
		t.Run(front, func(t *testing.T) {
			s := newStaleScene(t)
			var progOut, libOut string
			env := []string{"LDWRAP_STALE=1"}
			if front == "ldwrap-cc" {
				writeFile(t, filepath.Join(s.dir, "prog.c"), strings.Replace(waitingMain, "VERSION", "v2", 1))
				progOut, _ = denied(run(t, s.dir, env, ldwrap("ldwrap-cc"), "-o", "prog", "prog.c"))
				libOut, _ = denied(run(t, s.dir, env, ldwrap("ldwrap-cc"), "-shared", "-fPIC", "-o", "libfoo.so", "foo2.c"))
			} else {
				run(t, s.dir, nil, "gcc", "-o", "prog.new", "prog.c")
				run(t, s.dir, nil, "gcc", "-shared", "-fPIC", "-o", "libfoo.new", "foo2.c")
				progOut, _ = denied(run(t, s.dir, env, ldwrap("ldwrap-install"), "-m", "755", "prog.new", filepath.Join(s.dir, "prog")))
				libOut, _ = denied(run(t, s.dir, env, ldwrap("ldwrap-install"), "-m", "755", "libfoo.new", filepath.Join(s.dir, "libfoo.so")))
			}
			assert.Regexp(t, fmt.Sprintf(`^ldwrap: \S*prog: old version still in use by %d \(prog\)\n$`, pid(s.prog)), progOut)
			assert.Regexp(t, fmt.Sprintf(`^ldwrap: \S*libfoo.so: old version still in use by %d \(user\)\n$`, pid(s.user)), libOut)

			code, out := exitCode(s.dir, nil, ldwrap("ldwrap-stale"), s.dir)
			out, _ = denied(out)
			assert.Equal(t, 1, code, out)
			assert.Equal(t, fmt.Sprintf("%d (user) mapping %s/libfoo.so\n%d (prog) executable %s/prog\n",
				pid(s.user), s.dir, pid(s.prog), s.dir), out)
			assert.NotContains(t, out, fmt.Sprint(pid(s.cpy)), "the unrelated copy")
			// The control: the unrelated copy is found where it lives.
			code, out = exitCode(s.dir, nil, ldwrap("ldwrap-stale"), s.other)
			out, _ = denied(out)
			assert.Equal(t, 1, code)
			assert.Equal(t, fmt.Sprintf("%d (prog) executable %s/prog\n", pid(s.cpy), s.other), out)

			s.prog.finish()
			s.user.finish()
			code, out = exitCode(s.dir, nil, ldwrap("ldwrap-stale"), s.dir)
			out, n := denied(out)
			assert.Equal(t, noneFound(n), code, out)
			assert.Empty(t, out)
		})
	}
	// Off by default: the same replacement says nothing.
	s := newStaleScene(t)
	assert.Empty(t, run(t, s.dir, nil, ldwrap("ldwrap-cc"), "-o", "prog", "prog.c"))
}

// A file replaced twice while two generations run: each old inode is
// listed for its own process.
func TestStaleTwoOldVersions(t *testing.T) {
	need(t, "gcc")
	s := newStaleScene(t)
	out, _ := denied(run(t, s.dir, []string{"LDWRAP_STALE=1"}, ldwrap("ldwrap-cc"), "-o", "prog", "prog.c"))
	assert.Contains(t, out, fmt.Sprintf("still in use by %d (prog)", pid(s.prog)))
	second := startWaiting(t, s.dir, "./prog")
	defer second.finish()
	out, _ = denied(run(t, s.dir, []string{"LDWRAP_STALE=1"}, ldwrap("ldwrap-cc"), "-o", "prog", "prog.c"))
	assert.Equal(t, fmt.Sprintf("ldwrap: %s/prog: old version still in use by %d (prog), %d (prog)\n", s.dir, pid(s.prog), pid(second)), out,
		"both old versions: each process still runs one")
	code, out := exitCode(s.dir, nil, ldwrap("ldwrap-stale"), filepath.Join(s.dir, "prog"))
	out, _ = denied(out)
	assert.Equal(t, 1, code)
	assert.Equal(t, fmt.Sprintf("%d (prog) executable %s/prog\n%d (prog) executable %s/prog\n",
		pid(s.prog), s.dir, pid(second), s.dir), out)
}

// As nobody, root's processes cannot be inspected: they are counted on
// stderr, never dropped silently. As root (the control), none is.
func TestStaleAsNobody(t *testing.T) {
	need(t, "root", "setpriv", "gcc")
	requireRoot(t)
	s := newStaleScene(t)
	run(t, s.dir, nil, ldwrap("ldwrap-cc"), "-o", "prog", "prog.c")
	code, out := exitCode(s.dir, nil, asNobody(ldwrap("ldwrap-stale"), s.dir)...)
	rest, nNobody := denied(out)
	assert.Equal(t, 3, code, "nothing found, but not everything seen, is not \"none\": %s", out)
	assert.Empty(t, rest, "root's processes are not listed to nobody")
	code, out = exitCode(s.dir, nil, ldwrap("ldwrap-stale"), s.dir)
	_, nRoot := denied(out)
	assert.Equal(t, 1, code)
	// The test's own processes (root's) are among those nobody cannot see.
	assert.GreaterOrEqual(t, nNobody, nRoot+3, "as nobody %d, as root %d", nNobody, nRoot)
	// They are named: on stderr the first ones, PID (COMMAND), in --json
	// all, this test among them; each is one whose maps nobody cannot read.
	_, out = exitCode(s.dir, nil, asNobody(ldwrap("ldwrap-stale"), s.dir)...)
	assert.Regexp(t, `processes could not be inspected \(permission denied\): [0-9]+ \([^)]*\), `, out)
	code, out = exitCode(s.dir, nil, asNobody(ldwrap("ldwrap-stale"), "--json", s.dir)...)
	assert.Equal(t, 3, code, out)
	var res struct {
		Uninspected int `json:"uninspected"`
		Processes   []struct {
			PID  int    `json:"pid"`
			Comm string `json:"comm"`
		} `json:"uninspected_processes"`
	}
	require.NoError(t, json.Unmarshal([]byte(out), &res), out)
	assert.Equal(t, res.Uninspected, len(res.Processes))
	named := map[int]string{}
	for _, p := range res.Processes {
		named[p.PID] = p.Comm
	}
	self := strings.TrimSpace(string(readFile(t, "/proc/self/comm")))
	assert.Equal(t, self, named[os.Getpid()], "this test's process is named")
	assert.Equal(t, "prog", named[pid(s.prog)])
	_, err := exec.Command("setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", "--", "cat", fmt.Sprintf("/proc/%d/maps", pid(s.prog))).Output()
	assert.Error(t, err, "the control: nobody cannot read its maps")
	code, out = exitCode(s.dir, nil, ldwrap("ldwrap-stale"), filepath.Join(s.dir, "missing"))
	assert.Equal(t, 2, code)
	assert.Equal(t, "ldwrap-stale: stat "+filepath.Join(s.dir, "missing")+": no such file or directory\n", out)
}
