//go:build mage

// The project's own build. List the targets with: go run mage.go -l
package main

import (
	"fmt"
	"math/rand"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/ldwrap/ldwrap/internal/testenv"
	"github.com/ldwrap/ldwrap/ldwrap"
	"github.com/ldwrap/ldwrap/ldwrap/atomicmage"
	"github.com/magefile/mage/mg"
	"github.com/magefile/mage/sh"
)

// debianPackages are what the tests drive, by the command each provides:
// the compilers, the four linkers, the build systems and compiler
// launchers, the restart checkers ldwrap-stale is compared with, nginx (a
// service for needrestart to name), LLVM's dsymutil and llvm-dwarfdump
// (with lld's ld64.lld, the Mach-O tests' toolchain), the three ars
// ldwrap-ar is compared with (GNU's, gcc-ar, llvm-ar), the Go 1.19 SDK
// that checks the code still builds for rules_go v0.34, lintian, which
// checks the .deb, and man-db, which reads the man pages.
var debianPackages = map[string]string{
	"gcc": "gcc", "g++": "g++", "clang": "clang", "ld.bfd": "binutils", "ld.gold": "binutils",
	"ld.lld": "lld", "mold": "mold", "make": "make", "install": "coreutils", "setpriv": "util-linux",
	"lintian": "lintian", "man": "man-db",
	"script": "bsdutils", "pgrep": "procps", "lsof": "lsof", "needrestart": "needrestart",
	"checkrestart": "debian-goodies", "/usr/sbin/nginx": "nginx",
	"cmake": "cmake", "ninja": "ninja-build", "meson": "meson", "autoreconf": "autoconf",
	"automake": "automake", "libtoolize": "libtool",
	"ccache": "ccache", "sccache": "sccache", "distccd": "distcc", "iceccd": "icecc",
	"dsymutil": "llvm", "llvm-dwarfdump": "llvm", "ar": "binutils", "gcc-ar": "gcc", "llvm-ar": "llvm",
	go119: "golang-1.19-go",
}

const go119 = "/usr/lib/go-1.19/bin/go"

// Timeouts of the test runs: over twice what a cold run took on the
// 2-core machine of the README's measurements (docs/tests.md, "Timings"),
// so that a loaded or slower machine passes too; e2eTimeout is the longer
// of the two e2e processes'. Set-up (packages, the chroot, Bazel's first
// build) happens before, in Setup, outside them.
const (
	unitTimeout = "10m"
	e2eTimeout  = "50m"
)

// Deps installs the Debian packages the tests need, if missing (root, apt; cold 1 min, warm 1 s).
func Deps() error {
	var pkgs []string
	for tool, pkg := range debianPackages {
		if _, err := exec.LookPath(tool); err != nil {
			pkgs = append(pkgs, pkg)
		}
	}
	return aptInstall(pkgs)
}

// aptMu serializes apt-get: mage runs the dependencies of a target in
// parallel (Deps, Bazel.Setup and Sid each install packages), and a second
// apt-get fails on apt's lock instead of waiting for it.
var aptMu sync.Mutex

// aptInstall installs those of pkgs that dpkg does not list as installed,
// after an apt-get update.
func aptInstall(pkgs []string) error {
	aptMu.Lock()
	defer aptMu.Unlock()
	var missing []string
	seen := map[string]bool{}
	for _, p := range pkgs {
		out, _ := exec.Command("dpkg-query", "-W", "-f=${Status}", p).Output()
		if !strings.Contains(string(out), "install ok installed") && !seen[p] {
			missing = append(missing, p)
			seen[p] = true
		}
	}
	if len(missing) == 0 {
		return nil
	}
	sort.Strings(missing)
	fmt.Println("installing", strings.Join(missing, " "))
	env := map[string]string{"DEBIAN_FRONTEND": "noninteractive"}
	if err := sh.RunWithV(env, "apt-get", "update", "-q"); err != nil {
		return err
	}
	return sh.RunWithV(env, "apt-get", append([]string{"install", "-y", "-q"}, missing...)...)
}

// static builds the commands without cgo: os/user is then pure Go, and
// the binaries static, so no call pays the dynamic loader.
var static = map[string]string{"CGO_ENABLED": "0"}

// Build builds the ldwrap commands into ./bin (needs Go only; 20 s).
func Build() error {
	return sh.RunWithV(static, "go", "build", "-o", "bin/", "./ldwrap/cmd/...")
}

