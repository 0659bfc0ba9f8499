// Package toolpathtest builds the world a toolpath.Finder searches, in a
// temporary directory, as ccache's find_compiler tests build theirs.
package toolpathtest

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"
)

// Tree makes files under a new temporary directory, each path with its
// kind: "self" (a hard link to the file standing for ldwrap itself), "exe",
// "file", "dir", or anything else: a symlink to that. It returns the
// directory and the FileInfo of ldwrap itself (a Finder's Self).
func Tree(t testing.TB, files map[string]string) (root string, self os.FileInfo) {
	t.Helper()
	root = t.TempDir()
	selfPath := filepath.Join(root, ".self")
	require.NoError(t, os.WriteFile(selfPath, []byte("ldwrap"), 0o755))
	for p, kind := range files {
		full := filepath.Join(root, p)
		require.NoError(t, os.MkdirAll(filepath.Dir(full), 0o755))
		switch kind {
		case "self":
			require.NoError(t, os.Link(selfPath, full))
		case "exe":
			require.NoError(t, os.WriteFile(full, []byte(p), 0o755))
		case "file":
			require.NoError(t, os.WriteFile(full, []byte(p), 0o644))
		case "dir":
			require.NoError(t, os.MkdirAll(full, 0o755))
		default:
			require.NoError(t, os.Symlink(kind, full))
		}
	}
	self, err := os.Stat(selfPath)
	require.NoError(t, err)
	return root, self
}
