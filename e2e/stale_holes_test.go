//go:build linux

package e2e

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// replaceByRename puts new content at path the way ldwrap and install do.
func replaceByRename(t *testing.T, path string) {
	t.Helper()
	b := readFile(t, path)
	fi, err := os.Stat(path)
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(path+".new", b, fi.Mode().Perm()))
	require.NoError(t, os.Rename(path+".new", path))
}

// staleLines runs ldwrap-stale on roots and returns its lines, without the
// count of processes it could not inspect.
func staleLines(t *testing.T, args ...string) (int, string) {
	t.Helper()
	code, out := exitCode("/", nil, append([]string{ldwrap("ldwrap-stale")}, args...)...)
	out, _ = denied(out)
	return code, out
}

// A process in another mount namespace runs the file through a bind
// mount: replaced on the host, it is found, under the host's path. A
// process whose own namespace replaced a file on its private tmpfs, at a
// path that exists on the host too, is not.
func TestStaleOtherMountNamespace(t *testing.T) {
	need(t, "root", "gcc", "unshare", "lsof")
	base := publicDir(t)
	app := filepath.Join(base, "app")
	writeFile(t, filepath.Join(app, "prog.c"), strings.Replace(waitingMain, "VERSION", "v1", 1))
	run(t, app, nil, "gcc", "-o", "prog", "prog.c")
	mnt := filepath.Join(base, "mnt")
	require.NoError(t, os.MkdirAll(mnt, 0o755))
	inNS := startWaiting(t, "/", "unshare", "-m", "--propagation", "private", "sh", "-c",
		`mount --bind "$0" "$1" && exec "$1/prog" "$2"`, app, mnt)
	defer inNS.finish()
	replaceByRename(t, filepath.Join(app, "prog"))

	code, out := staleLines(t, app)
	assert.Equal(t, 1, code, out)
	assert.Equal(t, fmt.Sprintf("%d (prog) executable %s/prog\n", pid(inNS), app), out)
	// The control: lsof, which reads /proc the same way, sees it deleted.
	lsof, _ := runErr("/", nil, "lsof", "-p", fmt.Sprint(pid(inNS)))
	assert.Contains(t, lsof, "(deleted)")

	// Its own tmpfs over tmp/, where the host has a file of the same name.
	tmp := filepath.Join(base, "tmp")
	writeFile(t, filepath.Join(tmp, "x"), "the host's own x\n")
	private := startWaiting(t, "/", "unshare", "-m", "--propagation", "private", "sh", "-c",
		`mount -t tmpfs none "$0" && cp "$1" "$0/x" && cp "$1" "$0/x.new" && ("$0/x" "$2" & sleep 0.5; mv "$0/x.new" "$0/x"; wait)`,
		tmp, filepath.Join(app, "prog"), "wait")
	defer private.finish()
	time.Sleep(time.Second)
	code, out = staleLines(t, tmp)
	assert.Empty(t, out, "a file only that namespace had is no old version of the host's")
	assert.Contains(t, []int{0, 3}, code)
}

// An interpreter's script, replaced after the process started, is an old
// version in use; the script is not held open, so only its change after
// the start tells.
func TestStaleInterpreterScript(t *testing.T) {
	need(t, "perl")
	dir := t.TempDir()
	script := filepath.Join(dir, "app.pl")
	writeFile(t, script, "$| = 1; print \"started\\n\"; sleep 60;\n")
	old := startWaitingPlain(t, dir, "perl", script)
	defer old.cmd.Process.Kill()
	time.Sleep(1100 * time.Millisecond)
	replaceByRename(t, script)
	time.Sleep(1100 * time.Millisecond)
	code, out := staleLines(t, dir)
	assert.Equal(t, 1, code, out)
	assert.Equal(t, fmt.Sprintf("%d (perl) script %s\n", old.cmd.Process.Pid, script), out)
}

// startWaitingPlain starts argv and waits for it to print "started".
func startWaitingPlain(t *testing.T, dir string, argv ...string) *running {
	cmd := exec.Command(argv[0], argv[1:]...)
	cmd.Dir = dir
	r := &running{cmd: cmd, out: &bytes.Buffer{}}
	cmd.Stdout, cmd.Stderr = r.out, r.out
	stdin, err := cmd.StdinPipe()
	require.NoError(t, err)
	r.stdin = stdin
	require.NoError(t, cmd.Start())
	waitFor(t, argv[0]+" to start", 10*time.Second, func() bool { return strings.Contains(r.output(), "started") })
	return r
}

