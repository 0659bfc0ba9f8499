//go:build mage

package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/magefile/mage/mg"
	"github.com/magefile/mage/sh"
)

// crossTargets are the systems the Go API, atomicmage and the commands
// build for. Windows builds only what a magefile imports (package ldwrap
// and atomicmage, which answer "not supported"); the commands are Unix's.
var crossTargets = []struct{ goos, goarch, pkgs string }{
	{"linux", "amd64", "./..."}, {"linux", "arm64", "./..."},
	{"darwin", "amd64", "./..."}, {"darwin", "arm64", "./..."},
	{"freebsd", "amd64", "./..."}, {"freebsd", "arm64", "./..."},
	{"windows", "amd64", "./ldwrap ./ldwrap/atomicmage"},
}

// Cross vets and compiles every package and its tests for linux, darwin and freebsd on amd64 and arm64, and windows/amd64 (needs Go only, offline; cold 3 min, warm 30 s).
// Nothing runs: there is no Mac or FreeBSD here.
func Cross() error {
	out, err := os.MkdirTemp("", "ldwrap-cross")
	if err != nil {
		return err
	}
	defer os.RemoveAll(out)
	for _, c := range crossTargets {
		env := map[string]string{"GOOS": c.goos, "GOARCH": c.goarch, "CGO_ENABLED": "0"}
		fmt.Printf("cross: %s/%s\n", c.goos, c.goarch)
		pkgs := splitWords(c.pkgs)
		if err := sh.RunWithV(env, "go", append([]string{"vet"}, pkgs...)...); err != nil {
			return err
		}
		// One test binary per package: two packages here are named ldwrap.
		list, err := sh.OutputWith(env, "go", append([]string{"list", "-f", "{{if or .TestGoFiles .XTestGoFiles}}{{.ImportPath}}{{end}}"}, pkgs...)...)
		if err != nil {
			return err
		}
		for _, pkg := range strings.Fields(list) {
			bin := filepath.Join(out, strings.ReplaceAll(pkg, "/", "_")+".test")
			if err := sh.RunWith(env, "go", "test", "-c", "-o", bin, pkg); err != nil {
				return fmt.Errorf("go test -c %s for %s/%s: %w", pkg, c.goos, c.goarch, err)
			}
		}
		if err := sh.RunWithV(env, "go", append([]string{"build", "-o", os.DevNull}, pkgs...)...); err != nil {
			return err
		}
	}
	return nil
}

// portableSkip are the e2e tests the portable run leaves out: they test
// the tools (toolchain matrices, build systems, launchers, Bazel, the
// benchmarks' numbers), and run the same engine calls as the tests kept.
const portableSkip = `^(TestBazel|TestBzlmod|TestCompileMatrix|TestLinkMatrix|TestSidFlagMatrix|TestLauncherCompositions|TestCMakeLaunchers|TestMeson|TestAutotools|TestDistcc|TestCcache|TestUserMagefileImport|TestMageInstallWhileRunning|TestStaticWhateverCgo)`

// Portable runs the unit tests and the e2e tests of the engine with the POSIX fallback macOS and FreeBSD get (-tags ldwrap_portable), on Linux (needs setup; cold 6 min).
func Portable() error {
	mg.Deps(Setup)
	if err := sh.RunV("go", "test", "-count=1", "-tags=ldwrap_portable", "-timeout="+unitTimeout, "./ldwrap/..."); err != nil {
		return err
	}
	env := map[string]string{"LDWRAP_E2E_TAGS": "ldwrap_portable", "LDWRAP_E2E_STRICT": "1"}
	return sh.RunWithV(env, "go", "test", "-count=1", "-timeout="+e2eTimeout, "-skip", portableSkip, "./e2e/")
}

func splitWords(s string) []string { return strings.Fields(s) }