// Install installs the ldwrap commands into GOBIN or GOPATH/bin with ldwrap's own engine, safe over running copies, and their man pages into ../share/man beside, where man finds them through PATH (needs Go only; 20 s).
func Install() error {
	atomicmage.Binaries = map[string]string{}
	for _, c := range commandNames() {
		atomicmage.Binaries[c] = "./ldwrap/cmd/" + c
	}
	for k, v := range static { // go build, run by atomicmage, inherits it
		os.Setenv(k, v)
	}
	if err := atomicmage.Install(); err != nil {
		return err
	}
	bin, err := goBinDir()
	if err != nil {
		return err
	}
	return installManPages(bin, filepath.Join(filepath.Dir(bin), "share", "man"))
}

func sortedKeys(m map[string]string) []string {
	var keys []string
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// goBinDir is where go install, and so atomicmage.Install, puts commands.
func goBinDir() (string, error) {
	out, err := sh.Output("go", "env", "GOBIN", "GOPATH")
	if err != nil {
		return "", err
	}
	lines := strings.Split(out, "\n")
	if lines[0] != "" {
		return lines[0], nil
	}
	if len(lines) < 2 || lines[1] == "" {
		return "", fmt.Errorf("neither GOBIN nor GOPATH is set")
	}
	return filepath.Join(filepath.SplitList(lines[1])[0], "bin"), nil
}

// installManPages writes the man pages of the commands in bin into dir,
// each replaced atomically as the commands are.
func installManPages(bin, dir string) error {
	version, date, err := releaseVersion()
	if err != nil {
		return err
	}
	pages, err := manPages(bin, version, date)
	if err != nil {
		return err
	}
	for _, f := range sortedKeys(pages.pages) {
		path, page := filepath.Join(dir, f), pages.pages[f]
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			return err
		}
		if err := ldwrap.WriteFile(path, []byte(page), 0o644); err != nil {
			return err
		}
		fmt.Println("installed", path)
	}
	for _, f := range sortedKeys(pages.links) {
		path, target := filepath.Join(dir, f), pages.links[f]
		if err := replaceSymlink(target, path); err != nil {
			return err
		}
		fmt.Println("installed", path)
	}
	return nil
}

// replaceSymlink makes path a symlink to target by a rename over it, from
// a name of its own (two installs at once each have theirs).
func replaceSymlink(target, path string) error {
	for {
		tmp := fmt.Sprintf("%s.ldwrap-new.%d", path, rand.Int63())
		err := os.Symlink(target, tmp)
		if os.IsExist(err) {
			continue
		}
		if err != nil {
			return err
		}
		if err := os.Rename(tmp, path); err != nil {
			os.Remove(tmp)
			return err
		}
		return nil
	}
}

// Vet119 type-checks everything Bazel 4.2.3 builds, and the e2e tests, against Go 1.19: its language and its standard library (needs deps; 10 s).
// Go 1.19's go list picks the files and gives its standard library, and
// go/types checks them at the language version go.mod names (see
// typeCheck): what Go 1.19's compiler would reject, a newer builtin or a
// function its library lacks, fails here in seconds. Bazel 4.2.3's build
// in check then compiles ./ldwrap/... with the Go 1.19 SDK for real. go
// vet with Go 1.19 found the same but compiled every dependency, net/http
// with them, with a second toolchain.
func Vet119() error {
	mg.Deps(Deps)
	env := []string{"GOTOOLCHAIN=local", "GOFLAGS=-mod=mod"}
	return typeCheck(go119, runtime.GOOS, runtime.GOARCH, env, []string{"./ldwrap/...", "./e2e/...", "./internal/..."})
}

// Unit runs the unit tests and the fuzz targets' seed corpora (needs Go only; 1 min).
// With them the tests of ./internal/..., what the magefiles and the e2e
// tests share, and of the magefiles themselves, which the mage tag
// selects (no other package has a file it selects or leaves out).
func Unit() error {
	return goTest(nil, "-count=1", "-tags=mage", "-timeout="+unitTimeout, "./ldwrap/...", "./internal/...", "./magefiles/")
}

// E2e runs the end-to-end tests against the real tools, failing on a missing one (needs setup; cold 14 min, warm 8; two go test processes side by side, see e2eBuildTests).
func E2e() error {
	mg.Deps(Setup)
	mg.Deps(e2eOneAtATime, e2eBuilds)
	return nil
}