// Shared anonymous memory shows as "/dev/zero (deleted)" in maps, but it
// is no file anyone replaced: ldwrap-stale / does not list it.
func TestStaleSkipsSharedAnonymousMemory(t *testing.T) {
	need(t, "gcc")
	dir := t.TempDir()
	writeFile(t, filepath.Join(dir, "shm.c"), `#include <stdio.h>
#include <sys/mman.h>
#include <unistd.h>
int main(void) {
	char *p = mmap(0, 4096, PROT_READ|PROT_WRITE, MAP_SHARED|MAP_ANONYMOUS, -1, 0);
	p[0] = 1; puts("started"); fflush(stdout); pause(); return 0;
}
`)
	run(t, dir, nil, "gcc", "-o", "shm", "shm.c")
	p := startWaitingPlain(t, dir, "./shm")
	defer p.cmd.Process.Kill()
	maps := string(readFile(t, fmt.Sprintf("/proc/%d/maps", p.cmd.Process.Pid)))
	require.Contains(t, maps, "/dev/zero (deleted)", "the mapping the old scan took for a replaced file")
	_, out := staleLines(t, "/")
	assert.NotContains(t, out, "/dev/zero")
	assert.NotContains(t, out, fmt.Sprintf("%d (shm)", p.cmd.Process.Pid))
}

// A name with a newline, and one that looks like a field, stay one line,
// one path, its spaces escaped: nothing in it reads as a field; --json
// carries them exactly; -h is help, not a path.
func TestStaleOutputEscapingAndJSON(t *testing.T) {
	dir := t.TempDir()
	odd := filepath.Join(dir, "new\nline x unit=fake.service")
	writeFile(t, odd, "old\n")
	holder := startWaitingPlain(t, dir, "sh", "-c", `exec 7<"$0"; echo started; exec sleep 60`, odd)
	defer holder.cmd.Process.Kill()
	replaceByRename(t, odd)

	code, out := staleLines(t, dir)
	assert.Equal(t, 1, code)
	assert.Equal(t, fmt.Sprintf("%d (sleep) descriptor %s/new\\x0aline\\x20x\\x20unit=fake.service\n", holder.cmd.Process.Pid, strings.ReplaceAll(dir, " ", `\x20`)), out)

	code, out = staleLines(t, "--json", dir)
	assert.Equal(t, 1, code)
	var res struct {
		Uses []struct {
			PID  int    `json:"pid"`
			Kind string `json:"kind"`
			Path string `json:"path"`
			Unit string `json:"unit"`
		} `json:"uses"`
	}
	require.NoError(t, json.Unmarshal([]byte(out), &res), out)
	require.Len(t, res.Uses, 1)
	assert.Equal(t, odd, res.Uses[0].Path)
	assert.Equal(t, "", res.Uses[0].Unit)

	code, out = staleLines(t, "-h")
	assert.Equal(t, 0, code)
	assert.Contains(t, out, "usage: ldwrap-stale")
	code, out = staleLines(t, "--bogus")
	assert.Equal(t, 2, code)
	assert.Equal(t, "ldwrap-stale: option --bogus: unknown (see ldwrap-stale --help)\n", out)
}

// On a merged-/usr system /bin is /usr/bin: a root given as /bin finds
// what /usr/bin finds.
func TestStaleSymlinkedRoot(t *testing.T) {
	need(t, "root", "gcc")
	if target, err := os.Readlink("/bin"); err != nil || strings.TrimPrefix(target, "/") != "usr/bin" {
		t.Skip("/bin is not a link to /usr/bin here")
	}
	dir := t.TempDir()
	writeFile(t, filepath.Join(dir, "prog.c"), strings.Replace(waitingMain, "VERSION", "v1", 1))
	name := fmt.Sprintf("ldwrap-e2e-stale-%d", os.Getpid())
	prog := filepath.Join("/usr/bin", name)
	run(t, dir, nil, "gcc", "-o", prog, "prog.c")
	t.Cleanup(func() { os.Remove(prog) })
	p := startWaiting(t, dir, prog)
	defer p.finish()
	replaceByRename(t, prog)
	for _, root := range []string{"/usr/bin", "/bin"} {
		_, out := staleLines(t, root)
		assert.Contains(t, out, fmt.Sprintf("%d (%s) executable %s", pid(p), name[:15], prog), root)
	}
}
