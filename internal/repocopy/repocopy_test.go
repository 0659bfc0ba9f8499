package repocopy

import (
	"os"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func write(t *testing.T, path, content string, mode os.FileMode) {
	t.Helper()
	require.NoError(t, os.MkdirAll(filepath.Dir(path), 0o755))
	require.NoError(t, os.WriteFile(path, []byte(content), mode))
	require.NoError(t, os.Chmod(path, mode))
}

func ino(t *testing.T, path string) uint64 {
	t.Helper()
	fi, err := os.Lstat(path)
	require.NoError(t, err)
	return fi.Sys().(*syscall.Stat_t).Ino
}

func TestSync(t *testing.T) {
	src, dst := t.TempDir(), t.TempDir()
	write(t, src+"/same.txt", "same\n", 0o644)
	write(t, src+"/changed.txt", "new\n", 0o644)
	write(t, src+"/run.sh", "#!/bin/sh\n", 0o755)
	write(t, src+"/mode.sh", "#!/bin/sh\n", 0o755)
	write(t, src+"/sub/deep/file.go", "package deep\n", 0o644)
	write(t, src+"/was_dir", "now a file\n", 0o644)
	write(t, src+"/.git/HEAD", "ref: refs/heads/main\n", 0o644)
	require.NoError(t, os.Symlink("sub/deep", src+"/link"))
	require.NoError(t, os.Symlink("/nowhere", src+"/bazel-out"))

	write(t, dst+"/same.txt", "same\n", 0o644)
	write(t, dst+"/changed.txt", "old\n", 0o644)
	write(t, dst+"/mode.sh", "#!/bin/sh\n", 0o644)
	write(t, dst+"/stale.txt", "gone\n", 0o644)
	write(t, dst+"/stale_dir/x", "gone\n", 0o644)
	write(t, dst+"/was_dir/x", "gone\n", 0o644)
	write(t, dst+"/sub/stale", "gone\n", 0o644)
	require.NoError(t, os.Symlink("/bazel/output", dst+"/bazel-bin"))
	past := time.Now().Add(-time.Hour).Truncate(time.Second)
	require.NoError(t, os.Chtimes(dst+"/same.txt", past, past))
	sameIno, changedIno := ino(t, dst+"/same.txt"), ino(t, dst+"/changed.txt")

	require.NoError(t, Sync(src, dst))

	fi, err := os.Stat(dst + "/same.txt")
	require.NoError(t, err)
	assert.Equal(t, sameIno, ino(t, dst+"/same.txt"), "an identical file keeps its inode")
	assert.True(t, fi.ModTime().Equal(past), "and its mtime")
	assert.NotEqual(t, changedIno, ino(t, dst+"/changed.txt"), "a changed file is replaced, not written in place")
	for name, want := range map[string]string{"changed.txt": "new\n", "sub/deep/file.go": "package deep\n", "was_dir": "now a file\n", "link/file.go": "package deep\n"} {
		b, err := os.ReadFile(filepath.Join(dst, name))
		require.NoError(t, err, name)
		assert.Equal(t, want, string(b), name)
	}
	for name, mode := range map[string]os.FileMode{"run.sh": 0o755, "mode.sh": 0o755, "same.txt": 0o644} {
		fi, err := os.Stat(filepath.Join(dst, name))
		require.NoError(t, err, name)
		assert.Equal(t, mode, fi.Mode().Perm(), name)
	}
	for _, gone := range []string{"stale.txt", "stale_dir", "sub/stale", ".git", "bazel-out"} {
		_, err := os.Lstat(filepath.Join(dst, gone))
		assert.True(t, os.IsNotExist(err), "%s: %v", gone, err)
	}
	link, err := os.Readlink(dst + "/bazel-bin")
	assert.NoError(t, err, "Bazel's own links stay")
	assert.Equal(t, "/bazel/output", link)
	entries, err := os.ReadDir(dst)
	require.NoError(t, err)
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	assert.ElementsMatch(t, []string{"same.txt", "changed.txt", "run.sh", "mode.sh", "sub", "was_dir", "link", "bazel-bin"}, names, "no temporary file is left")

	require.NoError(t, Sync(src, dst))
	assert.Equal(t, sameIno, ino(t, dst+"/same.txt"), "a second Sync changes nothing")
}
