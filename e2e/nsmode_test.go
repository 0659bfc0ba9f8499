//go:build linux

package e2e

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// nsMode forces ldwrap-run's namespace mode.
const nsMode = "LDWRAP_RUN_MODE=namespace"

// sameTwins runs bareArgv bare in tw.bare and argv under ldwrap-run
// (ldwrapArgs before "--", mode in its environment) in tw.wrapped, and
// asserts that both did the same: status, standard output and error, and
// the whole tree (describeTree); where the command fails, the wrapped tree
// as it was. Nothing may be left of the staging. It reports whether all
// held.
func sameTwins(t *testing.T, tw twin, mode string, bareArgv, ldwrapArgs []string, argv ...string) bool {
	t.Helper()
	before := describeTree(t, tw.wrapped)
	bare := streamsOf(tw.bare, nil, bareArgv...)
	wrapped := streamsOf(tw.wrapped, []string{mode}, append(append(append([]string{ldwrap("ldwrap-run")}, ldwrapArgs...), "--"), argv...)...)
	ok := assert.Equal(t, bare.code, wrapped.code, "%s %q: status\n%s", mode, argv, wrapped.stderr)
	ok = assert.Equal(t, bare.stdout, wrapped.stdout, "%s %q: standard output", mode, argv) && ok
	ok = assert.Equal(t, bare.stderr, wrapped.stderr, "%s %q: standard error", mode, argv) && ok
	if bare.code == 0 {
		ok = assert.Empty(t, diffDescribed(describeTree(t, tw.bare), describeTree(t, tw.wrapped)), "%s %q: the tree", mode, argv) && ok
	} else {
		ok = assert.Empty(t, diffDescribed(before, describeTree(t, tw.wrapped)), "%s %q failed: every file as it was", mode, argv) && ok
	}
	return assert.Empty(t, leftovers(t, filepath.Dir(tw.wrapped)), "%s %q", mode, argv) && ok
}

// A setup gives both twin directories what the review of issue 32 started
// from: attributes of the old output, if there is one, or of its
// directory (argsCases' helpers).
type setup struct {
	name string
	do   func(dir, out string) error
	root bool // only root can make it (chown, a write-only file read back)
}

// onOld applies f to the old output, when there is one.
func onOld(f func(name string) func(string, int) error) func(dir, out string) error {
	return func(dir, out string) error {
		if _, err := os.Lstat(filepath.Join(dir, out)); err != nil {
			return nil
		}
		return f(out)(dir, 0)
	}
}

func chmodOld(mode os.FileMode) func(dir, out string) error {
	return onOld(func(name string) func(string, int) error {
		return func(dir string, _ int) error { return os.Chmod(filepath.Join(dir, name), mode) }
	})
}

var setups = []setup{
	{"old output 0600", chmodOld(0o600), false},
	{"old output write-only", chmodOld(0o200), true},
	{"old output nobody's", onOld(func(name string) func(string, int) error { return chown(name, 65534) }), true},
	{"old output with a user xattr", onOld(userXattr), false},
	{"old output with an ACL", onOld(accessACL), true}, // it names another user
	{"directory with a default ACL", func(dir, _ string) error { return defaultACLDir(".")(dir, 0) }, false},
	{"setgid directory of group users", func(dir, _ string) error {
		if err := os.Chown(dir, -1, 100); err != nil {
			return err
		}
		return os.Chmod(dir, 0o775|os.ModeSetgid)
	}, true},
}

func applySetups(t *testing.T, tw twin, out string, ss []setup) {
	t.Helper()
	for _, d := range []string{tw.bare, tw.wrapped} {
		for _, s := range ss {
			require.NoError(t, s.do(d, out), s.name)
		}
	}
}

