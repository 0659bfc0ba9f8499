package engine

import (
	"os"

	"golang.org/x/sys/unix"

	"github.com/ldwrap/ldwrap/ldwrap/internal/copyfile"
	"github.com/ldwrap/ldwrap/ldwrap/internal/rawio"
)

// seedState is what a seeded file looked like when Seed finished with it.
type seedState struct {
	ino, size    uint64
	mtime, ctime unix.Timespec
}

// Seed starts o's staged file as a copy of its target: the same bytes (a
// reflink where the filesystem has them), mode, times, and owner where this
// process may set it. A tool that appends to its output, updates it (ar r,
// sed -i) or leaves it alone when it exists (cp -n, cp -u) then sees what
// it sees without ldwrap. If the tool leaves the copy as it was, Commit
// keeps the old file. A target that does not exist (or is not a regular
// file) leaves o as Stage made it: empty.
func (t *Txn) Seed(o *Output) error {
	if o.stage == nil || o.seed != nil {
		return nil
	}
	in, err := rawio.Open(o.Target, unix.O_RDONLY|unix.O_CLOEXEC|unix.O_NONBLOCK, 0)
	if err == unix.ENOENT {
		return nil
	}
	if err != nil {
		return &Error{"copy old content of", o.Target, err}
	}
	defer unix.Close(in)
	var old unix.Stat_t
	if err := rawio.Fstat(in, &old); err != nil || uint32(old.Mode)&unix.S_IFMT != unix.S_IFREG {
		return nil
	}
	st, err := seedCopy(o.Temp, in, &old)
	if err != nil {
		os.Remove(o.Temp)
		return &Error{"copy old content of", o.Target, err}
	}
	o.seed = st
	t.logf("%s: staged as a copy of the old file", o.Target)
	return nil
}

func seedCopy(path string, in int, old *unix.Stat_t) (*seedState, error) {
	out, err := rawio.Open(path, unix.O_WRONLY|unix.O_CREAT|unix.O_EXCL|unix.O_CLOEXEC, 0o600)
	if err != nil {
		return nil, err
	}
	defer unix.Close(out)
	if err := copyfile.Contents(out, in); err != nil {
		return nil, err
	}
	if err := rawio.Fchown(out, int(old.Uid), int(old.Gid)); err != nil && !rawio.IsDenied(err) {
		return nil, err
	}
	if err := rawio.Fchmod(out, uint32(old.Mode)&rawio.ModeBits); err != nil {
		return nil, err
	}
	atime, mtime, _ := statTimes(old)
	if err := setTimes(out, path, atime, mtime); err != nil {
		return nil, err
	}
	return seedStateOf(out)
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
