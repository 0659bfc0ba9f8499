//go:build mage

package main

import (
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"strings"

	"github.com/ldwrap/ldwrap/internal/repocopy"
	"github.com/ldwrap/ldwrap/internal/testenv"
	"github.com/ldwrap/ldwrap/ldwrap"
	"github.com/magefile/mage/mg"
	"github.com/magefile/mage/sh"
)

// Bazel targets: setup for offline machines, and the project's Bazel build.
type Bazel mg.Namespace

// bazelPackages give Bazel 4.2.3 and the rule sets it would otherwise
// download; golang-1.19-go is the SDK rules_go v0.34 can use.
var bazelPackages = []string{"bazel-bootstrap", "bazel-skylib", "bazel-platforms", "bazel-rules-java",
	"bazel-rules-proto", "bazel-rules-cc", "golang-1.19-go"}

// What bazel:setup makes for Bazel 4.2.3 goes in testenv.OfflineDir, where
// the tests look for it.
const (
	// bazelCacheDir holds Bazel's disk and repository caches, on the host
	// for Bazel 4.2.3 and in the chroot for Bazel 7.
	bazelCacheDir = "/var/cache/ldwrap-bazel"
	bazelrc       = "/etc/bazel.bazelrc"
	rcBegin       = "# BEGIN ldwrap offline Bazel (go run mage.go bazel:setup)"
	rcEnd         = "# END ldwrap offline Bazel"
)

// Setup makes Bazel 4.2.3 work offline for any workspace (root, apt; cold 2 min, warm 1 s).
// It installs Bazel and the rule sets from Debian, makes a rules_cc copy
// that Bazel 4.2.3 can load and a coverage stub, and points every
// workspace at them in /etc/bazel.bazelrc. Safe to run twice. A machine
// with network access does not need it.
func (Bazel) Setup() error {
	if err := aptInstall(bazelPackages); err != nil {
		return err
	}
	if err := patchedRulesCC(); err != nil {
		return err
	}
	if err := coverageStub(); err != nil {
		return err
	}
	return writeBazelrc()
}

// patchedRulesCC copies Debian's rules_cc, which is newer than Bazel 4.2.3:
// two files load use_cpp_toolchain, which 4.2.3 lacks.
func patchedRulesCC() error {
	dst := testenv.OfflineRulesCC
	tmp := dst + ".new"
	os.RemoveAll(tmp)
	if err := os.MkdirAll(testenv.OfflineDir, 0o755); err != nil {
		return err
	}
	if err := sh.Run("cp", "-R", "/usr/share/bazel/rules/cc", tmp); err != nil {
		return err
	}
	for _, f := range []string{"cc/private/rules_impl/compiler_flag.bzl", "cc/private/rules_impl/cc_flags_supplier.bzl"} {
		p := filepath.Join(tmp, f)
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		s := strings.Replace(string(b), `"find_cpp_toolchain", "use_cpp_toolchain")`, `"find_cpp_toolchain")`, 1)
		s = strings.Replace(s, "use_cpp_toolchain()", `["@bazel_tools//tools/cpp:toolchain_type"]`, -1)
		if err := os.WriteFile(p, []byte(s), 0o644); err != nil {
			return err
		}
	}
	os.RemoveAll(dst)
	return os.Rename(tmp, dst)
}

// coverageStub stands in for remote_coverage_tools, which `bazel test`
// requires to exist and which cannot be downloaded here.
func coverageStub() error {
	dir := filepath.Join(testenv.OfflineDir, "remote_coverage_tools")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	files := map[string]string{
		"WORKSPACE": "workspace(name = \"remote_coverage_tools\")\n",
		"BUILD": `# A stand-in written by ldwrap's bazel:setup: coverage is not available offline.
genrule(
    name = "coverage_report_generator_script",
    outs = ["coverage_report_generator.sh"],
    cmd = "printf '#!/bin/sh\\necho \"remote_coverage_tools is a stub (ldwrap bazel:setup): coverage is not available offline\" >&2\\nexit 1\\n' > $@",
    executable = True,
)

sh_binary(
    name = "coverage_report_generator",
    srcs = [":coverage_report_generator_script"],
    visibility = ["//visibility:public"],
)
`,
	}
	for name, content := range files {
		if err := ldwrap.WriteFile(filepath.Join(dir, name), []byte(content), 0o644); err != nil {
			return err
		}
	}
	return nil
}

