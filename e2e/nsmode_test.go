//go:build linux

package e2e

import (
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"syscall"
	"testing"

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
	{"old output 0600", chmodOld(0o600)},
	{"old output write-only", chmodOld(0o200)},
	{"old output nobody's", onOld(func(name string) func(string, int) error { return chown(name, 65534) })},
	{"old output with a user xattr", onOld(userXattr)},
	{"old output with an ACL", onOld(accessACL)},
	{"directory with a default ACL", func(dir, _ string) error { return defaultACLDir(".")(dir, 0) }},
	{"setgid directory of group users", func(dir, _ string) error {
		if err := os.Chown(dir, -1, 100); err != nil {
			return err
		}
		return os.Chmod(dir, 0o775|os.ModeSetgid)
	}},
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