// nsCases are review cases that only namespace mode can give the bare
// result for: argument mode refuses them (a mention inside an argument)
// or gives the command the staged path, which it then records.
var nsCases = []argsCase{
	{name: "sh -c with > out", setup: file("out", "old\n", 0o644),
		bare: sh(`echo new > out`), run: []string{"-o", "out", "--", "sh", "-c", `echo new > out`}},
	{name: "a mention beside a stand-alone argument", setup: file("out", "old\n", 0o644),
		bare: sh(`echo new > out; echo extra >> out`), run: shRun("-o", "out", `echo new > "$1"; echo extra >> out`, "out")},
	{name: "the output in a variable", setup: file("out", "old\n", 0o644),
		bare: []string{"env", "O=out", "sh", "-c", `echo new > "$O"`}, run: []string{"-o", "out", "--", "env", "O=out", "sh", "-c", `echo new > "$O"`}},
	{name: "--env", setup: file("out", "old\n", 0o644),
		bare: []string{"env", "O=out", "sh", "-c", `echo new > "$O"`}, run: []string{"--env", "O=out", "--", "sh", "-c", `echo new > "$O"`}},
	{name: "a checksum names the real file", setup: file("out.gz", "old\n", 0o644),
		bare: sh(`gzip -c src > out.gz; sha256sum out.gz > out.gz.sha256`), run: shRun("-o", "out.gz", `gzip -c src > "$1"; sha256sum "$1" > "$1.sha256"`, "out.gz")},
	{name: "gcc -MD names the real object", setup: all(file("a.c", "int a;\n", 0o644), file("a.o", "old\n", 0o644)),
		bare: []string{"gcc", "-MD", "-c", "a.c", "-o", "a.o"}, run: []string{"-o", "a.o", "--", "gcc", "-MD", "-c", "a.c", "-o", "a.o"}},
	{name: "ln -s to the output", setup: file("out", "old\n", 0o644),
		bare: sh(`echo new > out; ln -s out out.lnk`), run: shRun("-o", "out", `echo new > "$1"; ln -s "$1" "$1.lnk"`, "out")},
	{name: "cp -v prints the real path", setup: file("out", "old\n", 0o644),
		bare: []string{"cp", "-v", "src", "out"}, run: []string{"-o", "out", "--", "cp", "-v", "src", "out"}},
	{name: "tar of the directory holds no staging", setup: all(file("f1", "x\n", 0o644), file("sub/f2", "y\n", 0o644)),
		bare: sh(`tar -cf out.tar --exclude=out.tar . && tar -tf out.tar | sort`),
		run:  []string{"-o", "out.tar", "--", "sh", "-c", `tar -cf out.tar --exclude=out.tar . && tar -tf out.tar | sort`}},
	{name: "an existing out.d side directory", setup: all(file("out", "old\n", 0o644), file("out.d/old", "o\n", 0o644)),
		bare: sh(`echo new > out; echo part > out.d/new`), run: []string{"-o", "out", "--", "sh", "-c", `echo new > out; echo part > out.d/new`}},
	{name: "ls -l of the directory after the write", setup: file("out", "old\n", 0o644),
		bare: sh(`echo new > out; ls -1`), run: []string{"-o", "out", "--", "sh", "-c", `echo new > out; ls -1`}},
}

var _ = portableToo(TestRunNamespaceModeAsBare)

// Each of issue 32's review cases (argsCases, and nsCases where argument
// mode cannot do the same) bare and in namespace mode, in twin
// directories: the same status, streams and tree. Each of argsCases runs
// twice: with ldwrap-run's options as argument mode needs them, and in
// the plain form, the bare command after those options (but as nobody:
// there ldwrap-run runs argument mode, which cannot take it). Namespace
// mode as another user than root: TestNamespaceAsUser. The portable build
// has no namespace mode.
func TestRunNamespaceModeAsBare(t *testing.T) {
	t.Parallel() // see "Parallel tests" in helpers_test.go
	need(t, "root", "setpriv", "gcc", "tar", "gzip", "sha256sum")
	if portable {
		t.Skip("no namespace mode in the portable build")
	}
	for _, c := range append(append([]argsCase(nil), argsCases...), nsCases...) {
		c := c
		opts := c.run
		for i, a := range c.run {
			if a == "--" {
				opts = c.run[:i+1]
			}
		}
		t.Run(c.name, func(t *testing.T) {
			if c.name == "append to a sparse file" {
				sparseStaysSparse(t, c)
				return
			}
			// As nobody, the default: the twins' parent is root's, where
			// nobody cannot stage, and namespace mode falls back.
			mode := nsMode
			if c.nobody {
				mode = "LDWRAP_RUN_MODE="
			}
			runArgsCase(t, c, mode, c.run)
			if plain := append(append([]string(nil), opts...), c.bare...); strings.Join(plain, " ") != strings.Join(c.run, " ") && !c.nobody {
				t.Run("plain", func(t *testing.T) { runArgsCase(t, c, mode, plain) })
			}
		})
	}
}

