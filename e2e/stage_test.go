//go:build linux

package e2e

// ldwrap-run --stage ROOT -- CMD: real installers (make install of Lua,
// cmake --install, meson install, go install) writing into a prefix whose
// programs are running, each against the same installer run bare.

import (
	"fmt"
	"math/rand"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// startRunning starts prog (an installed program) so that it stays up
// until the test ends, reading its standard input.
func startRunning(t *testing.T, prog string, args ...string) *exec.Cmd {
	t.Helper()
	c := exec.Command(prog, args...)
	_, err := c.StdinPipe()
	require.NoError(t, err)
	require.NoError(t, c.Start())
	t.Cleanup(func() {
		c.Process.Kill()
		c.Wait()
	})
	waitFor(t, prog+" running", 10*time.Second, func() bool {
		exe, err := os.Readlink(fmt.Sprintf("/proc/%d/exe", c.Process.Pid))
		return err == nil && exe == prog
	})
	return c
}

// requireReplacedUnderIt checks that c still runs and runs the old file:
// the kernel shows its executable as deleted, as after install(1).
func requireReplacedUnderIt(t *testing.T, c *exec.Cmd, prog string) {
	t.Helper()
	exe, err := os.Readlink(fmt.Sprintf("/proc/%d/exe", c.Process.Pid))
	require.NoError(t, err, "the running program is still up")
	require.Equal(t, prog+" (deleted)", exe)
}

// dryRunPaths reads --dry-run's listing: verb and path per line.
func dryRunPaths(out, root string) map[string]string {
	m := map[string]string{}
	for _, l := range strings.Split(strings.TrimSpace(out), "\n") {
		f := strings.SplitN(l, " ", 2)
		switch f[0] {
		case "add", "replace", "remove", "mkdir", "attrs":
		default:
			continue // the command's own output
		}
		if len(f) == 2 {
			p := f[1]
			if rel, err := filepath.Rel(root, p); err == nil && filepath.IsAbs(p) {
				p = rel
			}
			m[p] = f[0]
		}
	}
	return m
}

// buildLua unpacks and builds Lua into dir; cflags set MYCFLAGS, so that
// two builds differ.
func buildLua(t *testing.T, dir, cflags string) {
	t.Helper()
	luaSource.unpack(t, dir)
	run(t, dir, nil, "make", "-j2", "linux", "MYCFLAGS="+cflags)
}

// TestStageMakeInstallLua installs Lua 5.4.4 (Debian's source) with its
// own make install into a prefix whose lua is running: the result equals
// a bare install file for file, --dry-run lists exactly what changes, a
// failing install changes nothing, and 20 kills at random moments leave
// every path the old or the new file, and nothing else.
func TestStageMakeInstallLua(t *testing.T) {
	need(t, "gcc", "make", "root")
	old, new := t.TempDir(), t.TempDir()
	buildLua(t, old, "-DLDWRAP_OLD")
	buildLua(t, new, "-DLDWRAP_NEW=1 -DLUAI_MAXCCALLS=180")
	install := func(src, prefix string) []string {
		return []string{"make", "-C", src, "install", "INSTALL_TOP=" + prefix}
	}
	base := t.TempDir()
	bare, prefix := filepath.Join(base, "bare"), filepath.Join(base, "p", "usr")
	run(t, "/", nil, install(old, bare)...)
	oldTree := treeOf(t, bare)
	run(t, "/", nil, install(new, bare)...)
	newTree := treeOf(t, bare)
	require.NotEqual(t, oldTree["bin/lua"], newTree["bin/lua"], "the two builds differ")

	run(t, "/", nil, install(old, prefix)...)
	lua := filepath.Join(prefix, "bin", "lua")
	running := startRunning(t, lua, "-e", "io.read()")

	// --dry-run: exactly the files whose bytes differ (Lua installs with
	// install -p, so a header written again is as it was, times too, and
	// no change), nothing committed.
	out := run(t, "/", nil, append([]string{ldwrap("ldwrap-run"), "--dry-run", "--stage", prefix, "--"}, install(new, prefix)...)...)
	listed := dryRunPaths(out, prefix)
	var want []string
	for k, v := range newTree {
		if v != oldTree[k] {
			want = append(want, k)
		}
	}
	var got []string
	for k, verb := range listed {
		require.Equal(t, "replace", verb, "%s", k)
		got = append(got, k)
	}
	sort.Strings(want)
	sort.Strings(got)
	require.Equal(t, []string{"bin/lua", "bin/luac", "lib/liblua.a"}, want, "the two builds differ in their programs and library")
	require.Equal(t, want, got, "--dry-run lists exactly what changes:\n%s", out)
	require.Empty(t, diffTrees(oldTree, treeOf(t, prefix)), "--dry-run commits nothing")
	require.Empty(t, leftovers(t, prefix))

	// The install, over the running lua.
	run(t, "/", nil, append([]string{ldwrap("ldwrap-run"), "--stage", prefix, "--"}, install(new, prefix)...)...)
	require.Empty(t, diffTrees(newTree, treeOf(t, prefix)), "as a bare make install")
	requireReplacedUnderIt(t, running, lua)
	require.Empty(t, leftovers(t, prefix))

	// A failing install changes nothing.
	code, _ := exitCode("/", nil, ldwrap("ldwrap-run"), "--stage", prefix, "--", "sh", "-c",
		strings.Join(install(old, prefix), " ")+" && exit 3")
	require.Equal(t, 3, code)
	require.Empty(t, diffTrees(newTree, treeOf(t, prefix)), "a failing install changes nothing")
	require.Empty(t, leftovers(t, prefix))

	// Kills at random moments of the step, the commit included.
	start := time.Now()
	run(t, "/", nil, append([]string{ldwrap("ldwrap-run"), "--stage", prefix, "--"}, install(old, prefix)...)...)
	took := time.Since(start)
	trees := []map[string]string{oldTree, newTree}
	srcs := []string{old, new}
	cur := 0 // the prefix holds the old build now
	rng := rand.New(rand.NewSource(time.Now().UnixNano()))
	for i := 0; i < 20; i++ {
		next := 1 - cur
		argv := append([]string{ldwrap("ldwrap-run"), "--stage", prefix, "--"}, install(srcs[next], prefix)...)
		c := exec.Command(argv[0], argv[1:]...)
		c.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
		require.NoError(t, c.Start())
		time.Sleep(time.Duration(rng.Int63n(int64(took) + 1)))
		syscall.Kill(-c.Process.Pid, syscall.SIGKILL)
		c.Wait()
		// The next run on the root finishes or sweeps what the kill cut.
		run(t, "/", nil, ldwrap("ldwrap-run"), "--stage", prefix, "--", "true")
		now := treeOf(t, prefix)
		require.Equal(t, names(newTree), names(now), "kill %d: every path is there, and nothing else", i)
		allNew := true
		for k, v := range now {
			require.True(t, v == oldTree[k] || v == newTree[k], "kill %d: %s is neither the old nor the new file: %q", i, k, v)
			allNew = allNew && v == trees[next][k]
		}
		if allNew {
			cur = next
		}
		require.Empty(t, leftovers(t, prefix), "kill %d", i)
	}
}

// stagedInstallAsBare builds version 1 and installs it twice: bare into
// one prefix and bare into another, whose program (prog, relative to the
// prefix) is then started. It builds version 2 and installs it bare into
// the first and through ldwrap-run --stage into the second, and compares
// the trees.
func stagedInstallAsBare(t *testing.T, dir string, env []string, build func(version string), installTo func(prefix string) []string, prog string) {
	t.Helper()
	bare, prefix := filepath.Join(dir, "bare"), filepath.Join(dir, "staged")
	build("1")
	run(t, dir, env, installTo(bare)...)
	run(t, dir, env, installTo(prefix)...)
	running := startRunning(t, filepath.Join(prefix, prog))
	// cmake --install takes a file of the same second for up to date.
	time.Sleep(1100 * time.Millisecond)
	build("2")
	run(t, dir, env, installTo(bare)...)
	out, err := runErr(dir, env, append([]string{ldwrap("ldwrap-run"), "--stage", prefix, "--"}, installTo(prefix)...)...)
	require.NoError(t, err, "%s", out)
	require.Empty(t, diffTrees(treeOf(t, bare), treeOf(t, prefix)), "as the bare install")
	requireReplacedUnderIt(t, running, filepath.Join(prefix, prog))
	require.Empty(t, leftovers(t, prefix))
}

// sleeperC is a program that stays up until its standard input closes.
func sleeperC(version string) string {
	return "#include <stdio.h>\nint main(void){puts(\"v" + version + "\"); return getchar() == EOF ? 0 : 1;}\n"
}

func TestStageCMakeInstall(t *testing.T) {
	need(t, "cmake", "make", "gcc", "root")
	dir := t.TempDir()
	writeFile(t, filepath.Join(dir, "src", "CMakeLists.txt"), "cmake_minimum_required(VERSION 3.21)\nproject(demo C)\n"+
		"add_executable(demo main.c)\ninstall(TARGETS demo)\ninstall(FILES main.c DESTINATION share/demo)\n")
	writeFile(t, filepath.Join(dir, "src", "main.c"), sleeperC("0"))
	run(t, dir, nil, "cmake", "-S", "src", "-B", "b")
	stagedInstallAsBare(t, dir, nil, func(v string) {
		writeFile(t, filepath.Join(dir, "src", "main.c"), sleeperC(v))
		run(t, dir, nil, "cmake", "--build", "b")
	}, func(prefix string) []string {
		return []string{"cmake", "--install", "b", "--prefix", prefix}
	}, "bin/demo")
}

func TestStageMesonInstall(t *testing.T) {
	need(t, "meson", "ninja", "gcc", "root")
	dir := t.TempDir()
	writeFile(t, filepath.Join(dir, "meson.build"), "project('demo', 'c')\nexecutable('demo', 'main.c', install: true)\n")
	writeFile(t, filepath.Join(dir, "main.c"), sleeperC("0"))
	run(t, dir, []string{"CC=gcc"}, "meson", "setup", "b")
	stagedInstallAsBare(t, dir, nil, func(v string) {
		writeFile(t, filepath.Join(dir, "main.c"), sleeperC(v))
		run(t, dir, nil, "meson", "compile", "-C", "b")
	}, func(prefix string) []string {
		return []string{"meson", "install", "-C", "b", "--quiet", "--destdir", prefix}
	}, "usr/local/bin/demo")
}

func TestStageGoInstall(t *testing.T) {
	need(t, "go", "root")
	dir := t.TempDir()
	writeFile(t, filepath.Join(dir, "go.mod"), "module demo\n\ngo 1.19\n")
	env := []string{"GOCACHE=" + filepath.Join(dir, "gocache"), "GOTOOLCHAIN=local"}
	stagedInstallAsBare(t, dir, env, func(v string) {
		writeFile(t, filepath.Join(dir, "main.go"), "package main\n\nimport \"os\"\n\nfunc main() { println(\"v"+v+"\"); os.Stdin.Read(make([]byte, 1)) }\n")
	}, func(prefix string) []string {
		return []string{"env", "GOBIN=" + filepath.Join(prefix, "bin"), "go", "install", "."}
	}, "bin/demo")
}
