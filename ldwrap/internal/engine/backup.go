package engine

import (
	"os"

	"golang.org/x/sys/unix"

	"github.com/ldwrap/ldwrap/ldwrap/internal/copyfile"
	"github.com/ldwrap/ldwrap/ldwrap/internal/rawio"
)

// backUp keeps the old target under the name backup (install -b), just
// before the new file replaces it, and says whether there was one. It is a
// hard link made beside the target and renamed to backup, replacing an
// older backup, so the target is never missing (GNU install renames the
// target away and only then copies). Where the filesystem has no hard
// links, the old file is copied instead.
func (t *Txn) backUp(target, backup string) (bool, error) {
	old, err := os.Lstat(target)
	if os.IsNotExist(err) {
		return false, nil
	}
	dir, base := splitTarget(target)
	suffix, err := randomSuffix()
	if err != nil {
		return false, err
	}
	tmp := stagingName(dir, base, suffix)
	if old != nil && old.Mode()&os.ModeSymlink != 0 {
		// The backup of a symlink is a symlink, as GNU install's: link(2)
		// would follow it on macOS and the BSDs.
		err = copySymlink(target, tmp)
	} else {
		err = sys.link(target, tmp)
	}
	if noHardLink(err) {
		err = copyTo(target, tmp)
	}
	if err != nil {
		return false, err
	}
	if err := rawio.Rename(tmp, backup); err != nil {
		rawio.Unlink(tmp)
		return false, err
	}
	t.logf("%s: backed up to %s", target, backup)
	return true, nil
}

// noHardLink says whether link(2) failed because the filesystem cannot
// give the file another name there: no hard links at all (EPERM; darwin's
// ENOTSUP, 45, is not its EOPNOTSUPP, 102, where Linux has one value), too
// many already, or another filesystem.
func noHardLink(err error) bool {
	return err == unix.EPERM || err == unix.EXDEV || err == unix.EMLINK || err == unix.EOPNOTSUPP || err == unix.ENOTSUP
}

// copyTo copies the file at from to a new file at to, with its mode.
func copyTo(from, to string) error {
	in, err := rawio.Open(from, unix.O_RDONLY|unix.O_CLOEXEC, 0)
	if err != nil {
		return err
	}
	defer unix.Close(in)
	var st unix.Stat_t
	if err := rawio.Fstat(in, &st); err != nil {
		return err
	}
	out, err := rawio.Open(to, unix.O_WRONLY|unix.O_CREAT|unix.O_EXCL|unix.O_CLOEXEC, uint32(st.Mode)&0o7777)
	if err != nil {
		return err
	}
	err = copyfile.Contents(out, in)
	if cerr := unix.Close(out); err == nil {
		err = cerr
	}
	if err != nil {
		os.Remove(to)
	}
	return err
}