// sparseStaysSparse: a sparse old output stays sparse after >>, its bytes
// as bare, its holes kept but for what overlayfs's copy-up fills: it
// copies in chunks of 1 MiB, and so up to 1 MiB around each stretch of
// data. (Argument mode's seed keeps the holes exactly.)
func sparseStaysSparse(t *testing.T, c argsCase) {
	tw := twin{filepath.Join(publicDir(t), "bare"), ""}
	tw.wrapped = filepath.Join(filepath.Dir(tw.bare), "wrapped")
	for _, d := range []string{tw.bare, tw.wrapped} {
		require.NoError(t, os.Mkdir(d, 0o755))
		require.NoError(t, c.setup(d, 0))
	}
	require.Equal(t, 0, streamsOf(tw.bare, nil, c.bare...).code)
	w := streamsOf(tw.wrapped, []string{nsMode}, append([]string{ldwrap("ldwrap-run")}, c.run...)...)
	require.Equal(t, 0, w.code, w.stderr)
	var b, n syscall.Stat_t
	require.NoError(t, syscall.Stat(filepath.Join(tw.bare, "out"), &b))
	require.NoError(t, syscall.Stat(filepath.Join(tw.wrapped, "out"), &n))
	assert.Equal(t, b.Size, n.Size)
	assert.LessOrEqual(t, n.Blocks, b.Blocks+(1<<20)/512, "allocated 512-byte blocks: bare %d, namespace mode %d", b.Blocks, n.Blocks)
	f, err := os.Open(filepath.Join(tw.wrapped, "out"))
	require.NoError(t, err)
	defer f.Close()
	tail := make([]byte, 5)
	_, err = f.ReadAt(tail, n.Size-5)
	require.NoError(t, err)
	assert.Equal(t, "more\n", string(tail))
	assert.Empty(t, leftovers(t, tw.wrapped))
}

var _ = portableToo(TestNamespaceDryRunAndStage)

// --stage needs no names: every file the command writes under the
// directory is staged and committed. --dry-run lists the changes and
// commits nothing. A running program replaced through --stage is named
// "(deleted)" in /proc/PID/exe, as after install(1), where a bare cp fails
// with "Text file busy"; LDWRAP_STALE=1 names it.
func TestNamespaceDryRunAndStage(t *testing.T) {
	need(t, "root", "gcc")
	if portable {
		// No namespace mode: --stage fails in one line, nothing run.
		dir := t.TempDir()
		code, out := exitCode(dir, nil, ldwrap("ldwrap-run"), "--stage", dir, "--", "touch", "x")
		assert.Equal(t, 126, code)
		assert.Equal(t, 1, strings.Count(out, "\n"), out)
		assert.Contains(t, out, "-o")
		assert.NoFileExists(t, filepath.Join(dir, "x"))
		return
	}
	prefix := t.TempDir()
	writeFile(t, filepath.Join(prefix, "share", "doc"), "old doc\n")
	writeFile(t, filepath.Join(prefix, "share", "gone"), "to remove\n")
	writeFile(t, filepath.Join(prefix, "src", "new.c"), strings.Replace(waitingMain, "VERSION", "v2", 1))
	writeFile(t, filepath.Join(prefix, "src", "old.c"), strings.Replace(waitingMain, "VERSION", "v1", 1))
	run(t, prefix, nil, "mkdir", "-p", "bin")
	run(t, prefix, nil, "gcc", "-o", "bin/prog", "src/old.c")
	run(t, prefix, nil, "gcc", "-o", "src/new", "src/new.c")
	// cp writes the program in place.
	install := `cp src/new bin/prog && echo new doc > share/doc && rm share/gone && mkdir -p lib && echo lib > lib/x`
	before := describeTree(t, prefix)

	code, out := exitCode(prefix, nil, ldwrap("ldwrap-run"), "--dry-run", "--stage", prefix, "--", "sh", "-c", install)
	require.Equal(t, 0, code, out)
	assert.Equal(t, strings.Join([]string{
		"add " + prefix + "/lib/x",
		"mkdir " + prefix + "/lib",
		"remove " + prefix + "/share/gone",
		"replace " + prefix + "/bin/prog",
		"replace " + prefix + "/share/doc",
	}, "\n")+"\n", sortedLines(out), "the dry run lists each change")
	assert.Empty(t, diffDescribed(before, describeTree(t, prefix)), "a dry run commits nothing")
	assert.Empty(t, leftovers(t, prefix))

	// The real thing, while the old program runs.
	prog := startWaiting(t, prefix, "./bin/prog")
	defer prog.finish()
	code, out = exitCode(prefix, nil, "cp", "src/new", "bin/prog")
	assert.NotEqual(t, 0, code, "the control: bare cp over the running program")
	assert.Contains(t, out, "Text file busy")
	code, out = exitCode(prefix, []string{"LDWRAP_STALE=1"}, ldwrap("ldwrap-run"), "--stage", prefix, "--", "sh", "-c", install)
	require.Equal(t, 0, code, out)
	assert.Contains(t, out, fmt.Sprintf("ldwrap: %s/bin/prog: old version still in use by %d (prog)\n", prefix, pid(prog)), "LDWRAP_STALE=1 names the running program")
	exe, err := os.Readlink(fmt.Sprintf("/proc/%d/exe", pid(prog)))
	require.NoError(t, err)
	assert.Equal(t, prefix+"/bin/prog (deleted)", exe, "as after install(1)")
	assert.Contains(t, run(t, prefix, nil, "sh", "-c", "./bin/prog </dev/null"), "v2")
	assert.Equal(t, "new doc\n", string(readFile(t, filepath.Join(prefix, "share", "doc"))))
	assert.NoFileExists(t, filepath.Join(prefix, "share", "gone"))
	assert.Equal(t, "lib\n", string(readFile(t, filepath.Join(prefix, "lib", "x"))))
	assert.Empty(t, leftovers(t, prefix))
}

