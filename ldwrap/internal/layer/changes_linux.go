package layer

import (
	"path/filepath"
	"sort"

	"golang.org/x/sys/unix"

	"github.com/ldwrap/ldwrap/ldwrap/internal/copyfile"
	"github.com/ldwrap/ldwrap/ldwrap/internal/rawio"
)

// Changes walks upper/, after the overlay is unmounted, and returns what
// it changes under Root, parents before children and siblings by name.
// userxattr is the mount's option (MountOptions). It reads upper/ as
// overlayfs wrote it:
//
//   - a character device 0:0 is a whiteout: the real path is Removed;
//   - a directory marked opaque (overlay.opaque "y") hid the real one's
//     entries: those it does not hold are Removed;
//   - a directory with no real one is DirAdded, and what it holds is
//     listed (Added, DirAdded) as moving with it;
//   - a directory over a real one is walked; it is MetaChanged when its
//     mode, owner or xattrs (ACLs) differ;
//   - a directory over a file, or anything else over a directory, is
//     Replaced, the real one going as a whole;
//   - a file, symlink or special file is Added, or Replaced unless it is
//     a copy-up without a change: the same type, content (or link target,
//     or device), mode, owner, xattrs and mtime as the real one, and no
//     second name in upper/. Opening a file for writing copies it up;
//     bare, that changes nothing, not even the mtime. A rewrite with the
//     same bytes has a new mtime, and is a change, as it is bare.
//
// overlayfs's own xattrs are left out of every comparison.
func (s *Stage) Changes(userxattr bool) ([]Change, error) {
	if s.lock < 0 {
		return nil, fail("commit", s.Root, errRemoved)
	}
	s.prefix = overlayPrefix(userxattr)
	w := &walker{s: s}
	var u, r unix.Stat_t
	if err := rawio.Lstat(s.Upper, &u); err != nil {
		return nil, fail("read", s.Upper, err)
	}
	if err := rawio.Lstat(s.Root, &r); err != nil {
		return nil, fail("read", s.Root, err)
	}
	if err := w.dir("", &u, &r); err != nil {
		return nil, err
	}
	return w.out, nil
}

type walker struct {
	s   *Stage
	out []Change
}

func (w *walker) add(kind Kind, rel string, ino uint64, moved bool) {
	c := Change{Kind: kind, Path: filepath.Join(w.s.Root, rel), ino: ino, moved: moved}
	if kind != Removed {
		c.upper = filepath.Join(w.s.Upper, rel)
	}
	w.out = append(w.out, c)
}

// dir walks the upper directory rel (u), over the real directory (r).
func (w *walker) dir(rel string, u, r *unix.Stat_t) error {
	up, real := filepath.Join(w.s.Upper, rel), filepath.Join(w.s.Root, rel)
	same, err := sameMeta(up, real, u, r, w.s.prefix)
	if err != nil {
		return err
	}
	if !same {
		w.add(MetaChanged, rel, r.Ino, false)
	}
	names, err := rawio.ReadDirNames(up)
	if err != nil {
		return fail("read", up, err)
	}
	inUpper := map[string]bool{}
	for _, n := range names {
		inUpper[n] = true
	}
	opaque, err := getXattr(up, w.s.prefix+"opaque")
	if err == nil && string(opaque) == "y" {
		realNames, err := rawio.ReadDirNames(real)
		if err != nil {
			return fail("read", real, err)
		}
		for _, n := range realNames {
			if !inUpper[n] {
				names = append(names, n) // hidden by the opaque directory: removed
			}
		}
	} else if err != nil && err != unix.ENODATA && !notSupported(err) {
		return fail("read", up, err)
	}
	sort.Strings(names)
	for _, n := range names {
		if !inUpper[n] {
			var st unix.Stat_t
			if err := rawio.Lstat(filepath.Join(real, n), &st); err != nil {
				return fail("read", filepath.Join(real, n), err)
			}
			w.add(Removed, filepath.Join(rel, n), st.Ino, false)
			continue
		}
		if err := w.entry(filepath.Join(rel, n)); err != nil {
			return err
		}
	}
	return nil
}