// gazelleHostCache has gazelle's go_repository use the Go build and module
// caches of the user who runs Bazel, not caches of its own in each output
// base: every new output base (a consumer's, and all of them on a cold
// machine) otherwise compiles gazelle's tools and downloads the modules
// again, most of a fresh consumer's time (docs/tests.md, "Timings").
const gazelleHostCache = "GO_REPOSITORY_USE_HOST_CACHE=1"

func writeBazelrc() error {
	goproxy, err := sh.Output("go", "env", "GOPROXY")
	if err != nil {
		return err
	}
	var b strings.Builder
	b.WriteString(rcBegin + "\n")
	for _, cmd := range []string{"build", "fetch", "query", "sync"} {
		for _, o := range []string{
			"--override_repository=bazel_skylib=/usr/share/bazel/tools/skylib",
			"--override_repository=platforms=/usr/share/bazel/tools/platforms",
			"--override_repository=rules_java=/usr/share/bazel/rules/java",
			"--override_repository=rules_proto=/usr/share/bazel/rules/proto",
			"--override_repository=rules_cc=" + testenv.OfflineRulesCC,
			"--override_repository=remote_coverage_tools=" + filepath.Join(testenv.OfflineDir, "remote_coverage_tools"),
			"--repo_env=GOPROXY=" + goproxy,
			"--repo_env=" + gazelleHostCache,
			"--repo_env=LDWRAP_GO_SDK=/usr/lib/go-1.19",
		} {
			fmt.Fprintf(&b, "%s %s\n", cmd, o)
		}
	}
	// Caches shared by every workspace and kept between runs: the e2e
	// consumers then reuse what the project's build compiled (rules_go's
	// standard library above all), and a second check starts warm.
	fmt.Fprintf(&b, "build --disk_cache=%s\n", filepath.Join(bazelCacheDir, "disk-4.2.3"))
	for _, cmd := range []string{"build", "fetch", "query", "sync"} {
		fmt.Fprintf(&b, "%s --repository_cache=%s\n", cmd, filepath.Join(bazelCacheDir, "repos-4.2.3"))
	}
	b.WriteString(rcEnd + "\n")
	old, err := os.ReadFile(bazelrc)
	if err != nil && !os.IsNotExist(err) {
		return err
	}
	rc := string(old)
	if i, j := strings.Index(rc, rcBegin), strings.Index(rc, rcEnd); i >= 0 && j > i {
		rc = rc[:i] + rc[j+len(rcEnd)+1:]
	}
	if rc != "" && !strings.HasSuffix(rc, "\n") {
		rc += "\n"
	}
	return ldwrap.WriteFile(bazelrc, []byte(rc+b.String()), 0o644)
}

// Build runs bazel build on the whole project with Bazel 4.2.3 (needs bazel:setup; cold 2 min, warm 5 s).
func (Bazel) Build() error {
	mg.Deps(Bazel.Setup)
	return sh.RunV("bazel", "build", "//...")
}

// Test runs the project's Go tests under Bazel 4.2.3 (needs bazel:setup; cold 6 min, warm 30 s).
func (Bazel) Test() error {
	mg.Deps(Bazel.Setup)
	return sh.RunV("bazel", "test", "--test_output=errors", "//...")
}

// Bazel 7 with Bzlmod runs in the sid chroot (see sid.go). What Bazel would
// download from the Bazel Central Registry comes from elsewhere: Debian's
// /etc/bazel/bazelrc in the chroot overrides platforms, rules_cc,
// bazel_skylib and the like with Debian's copies; rules_go and gazelle are
// Go modules, fetched here through the Go module proxy and checked against
// these sums; the modules that stay in the dependency graph but are never
// built get an empty stub.
// gazelle is vendored: module zips drop vendor/, and gazelle builds its
// repository tools (fetch_repo) in GOPATH mode, which needs it.
var bzlmodModules = []struct {
	name, module, version, sum string
	vendor                     bool
}{
	{"rules_go", "github.com/bazelbuild/rules_go", "v0.59.0", "h1:RLhOwYIqeMgBpKelHEWTfIPjA37so3oa/rX+/qqq/P4=", false},
	{"gazelle", "github.com/bazelbuild/bazel-gazelle", "v0.47.0", "h1:g3Rr1ZbkC1Pk20aOgBITxSD/efS1WbaSty5jC786Z3Q=", true},
}

