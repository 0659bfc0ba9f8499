//go:build mage

// The project's own build. List the targets with: go run mage.go -l
package main

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/ldwrap/ldwrap/ldwrap/atomicmage"
	"github.com/magefile/mage/mg"
	"github.com/magefile/mage/sh"
)

// debianPackages are what the tests drive: the compilers, the four linkers,
// make, ccache, setpriv (util-linux), pgrep (procps), and the Go 1.19 SDK
// that checks the code still builds for rules_go v0.34.
var debianPackages = map[string]string{
	"gcc": "gcc", "g++": "g++", "clang": "clang", "ld.bfd": "binutils", "ld.gold": "binutils",
	"ld.lld": "lld", "mold": "mold", "make": "make", "ccache": "ccache", "distccd": "distcc", "setpriv": "util-linux",
	"pgrep": "procps", "/usr/lib/go-1.19/bin/go": "golang-1.19-go", "install": "coreutils",
}

const go119 = "/usr/lib/go-1.19/bin/go"

// Deps installs the Debian packages the tests need (apt-get), if missing.
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

// Build builds the ldwrap commands into ./bin.
func Build() error {
	return sh.RunWithV(static, "go", "build", "-o", "bin/", "./ldwrap/cmd/...")
}

// Install installs every ldwrap command atomically into GOBIN (or
// GOPATH/bin), with ldwrap's own engine: it works while an installed copy
// is running.
func Install() error {
	atomicmage.Binaries = map[string]string{}
	for _, c := range []string{"ldwrap", "ldwrap-cc", "ldwrap-c++", "ldwrap-install", "ldwrap-run", "ldwrap-stale"} {
		atomicmage.Binaries[c] = "./ldwrap/cmd/" + c
	}
	for k, v := range static { // go build, run by atomicmage, inherits it
		os.Setenv(k, v)
	}
	return atomicmage.Install()
}

// Vet119 checks that everything Bazel builds compiles with Go 1.19.
func Vet119() error {
	mg.Deps(Deps)
	env := map[string]string{"GOTOOLCHAIN": "local", "GOFLAGS": "-mod=mod"}
	return sh.RunWithV(env, go119, "vet", "./ldwrap/...", "./e2e/...")
}

// Unit runs the unit tests and the fuzz targets' seed corpora.
func Unit() error {
	return sh.RunV("go", "test", "-count=1", "./ldwrap/...")
}

// E2E runs the end-to-end tests against the real tools.
func E2E() error {
	mg.Deps(Deps, Bazel.Setup, Bazel.BzlmodSetup)
	return sh.RunV("go", "test", "-count=1", "-timeout=30m", "./e2e/...")
}

// Fuzz runs each fuzz target for a while (FUZZTIME each, default 30s).
// Inputs that fail land in ldwrap/internal/cmdline/testdata/fuzz and then run with
// every go test as regression inputs.
func Fuzz() error {
	d := os.Getenv("FUZZTIME")
	if d == "" {
		d = "30s"
	}
	for _, f := range []string{"FuzzPlan", "FuzzSplitResponse", "FuzzParseInstall", "FuzzPlanRun"} {
		if err := sh.RunV("go", "test", "-run=^$", "-fuzz=^"+f+"$", "-fuzztime="+d, "./ldwrap/internal/cmdline/"); err != nil {
			return err
		}
	}
	return nil
}

// Check runs every test: vet, the Go 1.19 build, unit and end-to-end tests
// (Bazel's included).
func Check() error {
	mg.Deps(Deps)
	if err := sh.RunV("go", "vet", "./..."); err != nil {
		return err
	}
	mg.SerialDeps(Vet119, Unit, BenchSmoke, E2E)
	return nil
}

// BenchSmoke runs every benchmark once with few pairs, so that they keep
// working; its numbers mean nothing. Check runs it before E2E, so that a
// run ends on the end-to-end tests' summary.
func BenchSmoke() error {
	mg.Deps(Deps, Bazel.Setup, Bazel.BzlmodSetup) // the e2e package's TestMain requires every tool
	return sh.RunV("go", "test", "-short", "-run", "^$", "-bench", ".", "-benchtime", "1x", "-timeout", "30m", "./e2e/")
}

// Demo builds ldwrap and relinks a running program through ldwrap-cc, next
// to what cp does to it. It needs Go and a C compiler, nothing else (gcc is
// installed if there is no cc); the test tools are check's business.
func Demo() error {
	if _, err := exec.LookPath("cc"); err != nil {
		if err := aptInstall([]string{"gcc"}); err != nil {
			return err
		}
	}
	mg.Deps(Build)
	bin, _ := filepath.Abs("bin")
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
	cc := filepath.Join(bin, "ldwrap-cc")
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
