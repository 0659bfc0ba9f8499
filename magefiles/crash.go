//go:build mage

package main

import (
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/ldwrap/ldwrap/internal/testenv"
	"github.com/magefile/mage/mg"
)

// crashTests are the power-cut tests: Crash runs them, and the e2e runs
// leave them to it.
const crashTests = `^(TestPowerCut|TestPowerCutModel)$`

// Crash cuts the power after every operation of each command's step, on a FUSE file system that forgets what was not synced, and prints what each target became (needs root, /dev/fuse, gcc; 20 s).
// One line per command and mode: "<command> <mode>: cuts N, old A, new
// B, empty C, partial D, missing E"; a cut of a step with two outputs
// counts once for each (e2e/powercut_test.go, GUARANTEES.md).
func Crash() error {
	mg.Deps(Deps)
	dir, err := os.MkdirTemp("", "ldwrap-crash")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	table := filepath.Join(dir, "table")
	start := time.Now()
	err = goTest(map[string]string{testenv.StrictVar: "1", testenv.CrashTableVar: table},
		"-count=1", "-timeout=10m", "-run", crashTests, "./e2e/")
	if b, rerr := os.ReadFile(table); rerr == nil {
		fmt.Print(string(b))
	}
	fmt.Printf("crash: %s\n", time.Since(start).Round(time.Second))
	return err
}
