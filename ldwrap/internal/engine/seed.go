package engine

import (
	"os"

	"golang.org/x/sys/unix"

	"github.com/ldwrap/ldwrap/ldwrap/internal/copyfile"
	"github.com/ldwrap/ldwrap/ldwrap/internal/rawio"
)

// seedState is what a seeded file looked like when Seed finished with it.
type seedState struct {
	dev, oldIno  uint64 // the target's file that was copied
	ino, size    uint64
	mtime, ctime unix.Timespec
}

// Seed starts o's staged file as a copy of its target, the file the tool
// would find without ldwrap: the same bytes (a reflink where the
// filesystem has them; holes stay holes), owner, mode, ACL, extended
// attributes and times. A tool that appends to its output, updates it (ar
// r, sed -i) or leaves it alone when it exists (cp -n, cp -u) then sees
// what it sees without ldwrap, and leaves what it leaves there. If the
// tool leaves the copy as it was, Commit keeps the old file; if it
// removes it, Commit removes the target. A target that does not exist (or
// is not a regular file) leaves o as Stage made it: empty.
//
// A target this process may not read (mode 0200), or whose owner or group
// it may not give a copy (another user's file), cannot be copied: Seed
// fails with ErrInPlace, and the tool is to write it in place.
func (t *Txn) Seed(o *Output) error {
	if o.stage == nil || o.seed != nil {
		return nil
	}
	in, err := rawio.Open(o.Target, unix.O_RDONLY|unix.O_CLOEXEC|unix.O_NONBLOCK, 0)
	if err == unix.ENOENT {
		return nil
	}
	if rawio.IsDenied(err) && access(o.Target, unix.W_OK) == nil {
		return &Error{"copy old content of", o.Target, inPlace{err}} // 0200: appended to bare
	}
	if err != nil {
		return &Error{"copy old content of", o.Target, err}
	}
	defer unix.Close(in)
	var old unix.Stat_t
	if err := rawio.Fstat(in, &old); err != nil || uint32(old.Mode)&unix.S_IFMT != unix.S_IFREG {
		return nil
	}
	st, err := seedCopy(o.Temp, o.Target, in, &old)
	if err != nil {
		os.Remove(o.Temp)
		return &Error{"copy old content of", o.Target, err}
	}
	o.seed = st
	t.logf("%s: staged as a copy of the old file", o.Target)
	return nil
}

// seedCopy makes the file at path a copy of target, open as in, of stat
// old.
func seedCopy(path, target string, in int, old *unix.Stat_t) (*seedState, error) {
	out, err := rawio.Open(path, unix.O_WRONLY|unix.O_CREAT|unix.O_EXCL|unix.O_CLOEXEC, 0o600)
	if err != nil {
		return nil, err
	}
	defer unix.Close(out)
	if err := rawio.Fchown(out, int(old.Uid), int(old.Gid)); rawio.IsDenied(err) {
		// Another user's file (or group) that this process may write
		// keeps its owner bare, written in place. One it may not write
		// a tool can only replace bare, with a file of this process's,
		// as the copy is.
		if access(target, unix.W_OK) == nil {
			return nil, inPlace{err}
		}
	} else if err != nil {
		return nil, err
	}
	if err := copyfile.Contents(out, in, old); err != nil {
		return nil, err
	}
	// After the bytes, whose writing clears setuid and file capabilities.
	// The mode last: with the old ACL set it changes nothing (the group
	// bits are its mask), without one it is the old mode.
	if err := copyXattrs(target, fileRef{path: path, fd: out}); err != nil {
		return nil, err
	}
	if err := rawio.Fchmod(out, uint32(old.Mode)&rawio.ModeBits); err != nil {
		return nil, err
	}
	atime, mtime, _ := statTimes(old)
	if err := setTimes(out, path, atime, mtime); err != nil {
		return nil, err
	}
	st, err := seedStateOf(out)
	if st != nil {
		st.dev, st.oldIno = uint64(old.Dev), uint64(old.Ino)
	}
	return st, err
}

func seedStateOf(fd int) (*seedState, error) {
	var st unix.Stat_t
	if err := rawio.Fstat(fd, &st); err != nil {
		return nil, err
	}
	_, mtime, ctime := statTimes(&st)
	return &seedState{ino: uint64(st.Ino), size: uint64(st.Size), mtime: mtime, ctime: ctime}, nil
}

// unchanged says whether the file at path is still the seeded copy, by
// its inode, size and times. Equal times are not proof (a change within
// one tick of the clock keeps them), so the caller compares the content.
func (s *seedState) unchanged(path string) (bool, error) {
	var st unix.Stat_t
	if err := rawio.Lstat(path, &st); err != nil {
		return false, err
	}
	_, mtime, ctime := statTimes(&st)
	return uint64(st.Ino) == s.ino && uint64(st.Size) == s.size && mtime == s.mtime && ctime == s.ctime, nil
}
