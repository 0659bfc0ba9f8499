//go:build linux

package e2e

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// Namespace mode where Bazel's actions run it: the two places that differ
// from a root shell on the host (docs/bazel.md has the table).

// replaceDirScript replaces a directory of the root: the overlay must mark
// the new one opaque, in an xattr.
const replaceDirScript = `cd d && rm -rf sub && mkdir sub && echo new > sub/f && echo made > x.txt`

func seedReplaceDir(t *testing.T, dir string) {
	require.NoError(t, os.MkdirAll(filepath.Join(dir, "d", "sub"), 0o755))
	writeFile(t, filepath.Join(dir, "d", "sub", "old"), "old\n")
}

// As uid 0 of a user namespace that maps only itself, as in Bazel's
// linux-sandbox or a rootless container: ldwrap may mount there, but
// trusted.* xattrs need the initial namespace's root, and without
// userxattr the kernel mounts the overlay with no xattrs at all, where the
// command's rm -rf of a directory fails with EIO. The bare command is the
// control.
func TestRunNamespaceModeInUserNamespace(t *testing.T) {
	t.Parallel() // see "Parallel tests" in helpers_test.go
	need(t, "root")
	results := map[string]map[string]string{}
	for _, wrapped := range []bool{false, true} {
		dir := t.TempDir()
		seedReplaceDir(t, dir)
		argv := []string{"unshare", "-U", "--map-root-user"}
		if wrapped {
			argv = append(argv, ldwrap("ldwrap-run"), "-o", "d/x.txt", "--")
		}
		out := run(t, dir, []string{"LDWRAP_RUN_MODE=namespace", "LDWRAP_VERBOSE=1"}, append(argv, "sh", "-c", replaceDirScript)...)
		if wrapped {
			assert.Contains(t, out, "namespace mode")
			assert.NotContains(t, out, "argument mode")
		}
		assert.Empty(t, leftovers(t, filepath.Join(dir, "d")+"/"))
		results[map[bool]string{false: "bare", true: "ldwrap"}[wrapped]] = treeOf(t, dir)
	}
	assert.Equal(t, results["bare"], results["ldwrap"], diffTrees(results["bare"], results["ldwrap"]))
}

// In a chroot (Bazel 7 runs in one here), / is no mount point and cannot
// be made a slave: namespace mode runs when the mount holding the root is
// not shared, so that nothing it mounts shows outside, and falls back to
// argument mode when it is (forced, it fails with one line).
func TestRunNamespaceModeInChroot(t *testing.T) {
	t.Parallel() // see "Parallel tests" in helpers_test.go
	need(t, "root", "sid")
	g := sid
	forced := []string{"env", "LDWRAP_RUN_MODE=namespace", "LDWRAP_VERBOSE=1", g.ldwrap("ldwrap-run"), "-o", "d/x.txt", "--"}

	base := g.tempDir(t)
	results := map[string]map[string]string{}
	for _, wrapped := range []bool{false, true} {
		dir := base + map[bool]string{false: "/bare", true: "/ldwrap"}[wrapped]
		seedReplaceDir(t, g.host(dir))
		var argv []string
		if wrapped {
			argv = forced
		}
		out := g.run(t, dir, nil, append(argv, "sh", "-c", replaceDirScript)...)
		if wrapped {
			assert.Contains(t, out, "namespace mode")
			assert.NotContains(t, out, "argument mode")
		}
		assert.Empty(t, leftovers(t, g.host(dir+"/d/")))
		results[map[bool]string{false: "bare", true: "ldwrap"}[wrapped]] = treeOf(t, g.host(dir))
	}
	assert.Equal(t, results["bare"], results["ldwrap"], diffTrees(results["bare"], results["ldwrap"]))
	mounts, _ := runErr("/", nil, "findmnt", "-n", "-t", "overlay")
	assert.Empty(t, mounts, "no overlay left in the host's namespace")

	// The same directory on a shared mount.
	shared := base + "/shared"
	require.NoError(t, os.MkdirAll(g.host(shared+"/d"), 0o755))
	run(t, "/", nil, "mount", "--bind", g.host(shared), g.host(shared))
	t.Cleanup(func() { runErr("/", nil, "umount", g.host(shared)) })
	run(t, "/", nil, "mount", "--make-shared", g.host(shared))
	code, out := exitCode("/", nil, append(append([]string{"chroot", g.root, "env", "-C", shared}, forced...), "sh", "-c", "echo made > d/x.txt")...)
	assert.Equal(t, 126, code, out)
	assert.Regexp(t, `(?m)^ldwrap: .*namespace mode cannot run: .*is shared.*$`, out)
	_, err := os.Stat(g.host(shared + "/d/x.txt"))
	assert.True(t, os.IsNotExist(err), "nothing ran")
	// Not forced, it falls back to argument mode, which needs the output
	// as an argument of its own.
	out = g.run(t, shared, nil, "env", "LDWRAP_VERBOSE=1", g.ldwrap("ldwrap-run"), "-o", "d/x.txt", "--", "sh", "-c", `echo made > "$1"`, "sh", "d/x.txt")
	assert.Contains(t, out, "argument mode")
	assert.Equal(t, "made\n", string(readFile(t, g.host(shared+"/d/x.txt"))))
	assert.Empty(t, leftovers(t, g.host(shared+"/d/")))
}
