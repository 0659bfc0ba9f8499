//go:build mage

package main

import (
	"fmt"
	"os"
	"os/exec"
	"strings"
	"sync"
	"time"

	"github.com/magefile/mage/mg"
)

// crossTargets are the systems the Go API, atomicmage and the commands
// build for, but this one: linux/amd64 is vetted, built and tested by the
// rest of check. Windows builds only what a magefile imports (package
// ldwrap and atomicmage, which answer "not supported"); the commands are
// Unix's.
var crossTargets = []struct{ goos, goarch, pkgs string }{
	{"linux", "arm64", "./..."},
	{"darwin", "amd64", "./..."}, {"darwin", "arm64", "./..."},
	{"freebsd", "amd64", "./..."}, {"freebsd", "arm64", "./..."},
	{"windows", "amd64", "./ldwrap ./ldwrap/atomicmage"},
}

// Cross vets every package and its tests, and builds every package and command, for linux/arm64, darwin and freebsd on amd64 and arm64, and windows/amd64 (needs Go only, offline; cold 15 min beside set-up, 4 to 6 a target; warm under a minute, whatever the checkout path).
// Nothing runs: there is no Mac or FreeBSD here, so test binaries are not
// linked either: vet type-checks the tests against each system's packages,
// which is what compiling them would find, and its result is cached where
// a link is not (linking them took most of a warm run: 30 to 40 s a
// target). Two targets build at a time: the links run one by one.
func Cross() error {
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
			errs[i] = crossOne(goos, goarch, strings.Fields(pkgs))
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

// crossOne vets pkgs and their tests for goos/goarch, and builds them.
func crossOne(goos, goarch string, pkgs []string) error {
	env := append(os.Environ(), "GOOS="+goos, "GOARCH="+goarch, "CGO_ENABLED=0")
	// The compiler's default flags, though nothing built here runs:
	// without optimization a cold target took 110 CPU-seconds instead of
	// 137, but TestUserMagefileImport then compiles the standard library
	// for darwin, freebsd and windows again, which it now finds cached.
	for _, args := range [][]string{{"vet"}, {"build", "-o", os.DevNull}} {
		cmd := exec.Command("go", append(args, pkgs...)...)
		cmd.Env = env
		if b, err := cmd.CombinedOutput(); err != nil {
			return fmt.Errorf("%s/%s: go %s: %v\n%s", goos, goarch, strings.Join(cmd.Args[1:], " "), err, b)
		}
	}
	return nil
}

// portableTests are the e2e tests the portable run repeats: those of the
// promises the POSIX fallback keeps differently (kills, leftovers, faults,
// concurrency, signals, the tool's messages) and of the commands' basic
// work. The rest test the tools (toolchain matrices, build systems,
// launchers, Bazel), the command lines' handling (the prefix form), or
// /proc-only code (ldwrap-stale), which the tag does not change;
// PortableAll runs them too.
const portableTests = `^(TestSigkill|TestToolDiesWithLdwrap|TestFaults|TestParallelWriters|TestSweepSparesLiveWriter|` +
	`TestTwoWritersOneTargetBothSucceed|TestStickyDirAttacker|TestStagedFilesPrivate|TestNoDescriptorsLeakToTool|` +
	`TestInstallOverRunningProgramAndLibrary|TestInstallOptions|TestMakeInstall|TestRunStep|TestRunSeesOldOutput|` +
	`TestRunNeverRewritesText|TestRunDifferential|TestSignalsForwarded|TestIgnoredSignal|TestFailedLinkKeepsOldOutput|` +
	`TestMakeRelinksRunningProgram|TestSharedLibraryRebuiltUnderRunningUser|TestLinkerMessagesNameTheOutput|` +
	`TestInstallModeNeverWrong|TestInstallBackupNeverMissing|TestInstallManyFilesFewDescriptors|` +
	`TestOldVersionNeverReachable|TestWriteFileWriteOnlyAsUser|TestDirectoryAppearsAtOutput|` +
	`TestHardLinksKeepOldContent|TestDeletedNamesAsInstall|TestOwnFailures|TestMasquerade)$`

var portableEnv = map[string]string{"LDWRAP_E2E_TAGS": "ldwrap_portable", "LDWRAP_E2E_STRICT": "1"}

// Portable runs the unit tests and the engine's e2e tests (-short: fewer rounds of the two race tests) with the POSIX fallback macOS and FreeBSD get (-tags ldwrap_portable), on Linux (needs setup; 2 min).
func Portable() error {
	mg.Deps(Setup)
	if err := goTest(nil, "-count=1", "-tags=ldwrap_portable", "-timeout="+unitTimeout, "./ldwrap/..."); err != nil {
		return err
	}
	// -short: the two tests that repeat a race many times (two writers of
	// one output, 400 rounds; ldwrap-run against the bare command, 200
	// generated cases) run 50 and 40 here. The default build runs them in
	// full in the same check; these runs are for the fallback's code paths,
	// which every round takes. In full they took 61 s and 33 s of the
	// portable run in a warm check, beside everything else.
	return goTest(portableEnv, "-count=1", "-short", "-timeout="+e2eTimeout, "-run", portableTests, "./e2e/")
}

// PortableAll runs every e2e test with the POSIX fallback, not only the engine's (needs setup; 20 min).
func PortableAll() error {
	mg.Deps(Setup)
	return goTest(portableEnv, "-count=1", "-timeout="+e2eTimeout, "./e2e/")
}
