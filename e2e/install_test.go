//go:build linux

package e2e

import (
	"bytes"
	"debug/elf"
	"debug/macho"
	"fmt"
	"io"
	"math/rand"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// repoRoot is the repository's root, absolute: go test runs the tests in
// the package's directory (source paths from runtime.Caller are not
// absolute under -trimpath, which check sets).
func repoRoot() string { return rootDir }

var rootDir = func() string {
	wd, err := os.Getwd()
	if err != nil {
		panic(err)
	}
	return filepath.Dir(wd)
}()

func inode(t *testing.T, path string) uint64 {
	t.Helper()
	fi, err := os.Stat(path)
	require.NoError(t, err)
	return fi.Sys().(*syscall.Stat_t).Ino
}

var _ = portableToo(TestInstallOverRunningProgramAndLibrary)

// ldwrap-install over a running executable and over an in-use library.
func TestInstallOverRunningProgramAndLibrary(t *testing.T) {
	need(t, "gcc")
	dir := t.TempDir()
	dest := filepath.Join(dir, "dest")
	writeFile(t, filepath.Join(dir, "v1.c"), strings.Replace(waitingMain, "VERSION", "v1", 1))
	writeFile(t, filepath.Join(dir, "v2.c"), strings.Replace(waitingMain, "VERSION", "v2", 1))
	run(t, dir, nil, "gcc", "-o", "prog1", "v1.c")
	run(t, dir, nil, "gcc", "-o", "prog2", "v2.c")
	inst := ldwrap("ldwrap-install")
	run(t, dir, nil, inst, "-D", "prog1", "dest/prog")
	p := startWaiting(t, dir, "dest/prog")
	out, err := runErr(dir, nil, "cp", "prog2", "dest/prog")
	require.Error(t, err, "control: cp over a running program")
	assert.Contains(t, out, "Text file busy")
	run(t, dir, nil, inst, "-m", "755", "prog2", "dest/prog")
	code, pout := p.finish()
	assert.Equal(t, 0, code)
	assert.Contains(t, pout, "v1")
	assert.Equal(t, "v2\n", run(t, dir, nil, "dest/prog"))
	fi, _ := os.Stat(filepath.Join(dest, "prog"))
	assert.Equal(t, os.FileMode(0o755), fi.Mode().Perm())

	for _, mode := range []string{"control-cp", "ldwrap-install"} {
		writeFile(t, filepath.Join(dir, "foo.c"), libSource(1, 0))
		writeFile(t, filepath.Join(dir, "foo2.c"), libSource(2, 200))
		writeFile(t, filepath.Join(dir, "user.c"), libUser)
		run(t, dir, nil, "gcc", "-shared", "-fPIC", "-o", "libfoo1.so", "foo.c")
		run(t, dir, nil, "gcc", "-shared", "-fPIC", "-o", "libfoo2.so", "foo2.c")
		run(t, dir, nil, inst, "-m", "644", "libfoo1.so", "dest/libfoo.so")
		run(t, dir, nil, "gcc", "-o", "dest/user", "user.c", "-Ldest", "-lfoo", "-Wl,-rpath,$ORIGIN")
		healthy, how := libraryUserSurvives(t, dir, "dest/user", func() {
			if mode == "control-cp" {
				run(t, dir, nil, "cp", "libfoo2.so", "dest/libfoo.so")
			} else {
				run(t, dir, nil, inst, "-m", "644", "libfoo2.so", "dest/libfoo.so")
			}
		})
		if mode == "control-cp" {
			assert.False(t, healthy, "control: cp over an in-use library (%s)", how)
		} else {
			assert.True(t, healthy, how)
		}
	}
	assert.Empty(t, leftovers(t, dir))
}

var _ = portableToo(TestInstallOptions)

// -C leaves identical files untouched, inode included; -p keeps times;
// several sources go into a directory; -d makes directories.
func TestInstallOptions(t *testing.T) {
	dir := t.TempDir()
	writeFile(t, filepath.Join(dir, "a"), "a")
	writeFile(t, filepath.Join(dir, "b"), "b")
	inst := ldwrap("ldwrap-install")
	run(t, dir, nil, inst, "-d", "-m", "750", "d1", "d2")
	fi, _ := os.Stat(filepath.Join(dir, "d2"))
	assert.Equal(t, os.FileMode(0o750), fi.Mode().Perm())
	run(t, dir, nil, inst, "-m", "644", "a", "b", "d1")
	run(t, dir, nil, inst, "-m", "644", "-t", "d2", "a", "b")
	assert.Equal(t, "b", string(readFile(t, filepath.Join(dir, "d1", "b"))))
	ino := inode(t, filepath.Join(dir, "d1", "a"))
	run(t, dir, nil, inst, "-C", "-m", "644", "a", "d1/a")
	assert.Equal(t, ino, inode(t, filepath.Join(dir, "d1", "a")), "-C keeps an identical file's inode")
	run(t, dir, nil, inst, "-m", "644", "a", "d1/a")
	assert.NotEqual(t, ino, inode(t, filepath.Join(dir, "d1", "a")), "without -C the file is replaced")
	old := time.Date(2001, 2, 3, 4, 5, 6, 0, time.UTC)
	require.NoError(t, os.Chtimes(filepath.Join(dir, "a"), old, old))
	run(t, dir, nil, inst, "-p", "a", "d1/a")
	fi, _ = os.Stat(filepath.Join(dir, "d1", "a"))
	assert.True(t, fi.ModTime().Equal(old))
	assert.Equal(t, "removed 'd1/a'\n'a' -> 'd1/a'\n", run(t, dir, nil, inst, "-v", "a", "d1/a"))
	// One missing source among several: the others are installed, exit 1.
	require.NoError(t, os.Mkdir(filepath.Join(dir, "d3"), 0o755))
	code, out := exitCode(dir, nil, inst, "-m", "644", "a", "missing", "b", "d3")
	assert.Equal(t, 1, code)
	assert.Equal(t, inst+": cannot stat 'missing': No such file or directory\n", out, "GNU install's words")
	assert.Equal(t, "b", string(readFile(t, filepath.Join(dir, "d3", "b"))))
	assert.Equal(t, "a", string(readFile(t, filepath.Join(dir, "d3", "a"))))
	assert.Empty(t, leftovers(t, dir))
}

var _ = portableToo(TestMakeInstall)

// make install INSTALL=ldwrap-install on a real Makefile gives what GNU
// install gives, and works while the installed program runs.
func TestMakeInstall(t *testing.T) {
	need(t, "gcc", "make", "install")
	dir := t.TempDir()
	writeFile(t, filepath.Join(dir, "main.c"), strings.Replace(waitingMain, "VERSION", "v1", 1))
	writeFile(t, filepath.Join(dir, "foo.c"), libSource(1, 0))
	writeFile(t, filepath.Join(dir, "foo.h"), "int foo(void);\n")
	writeFile(t, filepath.Join(dir, "Makefile"), `INSTALL ?= install
prefix ?= /usr/local
all: prog libfoo.so
prog: main.c
	$(CC) -o $@ main.c
libfoo.so: foo.c
	$(CC) -shared -fPIC -o $@ foo.c
install: all
	$(INSTALL) -d $(DESTDIR)$(prefix)/bin $(DESTDIR)$(prefix)/lib
	$(INSTALL) -m 755 prog $(DESTDIR)$(prefix)/bin
	$(INSTALL) -c -m 644 libfoo.so $(DESTDIR)$(prefix)/lib/libfoo.so
	$(INSTALL) -D -m 644 foo.h $(DESTDIR)$(prefix)/include/foo/foo.h
`)
	run(t, dir, nil, "make", "install", "DESTDIR="+filepath.Join(dir, "gnu"))
	want := snapshot(t, filepath.Join(dir, "gnu"))
	env := []string{"LDWRAP_VERBOSE=1"}
	run(t, dir, env, "make", "install", "INSTALL="+ldwrap("ldwrap-install"), "DESTDIR="+filepath.Join(dir, "ours"))
	got := snapshot(t, filepath.Join(dir, "ours"))
	assert.Empty(t, diffSnapshots(want, got))
	for _, f := range names(want) {
		a, _ := os.Stat(filepath.Join(dir, "gnu", f))
		b, _ := os.Stat(filepath.Join(dir, "ours", f))
		assert.Equal(t, a.Mode(), b.Mode(), f)
	}
	p := startWaiting(t, dir, filepath.Join(dir, "ours/usr/local/bin/prog"))
	time.Sleep(10 * time.Millisecond)
	writeFile(t, filepath.Join(dir, "main.c"), strings.Replace(waitingMain, "VERSION", "v2", 1))
	run(t, dir, env, "make", "install", "INSTALL="+ldwrap("ldwrap-install"), "DESTDIR="+filepath.Join(dir, "ours"))
	code, out := p.finish()
	assert.Equal(t, 0, code)
	assert.Contains(t, out, "v1")
	assert.Equal(t, "v2\n", run(t, dir, nil, filepath.Join(dir, "ours/usr/local/bin/prog")))
	assert.Empty(t, leftovers(t, dir))
}

var _ = portableToo(TestSigkillInstallAndRun)

// SIGKILL at random moments of ldwrap-install and ldwrap-run: the old
// file stays whole, and the next run sweeps the leftovers (ldwrap-install's
// file has no name while it is written, so it leaves none).
func TestSigkillInstallAndRun(t *testing.T) {
	dir := t.TempDir()
	old := bytes.Repeat([]byte("old!"), 1<<20)
	big := bytes.Repeat([]byte("new."), 32<<20) // 128 MiB
	writeFile(t, filepath.Join(dir, "big"), string(big))
	rng := rand.New(rand.NewSource(time.Now().UnixNano()))
	steps := map[string][]string{
		"ldwrap-install": {ldwrap("ldwrap-install"), "big", "out"},
		"ldwrap-run":     {ldwrap("ldwrap-run"), "-o", "out", "--", "cp", "big", "out"},
	}
	for name, argv := range steps {
		kills := 0
		for i := 0; i < 6; i++ {
			require.NoError(t, os.WriteFile(filepath.Join(dir, "out"), old, 0o644))
			cmd := startGroup(dir, argv...)
			require.NoError(t, cmd.Start())
			if i%2 == 0 {
				waitFor(t, "a staged file", 20*time.Second, func() bool {
					if name == "ldwrap-install" && !portable {
						return unnamedFile(cmd.Process.Pid, dir) > 0
					}
					return stagedFile(dir, "out") > 0
				})
			} else {
				time.Sleep(time.Duration(rng.Intn(100)) * time.Millisecond)
			}
			killGroup(t, cmd)
			if name == "ldwrap-install" && !portable {
				// Nothing, unless the kill fell between link and rename
				// (two system calls), which leaves the linked name. The
				// portable build writes in a staging directory, which
				// the next install sweeps (asserted below).
				for _, l := range leftovers(t, dir) {
					assert.Equal(t, ".ldwrap.out.staging0", filepath.Base(l), "a killed ldwrap-install leaves nothing else")
				}
			}
			got := readFile(t, filepath.Join(dir, "out"))
			assert.True(t, bytes.Equal(got, old) || bytes.Equal(got, big), "%s: a partial file (%d bytes)", name, len(got))
			if bytes.Equal(got, old) {
				kills++
			}
		}
		t.Logf("%s: 6 kills, %d before the commit", name, kills)
		assert.Greater(t, kills, 0)
		run(t, dir, nil, argv...)
		assert.Equal(t, big, readFile(t, filepath.Join(dir, "out")))
		assert.Empty(t, leftovers(t, dir), name)
	}
}

var _ = portableToo(TestRunStep)

// A failing ldwrap-run step leaves all its old outputs untouched; a
// successful one commits each of them and the command's side files.
func TestRunStep(t *testing.T) {
	dir := t.TempDir()
	writeFile(t, filepath.Join(dir, "a.txt"), "old a")
	writeFile(t, filepath.Join(dir, "b.txt"), "old b")
	script := `echo new > "$1"; echo new > "$2"; exit $3`
	code, _ := exitCode(dir, nil, ldwrap("ldwrap-run"), "-o", "a.txt", "-o", "b.txt", "--", "sh", "-c", script, "sh", "a.txt", "b.txt", "7")
	assert.Equal(t, 7, code, "the exit status passes through")
	assert.Equal(t, "old a", string(readFile(t, filepath.Join(dir, "a.txt"))))
	assert.Equal(t, "old b", string(readFile(t, filepath.Join(dir, "b.txt"))))
	run(t, dir, nil, ldwrap("ldwrap-run"), "-o", "a.txt", "-o", "b.txt", "--", "sh", "-c", script, "sh", "a.txt", "b.txt", "0")
	assert.Equal(t, "new\n", string(readFile(t, filepath.Join(dir, "a.txt"))))
	assert.Equal(t, "new\n", string(readFile(t, filepath.Join(dir, "b.txt"))))
	run(t, dir, nil, ldwrap("ldwrap-run"), "--stdout", "c.txt", "--", "echo", "captured")
	// In argument mode an output the command does not name cannot be
	// redirected: refused. In namespace mode nothing is redirected: the
	// command runs as bare, and leaves a.txt as it was.
	code, msg := exitCode(dir, []string{"LDWRAP_RUN_MODE=args"}, ldwrap("ldwrap-run"), "-o", "a.txt", "--", "true")
	assert.Equal(t, 126, code)
	assert.Equal(t, "ldwrap: output a.txt: not among the command's arguments, so it cannot be redirected: give it as an argument of its own, or use --stdout a.txt for standard output\n", msg)
	if !portable {
		code, msg = exitCode(dir, nil, ldwrap("ldwrap-run"), "-o", "a.txt", "--", "true")
		assert.Equal(t, 0, code, msg)
		assert.Equal(t, "new\n", string(readFile(t, filepath.Join(dir, "a.txt"))))
	}
	assert.Equal(t, "captured\n", string(readFile(t, filepath.Join(dir, "c.txt"))))
	// The README's example.
	writeFile(t, filepath.Join(dir, "app", "main.go"), "package main\nfunc main() { println(\"app\") }\n")
	writeFile(t, filepath.Join(dir, "go.mod"), "module example.com/app\n\ngo 1.19\n")
	run(t, dir, nil, ldwrap("ldwrap-run"), "-o", "bin/app", "--", "go", "build", "-o", "bin/app", "./app")
	assert.Contains(t, run(t, dir, nil, "bin/app"), "app")
	assert.Empty(t, leftovers(t, dir))
}

// go run mage.go install, twice, while an installed ldwrap runs; the man
// pages go beside, where man finds them through PATH.
func TestMageInstallWhileRunning(t *testing.T) {
	need(t, "man")
	prefix := t.TempDir()
	gobin := filepath.Join(prefix, "bin")
	env := []string{"GOBIN=" + gobin}
	run(t, repoRoot(), env, "go", "run", "mage.go", "install")
	// It runs (cat) until its standard input closes, so it outlives the installs.
	running := startGroup(gobin, filepath.Join(gobin, "ldwrap-run"), "--", "cat")
	release, err := running.StdinPipe()
	require.NoError(t, err)
	require.NoError(t, running.Start())
	before := inode(t, filepath.Join(gobin, "ldwrap-run"))
	for i := 0; i < 2; i++ {
		out := run(t, repoRoot(), env, "go", "run", "mage.go", "install")
		assert.Contains(t, out, "installed "+filepath.Join(gobin, "ldwrap-run"))
		// The report, on by default: the running copy still runs the
		// version it started with.
		assert.Contains(t, out, fmt.Sprintf("ldwrap: %s: old version still in use by %d (ldwrap-run)\n", filepath.Join(gobin, "ldwrap-run"), running.Process.Pid))
	}
	assert.NotEqual(t, before, inode(t, filepath.Join(gobin, "ldwrap-run")), "replaced, not rewritten")
	release.Close()
	require.NoError(t, running.Wait(), "the running ldwrap finishes normally")
	for _, c := range commandNames {
		fi, err := os.Stat(filepath.Join(gobin, c))
		require.NoError(t, err)
		assert.Equal(t, os.FileMode(0o755), fi.Mode().Perm(), c)
		assert.Empty(t, dynamicLoader(t, filepath.Join(gobin, c)), "%s is static: no dynamic loader on every call", c)
	}
	assert.Empty(t, leftovers(t, gobin))
	onPath := []string{"PATH=" + gobin + ":" + os.Getenv("PATH")}
	assert.Equal(t, filepath.Join(prefix, "share/man/man1/ldwrap-run.1")+"\n", run(t, prefix, onPath, "man", "-w", "ldwrap-run"))
	assert.Equal(t, filepath.Join(prefix, "share/man/man1/ldwrap-cc.1")+"\n", run(t, prefix, onPath, "man", "-w", "ldwrap-c++"))
	assertManPagesMatchHelp(t, onPath)
}

// dynamicLoader is the ELF interpreter (PT_INTERP) of path, "" for a
// static executable.
func dynamicLoader(t *testing.T, path string) string {
	f, err := elf.Open(path)
	require.NoError(t, err)
	defer f.Close()
	for _, p := range f.Progs {
		if p.Type == elf.PT_INTERP {
			b, _ := io.ReadAll(p.Open())
			return strings.TrimRight(string(b), "\x00")
		}
	}
	return ""
}

const userApp = `package main

import (
	"fmt"
	"io"
	"os"
)

func main() {
	if len(os.Args) > 1 {
		fmt.Println("started")
		io.Copy(io.Discard, os.Stdin)
	}
	fmt.Println("VERSION")
}
`

// A user's magefile imports atomicmage and installs over a running binary.
func TestUserMagefileImport(t *testing.T) {
	t.Parallel() // see "Parallel tests" in helpers_test.go
	dir := t.TempDir()
	gobin := filepath.Join(dir, "gobin")
	writeFile(t, filepath.Join(dir, "go.mod"), fmt.Sprintf(`module example.com/user

go 1.19

require (
	github.com/ldwrap/ldwrap v0.0.0
	github.com/magefile/mage v1.15.0
)

replace github.com/ldwrap/ldwrap => %s
`, repoRoot()))
	writeFile(t, filepath.Join(dir, "mage.go"), "//go:build ignore\n\npackage main\n\nimport (\n\t\"os\"\n\n\t\"github.com/magefile/mage/mage\"\n)\n\nfunc main() { os.Exit(mage.Main()) }\n")
	writeFile(t, filepath.Join(dir, "magefiles", "magefile.go"), readmeMageImport+`
func init() { atomicmage.Binaries = map[string]string{"app": "./cmd/app"} }
`)
	writeFile(t, filepath.Join(dir, "cmd", "app", "main.go"), strings.Replace(userApp, "VERSION", "v1", 1))
	run(t, dir, nil, "go", "mod", "tidy")
	run(t, dir, nil, "go", "get", "github.com/magefile/mage@v1.15.0")
	env := []string{"GOBIN=" + gobin}
	assert.Contains(t, run(t, dir, env, "go", "run", "mage.go", "-l"), "install")
	run(t, dir, env, "go", "run", "mage.go", "install")
	p := startWaiting(t, dir, filepath.Join(gobin, "app"))
	writeFile(t, filepath.Join(dir, "cmd", "app", "main.go"), strings.Replace(userApp, "VERSION", "v2", 1))
	run(t, dir, env, "go", "run", "mage.go", "install")
	code, out := p.finish()
	assert.Equal(t, 0, code)
	assert.Contains(t, out, "v1")
	assert.Equal(t, "v2\n", run(t, dir, nil, filepath.Join(gobin, "app")))
	// The installTo target, with the directory as its argument.
	other := filepath.Join(dir, "other")
	run(t, dir, nil, "go", "run", "mage.go", "installTo", other)
	assert.Equal(t, "v2\n", run(t, dir, nil, filepath.Join(other, "app")))

	// The same magefile compiles and links for a Mac. Cross, in check,
	// type-checks atomicmage for FreeBSD and Windows (where it reports "not
	// supported") too; compiling for them here as well would cost a cold
	// check two more standard libraries.
	macMage := filepath.Join(dir, "mage-darwin")
	run(t, dir, nil, "go", "run", "mage.go", "-compile", macMage, "-goos", "darwin", "-goarch", "arm64")
	f, err := macho.Open(macMage)
	require.NoError(t, err, "a Mach-O binary")
	assert.Equal(t, macho.CpuArm64, f.Cpu)
	f.Close()
}

// readmeMageImport is the snippet the README shows, checked here verbatim.
const readmeMageImport = `//go:build mage

package main

import (
	// mage:import
	"github.com/ldwrap/ldwrap/ldwrap/atomicmage"
)
`

var _ = portableToo(TestInstallModeNeverWrong)

// The mode is set before the rename: a watcher polling the destination
// never sees it missing or with another mode. Control: GNU install, which
// unlinks the destination and copies, leaves moments with no file.
func TestInstallModeNeverWrong(t *testing.T) {
	need(t, "install")
	dir := t.TempDir()
	writeFile(t, filepath.Join(dir, "src"), strings.Repeat("x", 16<<20))
	for _, tool := range []string{"install", ldwrap("ldwrap-install")} {
		// 751, not 600: 0600 is the mode the staged file is created with,
		// so a build that forgot the chmod would pass with -m 600.
		run(t, dir, nil, tool, "-m", "751", "src", "dst")
		stop := make(chan struct{})
		var wrong, polls int
		done := make(chan struct{})
		go func() {
			defer close(done)
			for {
				select {
				case <-stop:
					return
				default:
				}
				fi, err := os.Stat(filepath.Join(dir, "dst"))
				polls++
				if err != nil || fi.Mode().Perm() != 0o751 {
					wrong++
				}
			}
		}()
		for i := 0; i < 20; i++ {
			run(t, dir, []string{"LDWRAP_DURABLE=0"}, tool, "-m", "751", "src", "dst")
		}
		close(stop)
		<-done
		t.Logf("%s: %d polls, %d missing or wrong mode", filepath.Base(tool), polls, wrong)
		if tool == "install" {
			assert.NotZero(t, wrong, "control: GNU install leaves the destination missing while it copies")
		} else {
			assert.Zero(t, wrong)
		}
	}
	assert.Empty(t, leftovers(t, dir))
}
