//go:build mage

package main

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/magefile/mage/mg"
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

// Cross vets and compiles every package and its tests for linux, darwin and freebsd on amd64 and arm64, and windows/amd64 (needs Go only, offline; cold 8 min alone, 15 beside set-up; warm 1 to 2 min, whatever the checkout path).
// Nothing runs: there is no Mac or FreeBSD here. Two targets build at a
// time: each links its test binaries one by one, which leaves a core idle.
func Cross() error {
	out, err := os.MkdirTemp("", "ldwrap-cross")
	if err != nil {
		return err
	}
	defer os.RemoveAll(out)
	errs := make([]error, len(crossTargets))
	slots := make(chan struct{}, 2)
	var wg sync.WaitGroup
	for i, c := range crossTargets {
		wg.Add(1)
		go func(i int, goos, goarch, pkgs string) {
			defer wg.Done()
			slots <- struct{}{}
			defer func() { <-slots }()
			start := time.Now()
			errs[i] = crossOne(filepath.Join(out, goos+"_"+goarch), goos, goarch, strings.Fields(pkgs))
			fmt.Printf("cross: %s/%s in %s\n", goos, goarch, time.Since(start).Round(time.Second))
		}(i, c.goos, c.goarch, c.pkgs)
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			return err
		}
	}
	return nil
}

// crossOne vets pkgs for goos/goarch, compiles each package's tests into
// dir and builds the packages.
func crossOne(dir, goos, goarch string, pkgs []string) error {
	env := append(os.Environ(), "GOOS="+goos, "GOARCH="+goarch, "CGO_ENABLED=0")
	goCmd := func(args ...string) (string, error) {
		cmd := exec.Command("go", args...)
		cmd.Env = env
		b, err := cmd.CombinedOutput()
		if err != nil {
			return "", fmt.Errorf("%s/%s: go %s: %v\n%s", goos, goarch, strings.Join(args, " "), err, b)
		}
		return string(b), nil
	}
	if _, err := goCmd(append([]string{"vet"}, pkgs...)...); err != nil {
		return err
	}
	// One test binary per package: two packages here are named ldwrap.
	list, err := goCmd(append([]string{"list", "-f", "{{if or .TestGoFiles .XTestGoFiles}}{{.ImportPath}}{{end}}"}, pkgs...)...)
	if err != nil {
		return err
	}
	for _, pkg := range strings.Fields(list) {
		if _, err := goCmd("test", "-c", "-o", filepath.Join(dir, strings.ReplaceAll(pkg, "/", "_")+".test"), pkg); err != nil {
			return err
		}
	}
	_, err = goCmd(append([]string{"build", "-o", os.DevNull}, pkgs...)...)
	return err
}

// portableTests are the e2e tests the portable run repeats: those of the
// promises the POSIX fallback keeps differently (kills, leftovers, faults,
// concurrency, signals, the tool's messages) and of the commands' basic
// work. The rest test the tools (toolchain matrices, build systems,
// launchers, Bazel) or /proc-only code (ldwrap-stale), which the tag does
// not change; PortableAll runs them too.
const portableTests = `^(TestSigkill|TestToolDiesWithLdwrap|TestFaults|TestParallelWriters|TestSweepSparesLiveWriter|` +
	`TestTwoWritersOneTargetBothSucceed|TestStickyDirAttacker|TestStagedFilesPrivate|TestNoDescriptorsLeakToTool|` +
	`TestInstallOverRunningProgramAndLibrary|TestInstallOptions|TestMakeInstall|TestRunStep|TestRunSeesOldOutput|` +
	`TestRunNeverRewritesText|TestRunDifferential|TestSignalsForwarded|TestIgnoredSignal|TestFailedLinkKeepsOldOutput|` +
	`TestMakeRelinksRunningProgram|TestSharedLibraryRebuiltUnderRunningUser|TestLinkerMessagesNameTheOutput|` +
	`TestInstallModeNeverWrong|TestInstallBackupNeverMissing|TestInstallManyFilesFewDescriptors|` +
	`TestOldVersionNeverReachable|TestWriteFileWriteOnlyAsUser|TestDirectoryAppearsAtOutput|` +
	`TestHardLinksKeepOldContent|TestDeletedNamesAsInstall|TestOwnFailures|TestPrefixForm|TestMasquerade)$`

var portableEnv = map[string]string{"LDWRAP_E2E_TAGS": "ldwrap_portable", "LDWRAP_E2E_STRICT": "1"}

// Portable runs the unit tests and the engine's e2e tests with the POSIX fallback macOS and FreeBSD get (-tags ldwrap_portable), on Linux (needs setup; 2 min).
func Portable() error {
	mg.Deps(Setup)
	if err := goTest(nil, "-count=1", "-tags=ldwrap_portable", "-timeout="+unitTimeout, "./ldwrap/..."); err != nil {
		return err
	}
	return goTest(portableEnv, "-count=1", "-timeout="+e2eTimeout, "-run", portableTests, "./e2e/")
}

// PortableAll runs every e2e test with the POSIX fallback, not only the engine's (needs setup; 20 min).
func PortableAll() error {
	mg.Deps(Setup)
	return goTest(portableEnv, "-count=1", "-timeout="+e2eTimeout, "./e2e/")
}