// sortedLines sorts the lines of s.
func sortedLines(s string) string {
	lines := strings.Split(strings.TrimSuffix(s, "\n"), "\n")
	sort.Strings(lines)
	return strings.Join(lines, "\n") + "\n"
}

var _ = portableToo(TestNamespaceAsUser)

// As another user than root (nobody), in a directory of nobody's: with
// user namespaces, namespace mode runs, the command sees its own ids, and
// the plain form gives the bare result; a write-only old output is
// appended to; standard output is opened as the user would open it. With
// user namespaces off, -o runs in argument mode (verbose mode names the
// setting) and --stage fails in one line that names it and the way out,
// nothing run.
func TestNamespaceAsUser(t *testing.T) {
	need(t, "root", "setpriv", "sh")
	if portable {
		t.Skip("no namespace mode in the portable build")
	}
	base := publicDir(t)
	require.NoError(t, os.Chown(base, 65534, 65534))
	tw := twin{filepath.Join(base, "bare"), filepath.Join(base, "wrapped")}
	for _, d := range []string{tw.bare, tw.wrapped} {
		require.NoError(t, os.Mkdir(d, 0o755))
		require.NoError(t, os.Chown(d, 65534, 65534))
		require.NoError(t, file("out", "old\n", 0o200)(d, 65534))
		require.NoError(t, file("ro", "old\n", 0o400)(d, 65534))
	}
	asUser := func(dir string, env []string, argv ...string) outcome {
		return streamsOf(dir, append(env, "LC_ALL=C"), asNobody(argv...)...)
	}

	t.Run("with user namespaces", func(t *testing.T) {
		script := `id -un; id -u; echo more >> out; echo new > made`
		bare := asUser(tw.bare, nil, "sh", "-c", script)
		wrapped := asUser(tw.wrapped, []string{"LDWRAP_VERBOSE=1"}, ldwrap("ldwrap-run"), "-o", "out", "--", "sh", "-c", script)
		require.Equal(t, 0, bare.code, bare.stderr)
		assert.Equal(t, 0, wrapped.code, wrapped.stderr)
		assert.Equal(t, "nobody\n65534\n", bare.stdout, "the oracle")
		assert.Equal(t, bare.stdout, wrapped.stdout, "the command sees its own ids")
		assert.Contains(t, wrapped.stderr, "ldwrap: namespace mode:", "namespace mode ran")
		assert.Empty(t, diffDescribed(describeTree(t, tw.bare), describeTree(t, tw.wrapped)), "the trees")
		assert.Empty(t, leftovers(t, tw.wrapped))

		// Standard output is opened as the user: a 0400 file of one's own
		// is not writable, bare or not, though the helper could.
		bare = asUser(tw.bare, nil, "sh", "-c", "echo x > ro")
		assert.NotEqual(t, 0, bare.code, "the oracle")
		code := asUser(tw.wrapped, nil, ldwrap("ldwrap-run"), "--stdout", "ro", "--", "echo", "x")
		assert.Equal(t, 126, code.code, code.stderr)
		assert.Equal(t, "ldwrap: open ro: permission denied\n", code.stderr)
		assert.Equal(t, "old\n", string(readFile(t, filepath.Join(tw.wrapped, "ro"))))
		assert.Empty(t, leftovers(t, tw.wrapped))
	})

	t.Run("without user namespaces", func(t *testing.T) {
		off := withoutUserNamespaces(t)
		script := `echo new > "$1"; echo ran > ran`
		got := off(tw.wrapped, []string{"LDWRAP_VERBOSE=1"}, ldwrap("ldwrap-run"), "-o", "out", "--", "sh", "-c", script, "sh", "out")
		assert.Equal(t, 0, got.code, got.stderr)
		assert.Contains(t, got.stderr, "ldwrap: argument mode: namespace mode cannot run: user namespaces are off (sysctl user.max_user_namespaces=0)\n")
		assert.Equal(t, "new\n", string(readFile(t, filepath.Join(tw.wrapped, "out"))))

		require.NoError(t, os.Remove(filepath.Join(tw.wrapped, "ran")))
		got = off(tw.wrapped, nil, ldwrap("ldwrap-run"), "--stage", ".", "--", "sh", "-c", script, "sh", "out")
		assert.Equal(t, 126, got.code)
		assert.Equal(t, "ldwrap: stage .: namespace mode cannot run: user namespaces are off (sysctl user.max_user_namespaces=0); run as root, or set user.max_user_namespaces above 0\n", got.stderr)
		assert.NoFileExists(t, filepath.Join(tw.wrapped, "ran"), "nothing ran")
		assert.Empty(t, leftovers(t, tw.wrapped))
	})
}

