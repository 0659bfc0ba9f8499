//go:build !ldwrap_portable

package engine

import (
	"strconv"
	"sync"

	"golang.org/x/sys/unix"

	"github.com/ldwrap/ldwrap/ldwrap/internal/rawio"
)

var sys = sysCalls{
	renameNoReplace: func(from, to string) error {
		err := rawio.IgnoringEINTR(func() error {
			return unix.Renameat2(unix.AT_FDCWD, from, unix.AT_FDCWD, to, unix.RENAME_NOREPLACE)
		})
		if err == unix.EINVAL || err == unix.ENOSYS {
			return errNotSupported // an old kernel, or a filesystem without the flag
		}
		return err
	},
	exchange: func(a, b string) error {
		err := rawio.IgnoringEINTR(func() error { return unix.Renameat2(unix.AT_FDCWD, a, unix.AT_FDCWD, b, unix.RENAME_EXCHANGE) })
		if err == unix.EINVAL || err == unix.ENOSYS {
			return errNotSupported
		}
		return err
	},
	openUnnamed:   openTmpfile,
	reopenUnnamed: func(fd int) (int, error) { return rawio.Open(procFD(fd), unix.O_RDONLY|unix.O_CLOEXEC, 0) },
	linkUnnamed: func(fd int, path string) error {
		return rawio.Linkat(procFD(fd), path, unix.AT_SYMLINK_FOLLOW)
	},
	syncFS:     syncFSUnlessFUSE,
	syncFile:   fsync,
	random:     randomBytes,
	link:       linkNoFollow,
	dirNames:   rawio.DirentNames,
	xattrNames: osXattrNames,
}

// syncFSUnlessFUSE is syncfs(2), but on FUSE: Linux sends FUSE_SYNCFS to
// virtiofs only, so there syncfs makes nothing durable that another FUSE
// server holds, while fsync reaches it. The power-cut tests, which run on
// FUSE, lost every file of a durable multi-file commit to it.
func syncFSUnlessFUSE(fd int) error {
	var st unix.Statfs_t
	if err := unix.Fstatfs(fd, &st); err == nil && st.Type == unix.FUSE_SUPER_MAGIC {
		return errNotSupported
	}
	return unix.Syncfs(fd)
}

func randomBytes(b []byte) error {
	_, err := unix.Getrandom(b, 0)
	return err
}

// openTmpfile is O_TMPFILE. Linking the file later goes through /proc, so
// without /proc there is no unnamed file either.
func openTmpfile(dir string, perm uint32) (int, error) {
	if !procFDMounted() {
		return -1, errNotSupported
	}
	fd, err := rawio.Open(dir, unix.O_TMPFILE|unix.O_RDWR|unix.O_CLOEXEC, perm)
	if isNotSupported(err) || err == unix.EISDIR || err == unix.EINVAL {
		return -1, errNotSupported // the filesystem, or a kernel older than 3.11 (EISDIR)
	}
	return fd, err
}

var procFDMounted = func() func() bool {
	var once sync.Once
	var ok bool
	return func() bool {
		once.Do(func() {
			ok = rawio.IgnoringEINTR(func() error { return unix.Access("/proc/self/fd", unix.X_OK) }) == nil
		})
		return ok
	}
}()

func procFD(fd int) string { return "/proc/self/fd/" + strconv.Itoa(fd) }
