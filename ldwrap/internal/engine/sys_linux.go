//go:build !ldwrap_portable

package engine

import (
	"strconv"
	"sync"

	"golang.org/x/sys/unix"
)

var sys = sysCalls{
	renameNoReplace: func(from, to string) error {
		err := unix.Renameat2(unix.AT_FDCWD, from, unix.AT_FDCWD, to, unix.RENAME_NOREPLACE)
		if err == unix.EINVAL || err == unix.ENOSYS {
			return errNotSupported // an old kernel, or a filesystem without the flag
		}
		return err
	},
	exchange: func(a, b string) error {
		err := unix.Renameat2(unix.AT_FDCWD, a, unix.AT_FDCWD, b, unix.RENAME_EXCHANGE)
		if err == unix.EINVAL || err == unix.ENOSYS {
			return errNotSupported
		}
		return err
	},
	openUnnamed:   openTmpfile,
	reopenUnnamed: func(fd int) (int, error) { return unix.Open(procFD(fd), unix.O_RDONLY|unix.O_CLOEXEC, 0) },
	linkUnnamed: func(fd int, path string) error {
		return unix.Linkat(unix.AT_FDCWD, procFD(fd), unix.AT_FDCWD, path, unix.AT_SYMLINK_FOLLOW)
	},
	syncFS:   unix.Syncfs,
	syncFile: fsync,
	random:   randomBytes,
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
	fd, err := unix.Open(dir, unix.O_TMPFILE|unix.O_RDWR|unix.O_CLOEXEC, perm)
	switch err {
	case unix.EOPNOTSUPP, unix.EISDIR, unix.EINVAL:
		return -1, errNotSupported // the filesystem, or a kernel older than 3.11 (EISDIR)
	}
	return fd, err
}

var procFDMounted = func() func() bool {
	var once sync.Once
	var ok bool
	return func() bool {
		once.Do(func() { ok = unix.Access("/proc/self/fd", unix.X_OK) == nil })
		return ok
	}
}()

func procFD(fd int) string { return "/proc/self/fd/" + strconv.Itoa(fd) }