// withoutUserNamespaces returns how to run a command as nobody with user
// namespaces off: sysctl user.max_user_namespaces=0 for the test, restored
// after; where this root may not set it (no CAP_SYS_RESOURCE, as in a
// container), inside a user namespace of its own that maps every id to
// itself and whose limit is set to 0 there, which is the limit the
// command meets.
func withoutUserNamespaces(t *testing.T) func(dir string, env []string, argv ...string) outcome {
	const limit = "/proc/sys/user/max_user_namespaces"
	old, err := os.ReadFile(limit)
	require.NoError(t, err)
	if os.WriteFile(limit, []byte("0"), 0o644) == nil {
		t.Cleanup(func() { os.WriteFile(limit, old, 0o644) })
		return func(dir string, env []string, argv ...string) outcome {
			return streamsOf(dir, append(env, "LC_ALL=C"), asNobody(argv...)...)
		}
	}
	t.Logf("%s: not writable here; user namespaces are turned off in one of the test's own", limit)
	return func(dir string, env []string, argv ...string) outcome {
		cmd := exec.Command("sh", append([]string{"-c", `echo 0 > ` + limit + ` && exec "$@"`, "sh"}, asNobody(argv...)...)...)
		cmd.Dir = dir
		cmd.Env = append(append(os.Environ(), "LC_ALL=C"), env...)
		cmd.SysProcAttr = &syscall.SysProcAttr{
			Cloneflags:  syscall.CLONE_NEWUSER,
			UidMappings: []syscall.SysProcIDMap{{ContainerID: 0, HostID: 0, Size: 65536}},
			GidMappings: []syscall.SysProcIDMap{{ContainerID: 0, HostID: 0, Size: 65536}},
			// setpriv --clear-groups calls setgroups(2).
			GidMappingsEnableSetgroups: true,
		}
		return streamsOfCmd(cmd)
	}
}

var _ = portableToo(TestNamespaceSignals)

