package engine

import (
	"path/filepath"
	"syscall"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// withSys runs fn with sys changed by change, then restores it.
func withSys(t *testing.T, change func(*sysCalls)) {
	saved := sys
	change(&sys)
	t.Cleanup(func() { sys = saved })
}

// Faults injected through the table of system calls: each has its
// documented fallback, and no target is touched on a failure.
func TestFaultsThroughSysTable(t *testing.T) {
	t.Run("no rename without replace", func(t *testing.T) {
		withSys(t, func(s *sysCalls) {
			s.renameNoReplace = func(string, string) error { return errNotSupported }
		})
		dir := t.TempDir()
		write(t, filepath.Join(dir, "out"), "old")
		txn := New(Options{})
		o, err := txn.Stage(filepath.Join(dir, "out"))
		require.NoError(t, err)
		assert.NotEqual(t, ".ldwrap.out."+firstSuffix, filepath.Base(filepath.Dir(o.Temp)), "the random name stays")
		write(t, o.Temp, "new")
		require.NoError(t, txn.Commit())
		assert.Equal(t, "new", read(t, filepath.Join(dir, "out")))
		assert.Equal(t, []string{"out"}, entries(t, dir))
	})
	t.Run("first name taken", func(t *testing.T) {
		withSys(t, func(s *sysCalls) {
			s.renameNoReplace = func(string, string) error { return syscall.EEXIST }
		})
		dir := t.TempDir()
		txn := New(Options{})
		o, err := txn.Stage(filepath.Join(dir, "out"))
		require.NoError(t, err)
		write(t, o.Temp, "new")
		require.NoError(t, txn.Commit())
		assert.Equal(t, []string{"out"}, entries(t, dir))
	})
	t.Run("no syncfs", func(t *testing.T) {
		synced := 0
		withSys(t, func(s *sysCalls) {
			s.syncFS = func(int) error { return errNotSupported }
			s.syncFile = func(fd int) error { synced++; return syscall.Fsync(fd) }
		})
		dir := t.TempDir()
		txn := New(Options{Durable: true})
		for _, n := range []string{"a", "b"} {
			_, fd, err := txn.Create(filepath.Join(dir, n), 0o644)
			require.NoError(t, err)
			writeFD(t, fd, n)
		}
		require.NoError(t, txn.Commit())
		assert.Equal(t, 3, synced, "each file, then the directory")
	})
	t.Run("ordered syncs the files, not the directory", func(t *testing.T) {
		for _, files := range []int{1, 2} {
			var synced []string
			withSys(t, func(s *sysCalls) {
				s.syncFS = func(int) error { synced = append(synced, "syncfs"); return nil }
				s.syncFile = func(fd int) error {
					var st syscall.Stat_t
					syscall.Fstat(fd, &st)
					kind := "file"
					if st.Mode&syscall.S_IFMT == syscall.S_IFDIR {
						kind = "dir"
					}
					synced = append(synced, kind)
					return nil
				}
			})
			dir := t.TempDir()
			txn := New(Options{Ordered: true})
			for _, n := range []string{"a", "b"}[:files] {
				_, fd, err := txn.Create(filepath.Join(dir, n), 0o644)
				require.NoError(t, err)
				writeFD(t, fd, n)
			}
			require.NoError(t, txn.Commit())
			want := map[int][]string{1: {"file"}, 2: {"syncfs"}}[files]
			assert.Equal(t, want, synced, "%d files: synced before the rename, and no directory after", files)
		}
	})
	t.Run("sync fails", func(t *testing.T) {
		withSys(t, func(s *sysCalls) {
			s.syncFile = func(int) error { return syscall.EIO }
		})
		dir := t.TempDir()
		write(t, filepath.Join(dir, "a"), "old")
		txn := New(Options{Durable: true})
		_, fd, err := txn.Create(filepath.Join(dir, "a"), 0o644)
		require.NoError(t, err)
		writeFD(t, fd, "new")
		assert.ErrorIs(t, txn.Commit(), syscall.EIO)
		assert.Equal(t, "old", read(t, filepath.Join(dir, "a")))
		assert.Equal(t, []string{"a"}, entries(t, dir))
	})
	t.Run("link of the unnamed file fails", func(t *testing.T) {
		if !unnamedFiles(t) {
			t.Skip("no unnamed files in this build: nothing is linked")
		}
		withSys(t, func(s *sysCalls) {
			s.linkUnnamed = func(int, string) error { return syscall.ENOSPC }
		})
		dir := t.TempDir()
		write(t, filepath.Join(dir, "a"), "old")
		txn := New(Options{})
		_, fd, err := txn.Create(filepath.Join(dir, "a"), 0o644)
		require.NoError(t, err)
		writeFD(t, fd, "new")
		assert.ErrorIs(t, txn.Commit(), syscall.ENOSPC)
		assert.Equal(t, "old", read(t, filepath.Join(dir, "a")))
		assert.Equal(t, []string{"a"}, entries(t, dir))
	})
	t.Run("no random numbers", func(t *testing.T) {
		withSys(t, func(s *sysCalls) {
			s.random = func([]byte) error { return syscall.ENOSYS }
		})
		_, err := New(Options{}).Stage(filepath.Join(t.TempDir(), "a"))
		assert.ErrorIs(t, err, syscall.ENOSYS)
	})
}

// darwin's full flush falls back to fsync only where the filesystem has
// no F_FULLFSYNC (ENOTSUP, ENOTTY); an I/O error is reported, not masked
// by an fsync that may succeed.
func TestFullFsyncFallsBackOnlyWhereUnsupported(t *testing.T) {
	for _, c := range []struct {
		full     error
		fallback bool
	}{{nil, false}, {syscall.ENOTSUP, true}, {syscall.ENOTTY, true}, {syscall.EIO, false}, {syscall.EINVAL, false}} {
		plain := 0
		err := fullFsyncOr(3, func(int) error { return c.full }, func(int) error { plain++; return nil })
		if c.fallback {
			assert.NoError(t, err, "%v", c.full)
			assert.Equal(t, 1, plain, "%v: fsync instead", c.full)
		} else {
			assert.Equal(t, c.full, err)
			assert.Equal(t, 0, plain, "%v: no fsync after it", c.full)
		}
	}
}
