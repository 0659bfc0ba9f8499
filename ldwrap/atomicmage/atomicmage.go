// Package atomicmage gives magefiles install targets that replace binaries
// atomically, so `mage install` works while an installed copy is running
// (where mage's sh.Copy fails with "text file busy", or crashes users of an
// in-use library). Pull it into a magefile with:
//
//	// mage:import
//	"github.com/ldwrap/ldwrap/ldwrap/atomicmage"
//
// and name the binaries in an init function:
//
//	func init() { atomicmage.Binaries = map[string]string{"app": "./cmd/app"} }
//
// Every exported function here is a mage target. For helpers in your own
// targets (an atomic sh.Copy, an atomic write, a build step with atomic
// outputs) use the functions of package ldwrap: Install, WriteFile, Run.
package atomicmage

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"

	"github.com/ldwrap/ldwrap/ldwrap"
	"github.com/ldwrap/ldwrap/ldwrap/internal/stale"
)

// Binaries maps an installed name to the Go package that builds it.
var Binaries = map[string]string{}

// GoFlags are extra arguments for go build (for example "-trimpath").
var GoFlags []string

// Install builds every binary in Binaries and installs it atomically into
// GOBIN, or GOPATH/bin, the directory go install would choose.
func Install() error {
	dir, err := binDir()
	if err != nil {
		return err
	}
	return InstallTo(dir)
}

// InstallTo builds every binary in Binaries and installs it atomically into dir.
func InstallTo(dir string) error {
	if len(Binaries) == 0 {
		return fmt.Errorf("atomicmage: no binaries: set atomicmage.Binaries in your magefile")
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	names := make([]string, 0, len(Binaries))
	for n := range Binaries {
		names = append(names, n)
	}
	sort.Strings(names)
	var installed []string
	for _, n := range names {
		dst := filepath.Join(dir, n)
		argv := append(append([]string{"go", "build"}, GoFlags...), "-o", dst, Binaries[n])
		// go build writes its output from scratch: nothing to copy first.
		if err := ldwrap.Run([]string{dst}, argv, ldwrap.Durable(true), ldwrap.Fresh()); err != nil {
			return fmt.Errorf("install %s: %w", dst, err)
		}
		fmt.Println("installed", dst)
		installed = append(installed, dst)
	}
	// Once, after every binary is in place: which running processes still
	// use an old version, so the user knows what to restart.
	if ReportStale {
		stale.Report(os.Stderr, installed)
	}
	return nil
}

// ReportStale names, after an install, the processes that still run an
// old version of an installed binary ("ldwrap: PATH: old version still in
// use by PID (COMM)"). On by default; set it false to skip the /proc scan.
var ReportStale = true

func binDir() (string, error) {
	out, err := exec.Command("go", "env", "GOBIN", "GOPATH").Output()
	if err != nil {
		return "", fmt.Errorf("go env: %w", err)
	}
	lines := strings.Split(strings.TrimRight(string(out), "\n"), "\n")
	if len(lines) > 0 && lines[0] != "" {
		return lines[0], nil
	}
	if len(lines) < 2 || lines[1] == "" {
		return "", fmt.Errorf("neither GOBIN nor GOPATH is set")
	}
	return filepath.Join(filepath.SplitList(lines[1])[0], "bin"), nil
}