// In namespace mode, as bare: a SIGINT to the process group reaches the
// command once (ldwrap does not forward it), and one to ldwrap alone is
// forwarded once; a command that handles it and exits 0 is committed, one
// that dies of it takes ldwrap with it and commits nothing. SIGKILL of
// ldwrap ends the command (its death signal) and commits nothing; the
// next run on the directory sweeps the stage. Processes the command
// leaves running are ended before the commit (bare, they run on: the
// control). The files the steps wait on are outside the overlaid
// directory, which the command sees as it was when it looked.
func TestNamespaceSignals(t *testing.T) {
	need(t, "bash", "pgrep", "root")
	if portable {
		t.Skip("no namespace mode in the portable build")
	}
	sync := t.TempDir()
	at := func(name string) string { return filepath.Join(sync, name) }
	exists := func(name string) func() bool {
		return func() bool { _, err := os.Stat(at(name)); return err == nil }
	}
	start := func(dir, script string) *exec.Cmd {
		for _, f := range []string{"ready", "handled", "go"} {
			os.Remove(at(f))
		}
		cmd := exec.Command(ldwrap("ldwrap-run"), "-o", "out", "--", "bash", "-c", script, "bash", "out", sync)
		cmd.Dir = dir
		cmd.Env = append(os.Environ(), nsMode)
		cmd.Stderr = &bytes.Buffer{}
		cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
		require.NoError(t, cmd.Start())
		waitFor(t, "the command to be ready", 20*time.Second, exists("ready"))
		return cmd
	}
	status := func(err error) int {
		if ee, ok := err.(*exec.ExitError); ok {
			ws := ee.Sys().(syscall.WaitStatus)
			if ws.Signaled() {
				return -int(ws.Signal())
			}
			return ws.ExitStatus()
		}
		return 0
	}
	handles := `trap 'n=$((n+1)); echo > "$2/handled"' INT
n=0
echo new > "$1"
echo > "$2/ready"
while [ ! -e "$2/go" ]; do sleep 0.01 & wait $!; done
echo "$n SIGINT" >&2`
	for _, c := range []struct {
		name  string
		group bool
	}{{"handled, to the group", true}, {"handled, to ldwrap alone", false}} {
		t.Run(c.name, func(t *testing.T) {
			dir := t.TempDir()
			writeFile(t, filepath.Join(dir, "out"), "old\n")
			cmd := start(dir, handles)
			target := cmd.Process.Pid
			if c.group {
				if witnessPossible() {
					waitFor(t, "ldwrap's witness", 20*time.Second, func() bool {
						return exec.Command("pgrep", "-P", fmt.Sprint(target), "-f", "^signal-witness$").Run() == nil
					})
				}
				target = -target
			}
			require.NoError(t, syscall.Kill(target, syscall.SIGINT))
			waitFor(t, "the command to handle the signal", 20*time.Second, exists("handled"))
			writeFile(t, at("go"), "")
			err := cmd.Wait()
			assert.Equal(t, 0, status(err), "handled: the status is the command's")
			if !c.group || witnessPossible() {
				assert.Equal(t, "1 SIGINT\n", cmd.Stderr.(*bytes.Buffer).String(), "once")
			}
			assert.Equal(t, "new\n", string(readFile(t, filepath.Join(dir, "out"))), "committed")
			assert.Empty(t, leftovers(t, dir))
		})
	}

	t.Run("fatal, to ldwrap alone", func(t *testing.T) {
		dir := t.TempDir()
		writeFile(t, filepath.Join(dir, "out"), "old\n")
		cmd := start(dir, `echo new > "$1"; echo > "$2/ready"; exec sleep 60`)
		require.NoError(t, cmd.Process.Signal(syscall.SIGTERM))
		assert.Equal(t, -int(syscall.SIGTERM), status(cmd.Wait()), "ldwrap dies of the signal its command died of")
		assert.Equal(t, "old\n", string(readFile(t, filepath.Join(dir, "out"))), "nothing committed")
		assert.Empty(t, leftovers(t, dir))
	})

	t.Run("SIGKILL of ldwrap", func(t *testing.T) {
		dir := t.TempDir()
		writeFile(t, filepath.Join(dir, "out"), "old\n")
		cmd := start(dir, `echo new > "$1"; echo $$ > "$2/ready.pid"; echo > "$2/ready"; exec sleep 60`)
		require.NoError(t, cmd.Process.Kill())
		cmd.Wait()
		pidText := strings.TrimSpace(string(readFile(t, at("ready.pid"))))
		waitFor(t, "the command to die with ldwrap", 20*time.Second, func() bool {
			return exec.Command("kill", "-0", pidText).Run() != nil
		})
		assert.Equal(t, "old\n", string(readFile(t, filepath.Join(dir, "out"))), "nothing committed")
		assert.NotEmpty(t, leftovers(t, dir), "a killed run leaves its stage")
		run(t, dir, []string{nsMode}, ldwrap("ldwrap-run"), "-o", "out", "--", "sh", "-c", `echo newer > "$1"`, "sh", "out")
		assert.Equal(t, "newer\n", string(readFile(t, filepath.Join(dir, "out"))))
		assert.Empty(t, leftovers(t, dir), "the next run sweeps it")
	})

	t.Run("processes left running are ended", func(t *testing.T) {
		dir := t.TempDir()
		writeFile(t, filepath.Join(dir, "out"), "old\n")
		// The control: bare, the background process runs on.
		script := `echo new > "$1"; (exec sleep 60 >/dev/null 2>&1) & echo $! > "$2/left.pid"`
		run(t, dir, nil, "bash", "-c", script, "bash", "out", sync)
		pidText := strings.TrimSpace(string(readFile(t, at("left.pid"))))
		assert.NoError(t, exec.Command("kill", "-0", pidText).Run(), "bare, it runs on")
		exec.Command("kill", pidText).Run()
		writeFile(t, filepath.Join(dir, "out"), "old\n")
		code, msg := exitCode(dir, []string{nsMode, "LDWRAP_VERBOSE=1"}, ldwrap("ldwrap-run"), "-o", "out", "--", "bash", "-c", script, "bash", "out", sync)
		require.Equal(t, 0, code, msg)
		assert.Contains(t, msg, "ldwrap: ended the processes the command left running\n")
		pidText = strings.TrimSpace(string(readFile(t, at("left.pid"))))
		assert.Error(t, exec.Command("kill", "-0", pidText).Run(), "ended before the commit, and reaped")
		assert.Equal(t, "new\n", string(readFile(t, filepath.Join(dir, "out"))))
		assert.Empty(t, leftovers(t, dir))
	})
}

