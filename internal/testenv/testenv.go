// Package testenv is what the magefiles and the e2e tests both know of a
// machine set up for the tests: where set-up puts the sid chroot and
// Bazel's offline files, where the tests' fixed paths are, and the
// variables mage's test runs pass to go test. Each is written here once:
// set-up and the tests that use what it made must agree, and a name moved
// on one side only would make the tests skip, or use the wrong thing,
// without a word.
package testenv

import (
	"fmt"
	"os"
	"path/filepath"
	"syscall"
)

// The variables mage sets for the e2e tests' go test runs.
const (
	// StrictVar=1 makes a missing tool fail a test instead of skipping it
	// (check, and so CI, sets it; a plain go test ./... does not).
	StrictVar = "LDWRAP_E2E_STRICT"
	// TagsVar holds the build tags the e2e tests build the commands with
	// (ldwrap_portable in the portable runs).
	TagsVar = "LDWRAP_E2E_TAGS"
	// BenchDirVar is where the benchmarks write their report (mage bench).
	BenchDirVar = "LDWRAP_BENCH_DIR"
	// CrashTableVar is the file the power-cut tests write their table to
	// (mage crash).
	CrashTableVar = "LDWRAP_CRASH_TABLE"
	// SidRootVar moves the sid chroot, for set-up and the tests alike.
	SidRootVar = "LDWRAP_SID_ROOT"
)

// Strict says whether StrictVar is set.
func Strict() bool { return os.Getenv(StrictVar) == "1" }

// Tags is TagsVar's value.
func Tags() string { return os.Getenv(TagsVar) }

// SidRoot is the Debian sid chroot as the host sees it: SidRootVar, else
// /var/cache/ldwrap-sid/root.
func SidRoot() string {
	if v := os.Getenv(SidRootVar); v != "" {
		return v
	}
	return "/var/cache/ldwrap-sid/root"
}

// SidMarkerName is the file mage sid writes into the chroot's base
// system last, before it renames it into place: a chroot without it is
// not ready.
const SidMarkerName = ".ldwrap-base"

// SidMarker is SidMarkerName in SidRoot.
func SidMarker() string { return filepath.Join(SidRoot(), SidMarkerName) }

// SidBazelrc is Bazel 7's settings inside the chroot: bazel:bzlmodSetup
// writes them last, so the file says Bazel 7 is set up.
const SidBazelrc = "/root/.bazelrc"

// OfflineDir holds what bazel:setup makes for Bazel 4.2.3 on the host: the
// patched rules_cc and the coverage stub.
const OfflineDir = "/usr/local/share/ldwrap-bazel"

// OfflineRulesCC is the patched rules_cc in OfflineDir: bazel:setup makes
// it before it points /etc/bazel.bazelrc at it.
var OfflineRulesCC = filepath.Join(OfflineDir, "rules_cc")

// RepoCopyName is the name of the copy of the repository that the Bazel
// tests and bazel:warm build in, in HostWorkDir or SidWorkDir: Bazel keys
// its output base on the workspace's path, so a fixed one finds what the
// last run built whatever the checkout's path.
const RepoCopyName = "ldwrap"

// SidWorkDir holds the tests' fixed paths inside the chroot (root's alone).
const SidWorkDir = "/work"

// HostWorkDir holds this user's fixed paths on the host: each user has
// their own, since what Bazel leaves in a workspace (its bazel-* links,
// into the user's output base) is of no use to another user, who cannot
// read it.
func HostWorkDir() string {
	return filepath.Join(os.TempDir(), fmt.Sprintf("ldwrap-e2e-%d", os.Getuid()))
}

// OwnHostWorkDir makes HostWorkDir if it is missing and checks that it is
// a directory of this user's: in a /tmp shared by every user, one that
// another user made first would give this user's builds what they left
// there, or refuse them.
func OwnHostWorkDir() (string, error) {
	dir := HostWorkDir()
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", err
	}
	fi, err := os.Lstat(dir)
	if err != nil {
		return "", err
	}
	st, ok := fi.Sys().(*syscall.Stat_t)
	switch {
	case !fi.IsDir():
		return "", fmt.Errorf("%s: not a directory (%s)", dir, fi.Mode().Type())
	case ok && int(st.Uid) != os.Getuid():
		return "", fmt.Errorf("%s: owned by uid %d, not this user's %d: remove it", dir, st.Uid, os.Getuid())
	}
	return dir, nil
}
