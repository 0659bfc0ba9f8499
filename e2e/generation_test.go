//go:build linux

package e2e

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/ldwrap/ldwrap/internal/testenv"
	api "github.com/ldwrap/ldwrap/ldwrap"
)

// generation is one generation of the tools under test: the host's
// (Debian bookworm: gcc 12, clang 14, binutils 2.40, mold 1.10, Bazel 4.2.3
// with WORKSPACE), or Debian sid's in a chroot (gcc 16, clang and lld 21,
// mold 3, binutils 2.47 without gold, Bazel 7 with Bzlmod). Paths are as
// the generation sees them; host() gives the host's view.
type generation struct {
	name string
	root string // the chroot as the host sees it; "" for the host
}

// sidRoot is the Debian sid chroot that go run mage.go sid prepares.
var sidRoot = testenv.SidRoot()

var (
	bookworm = generation{name: "bookworm"}
	sid      = generation{name: "sid", root: sidRoot}
)

var generations = []generation{bookworm, sid}

// sidBin is where TestMain copies the ldwrap commands inside the chroot.
var sidBin = "/opt/ldwrap-e2e/bin" + buildSuffix

// buildSuffix tells apart the fixed paths in the chroot of go test runs
// with different build tags (mage portable and mage e2e at once); runs of
// one build share them (sidBin) or use names of their own (tempDir).
var buildSuffix = func() string {
	if tags := testenv.Tags(); tags != "" {
		return "-" + strings.ReplaceAll(tags, ",", "-")
	}
	return ""
}()

// argv runs argv in dir.
func (g generation) argv(dir string, argv ...string) (string, []string) {
	if g.root == "" {
		return dir, argv
	}
	return "/", append([]string{"chroot", g.root, "env", "-C", dir}, argv...)
}

func (g generation) run(t testing.TB, dir string, env []string, argv ...string) string {
	t.Helper()
	d, a := g.argv(dir, argv...)
	return run(t, d, env, a...)
}

func (g generation) runErr(dir string, argv ...string) (string, error) {
	d, a := g.argv(dir, argv...)
	return runErr(d, nil, a...)
}

// host is where the test finds a path of this generation.
func (g generation) host(p string) string { return g.root + p }

// hostLink is where the host finds the target of the symlink at p (Bazel's
// bazel-bin, an absolute link inside the chroot).
func (g generation) hostLink(t *testing.T, p string) string {
	target, err := os.Readlink(g.host(p))
	require.NoError(t, err)
	if filepath.IsAbs(target) {
		return g.host(target)
	}
	return filepath.Join(filepath.Dir(g.host(p)), target)
}

// ldwrap is an ldwrap command as this generation runs it.
func (g generation) ldwrap(name string) string {
	if g.root == "" {
		return ldwrap(name)
	}
	return sidBin + "/" + name
}

// workDir is an empty directory named name. Its path is fixed, not
// random: Bazel keys its output base (and the Go SDK's compiled standard
// library, minutes on a cold machine) on the workspace path, so the next
// run starts warm.
func (g generation) workDir(t *testing.T, name string) string {
	g.ownWorkDir(t)
	d := g.workPath(name)
	require.NoError(t, os.RemoveAll(g.host(d)))
	require.NoError(t, os.MkdirAll(g.host(d), 0o755))
	return d
}

// workPath is name's path under the generation's fixed work directory.
func (g generation) workPath(name string) string {
	if g.root == "" {
		return filepath.Join(testenv.HostWorkDir(), name)
	}
	return testenv.SidWorkDir + "/" + name
}

// ownWorkDir fails the test unless the directory of the generation's fixed
// paths is this user's (testenv.OwnHostWorkDir); the chroot's is root's.
func (g generation) ownWorkDir(t *testing.T) {
	t.Helper()
	if g.root == "" {
		_, err := testenv.OwnHostWorkDir()
		require.NoError(t, err)
	}
}

// tempDir is an empty directory for this test alone.
func (g generation) tempDir(t *testing.T) string {
	if g.root == "" {
		return t.TempDir()
	}
	d := g.workDir(t, "tmp"+buildSuffix+"/"+regexp.MustCompile(`[^A-Za-z0-9._-]+`).ReplaceAllString(t.Name(), "_"))
	t.Cleanup(func() { os.RemoveAll(g.host(d)) })
	return d
}

// copyBinaries puts the ldwrap commands into the chroot: they are static Go
// binaries (but ldwrap-install, which sid's newer libc runs as well).
func copyBinaries(bin string) error {
	if err := os.MkdirAll(sidRoot+sidBin, 0o755); err != nil {
		return err
	}
	entries, err := os.ReadDir(bin)
	if err != nil {
		return err
	}
	for _, e := range entries {
		b, err := os.ReadFile(filepath.Join(bin, e.Name()))
		if err != nil {
			return err
		}
		// Renamed into place: another go test process may be running the
		// copy it put there (the same build, so the same bytes).
		if err := api.WriteFile(filepath.Join(sidRoot+sidBin, e.Name()), b, 0o755); err != nil {
			return err
		}
	}
	return nil
}
