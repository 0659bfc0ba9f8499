package e2e

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// readmeBazelSnippet is the consumer snippet the README shows; the test
// uses it verbatim after the local_repository line.
const readmeBazelSnippet = `load("@ldwrap//rules:deps.bzl", "ldwrap_dependencies")

ldwrap_dependencies()

load("@ldwrap//rules:setup.bzl", "ldwrap_setup")

ldwrap_setup()
`

func bazel(t *testing.T, dir string, args ...string) string {
	t.Helper()
	return run(t, dir, nil, append([]string{"bazel"}, args...)...)
}

// The project builds and tests under Bazel, and bazel run //:install puts
// the commands in place over a running one.
func TestBazelProject(t *testing.T) {
	root := repoRoot()
	bazel(t, root, "build", "//...")
	out := bazel(t, root, "test", "--test_output=errors", "//...")
	assert.Contains(t, out, "5 tests pass") // cmdline, engine, wrap, stale, the Go API

	dest := t.TempDir()
	bazel(t, root, "run", "//:install", "--", dest)
	// It runs (cat) until its standard input closes, so it outlives the installs.
	running := startGroup(dest, filepath.Join(dest, "ldwrap-run"), "--", "cat")
	release, err := running.StdinPipe()
	require.NoError(t, err)
	require.NoError(t, running.Start())
	time.Sleep(100 * time.Millisecond)
	before := inode(t, filepath.Join(dest, "ldwrap-run"))
	out = bazel(t, root, "run", "//:install", "--", dest)
	assert.NotEqual(t, before, inode(t, filepath.Join(dest, "ldwrap-run")))
	// ldwrap-stale runs once after the install and names the running copy.
	assert.Contains(t, out, fmt.Sprintf("%d (ldwrap-run) executable %s\n", running.Process.Pid, filepath.Join(dest, "ldwrap-run")))
	release.Close()
	require.NoError(t, running.Wait(), "the running copy finishes normally")
	for _, c := range []string{"ldwrap", "ldwrap-cc", "ldwrap-c++", "ldwrap-install", "ldwrap-run", "ldwrap-stale"} {
		fi, err := os.Stat(filepath.Join(dest, c))
		require.NoError(t, err)
		assert.Equal(t, os.FileMode(0o755), fi.Mode().Perm(), c)
	}
	assert.Contains(t, run(t, dest, nil, "./ldwrap", "--version"), "ldwrap ")
	assert.Empty(t, leftovers(t, dest))
}

// A separate workspace consumes ldwrap with the README's snippet and uses
// both rules.
func TestBazelConsumer(t *testing.T) {
	readme := string(readFile(t, filepath.Join(repoRoot(), "README.md")))
	require.True(t, strings.Contains(readme, readmeBazelSnippet), "the README shows the snippet this test uses")

	dir := t.TempDir()
	t.Cleanup(func() { runErr(dir, nil, "bazel", "shutdown") })
	writeFile(t, filepath.Join(dir, "WORKSPACE"), `local_repository(name = "ldwrap", path = "`+repoRoot()+"\")\n\n"+readmeBazelSnippet)
	writeFile(t, filepath.Join(dir, "BUILD.bazel"), `load("@ldwrap//rules:defs.bzl", "atomic_install", "atomic_output")

atomic_output(
    name = "gen",
    srcs = ["in.txt"],
    outs = ["upper.txt", "sub/lower.txt"],
    cmd = "tr a-z A-Z < $< > $(location upper.txt); cp $(SRCS) $(location sub/lower.txt); echo $$HOME > /dev/null",
)

atomic_output(
    name = "version",
    srcs = ["VERSION"],
    outs = ["version.h"],
    cmd = "echo \"#define VERSION $$(cat $<)\" > $@",
)

atomic_output(name = "fail", outs = ["partial.txt"], cmd = "echo partial > $@; exit 1")

genrule(name = "fail_control", outs = ["partial_control.txt"], cmd = "echo partial > $@; exit 1")

cc_binary(name = "prog", srcs = ["prog.c"])

atomic_install(name = "install", srcs = [":prog", "data.txt"], dest = "installed")
`)
	writeFile(t, filepath.Join(dir, "in.txt"), "hello\n")
	writeFile(t, filepath.Join(dir, "VERSION"), "42\n")
	writeFile(t, filepath.Join(dir, "data.txt"), "data\n")
	writeFile(t, filepath.Join(dir, "prog.c"), strings.Replace(waitingMain, "VERSION", "v1", 1))

	bazel(t, dir, "build", "//:gen", "//:version")
	assert.Equal(t, "#define VERSION 42\n", string(readFile(t, filepath.Join(dir, "bazel-bin", "version.h"))))
	assert.Equal(t, "HELLO\n", string(readFile(t, filepath.Join(dir, "bazel-bin", "upper.txt"))))
	assert.Equal(t, "hello\n", string(readFile(t, filepath.Join(dir, "bazel-bin", "sub", "lower.txt"))))

	// A failing command leaves no partial output, even run locally.
	_, err := runErr(dir, nil, "bazel", "build", "--spawn_strategy=local", "//:fail")
	require.Error(t, err)
	_, err = os.Stat(filepath.Join(dir, "bazel-bin", "partial.txt"))
	assert.True(t, os.IsNotExist(err), "atomic_output left a partial output")
	_, err = runErr(dir, nil, "bazel", "build", "--spawn_strategy=local", "//:fail_control")
	require.Error(t, err)
	_, err = os.Stat(filepath.Join(dir, "bazel-bin", "partial_control.txt"))
	assert.NoError(t, err, "control: genrule leaves its partial output")
	assert.Empty(t, leftovers(t, filepath.Join(dir, "bazel-bin")+"/"))

	// bazel run //:install -- DIR over a running binary.
	dest := filepath.Join(dir, "dest")
	bazel(t, dir, "run", "//:install", "--", dest)
	p := startWaiting(t, dir, filepath.Join(dest, "prog"))
	writeFile(t, filepath.Join(dir, "prog.c"), strings.Replace(waitingMain, "VERSION", "v2", 1))
	bazel(t, dir, "run", "//:install", "--", dest)
	code, out := p.finish()
	assert.Equal(t, 0, code)
	assert.Contains(t, out, "v1")
	assert.Equal(t, "v2\n", run(t, dir, nil, filepath.Join(dest, "prog")))
	for name, mode := range map[string]os.FileMode{"prog": 0o755, "data.txt": 0o644} {
		fi, err := os.Stat(filepath.Join(dest, name))
		require.NoError(t, err)
		assert.Equal(t, mode, fi.Mode().Perm(), name)
	}
	// The default destination, relative to where bazel run was started.
	bazel(t, dir, "run", "//:install")
	_, err = os.Stat(filepath.Join(dir, "installed", "prog"))
	assert.NoError(t, err)
	assert.Empty(t, leftovers(t, dest))
}
