//go:build mage

package main

import (
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/ldwrap/ldwrap/internal/testenv"
	"github.com/magefile/mage/mg"
)

// crossTargets are the systems the Go API, atomicmage and the commands
// build for, but this one: linux/amd64 is vetted, built and tested by the
// rest of check. Windows builds only what a magefile imports (package
// ldwrap and atomicmage, which answer "not supported"); the commands are
// Unix's. NetBSD, OpenBSD and illumos (Solaris's files too) check
// ldwrap's own packages; linux/386, a 32-bit system's types. AIX is not
// supported: x/sys has no rename, rmdir, symlink or flock there, and its
// ENOTEMPTY is EEXIST.
var crossTargets = []struct{ goos, goarch, pkgs string }{
	{"linux", "arm64", "./..."}, {"linux", "386", "./..."},
	{"darwin", "amd64", "./..."}, {"darwin", "arm64", "./..."},
	{"freebsd", "amd64", "./..."}, {"freebsd", "arm64", "./..."},
	{"netbsd", "amd64", "./ldwrap/..."}, {"openbsd", "amd64", "./ldwrap/..."}, {"illumos", "amd64", "./ldwrap/..."},
	{"windows", "amd64", "./ldwrap ./ldwrap/atomicmage"},
}

// Cross type-checks every package and its tests for linux/arm64 and 386, darwin and freebsd on amd64 and arm64, netbsd, openbsd and illumos on amd64, and windows/amd64 (needs Go only, offline; 25 s cold or warm).
// Nothing runs or is compiled: there is no Mac or FreeBSD here, and what
// a compile for another system finds, a missing or mistyped name in its
// files or in its tests, the type check finds (see typeCheckFor).
// Compiling instead cost a cold check minutes of CPU a target
// (docs/tests.md, "Timings"). Code for a Mac is still generated and linked
// elsewhere in check: TestBzlmodProject builds the commands for
// darwin_arm64 with Bazel 7, TestUserMagefileImport a magefile that
// imports atomicmage with go build.
func Cross() error {
	errs := make([]string, len(crossTargets))
	slots := make(chan struct{}, 2)
	var wg sync.WaitGroup
	for i, c := range crossTargets {
		wg.Add(1)
		go func(i int, goos, goarch, pkgs string) {
			defer wg.Done()
			slots <- struct{}{}
			defer func() { <-slots }()
			start := time.Now()
			if err := typeCheckFor(goos, goarch, strings.Fields(pkgs)); err != nil {
				errs[i] = fmt.Sprintf("%s/%s: %v", goos, goarch, err)
			}
			fmt.Printf("cross: %s/%s in %s\n", goos, goarch, time.Since(start).Round(time.Second))
		}(i, c.goos, c.goarch, c.pkgs)
	}
	wg.Wait()
	if msg := strings.TrimSpace(strings.Join(errs, "\n")); msg != "" {
		return errors.New(msg)
	}
	return nil
}

// The e2e tests the portable run repeats are marked in the tests
// themselves (portableToo in e2e/portable_test.go): without -run, the
// e2e tests under LDWRAP_E2E_TAGS=ldwrap_portable run those alone.
var portableEnv = map[string]string{testenv.TagsVar: "ldwrap_portable", testenv.StrictVar: "1"}

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
	// which every round takes (docs/tests.md, "Timings", has what the full
	// counts cost here).
	return goTest(portableEnv, "-count=1", "-short", "-timeout="+e2eTimeout, "./e2e/")
}

// PortableAll runs every e2e test with the POSIX fallback, not only the engine's (needs setup; 20 min).
func PortableAll() error {
	mg.Deps(Setup)
	return goTest(portableEnv, "-count=1", "-timeout="+e2eTimeout, "-run", ".", "./e2e/")
}