// e2eBuildTests are the e2e tests that call t.Parallel (see "Parallel
// tests" in e2e/helpers_test.go): builds of whole projects and of Go
// programs, the matrices, the differential tests. They run in a go test
// process of their own, beside the one that runs the rest one at a time:
// in one process, Go starts them only when all the others are done, and
// the one-at-a-time tests leave a core mostly idle. A test missing here
// still runs, in the other process.
const e2eBuildTests = `^(TestBazelProject|TestBazelConsumer|TestBzlmodConsumer|TestBzlmodProject|` +
	`TestCMakeLaunchers|TestMeson|TestAutotools|TestInstallDifferential|TestRunDifferential|` +
	`TestUserMagefileImport|TestGoInstallFromProxy|TestReleaseReproducible|TestReleaseArchives|TestDebianPackage|` +
	`TestCompileMatrixByteIdentical|TestLinkMatrixByteIdentical)$`

var e2eEnv = map[string]string{testenv.StrictVar: "1"}

func e2eOneAtATime() error {
	return goTest(e2eEnv, "-count=1", "-timeout="+e2eTimeout, "-skip", e2eBuildTests+"|"+crashTests, "./e2e/...")
}

func e2eBuilds() error {
	return goTest(e2eEnv, "-count=1", "-timeout="+e2eTimeout, "-run", e2eBuildTests, "./e2e/...")
}

// Fuzz runs each fuzz target for FUZZTIME, default 30s, each (needs Go only; 2 min).
// Inputs that fail land in ldwrap/internal/cmdline/testdata/fuzz and then run with
// every go test as regression inputs.
func Fuzz() error {
	d := os.Getenv("FUZZTIME")
	if d == "" {
		d = "30s"
	}
	for _, f := range []string{"FuzzPlan", "FuzzSplitResponse", "FuzzParseInstall", "FuzzPlanRun", "FuzzPlanAr"} {
		if err := sh.RunV("go", "test", "-run=^$", "-fuzz=^"+f+"$", "-fuzztime="+d, "./ldwrap/internal/cmdline/"); err != nil {
			return err
		}
	}
	return nil
}

// Setup readies this machine for every test: packages, Bazel 4.2.3, the sid chroot with Bazel 7, warm Bazel caches, the release's builds in Go's cache (root, network to the package registries; cold 9 to 11 min, warm 30 s: the Bazel servers stay up and rebuild what the checkout changed).
func Setup() {
	mg.Deps(setupHost, setupSid, warmRelease)
}

// warmRelease builds the commands for the release's platforms, as Release
// does, into Go's build cache: the release tests' builds then find them
// compiled. Cold, that compiles the standard library for five more
// platforms, CPU-bound; here it runs beside set-up's downloads, which
// leave the CPU idle.
func warmRelease() error {
	dir, err := os.MkdirTemp("", "ldwrap-warm-release")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	start := time.Now()
	for _, p := range releasePlatforms {
		if err := releaseBuild(p.goos, p.goarch, filepath.Join(dir, p.goos+"_"+p.goarch)); err != nil {
			return err
		}
	}
	fmt.Printf("setup: the release's builds in %s (%s so far)\n", time.Since(start).Round(time.Second), time.Since(setupStart).Round(time.Second))
	return nil
}

// setupHost installs the packages and Bazel 4.2.3, and warms Bazel 4.
func setupHost() {
	timedSteps("packages", Deps, "Bazel 4.2.3", Bazel.Setup, "Bazel 4's build of the project", warmBazel4)
}

var setupStart = time.Now()

// timedSteps runs its targets one after the other, as mg.SerialDeps does
// (each still once in the whole run), and says how long each took: the
// cold set-up's time is where a fresh machine's check goes.
func timedSteps(namesAndTargets ...interface{}) {
	for i := 0; i+1 < len(namesAndTargets); i += 2 {
		t := time.Now()
		mg.Deps(namesAndTargets[i+1])
		if d := time.Since(t); d >= time.Second {
			fmt.Printf("setup: %s in %s (%s so far)\n", namesAndTargets[i], d.Round(time.Second), time.Since(setupStart).Round(time.Second))
		}
	}
}

// setupSid makes the sid chroot with Bazel 7 and warms it, beside
// setupHost (apt-get takes turns, aptMu): the chroot's downloads overlap
// Bazel 4's build. This lane is the longer, and so the set-up's time.
func setupSid() {
	timedSteps("the sid chroot", Sid, "Bazel 7's modules", Bazel.BzlmodSetup, "Bazel 7's build of the project", warmBazel7)
}

