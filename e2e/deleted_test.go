//go:build linux

package e2e

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// holders is a directory with a program running, a library mapped by a
// running user, and a data file held open: the three ways a process keeps
// an old file, as /proc shows them.
type holders struct {
	dir             string
	prog, user, fds *running
}

func newHolders(t *testing.T) *holders {
	h := &holders{dir: t.TempDir()}
	writeFile(t, filepath.Join(h.dir, "prog.c"), strings.Replace(waitingMain, "VERSION", "v1", 1))
	writeFile(t, filepath.Join(h.dir, "foo.c"), libSource(1, 0))
	writeFile(t, filepath.Join(h.dir, "user.c"), libUser)
	writeFile(t, filepath.Join(h.dir, "data"), "old data\n")
	run(t, h.dir, nil, "gcc", "-o", "prog", "prog.c")
	run(t, h.dir, nil, "gcc", "-shared", "-fPIC", "-o", "libfoo.so", "foo.c")
	run(t, h.dir, nil, "gcc", "-o", "user", "user.c", "-L.", "-lfoo", "-Wl,-rpath,$ORIGIN")
	h.prog = startWaiting(t, h.dir, "./prog")
	h.user = startWaiting(t, h.dir, "./user")
	h.fds = startWaiting(t, h.dir, "sh", "-c", `exec 7<data; echo started; while read x; do :; done`)
	t.Cleanup(func() { h.prog.finish(); h.user.finish(); h.fds.finish() })
	return h
}

// shown is what /proc shows of the three: the executable, the library's
// mapping, and descriptor 7.
func (h *holders) shown(t *testing.T) (exe, lib, fd string) {
	exe, err := os.Readlink(fmt.Sprintf("/proc/%d/exe", pid(h.prog)))
	require.NoError(t, err)
	maps, err := os.ReadFile(fmt.Sprintf("/proc/%d/maps", pid(h.user)))
	require.NoError(t, err)
	for _, line := range strings.Split(string(maps), "\n") {
		if strings.Contains(line, "libfoo.so") {
			lib = line[strings.Index(line, "/"):]
		}
	}
	shPID := pid(h.fds)
	fd, err = os.Readlink(fmt.Sprintf("/proc/%d/fd/7", shPID))
	require.NoError(t, err)
	return exe, lib, fd
}

var _ = portableToo(TestDeletedNamesAsInstall)

