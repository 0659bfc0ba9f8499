//go:build linux

package e2e

import (
	"debug/macho"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ldwrap/ldwrap/internal/repocopy"
	"github.com/ldwrap/ldwrap/internal/testenv"
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

// readmeModuleSnippet is the README's MODULE.bazel snippet, VERSION being
// ldwrap's; the test uses it verbatim, with ldwrap from a registry.
const readmeModuleSnippet = `bazel_dep(name = "ldwrap", version = "VERSION")

# Only without network access to Go's downloads: build with the Go on PATH.
bazel_dep(name = "rules_go", version = "0.59.0")
go_sdk = use_extension("@rules_go//go:extensions.bzl", "go_sdk")
go_sdk.host()
`

func bazel(t *testing.T, dir string, args ...string) string {
	t.Helper()
	return run(t, dir, nil, append([]string{"bazel"}, args...)...)
}

// The project builds and tests under Bazel, and bazel run //:install puts
// the commands in place over a running one.
func TestBazelProject(t *testing.T) {
	t.Parallel() // see "Parallel tests" in helpers_test.go
	need(t, "bazel", "gcc")
	root := copyRepoInto(t, bookworm)
	bazel(t, root, "build", "//...")
	out := bazel(t, root, "test", "--test_output=errors", "//...")
	assert.Contains(t, out, "13 tests pass") // cli, cmdline, engine, gnumsg, layer, nsrun, rawio, sigign, stale, step, toolpath, the Go API, atomic_output

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
	for _, c := range commandNames {
		fi, err := os.Stat(filepath.Join(dest, c))
		require.NoError(t, err)
		assert.Equal(t, os.FileMode(0o755), fi.Mode().Perm(), c)
		assert.Empty(t, dynamicLoader(t, filepath.Join(dest, c)), "%s: static, importing no cgo package", c)
	}
	assert.Contains(t, run(t, dest, nil, "./ldwrap", "--version"), "ldwrap ")
	assert.Empty(t, leftovers(t, dest))
}

// A separate workspace consumes ldwrap with the README's snippet and uses
// both rules: WORKSPACE on Bazel 4.2.3.
func TestBazelConsumer(t *testing.T) { bazelConsumer(t, bookworm) }

// The same with Bzlmod on Bazel 7, WORKSPACE off, using only the README's
// MODULE.bazel snippet: Bazel finds ldwrap in a registry made from the
// templates in .bcr/ (see bcrRegistry), and builds what its presubmit
// builds.
func TestBzlmodConsumer(t *testing.T) { bazelConsumer(t, sid) }

func bazelConsumer(t *testing.T, g generation) {
	t.Parallel() // see "Parallel tests" in helpers_test.go
	if g.root == "" {
		need(t, "bazel", "gcc")
	} else {
		need(t, "bazel7")
	}
	readme := string(readFile(t, filepath.Join(repoRoot(), "README.md")))
	var presubmitTargets []string
	dir := g.workDir(t, "consumer")
	require.NoError(t, os.MkdirAll(g.host(dir), 0o755))
	t.Cleanup(func() { g.runErr(dir, "bazel", "shutdown") })
	if g.root == "" {
		require.True(t, strings.Contains(readme, readmeBazelSnippet), "the README shows the snippet this test uses")
		writeFile(t, filepath.Join(dir, "WORKSPACE"), `local_repository(name = "ldwrap", path = "`+copyRepoInto(t, g)+"\")\n\n"+readmeBazelSnippet)
	} else {
		snippet := strings.Replace(readmeModuleSnippet, "VERSION", writtenVersion(t), 1)
		require.True(t, strings.Contains(readme, snippet), "the README shows the snippet this test uses")
		var registry string
		registry, presubmitTargets = bcrRegistry(t, g)
		writeFile(t, g.host(dir+"/MODULE.bazel"), snippet)
		writeFile(t, g.host(dir+"/.bazelrc"), "common --registry="+registry+"\n")
	}
	buildFile := `load("@ldwrap//rules:defs.bzl", "atomic_install", "atomic_output")

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

# An input whose path starts with the output's path (gen.txt.in, gen.txt):
# only whole-word mentions of an output are redirected.
atomic_output(name = "stem", srcs = ["VERSION"], outs = ["gen.txt.in"], cmd = "cp $< $@")

# cat, not cp: cp would give gen.txt the read-only mode of Bazel's output, and
# >> then fails for anyone but root, bare as under ldwrap.
# The shell comment that ends a command is the test's nonce: each build
# below runs it anew.
atomic_output(name = "from_stem", srcs = [":stem"], outs = ["gen.txt"], cmd = "cat $< > $@; echo '$@' >> $@ # NONCE")

# The command names its output by no path: only namespace mode can stage it.
atomic_output(name = "cd", outs = ["x.txt"], cmd = "cd $(@D) && echo made > x.txt # NONCE")

atomic_output(name = "fail", outs = ["partial.txt"], cmd = "echo partial > $@; exit 1")

genrule(name = "fail_control", outs = ["partial_control.txt"], cmd = "echo partial > $@; exit 1")

cc_binary(name = "prog", srcs = ["prog.c"])

atomic_install(name = "install", srcs = [":prog", "data.txt"], dest = "installed")
`
	// Each phase writes BUILD.bazel with a nonce of its own: its actions run
	// whatever Bazel's caches hold (a disk cache outlives this workspace).
	writeBuild := func(phase string) {
		writeFile(t, g.host(dir+"/BUILD.bazel"), strings.ReplaceAll(buildFile, "NONCE", fmt.Sprintf("%s %d", phase, time.Now().UnixNano())))
	}
	writeBuild("sandboxed")
	writeFile(t, g.host(dir+"/in.txt"), "hello\n")
	writeFile(t, g.host(dir+"/VERSION"), "42\n")
	writeFile(t, g.host(dir+"/data.txt"), "data\n")
	writeFile(t, g.host(dir+"/prog.c"), strings.Replace(waitingMain, "VERSION", "v1", 1))

	t.Log(g.run(t, dir, nil, "bazel", "--version"))
	// Namespace mode, in Bazel's sandbox and run locally: the command sees
	// the real paths, so $@ records the real path and cd $(@D) works.
	// Bazel 4 runs the sandboxed actions in linux-sandbox (uid 0 in a user
	// namespace of its own); Bazel 7 in the chroot, where linux-sandbox
	// cannot run, in processwrapper-sandbox.
	verbose := "--action_env=LDWRAP_VERBOSE=1"
	out := g.run(t, dir, nil, "bazel", "build", verbose, "//:gen", "//:version", "//:from_stem", "//:cd")
	assert.Regexp(t, `processes: .*\b(linux-sandbox|processwrapper-sandbox)\b`, out, "the actions ran sandboxed")
	bin := g.hostLink(t, dir+"/bazel-bin")
	namespaceMode := func(how string) {
		t.Helper()
		assert.Contains(t, out, "namespace mode", how)
		assert.NotContains(t, out, "argument mode", how)
		assert.Regexp(t, `^42\nbazel-out/[^/]+/bin/gen\.txt\n$`, string(readFile(t, filepath.Join(bin, "gen.txt"))),
			"%s: the input gen.txt.in is read as it is; the output's path is the real one", how)
		assert.Equal(t, "made\n", string(readFile(t, filepath.Join(bin, "x.txt"))), how)
		assert.Empty(t, leftovers(t, bin+"/"), how)
	}
	namespaceMode("sandboxed")
	assert.Equal(t, "#define VERSION 42\n", string(readFile(t, filepath.Join(bin, "version.h"))))
	assert.Equal(t, "HELLO\n", string(readFile(t, filepath.Join(bin, "upper.txt"))))
	assert.Equal(t, "hello\n", string(readFile(t, filepath.Join(bin, "sub", "lower.txt"))))
	writeBuild("local")
	out = g.run(t, dir, nil, "bazel", "build", "--spawn_strategy=local", verbose, "//:from_stem", "//:cd")
	assert.Regexp(t, `processes: .*\b\d+ local\b`, out, "the actions ran locally")
	namespaceMode("local")

	// Argument mode, forced: the command is handed the staged path, which
	// $@ records, and a command that names its output by no path fails
	// with ldwrap's one line.
	args := "--action_env=LDWRAP_RUN_MODE=args"
	g.run(t, dir, nil, "bazel", "build", args, "//:from_stem")
	assert.Regexp(t, `^42\nbazel-out/.*/\.ldwrap\.gen\.txt\.[^/]+/gen\.txt\n$`, string(readFile(t, filepath.Join(bin, "gen.txt"))),
		"argument mode: the output, single-quoted too, is the staged path")
	out, err := g.runErr(dir, "bazel", "build", args, "//:cd")
	require.Error(t, err)
	assert.Contains(t, out, "(Exit 126)")
	assert.Regexp(t, `(?m)^ldwrap: output bazel-out/[^/]+/bin/x\.txt: not among the command's arguments, so it cannot be redirected: .*$`, out)

	// A failing command leaves no partial output, even run locally, in
	// either mode.
	for _, mode := range [][]string{nil, {args}} {
		_, err := g.runErr(dir, append(append([]string{"bazel", "build", "--spawn_strategy=local"}, mode...), "//:fail")...)
		require.Error(t, err)
		_, err = os.Stat(filepath.Join(bin, "partial.txt"))
		assert.True(t, os.IsNotExist(err), "atomic_output left a partial output %v", mode)
	}
	_, err = g.runErr(dir, "bazel", "build", "--spawn_strategy=local", "//:fail_control")
	require.Error(t, err)
	_, err = os.Stat(filepath.Join(bin, "partial_control.txt"))
	assert.NoError(t, err, "control: genrule leaves its partial output")
	assert.Empty(t, leftovers(t, bin+"/"))

	// bazel run //:install -- DIR over a running binary.
	dest := dir + "/dest"
	g.run(t, dir, nil, "bazel", "run", "//:install", "--", dest)
	d, argv := g.argv(dir, dest+"/prog")
	p := startWaiting(t, d, argv...)
	writeFile(t, g.host(dir+"/prog.c"), strings.Replace(waitingMain, "VERSION", "v2", 1))
	out = g.run(t, dir, nil, "bazel", "run", "//:install", "--", dest)
	assert.Contains(t, out, fmt.Sprintf("%d (prog) executable %s/prog\n", p.cmd.Process.Pid, dest), "ldwrap-stale names the running old version")
	code, pout := p.finish()
	assert.Equal(t, 0, code)
	assert.Contains(t, pout, "v1")
	assert.Equal(t, "v2\n", g.run(t, dir, nil, dest+"/prog"))
	for name, mode := range map[string]os.FileMode{"prog": 0o755, "data.txt": 0o644} {
		fi, err := os.Stat(g.host(dest + "/" + name))
		require.NoError(t, err)
		assert.Equal(t, mode, fi.Mode().Perm(), name)
	}
	// The default destination, relative to where bazel run was started.
	g.run(t, dir, nil, "bazel", "run", "//:install")
	_, err = os.Stat(g.host(dir + "/installed/prog"))
	assert.NoError(t, err)
	assert.Empty(t, leftovers(t, g.host(dest)))
	if len(presubmitTargets) > 0 {
		g.run(t, dir, nil, append([]string{"bazel", "build"}, presubmitTargets...)...)
	}
}

// copyRepoInto brings the copy of this repository in generation g in step
// with it (see repocopy), once per test process, and returns the copy's
// path there: the path where bazel:warm built it, so that Bazel finds the
// output base it filled whatever the checkout's path. The project's test
// builds in the copy and the consumer's repository points at it.
func copyRepoInto(t *testing.T, g generation) string {
	t.Helper()
	repoCopiesMu.Lock()
	c := repoCopies[g.name]
	if c == nil {
		c = &repoCopy{}
		repoCopies[g.name] = c
	}
	repoCopiesMu.Unlock()
	c.once.Do(func() {
		c.path = g.workPath(testenv.RepoCopyName)
		if g.root == "" {
			_, c.err = testenv.OwnHostWorkDir()
		}
		if c.err == nil {
			c.err = repocopy.Sync(repoRoot(), g.host(c.path))
		}
	})
	require.NoError(t, c.err, "copying the repository into %s", g.name)
	return c.path
}

type repoCopy struct {
	once sync.Once
	path string
	err  error
}

var (
	repoCopiesMu sync.Mutex
	repoCopies   = map[string]*repoCopy{}
)

// The project builds and its Go tests pass with Bazel 7, Bzlmod on and
// WORKSPACE off; bazel run //:install puts the commands in place over a
// running one.
func TestBzlmodProject(t *testing.T) {
	t.Parallel() // see "Parallel tests" in helpers_test.go
	need(t, "bazel7")
	g := sid
	// Its server is left running, as Bazel leaves them: the copy's path is
	// fixed, so set-up's next warm build finds it ready (a new server would
	// cost it a start; docs/tests.md, "Timings").
	root := copyRepoInto(t, g)
	t.Log(g.run(t, root, nil, "bazel", "--version"))
	g.run(t, root, nil, "bazel", "build", "//...")
	out := g.run(t, root, nil, "bazel", "test", "--test_output=errors", "--test_summary=detailed", "//...")
	for _, line := range strings.Split(out, "\n") {
		if strings.Contains(line, "PASSED") || strings.Contains(line, "FAILED") {
			t.Log(strings.TrimSpace(line))
		}
	}
	assert.Contains(t, out, "13 tests pass") // cli, cmdline, engine, gnumsg, layer, nsrun, rawio, sigign, stale, step, toolpath, the Go API, atomic_output

	// The commands cross-build for a Mac: rules_go's darwin_arm64 platform,
	// pure Go, the host's SDK.
	mac := "--platforms=@io_bazel_rules_go//go/toolchain:darwin_arm64"
	g.run(t, root, nil, "bazel", "build", mac, "//ldwrap/cmd/...")
	var rel, execroot string
	for _, line := range strings.Split(g.run(t, root, nil, "bazel", "cquery", mac, "--output=files", "//ldwrap/cmd/ldwrap-run"), "\n") {
		if strings.HasPrefix(line, "bazel-out/") {
			rel = line
		}
	}
	for _, line := range strings.Split(g.run(t, root, nil, "bazel", "info", mac, "execution_root"), "\n") {
		if strings.HasPrefix(line, "/") {
			execroot = line
		}
	}
	require.NotEmpty(t, rel)
	f, err := macho.Open(g.host(filepath.Join(execroot, rel)))
	require.NoError(t, err, "ldwrap-run for darwin_arm64 is a Mach-O file")
	assert.Equal(t, macho.CpuArm64, f.Cpu)
	f.Close()

	dest := root + "/dest"
	g.run(t, root, nil, "bazel", "run", "//:install", "--", dest)
	d, argv := g.argv(root, dest+"/ldwrap-run", "--", "cat")
	running := startGroup(d, argv...)
	release, err := running.StdinPipe()
	require.NoError(t, err)
	require.NoError(t, running.Start())
	before := inode(t, g.host(dest+"/ldwrap-run"))
	out = g.run(t, root, nil, "bazel", "run", "//:install", "--", dest)
	assert.NotEqual(t, before, inode(t, g.host(dest+"/ldwrap-run")))
	assert.Contains(t, out, fmt.Sprintf("%d (ldwrap-run) executable %s/ldwrap-run\n", running.Process.Pid, dest))
	release.Close()
	require.NoError(t, running.Wait(), "the running copy finishes normally")
	for _, c := range commandNames {
		// Bazel 7's rules_go builds with cgo on here (gcc is in the chroot):
		// no package the commands import uses it, so they link static anyway.
		assert.Empty(t, dynamicLoader(t, g.host(dest+"/"+c)), "%s: static, importing no cgo package", c)
	}
	assert.Empty(t, leftovers(t, g.host(dest)))
}
