package engine

import (
	"golang.org/x/sys/unix"

	"github.com/ldwrap/ldwrap/ldwrap/internal/rawio"
)

// The fallbacks every Unix has.

// renameNoReplaceByLink refuses to replace with link(2), which never
// replaces: link the file to its new name, then remove the old name. A
// symlink is made again at the new name (symlink(2) never replaces
// either), since link(2) would follow it on macOS and the BSDs. A
// directory cannot be linked: errNotSupported.
func renameNoReplaceByLink(from, to string) error {
	var st unix.Stat_t
	if err := rawio.Lstat(from, &st); err != nil {
		return err
	}
	switch uint32(st.Mode) & unix.S_IFMT {
	case unix.S_IFDIR:
		return errNotSupported
	case unix.S_IFLNK:
		if err := copySymlink(from, to); err != nil {
			return err
		}
	default:
		if err := sys.link(from, to); err != nil {
			if noHardLink(err) {
				return errNotSupported // a filesystem without hard links
			}
			return err
		}
	}
	return rawio.Unlink(from)
}

// copySymlink makes a symlink at to with the content of the one at from,
// failing with EEXIST when to exists.
func copySymlink(from, to string) error {
	dest, err := rawio.Readlink(from)
	if err != nil {
		return err
	}
	return rawio.Symlink(dest, to)
}

func fsync(fd int) error { return rawio.Fsync(fd) }

// setTimes sets the access and modification times of the file open as fd
// (at path, inside a private staging directory), to the nanosecond.
func setTimes(fd int, path string, atime, mtime unix.Timespec) error {
	return rawio.UtimesNanoAt(unix.AT_FDCWD, path, []unix.Timespec{atime, mtime}, unix.AT_SYMLINK_NOFOLLOW)
}

// statTimes is a stat's access, modification and change times.
func statTimes(st *unix.Stat_t) (atime, mtime, ctime unix.Timespec) {
	return st.Atim, st.Mtim, st.Ctim
}