// After a replacement through each command, /proc/PID/exe, maps and fd
// name the old file "<target> (deleted)", exactly as after install(1):
// what needrestart, checkrestart and lsof read.
func TestDeletedNamesAsInstall(t *testing.T) {
	need(t, "gcc", "install")
	replace := map[string]func(h *holders){
		"install(1), the control": func(h *holders) {
			run(t, h.dir, nil, "gcc", "-o", "prog.new", "prog.c")
			run(t, h.dir, nil, "gcc", "-shared", "-fPIC", "-o", "libfoo.new", "foo.c")
			run(t, h.dir, nil, "install", "prog.new", "prog")
			run(t, h.dir, nil, "install", "libfoo.new", "libfoo.so")
			run(t, h.dir, nil, "install", "-m", "644", "prog.c", "data")
		},
		"ldwrap-install": func(h *holders) {
			run(t, h.dir, nil, "gcc", "-o", "prog.new", "prog.c")
			run(t, h.dir, nil, "gcc", "-shared", "-fPIC", "-o", "libfoo.new", "foo.c")
			run(t, h.dir, nil, ldwrap("ldwrap-install"), "prog.new", "prog")
			run(t, h.dir, nil, ldwrap("ldwrap-install"), "libfoo.new", "libfoo.so")
			run(t, h.dir, nil, ldwrap("ldwrap-install"), "-m", "644", "prog.c", "data")
		},
		"ldwrap-cc": func(h *holders) {
			run(t, h.dir, nil, ldwrap("ldwrap-cc"), "-o", "prog", "prog.c")
			run(t, h.dir, nil, ldwrap("ldwrap-cc"), "-shared", "-fPIC", "-o", "libfoo.so", "foo.c")
			run(t, h.dir, nil, ldwrap("ldwrap-run"), "-o", "data", "--", "cp", "prog.c", "data")
		},
		"ldwrap (the linker)": func(h *holders) {
			run(t, h.dir, nil, "gcc", "-B", linkDir(t), "-o", "prog", "prog.c")
			run(t, h.dir, nil, "gcc", "-B", linkDir(t), "-shared", "-fPIC", "-o", "libfoo.so", "foo.c")
			run(t, h.dir, nil, ldwrap("ldwrap-run"), "--stdout", "data", "--", "cat", "prog.c")
		},
		"ldwrap-run": func(h *holders) {
			run(t, h.dir, nil, ldwrap("ldwrap-run"), "-o", "prog", "--", "gcc", "-o", "prog", "prog.c")
			run(t, h.dir, nil, ldwrap("ldwrap-run"), "-o", "libfoo.so", "--", "gcc", "-shared", "-fPIC", "-o", "libfoo.so", "foo.c")
			run(t, h.dir, nil, ldwrap("ldwrap-run"), "-o", "data", "--", "cp", "prog.c", "data")
		},
	}
	for name, do := range replace {
		t.Run(name, func(t *testing.T) {
			h := newHolders(t)
			do(h)
			exe, lib, fd := h.shown(t)
			assert.Equal(t, filepath.Join(h.dir, "prog")+" (deleted)", exe)
			assert.Equal(t, filepath.Join(h.dir, "libfoo.so")+" (deleted)", lib)
			assert.Equal(t, filepath.Join(h.dir, "data")+" (deleted)", fd)
			assert.Empty(t, leftovers(t, h.dir))
		})
	}
}

// linkDir is a directory of ldwrap's linker links, for gcc -B.
func linkDir(t *testing.T) string {
	dir := filepath.Join(t.TempDir(), "links")
	run(t, "/", nil, ldwrap("ldwrap"), "--install-links", dir)
	return dir
}

// A real daemon, started from its init script as on a system without
// systemd, has its binary replaced by ldwrap-install: needrestart names
// the service, as it does after install(1), and so does ldwrap-stale.
func TestNeedrestartNamesService(t *testing.T) {
	need(t, "root", "/usr/sbin/nginx", "/etc/init.d/nginx", "needrestart")
	exec.Command("/etc/init.d/nginx", "stop").Run()
	run(t, "/", nil, "/etc/init.d/nginx", "start")
	t.Cleanup(func() { exec.Command("/etc/init.d/nginx", "stop").Run() })
	waitFor(t, "nginx's pid file", 10*time.Second, func() bool { _, err := os.Stat("/run/nginx.pid"); return err == nil })
	b, err := os.ReadFile("/run/nginx.pid")
	require.NoError(t, err)
	master, err := strconv.Atoi(strings.TrimSpace(string(b)))
	require.NoError(t, err)

	copyOf := filepath.Join(t.TempDir(), "nginx")
	run(t, "/", nil, "cp", "/usr/sbin/nginx", copyOf)
	// The same bytes, a new inode, as a package upgrade would install.
	run(t, "/", nil, ldwrap("ldwrap-install"), "-m", "755", copyOf, "/usr/sbin/nginx")
	exe, err := os.Readlink(fmt.Sprintf("/proc/%d/exe", master))
	require.NoError(t, err)
	assert.Equal(t, "/usr/sbin/nginx (deleted)", exe)

	out, _ := runErr("/", []string{"NEEDRESTART_MODE=l"}, "needrestart", "-b", "-r", "l")
	assert.Contains(t, out, "NEEDRESTART-SVC: nginx", "needrestart finds the service by the deleted binary's name")
	code, out := exitCode("/", nil, ldwrap("ldwrap-stale"), "--services", "/usr/sbin")
	assert.Equal(t, 1, code, out)
	assert.Contains(t, strings.Split(out, "\n"), "nginx", "ldwrap-stale names it from /run/nginx.pid")
}