var bzlmodStubs = []string{"protobuf", "package_metadata", "buildozer", "apple_support", "zlib"}

// bzlmodStubFiles: the stubs that something does load. gazelle's go_deps
// stamps each Go module's repository with package_metadata(...), so that
// one gets a rule that records nothing.
var bzlmodStubFiles = map[string]map[string]string{
	"package_metadata": {
		"rules/BUILD.bazel": "",
		"rules/package_metadata.bzl": `"""A stub of package_metadata (ldwrap's bazel:bzlmodSetup): records nothing."""

def package_metadata(name, visibility = None, **kwargs):
    native.filegroup(name = name, srcs = [], visibility = visibility, applicable_licenses = [])
`,
	},
}

// bzlmodDir holds the module copies, as the chroot sees it.
const bzlmodDir = "/opt/ldwrap-bzlmod"

// Bzlmod runs the Bazel 7 tests alone: the project and a README consumer, Bzlmod on, WORKSPACE off (needs setup; cold 6 min, warm 1 min).
// Bazel 7 is Debian sid's bazel-bootstrap, in the sid chroot, with
// WORKSPACE off as Bazel 8 and 9 behave.
func (Bazel) Bzlmod() error {
	mg.Deps(Deps, Bazel.Setup, Sid, Bazel.BzlmodSetup)
	return sh.RunV("go", "test", "-count=1", "-v", "-timeout=30m", "-run", "^TestBzlmod", "./e2e/")
}

// BzlmodSetup puts rules_go, gazelle and stubs into the sid chroot and writes its bazelrc (needs sid, the Go proxy; cold 1 min, warm 1 s).
// Safe to run twice: a module already there at the pinned sum is not
// fetched again.
func (Bazel) BzlmodSetup() error {
	mg.Deps(Sid)
	root := filepath.Join(sidRoot, bzlmodDir)
	for _, m := range bzlmodModules {
		if err := fetchModuleInto(filepath.Join(root, m.name), m.module, m.version, m.sum, m.vendor); err != nil {
			return err
		}
	}
	for _, s := range bzlmodStubs {
		dir := filepath.Join(root, "stubs", s)
		if err := os.MkdirAll(dir, 0o755); err != nil {
			return err
		}
		stub := fmt.Sprintf("# A stub written by ldwrap's bazel:bzlmodSetup: %s stays in the module graph\n# of rules_go and gazelle but nothing here builds it.\nmodule(name = %q, version = \"99\")\n", s, s)
		if err := ldwrap.WriteFile(filepath.Join(dir, "MODULE.bazel"), []byte(stub), 0o644); err != nil {
			return err
		}
		if err := ldwrap.WriteFile(filepath.Join(dir, "BUILD.bazel"), nil, 0o644); err != nil {
			return err
		}
		for name, content := range bzlmodStubFiles[s] {
			if err := os.MkdirAll(filepath.Dir(filepath.Join(dir, name)), 0o755); err != nil {
				return err
			}
			if err := ldwrap.WriteFile(filepath.Join(dir, name), []byte(content), 0o644); err != nil {
				return err
			}
		}
	}
	goproxy, err := sh.Output("go", "env", "GOPROXY")
	if err != nil {
		return err
	}
	var rc strings.Builder
	rc.WriteString("# Written by ldwrap's bazel:bzlmodSetup: Bazel 7 with Bzlmod, offline but for the Go module proxy.\n")
	for _, m := range bzlmodModules {
		fmt.Fprintf(&rc, "common --override_module=%s=%s/%s\n", m.name, bzlmodDir, m.name)
	}
	for _, s := range bzlmodStubs {
		fmt.Fprintf(&rc, "common --override_module=%s=%s/stubs/%s\n", s, bzlmodDir, s)
	}
	rc.WriteString("common --override_module=rules_shell=/usr/share/bazel/rules/shell\n")
	rc.WriteString("common --noenable_workspace\ncommon --lockfile_mode=off\n")
	fmt.Fprintf(&rc, "common --disk_cache=%s\ncommon --repository_cache=%s\n",
		filepath.Join(bazelCacheDir, "disk-7"), filepath.Join(bazelCacheDir, "repos-7")) // inside the chroot
	fmt.Fprintf(&rc, "common --repo_env=GOPROXY=%s\ncommon --repo_env=%s\n", goproxy, gazelleHostCache)
	return ldwrap.WriteFile(filepath.Join(sidRoot, testenv.SidBazelrc), []byte(rc.String()), 0o644)
}

