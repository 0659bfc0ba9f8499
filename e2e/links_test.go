//go:build linux

package e2e

import (
	"os"
	"path/filepath"
	"syscall"
	"testing"

	"github.com/stretchr/testify/assert"
)

var _ = portableToo(TestSymlinksAsBare)

// Symlinks are kept as symlinks: one a tool makes at its output (relative,
// absolute, dangling), and the backup of one ldwrap-install -b replaces.
// The portable build's link(2) follows symlinks, as macOS's and the BSDs'
// does, where a naive commit fails (ENOENT) or makes a hard link to the
// target, and a backup saves the file the link points to.
func TestSymlinksAsBare(t *testing.T) {
	need(t, "install", "ln")
	shared := t.TempDir()
	writeFile(t, filepath.Join(shared, "real"), "shared")
	cases := []struct {
		name    string
		argv    []string
		wrapper []string
	}{
		{"install -b over a symlink", []string{"install", "-b", "src", "dest"}, nil},
		{"relative symlink output", []string{"ln", "-s", "lib.so.1", "lib.so"}, []string{ldwrap("ldwrap-run"), "-o", "lib.so", "--"}},
		{"absolute symlink output", []string{"ln", "-s", filepath.Join(shared, "real"), "abs"}, []string{ldwrap("ldwrap-run"), "-o", "abs", "--"}},
		{"dangling symlink output", []string{"ln", "-s", "/nonexistent/x", "dangling"}, []string{ldwrap("ldwrap-run"), "-o", "dangling", "--"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var trees [2]map[string]string
			wrapped := append(append([]string(nil), c.wrapper...), c.argv...)
			if c.wrapper == nil {
				wrapped = append([]string{ldwrap("ldwrap-install")}, c.argv[1:]...)
			}
			for i, argv := range [][]string{c.argv, wrapped} {
				dir := t.TempDir()
				writeFile(t, filepath.Join(dir, "src"), "new")
				writeFile(t, filepath.Join(dir, "real"), "precious")
				writeFile(t, filepath.Join(dir, "lib.so.1"), "library")
				if err := os.Symlink("real", filepath.Join(dir, "dest")); err != nil {
					t.Fatal(err)
				}
				code, out := exitCode(dir, nil, argv...)
				assert.Equal(t, 0, code, "%v: %s", argv, out)
				trees[i] = treeOf(t, dir)
				assert.Empty(t, leftovers(t, dir))
			}
			assert.Empty(t, diffTrees(trees[0], trees[1]), "GNU/bare first, then ldwrap")
		})
	}
	assert.Equal(t, "shared", string(readFile(t, filepath.Join(shared, "real"))))
}

var _ = portableToo(TestInstallPreservesNanoseconds)

// install -p keeps the source's times to the nanosecond, as GNU install
// does on a filesystem that keeps them. The portable build (macOS's and
// FreeBSD's path) used futimes(2), which keeps microseconds.
func TestInstallPreservesNanoseconds(t *testing.T) {
	need(t, "install", "touch")
	var times [2][2]int64
	for i, wrapped := range []bool{false, true} {
		dir := t.TempDir()
		writeFile(t, filepath.Join(dir, "src"), "x")
		run(t, dir, nil, "touch", "-d", "2001-02-03 04:05:06.123456789", "src")
		argv := []string{"install", "-p", "src", "dst"}
		if wrapped {
			argv = append([]string{ldwrap("ldwrap-install")}, argv[1:]...)
		}
		run(t, dir, nil, argv...)
		var st syscall.Stat_t
		if err := syscall.Stat(filepath.Join(dir, "dst"), &st); err != nil {
			t.Fatal(err)
		}
		times[i] = [2]int64{st.Atim.Nano(), st.Mtim.Nano()}
	}
	assert.Equal(t, int64(123456789), times[0][1]%1e9, "control: GNU install keeps nanoseconds here")
	assert.Equal(t, times[0], times[1], "atime and mtime: GNU, then ldwrap")
}
