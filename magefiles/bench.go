//go:build mage

package main

import (
	"path/filepath"

	"github.com/magefile/mage/mg"
	"github.com/magefile/mage/sh"
)

// Bench measures ldwrap against the bare tools (alternating pairs, medians
// of per-pair ratios) and writes bench/RESULTS.md, bench/results.jsonl,
// bench/machine.txt and bench/chart.svg. The e2e benchmarks write them
// (e2e/benchreport_test.go): the result format lives in one place.
func Bench() error {
	mg.Deps(Deps, Bazel.Setup, Bazel.BzlmodSetup) // the e2e package's TestMain requires every tool
	dir, err := filepath.Abs("bench")
	if err != nil {
		return err
	}
	env := map[string]string{"LDWRAP_BENCH_DIR": dir}
	return sh.RunWithV(env, "go", "test", "-run", "^$", "-bench", ".", "-benchtime", "1x", "-timeout", "60m", "./e2e/")
}