// fetchModuleInto copies a Go module into dir, writable and with its shell
// scripts executable (module zips drop the executable bit; rules_go's
// binary_wrapper.sh then fails with "Permission denied").
func fetchModuleInto(dir, module, version, sum string, vendor bool) error {
	if b, err := os.ReadFile(filepath.Join(dir, ".ldwrap-sum")); err == nil && string(b) == sum {
		return nil
	}
	out, err := sh.Output("go", "mod", "download", "-json", module+"@"+version)
	if err != nil {
		return err
	}
	var info struct{ Dir, Sum string }
	if err := json.Unmarshal([]byte(out), &info); err != nil {
		return err
	}
	if info.Sum != sum {
		return fmt.Errorf("fetch %s@%s: checksum %s, want %s", module, version, info.Sum, sum)
	}
	tmp := dir + ".new"
	os.RemoveAll(tmp)
	if err := os.MkdirAll(filepath.Dir(dir), 0o755); err != nil {
		return err
	}
	if err := sh.Run("cp", "-R", info.Dir, tmp); err != nil {
		return err
	}
	if err := sh.Run("chmod", "-R", "u+w", tmp); err != nil {
		return err
	}
	if err := sh.Run("find", tmp, "-name", "*.sh", "-exec", "chmod", "+x", "{}", "+"); err != nil {
		return err
	}
	if vendor {
		// -e: gazelle's own test data imports packages that exist nowhere.
		cmd := exec.Command("go", "mod", "vendor", "-e")
		cmd.Dir = tmp
		cmd.Env = append(os.Environ(), "GOFLAGS=-mod=mod", "GOTOOLCHAIN=local")
		if out, err := cmd.CombinedOutput(); err != nil {
			return fmt.Errorf("go mod vendor in %s: %v\n%s", module, err, out)
		}
	}
	if err := os.WriteFile(filepath.Join(tmp, ".ldwrap-sum"), []byte(sum), 0o644); err != nil {
		return err
	}
	os.RemoveAll(dir)
	return os.Rename(tmp, dir)
}

// Warm builds the project once with each Bazel, filling the output bases and disk caches the e2e tests use (needs setup; cold 3 min for Bazel 4 and 5 to 6 for Bazel 7, beside set-up, warm 20 s with the servers up, whatever the checkout's path).
// Bazel's first fetch and build are then set-up, outside any test
// timeout, and the tests' Bazel runs start warm.
func (Bazel) Warm() error {
	mg.Deps(warmBazel4, warmBazel7)
	return nil
}

// warmBazel4 builds the project with Bazel 4.2.3 in TestBazelProject's
// copy of the repository: at a fixed path, so the same output base
// whatever this checkout's path (a new one means Bazel 4's repository
// fetches and analysis again; docs/tests.md).
func warmBazel4() error {
	mg.Deps(Bazel.Setup)
	work, err := testenv.OwnHostWorkDir()
	if err != nil {
		return err
	}
	dir := filepath.Join(work, testenv.RepoCopyName)
	if err := copyRepoTo(dir); err != nil {
		return err
	}
	build := exec.Command("bazel", "build", "//...")
	build.Dir, build.Stdout, build.Stderr = dir, os.Stdout, os.Stderr
	return build.Run()
}

// warmBazel7 builds the project with Bazel 7 in the sid chroot, in
// TestBzlmodProject's copy of the repository (at the same path, so the
// same output base).
func warmBazel7() error {
	mg.Deps(Bazel.BzlmodSetup)
	dir := path.Join(testenv.SidWorkDir, testenv.RepoCopyName) // as the chroot sees it
	if err := copyRepoTo(sidRoot + dir); err != nil {
		return err
	}
	return sh.RunV("chroot", sidRoot, "env", "-C", dir, "bazel", "build", "//...")
}

// copyRepoTo brings the copy of this checkout at dir in step with it (see
// repocopy), as the e2e tests' copyRepoInto does.
func copyRepoTo(dir string) error {
	if err := repocopy.Sync(".", dir); err != nil {
		return fmt.Errorf("copying the repository to %s: %v", dir, err)
	}
	return nil
}