// entry classifies the upper entry rel.
func (w *walker) entry(rel string) error {
	up, real := filepath.Join(w.s.Upper, rel), filepath.Join(w.s.Root, rel)
	var u, r unix.Stat_t
	if err := rawio.Lstat(up, &u); err != nil {
		return fail("read", up, err)
	}
	err := rawio.Lstat(real, &r)
	if err != nil && err != unix.ENOENT && err != unix.ENOTDIR {
		return fail("read", real, err)
	}
	present := err == nil
	uDir, rDir := isDir(&u), present && isDir(&r)
	switch {
	case isWhiteout(&u):
		if present {
			w.add(Removed, rel, r.Ino, false)
		}
	case uDir && !present:
		w.add(DirAdded, rel, 0, false)
		return w.moved(rel)
	case uDir && rDir:
		return w.dir(rel, &u, &r)
	case uDir || rDir:
		w.add(Replaced, rel, r.Ino, false)
		if uDir {
			return w.moved(rel)
		}
	case !present:
		w.add(Added, rel, 0, false)
	default:
		same, err := unchanged(up, real, &u, &r, w.s.prefix)
		if err != nil {
			return err
		}
		if !same {
			w.add(Replaced, rel, r.Ino, false)
		}
	}
	return nil
}

// moved lists what the new upper directory rel holds: its rename carries
// it. A whiteout there hides nothing.
func (w *walker) moved(rel string) error {
	up := filepath.Join(w.s.Upper, rel)
	names, err := rawio.ReadDirNames(up)
	if err != nil {
		return fail("read", up, err)
	}
	sort.Strings(names)
	for _, n := range names {
		var st unix.Stat_t
		if err := rawio.Lstat(filepath.Join(up, n), &st); err != nil {
			return fail("read", filepath.Join(up, n), err)
		}
		switch {
		case isWhiteout(&st):
		case isDir(&st):
			w.add(DirAdded, filepath.Join(rel, n), 0, true)
			if err := w.moved(filepath.Join(rel, n)); err != nil {
				return err
			}
		default:
			w.add(Added, filepath.Join(rel, n), 0, true)
		}
	}
	return nil
}

func isDir(st *unix.Stat_t) bool { return st.Mode&unix.S_IFMT == unix.S_IFDIR }

func isRegular(st *unix.Stat_t) bool { return st.Mode&unix.S_IFMT == unix.S_IFREG }

// isWhiteout: overlayfs marks a removed lower entry with a character
// device 0:0 of the same name.
func isWhiteout(st *unix.Stat_t) bool {
	return st.Mode&unix.S_IFMT == unix.S_IFCHR && st.Rdev == 0
}

// sameMeta says whether the upper entry up (u) has the mode, owner and
// xattrs of the real one (r), overlayfs's own xattrs aside.
func sameMeta(up, real string, u, r *unix.Stat_t, prefix string) (bool, error) {
	if u.Mode != r.Mode || u.Uid != r.Uid || u.Gid != r.Gid {
		return false, nil
	}
	ux, err := xattrs(up, prefix)
	if err != nil {
		return false, fail("read", up, err)
	}
	rx, err := xattrs(real, "")
	if err != nil {
		return false, fail("read", real, err)
	}
	return sameXattrs(ux, rx), nil
}

// unchanged says whether the upper non-directory up is a copy-up of the
// real one without a change (see Changes).
func unchanged(up, real string, u, r *unix.Stat_t, prefix string) (bool, error) {
	if u.Nlink != 1 || u.Mtim != r.Mtim || u.Size != r.Size || u.Rdev != r.Rdev {
		return false, nil
	}
	if same, err := sameMeta(up, real, u, r, prefix); !same || err != nil {
		return false, err
	}
	switch u.Mode & unix.S_IFMT {
	case unix.S_IFLNK:
		a, err := rawio.Readlink(up)
		if err != nil {
			return false, fail("read", up, err)
		}
		b, err := rawio.Readlink(real)
		if err != nil {
			return false, fail("read", real, err)
		}
		return a == b, nil
	case unix.S_IFREG:
		fd, err := rawio.Open(up, unix.O_RDONLY|unix.O_CLOEXEC|unix.O_NOFOLLOW, 0)
		if err != nil {
			return false, fail("read", up, err)
		}
		defer unix.Close(fd)
		same, err := copyfile.SameContent(fd, real)
		if err != nil {
			return false, fail("compare", real, err)
		}
		return same, nil
	}
	return true, nil
}
