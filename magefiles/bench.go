//go:build mage

package main

import (
	"path/filepath"

	"github.com/ldwrap/ldwrap/internal/testenv"
	"github.com/magefile/mage/mg"
	"github.com/magefile/mage/sh"
)

// Bench measures ldwrap against the bare tools and the C and Go floors, and writes bench/ (needs setup; 25 min).
// Each row alternates pairs and reports medians of per-pair ratios; the
// e2e benchmarks write RESULTS.md, results.jsonl, machine.txt and
// chart.svg (e2e/benchreport_test.go), so the format lives in one place.
func Bench() error {
	mg.Deps(Setup)
	dir, err := filepath.Abs("bench")
	if err != nil {
		return err
	}
	env := map[string]string{testenv.BenchDirVar: dir}
	return sh.RunWithV(env, "go", "test", "-run", "^$", "-bench", ".", "-benchtime", "1x", "-timeout", "60m", "./e2e/")
}
