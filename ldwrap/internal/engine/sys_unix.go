package engine

import (
	"golang.org/x/sys/unix"
)

// The fallbacks every Unix has.

// renameNoReplaceByLink refuses to replace with link(2), which never
// replaces: link the file to its new name, then remove the old name. A
// directory cannot be linked: errNotSupported.
func renameNoReplaceByLink(from, to string) error {
	var st unix.Stat_t
	if err := unix.Lstat(from, &st); err != nil {
		return err
	}
	if uint32(st.Mode)&unix.S_IFMT == unix.S_IFDIR {
		return errNotSupported
	}
	if err := unix.Link(from, to); err != nil {
		if err == unix.EPERM || err == unix.EXDEV {
			return errNotSupported // a filesystem without hard links
		}
		return err
	}
	return unix.Unlink(from)
}

func fsync(fd int) error { return unix.Fsync(fd) }

// setTimes sets the access and modification times of the file open as fd
// (at path, inside a private staging directory), to the nanosecond.
func setTimes(fd int, path string, atime, mtime unix.Timespec) error {
	return unix.UtimesNanoAt(unix.AT_FDCWD, path, []unix.Timespec{atime, mtime}, unix.AT_SYMLINK_NOFOLLOW)
}

// statTimes is a stat's access, modification and change times.
func statTimes(st *unix.Stat_t) (atime, mtime, ctime unix.Timespec) {
	return st.Atim, st.Mtim, st.Ctim
}
