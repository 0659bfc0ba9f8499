package engine

import (
	"os"

	"golang.org/x/sys/unix"

	"github.com/ldwrap/ldwrap/ldwrap/internal/copyfile"
)

// backUp keeps the old target under the name backup (install -b), just
// before the new file replaces it, and says whether there was one. It is a
// hard link made beside the target and renamed to backup, replacing an
// older backup, so the target is never missing (GNU install renames the
// target away and only then copies). Where the filesystem has no hard
// links, the old file is copied instead.
func (t *Txn) backUp(target, backup string) (bool, error) {
	if _, err := os.Lstat(target); os.IsNotExist(err) {
		return false, nil
	}
	dir, base := splitTarget(target)
	suffix, err := randomSuffix()
	if err != nil {
		return false, err
	}
	tmp := stagingName(dir, base, suffix)
	err = unix.Link(target, tmp)
	switch err {
	case nil:
	case unix.EPERM, unix.EXDEV, unix.EMLINK, unix.EOPNOTSUPP:
		err = copyTo(target, tmp)
	}
	if err != nil {
		return false, err
	}
	if err := unix.Rename(tmp, backup); err != nil {
		unix.Unlink(tmp)
		return false, err
	}
	// Where backup already was a hard link of target, rename(2) did
	// nothing, and the link made for it would be left behind.
	unix.Unlink(tmp)
	t.logf("%s: backed up to %s", target, backup)
	return true, nil
}

// copyTo copies the file at from to a new file at to, with its mode.
func copyTo(from, to string) error {
	in, err := unix.Open(from, unix.O_RDONLY|unix.O_CLOEXEC, 0)
	if err != nil {
		return err
	}
	defer unix.Close(in)
	var st unix.Stat_t
	if err := unix.Fstat(in, &st); err != nil {
		return err
	}
	out, err := unix.Open(to, unix.O_WRONLY|unix.O_CREAT|unix.O_EXCL|unix.O_CLOEXEC, uint32(st.Mode)&0o7777)
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