var _ = portableToo(TestNamespaceModeChosen)

// Which mode runs, and why, as verbose mode says. Where namespace mode
// cannot run (a mount under the directory, an upper layer on overlayfs as
// in a container), -o runs in argument mode, and --stage, --dry-run and
// LDWRAP_RUN_MODE=namespace fail in one line naming the cause and the way
// out, nothing run. LDWRAP_RUN_MODE=args runs argument mode; --in-text
// (the Bazel rule's, for the fallback) does not choose.
func TestNamespaceModeChosen(t *testing.T) {
	need(t, "root", "mount")
	base := t.TempDir()
	dir := filepath.Join(base, "out")
	writeFile(t, filepath.Join(dir, "out"), "old\n")
	step := []string{"--", "sh", "-c", `echo new > "$1"; echo ran > "$2"`, "sh", "out", filepath.Join(base, "ran")}
	ran := func() bool {
		_, err := os.Stat(filepath.Join(base, "ran"))
		os.Remove(filepath.Join(base, "ran"))
		return err == nil
	}
	verbose := func(env ...string) (int, string) {
		return exitCode(dir, append(env, "LDWRAP_VERBOSE=1"), append([]string{ldwrap("ldwrap-run"), "-o", "out"}, step...)...)
	}
	if portable {
		code, msg := verbose()
		assert.Equal(t, 0, code, msg)
		assert.Contains(t, msg, "ldwrap: argument mode: namespace mode cannot run: it needs Linux")
		return
	}
	code, msg := verbose()
	assert.Equal(t, 0, code, msg)
	assert.Contains(t, msg, "ldwrap: namespace mode: the command sees the real paths; staged: "+dir+"\n")
	assert.True(t, ran())
	for _, c := range []struct{ env, why string }{
		{"LDWRAP_RUN_MODE=args", "ldwrap: argument mode: LDWRAP_RUN_MODE=args\n"},
		{"LDWRAP_RUN_MODE=", "ldwrap: namespace mode:"},
	} {
		code, msg = verbose(c.env)
		assert.Equal(t, 0, code, msg)
		assert.Contains(t, msg, c.why)
		assert.True(t, ran())
	}
	code, msg = exitCode(dir, []string{"LDWRAP_VERBOSE=1"}, append([]string{ldwrap("ldwrap-run"), "-o", "out", "--in-text"}, step...)...)
	assert.Equal(t, 0, code, msg)
	assert.Contains(t, msg, "ldwrap: namespace mode: the command sees the real paths; staged: "+dir+"\n")
	assert.True(t, ran())
	code, msg = exitCode(dir, []string{"LDWRAP_RUN_MODE=sandbox"}, append([]string{ldwrap("ldwrap-run"), "-o", "out"}, step...)...)
	assert.Equal(t, 126, code)
	assert.Equal(t, "ldwrap: config: LDWRAP_RUN_MODE=sandbox: want namespace or args\n", msg)
	code, msg = exitCode(dir, []string{"LDWRAP_RUN_MODE=args"}, append([]string{ldwrap("ldwrap-run"), "--stage", "."}, step...)...)
	assert.Equal(t, 126, code)
	assert.Equal(t, "ldwrap: stage .: --stage and --dry-run need namespace mode, and LDWRAP_RUN_MODE=args; unset it\n", msg)
	assert.False(t, ran(), "nothing ran")

	// A mount under the directory.
	sub := filepath.Join(dir, "sub")
	mountTmpfs(t, sub, "size=64k")
	code, msg = verbose()
	assert.Equal(t, 0, code, msg)
	assert.Contains(t, msg, "ldwrap: argument mode: namespace mode cannot run: a mount under "+dir+": "+sub+" (the overlay would hide it)\n")
	assert.True(t, ran())
	refusal := "ldwrap: stage .: namespace mode cannot run: a mount under " + dir + ": " + sub + " (the overlay would hide it); stage a directory with no mount under it\n"
	for _, argv := range [][]string{
		append([]string{ldwrap("ldwrap-run"), "--stage", "."}, step...),
		append([]string{ldwrap("ldwrap-run"), "-o", "out", "--dry-run"}, step...),
	} {
		code, msg = exitCode(dir, nil, argv...)
		assert.Equal(t, 126, code)
		assert.Equal(t, refusal, msg)
		assert.False(t, ran(), "nothing ran")
	}
	code, msg = exitCode(dir, []string{nsMode}, append([]string{ldwrap("ldwrap-run"), "-o", "out"}, step...)...)
	assert.Equal(t, 126, code)
	assert.Equal(t, refusal, msg)
	assert.False(t, ran(), "nothing ran")
	runErr("/", nil, "umount", sub)

	// An upper layer on overlayfs, as in a container whose root is one.
	lower, upper, work, merged := filepath.Join(base, "l"), filepath.Join(base, "u"), filepath.Join(base, "w"), filepath.Join(base, "m")
	for _, d := range []string{lower, upper, work, merged} {
		require.NoError(t, os.MkdirAll(d, 0o755))
	}
	run(t, "/", nil, "mount", "-t", "overlay", "overlay", "-o", "lowerdir="+lower+",upperdir="+upper+",workdir="+work, merged)
	t.Cleanup(func() { runErr("/", nil, "umount", "-l", merged) })
	inner := filepath.Join(merged, "out")
	writeFile(t, filepath.Join(inner, "out"), "old\n")
	code, msg = exitCode(inner, []string{"LDWRAP_VERBOSE=1"}, append([]string{ldwrap("ldwrap-run"), "-o", "out"}, step...)...)
	assert.Equal(t, 0, code, msg)
	assert.Contains(t, msg, "ldwrap: argument mode: namespace mode cannot run: overlayfs cannot put an upper layer on overlay ("+inner+")\n")
	assert.Equal(t, "new\n", string(readFile(t, filepath.Join(inner, "out"))))
	assert.True(t, ran())
	code, msg = exitCode(inner, nil, append([]string{ldwrap("ldwrap-run"), "--stage", "."}, step...)...)
	assert.Equal(t, 126, code)
	assert.Equal(t, "ldwrap: stage .: namespace mode cannot run: overlayfs cannot put an upper layer on overlay ("+inner+"); stage a directory on a local filesystem (ext4, xfs, btrfs, tmpfs)\n", msg)
	assert.False(t, ran(), "nothing ran")
	assert.Empty(t, leftovers(t, inner))
	assert.Empty(t, leftovers(t, dir))
}