// Check runs every test, as CI does: vet, BUILD files, the type checks for other systems and Go 1.19, unit, portable and e2e tests (root, network for setup; cold 11 min, warm 3 to 9.5 on a 2-core VM).
func Check() error {
	// One build configuration for every go command below: vet, the unit
	// and e2e tests and the commands the tests build then share Go's build
	// cache, whatever the checkout's path (-trimpath: a new clone finds
	// what the last one compiled) and whether a C compiler is installed
	// yet (the commands are static anyway).
	os.Setenv("GOFLAGS", strings.TrimSpace(os.Getenv("GOFLAGS")+" -trimpath"))
	os.Setenv("CGO_ENABLED", "0")
	start := time.Now()
	step := func(name string, targets ...interface{}) {
		t := time.Now()
		mg.Deps(targets...)
		fmt.Printf("check: %s in %s (%s so far)\n", name, time.Since(t).Round(time.Second), time.Since(start).Round(time.Second))
	}
	step("setup", Setup)
	step("vet, BUILD files and the type checks", Vet, GenCheck, Cross, Vet119)
	// The unit, portable, both e2e runs and the power-cut suite side by
	// side: the CPU is the bound from the first minute (see E2e).
	step("unit, portable, e2e and power-cut tests", Unit, Portable, E2e, Crash)
	return nil
}

// Vet runs go vet and gofmt on everything (needs Go only; 30 s).
func Vet() error {
	if err := sh.RunV("go", "vet", "./..."); err != nil {
		return err
	}
	out, err := sh.Output("gofmt", "-l", ".")
	if err != nil {
		return err
	}
	if out != "" {
		return fmt.Errorf("not gofmt'ed: %s", strings.ReplaceAll(out, "\n", " "))
	}
	return nil
}

// BenchSmoke runs every benchmark once with 3 pairs, so that they keep
// working; its numbers mean nothing (needs setup; 5 min).
func BenchSmoke() error {
	mg.Deps(Setup)
	return sh.RunV("go", "test", "-short", "-run", "^$", "-bench", ".", "-benchtime", "1x", "-timeout", "30m", "./e2e/")
}

// Demo relinks a running program through ldwrap-cc, next to what cp does to it (needs Go and cc, installs gcc if missing; 45 s with empty Go caches, 5 s warm).
// The test tools are check's business.
func Demo() error {
	if _, err := exec.LookPath("cc"); err != nil {
		if err := aptInstall([]string{"gcc"}); err != nil {
			return err
		}
	}
	mg.Deps(Build)
	cc, _ := filepath.Abs("bin/ldwrap-cc")
	return demo(cc)
}

// DemoInstalled runs the demo with the ldwrap-cc on PATH, as a .deb, a release archive or go install put it there (needs cc; 5 s).
func DemoInstalled() error {
	cc, err := exec.LookPath("ldwrap-cc")
	if err != nil {
		return err
	}
	return demo(cc)
}

func demo(cc string) error {
	dir, err := os.MkdirTemp("", "ldwrap-demo")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	src := func(v string) string {
		return `#include <stdio.h>
#include <unistd.h>
int main(void) { sleep(2); puts("` + v + `"); return 0; }
`
	}
	step := func(argv ...string) error {
		fmt.Println("$", strings.Join(argv, " "))
		cmd := exec.Command(argv[0], argv[1:]...)
		cmd.Dir, cmd.Stdout, cmd.Stderr = dir, os.Stdout, os.Stdout
		cmd.Env = append(os.Environ(), "LDWRAP_VERBOSE=1")
		return cmd.Run()
	}
	os.WriteFile(filepath.Join(dir, "prog.c"), []byte(src("old program finished normally")), 0o644)
	if err := step(cc, "-o", "prog", "prog.c"); err != nil {
		return err
	}
	running := exec.Command("./prog")
	running.Dir, running.Stdout = dir, os.Stdout
	if err := running.Start(); err != nil {
		return err
	}
	time.Sleep(200 * time.Millisecond)
	fmt.Println("# ./prog is running. Writing it in place, as cp does, fails:")
	os.WriteFile(filepath.Join(dir, "prog.c"), []byte(src("new program")), 0o644)
	step("cc", "-o", "prog.new", "prog.c")
	step("cp", "prog.new", "prog")
	fmt.Println("# Relinking through ldwrap-cc while it runs:")
	if err := step(cc, "-o", "prog", "prog.c"); err != nil {
		return err
	}
	if err := running.Wait(); err != nil {
		return fmt.Errorf("the running program failed: %v", err)
	}
	fmt.Println("# The new program is in place:")
	return step("./prog")
}
