package rawio

import "golang.org/x/sys/unix"

// The calls the engine and the commands make on paths and descriptors,
// retried on EINTR as the os package retries its own. Any of them can be
// interrupted where a filesystem waits on something else: on macOS,
// open(2) returns EINTR on FUSE, SMB and NFS mounts when a signal arrives
// (Go's handlers have SA_RESTART, which those filesystems do not honour).
// eintr_test.go checks that no such call is made outside IgnoringEINTR.

// Open is open(2).
func Open(path string, mode int, perm uint32) (int, error) {
	fd := -1
	err := IgnoringEINTR(func() (err error) { fd, err = unix.Open(path, mode, perm); return err })
	return fd, err
}

// Stat is stat(2).
func Stat(path string, st *unix.Stat_t) error {
	return IgnoringEINTR(func() error { return unix.Stat(path, st) })
}

// Lstat is lstat(2).
func Lstat(path string, st *unix.Stat_t) error {
	return IgnoringEINTR(func() error { return unix.Lstat(path, st) })
}

// Fstat is fstat(2).
func Fstat(fd int, st *unix.Stat_t) error {
	return IgnoringEINTR(func() error { return unix.Fstat(fd, st) })
}

// Mkdir is mkdir(2).
func Mkdir(path string, perm uint32) error {
	return IgnoringEINTR(func() error { return unix.Mkdir(path, perm) })
}

// Rename is rename(2).
func Rename(from, to string) error {
	return IgnoringEINTR(func() error { return unix.Rename(from, to) })
}

// Unlink is unlink(2).
func Unlink(path string) error {
	return IgnoringEINTR(func() error { return unix.Unlink(path) })
}

// Rmdir is rmdir(2).
func Rmdir(path string) error {
	return IgnoringEINTR(func() error { return unix.Rmdir(path) })
}

// Symlink is symlink(2).
func Symlink(dest, path string) error {
	return IgnoringEINTR(func() error { return unix.Symlink(dest, path) })
}

// Chmod is chmod(2).
func Chmod(path string, mode uint32) error {
	return IgnoringEINTR(func() error { return unix.Chmod(path, mode) })
}

// Fchmod is fchmod(2).
func Fchmod(fd int, mode uint32) error {
	return IgnoringEINTR(func() error { return unix.Fchmod(fd, mode) })
}

// Fchown is fchown(2).
func Fchown(fd, uid, gid int) error {
	return IgnoringEINTR(func() error { return unix.Fchown(fd, uid, gid) })
}

// Fsync is fsync(2).
func Fsync(fd int) error {
	return IgnoringEINTR(func() error { return unix.Fsync(fd) })
}

// UtimesNanoAt is utimensat(2).
func UtimesNanoAt(dirfd int, path string, ts []unix.Timespec, flags int) error {
	return IgnoringEINTR(func() error { return unix.UtimesNanoAt(dirfd, path, ts, flags) })
}

// Pread is pread(2).
func Pread(fd int, buf []byte, off int64) (int, error) {
	n := 0
	err := IgnoringEINTR(func() (err error) { n, err = unix.Pread(fd, buf, off); return err })
	return n, err
}