// Two steps writing one directory at once, as make -j runs them: the
// second waits for the first's layer (runs on one root take turns) rather
// than run in argument mode beside it, whose result could differ; both
// outputs are committed, each as namespace mode gives it.
func TestNamespaceParallelStepsOneDirectory(t *testing.T) {
	need(t, "root", "mkfifo")
	if portable {
		t.Skip("namespace mode is Linux's")
	}
	dir, fifo := t.TempDir(), filepath.Join(t.TempDir(), "go")
	// Outside the staged directory: under it the overlay gives the command
	// a fifo of its own (GUARANTEES.md, namespace mode).
	run(t, dir, nil, "mkfifo", fifo)
	first := exec.Command(ldwrap("ldwrap-run"), "-o", "a", "--", "sh", "-c", `read x < "$1"; echo a > a`, "sh", fifo)
	first.Dir = dir
	require.NoError(t, first.Start())
	t.Cleanup(func() { first.Process.Kill(); first.Wait() })
	waitFor(t, "the first step's layer", 10*time.Second, func() bool {
		m, _ := filepath.Glob(filepath.Join(filepath.Dir(dir), ".ldwrap."+filepath.Base(dir)+".layer"))
		return len(m) == 1
	})
	second := exec.Command(ldwrap("ldwrap-run"), "-o", "b", "--", "sh", "-c", `echo "$PWD/b" > b`)
	second.Dir = dir
	second.Env = append(os.Environ(), "LDWRAP_VERBOSE=1")
	var msgs syncBuffer
	second.Stderr = &msgs
	require.NoError(t, second.Start())
	t.Cleanup(func() { second.Process.Kill(); second.Wait() })
	waitFor(t, "the second step to wait its turn", 10*time.Second, func() bool {
		return strings.Contains(msgs.String(), "waiting for another run on "+dir)
	})
	writeFile(t, fifo, "go\n")
	require.NoError(t, first.Wait())
	require.NoError(t, second.Wait(), "%s", msgs.String())
	assert.NotContains(t, msgs.String(), "argument mode")
	assert.Equal(t, "a\n", string(readFile(t, filepath.Join(dir, "a"))))
	assert.Equal(t, dir+"/b\n", string(readFile(t, filepath.Join(dir, "b"))))
	assert.Empty(t, leftovers(t, dir+"/"))
}

// syncBuffer is a bytes.Buffer a command writes while the test reads it.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}
