package engine

import (
	"os"

	"golang.org/x/sys/unix"

	"github.com/ldwrap/ldwrap/ldwrap/internal/copyfile"
	"github.com/ldwrap/ldwrap/ldwrap/internal/rawio"
)

// backUp keeps the old target of p under the name p.o.Backup (install
// -b), just before the new file replaces it, and says whether there was
// one. It is a hard link made beside the target and renamed to the backup
// name, replacing an older backup, so the target is never missing (GNU
// install renames the target away and only then copies). A symlink's
// backup is a symlink, as GNU install's: a hard link of it where link(2)
// does not follow it (Linux), which keeps its owner, else a copy. Where the kernel refuses the link
// (protected_hardlinks: another user's file) the new file and the old
// entry exchange names, and the old one is renamed to the backup name:
// then placed is true, the new file is in place. Where neither can be had
// (no hard links, no exchange), the old entry is copied: a file's bytes
// and mode, a symlink's target, a fifo or a socket as one; the copy is the
// caller's.
func (t *Txn) backUp(p *pending) (backedUp, placed bool, err error) {
	target, backup := p.o.Target, p.o.Backup
	old, err := os.Lstat(target)
	if os.IsNotExist(err) {
		return false, false, nil
	}
	isLink := err == nil && old.Mode()&os.ModeSymlink != 0
	dir, base := splitTarget(target)
	suffix, err := randomSuffix()
	if err != nil {
		return false, false, err
	}
	tmp := stagingName(dir, base, suffix)
	err = backupLink(target, tmp)
	if isLink && (err == nil && !isSymlinkAt(tmp) || err != nil && !noHardLink(err)) {
		// link(2) followed the symlink (macOS, the BSDs): a hard link of
		// what it points to, or ENOENT for a dangling one. Copy the link.
		if err == nil {
			rawio.Unlink(tmp)
		}
		err = copySymlink(target, tmp)
	}
	if noHardLink(err) {
		if p.regular {
			switch err := t.exchangeIntoBackup(p); err {
			case nil:
				t.logf("%s: backed up to %s (exchanged)", target, backup)
				return true, true, nil
			case errNotSupported:
			default:
				return false, false, err
			}
		}
		err = copyTo(target, tmp)
	}
	if err != nil {
		return false, false, err
	}
	if err := rawio.Rename(tmp, backup); err != nil {
		rawio.Unlink(tmp)
		return false, false, err
	}
	// Where backup already was a hard link of target, rename(2) did
	// nothing, and the link made for it would be left behind.
	rawio.Unlink(tmp)
	t.logf("%s: backed up to %s", target, backup)
	return true, false, nil
}

// backupLink is the table's link(2) (which never follows a symlink);
// tests make it refuse.
var backupLink = func(from, to string) error { return sys.link(from, to) }

func isSymlinkAt(path string) bool {
	var st unix.Stat_t
	return rawio.Lstat(path, &st) == nil && st.Mode&unix.S_IFMT == unix.S_IFLNK
}

// noHardLink says whether link(2) failed because the filesystem cannot
// give the file another name there: no hard links at all (EPERM, or not
// supported), too many already, or another filesystem.
func noHardLink(err error) bool {
	return err == unix.EPERM || err == unix.EXDEV || err == unix.EMLINK || isNotSupported(err)
}

// exchangeIntoBackup puts p's new file in place of its target by an
// exchange of their names (the target is never missing), then renames the
// old entry, now at the new file's name, to the backup name. The old entry
// keeps its inode, owner and links, as under GNU's rename.
func (t *Txn) exchangeIntoBackup(p *pending) error {
	old, err := os.Lstat(p.o.Target)
	if err != nil {
		return err
	}
	if err := t.replaceable(old, true); err != nil {
		return err
	}
	if err := sys.exchange(p.o.Temp, p.o.Target); err != nil {
		return err
	}
	if st, ok := statOf(old); ok && old.Mode().IsRegular() {
		t.replaced = append(t.replaced, rawio.Inode{Path: p.o.Target, Dev: uint64(st.Dev), Ino: st.Ino})
	}
	return rawio.Rename(p.o.Temp, p.o.Backup)
}

// copyTo copies the entry at from to a new one at to, of its kind: a
// regular file's bytes and mode, a symlink's target (not what it points
// to), a fifo or a socket as a new one with its mode.
func copyTo(from, to string) error {
	var lst unix.Stat_t
	if err := rawio.Lstat(from, &lst); err != nil {
		return err
	}
	switch lst.Mode & unix.S_IFMT {
	case unix.S_IFLNK:
		dest, err := os.Readlink(from)
		if err != nil {
			return err
		}
		return rawio.Symlink(dest, to)
	case unix.S_IFIFO, unix.S_IFSOCK:
		return unix.Mknod(to, uint32(lst.Mode)&(unix.S_IFMT|rawio.ModeBits), 0)
	}
	in, err := rawio.Open(from, unix.O_RDONLY|unix.O_NOFOLLOW|unix.O_NONBLOCK|unix.O_CLOEXEC, 0)
	if err != nil {
		return err
	}
	defer unix.Close(in)
	var st unix.Stat_t
	if err := rawio.Fstat(in, &st); err != nil {
		return err
	}
	out, err := rawio.Open(to, unix.O_WRONLY|unix.O_CREAT|unix.O_EXCL|unix.O_CLOEXEC, uint32(st.Mode)&rawio.ModeBits)
	if err != nil {
		return err
	}
	err = copyfile.Contents(out, in, &st)
	if cerr := unix.Close(out); err == nil {
		err = cerr
	}
	if err != nil {
		os.Remove(to)
	}
	return err
}
