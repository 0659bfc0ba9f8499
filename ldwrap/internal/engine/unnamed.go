package engine

import (
	"errors"
	"os"
	"path/filepath"

	"golang.org/x/sys/unix"

	"github.com/ldwrap/ldwrap/ldwrap/internal/rawio"
)

// An unnamed output is a file this process writes itself (ldwrap-install,
// ldwrap-run --stdout, the Go API's Create, WriteFile and Install): nothing
// derives a name from it, so it needs no staging directory. Where the
// system can (Linux's O_TMPFILE), it is made in the target's directory
// with no name, and Commit links it beside the target right before the
// rename: a process killed while writing leaves nothing behind. Measured
// on ext4 (bench/README.md), a file created in a fresh staging directory
// and renamed out of it costs several times what install(1)'s unlink and
// create cost; an unnamed file in the target's own directory costs about
// the same.
type unnamedFile struct {
	fd     int    // read-only: no writable descriptor of a committed file stays open here (golang/go#22315)
	dir    string // the target's directory
	linked bool   // Temp names the file
	// modeAfter is the mode to give the file back when Create had to add
	// the owner's read bit to open it again (WriteFile(p, b, 0o200)).
	modeAfter *os.FileMode
}

// Create stages target for a writer in this process. It returns the Output
// and a descriptor, open for reading and writing, of a new file with mode
// perm (less the umask). The descriptor is the caller's to close, before
// Commit. Where the system cannot make an unnamed file, the file is created
// in a staging directory, as Stage does. A target staged earlier in the
// transaction is dropped first: the last Create wins, as with install(1)
// run twice.
func (t *Txn) Create(target string, perm uint32) (*Output, int, error) {
	target, staged, err := t.resolve(target)
	if err != nil {
		return nil, -1, err
	}
	return t.create(target, staged, perm)
}

// Redirect is Create for the shell's > target: a symlink is followed (the
// shell opens what it leads to), and where there is an old file, the new
// one is given at once what the old one keeps when > truncates it: its
// owner and group, mode, ACL and extended attributes; then the kernel
// drops setuid and setgid as it does on truncating, where it would. Where
// this process may not give the owner or group (another user's file), it
// fails with ErrInPlace: the caller truncates the target, as the shell
// does.
func (t *Txn) Redirect(target string) (*Output, int, error) {
	target, staged, err := t.resolveAs(target, FollowLink)
	if err != nil {
		return nil, -1, err
	}
	var old unix.Stat_t
	if err := rawio.Stat(target, &old); err != nil || uint32(old.Mode)&unix.S_IFMT != unix.S_IFREG {
		return t.create(target, staged, 0o666)
	}
	o, fd, err := t.create(target, staged, uint32(old.Mode)&(unix.S_IRWXU|unix.S_IRWXG|unix.S_IRWXO))
	if err == nil {
		if err = o.takeAttrs(fd, &old); err != nil {
			unix.Close(fd)
			t.Drop(o)
			err = &Error{"keep the owner and mode of", target, err}
		}
	}
	var e *Error
	var errno unix.Errno
	if errors.As(err, &e) && errors.As(e.Err, &errno) && (rawio.IsDenied(errno) || errno == unix.EROFS) {
		// Another user's file, or a directory this process may not
		// write: the shell's > writes the old file all the same.
		e.Err = inPlace{errno}
	}
	if err != nil {
		return nil, -1, err
	}
	return o, fd, nil
}

// takeAttrs gives o's new file, open as fd, the attributes the old file
// of stat old keeps when the shell's > truncates it.
func (o *Output) takeAttrs(fd int, old *unix.Stat_t) error {
	if err := rawio.Fchown(fd, int(old.Uid), int(old.Gid)); err != nil {
		return err
	}
	f := fileRef{path: o.Temp, fd: fd}
	if err := copyXattrs(o.Target, f); err != nil {
		return err
	}
	if err := rawio.Fchmod(fd, uint32(old.Mode)&rawio.ModeBits); err != nil {
		return err
	}
	if u := o.unnamed; u != nil {
		u.modeAfter = nil // the mode is the old file's, readable or not
	}
	if old.Mode&(unix.S_ISUID|unix.S_ISGID) == 0 {
		return nil
	}
	// Truncating drops them as the kernel would from the old file: for a
	// writer without CAP_FSETID, setuid, and setgid with group execute.
	return rawio.IgnoringEINTR(func() error { return unix.Ftruncate(fd, 0) })
}

// create is Create of a resolved target, staged earlier as staged (or nil).
func (t *Txn) create(target string, staged *Output, perm uint32) (*Output, int, error) {
	if staged != nil {
		t.Drop(staged)
	}
	dir, _ := splitTarget(target)
	fd, err := sys.openUnnamed(dir, perm)
	switch err {
	case nil:
		u, err := ownUnnamed(fd, dir)
		if err != nil {
			unix.Close(fd)
			return nil, -1, &Error{"create", target, err}
		}
		o := &Output{Target: target, Uid: -1, Gid: -1, unnamed: u}
		t.outputs = append(t.outputs, o)
		return o, fd, nil
	case errNotSupported:
	default:
		return nil, -1, &Error{"stage", target, err}
	}
	o, err := t.stageIn(target, false)
	if err != nil {
		return nil, -1, err
	}
	fd, err = rawio.Open(o.Temp, unix.O_RDWR|unix.O_CREAT|unix.O_EXCL|unix.O_CLOEXEC, perm)
	if err != nil {
		t.Drop(o)
		return nil, -1, &Error{"create", target, err}
	}
	return o, fd, nil
}

// ownUnnamed opens the unnamed file of fd again, read-only, and locks it:
// the lock tells a sweep that the linked name is a live run's. A mode
// without the owner's read bit (perm 0o200) would refuse that open, so the
// bit is added for the moment and taken back before the commit.
func ownUnnamed(fd int, dir string) (*unnamedFile, error) {
	u := &unnamedFile{dir: dir}
	var st unix.Stat_t
	if err := rawio.Fstat(fd, &st); err != nil {
		return nil, err
	}
	if st.Mode&unix.S_IRUSR == 0 {
		m := rawio.FileMode(uint32(st.Mode))
		u.modeAfter = &m
		if err := rawio.Fchmod(fd, uint32(st.Mode)&rawio.ModeBits|unix.S_IRUSR); err != nil {
			return nil, err
		}
	}
	own, err := sys.reopenUnnamed(fd)
	if err != nil {
		return nil, err
	}
	if err := flock(own, unix.LOCK_EX); err != nil {
		unix.Close(own)
		return nil, err
	}
	u.fd = own
	return u, nil
}

// link gives o's file its name beside the target, for the rename: the
// first staging name, or, where that is taken, the same after a sweep of
// the target's leftovers, then random ones. The file is locked before it
// has a name, so a sweep never takes it for a leftover.
func (t *Txn) link(o *Output) error {
	u := o.unnamed
	base := filepath.Base(o.Target)
	path := stagingName(u.dir, base, firstSuffix)
	for attempt := 0; attempt < 100; attempt++ {
		err := sys.linkUnnamed(u.fd, path)
		if err == nil {
			o.Temp, u.linked = path, true
			return nil
		}
		if err != unix.EEXIST {
			return err
		}
		if attempt == 0 {
			sweep(u.dir, base, t.logf) // may free the first name
			continue
		}
		suffix, err := randomSuffix()
		if err != nil {
			return err
		}
		path = stagingName(u.dir, base, suffix)
	}
	return unix.EEXIST
}

// renamed records that o's linked name is gone (renamed over the target):
// Abort must not remove whatever another run links there next.
func (o *Output) renamed() {
	if o.unnamed != nil {
		o.unnamed.linked = false
	}
}

// release closes an unnamed output's descriptor (an unlinked file is then
// freed) and removes its linked name.
func (o *Output) release() {
	u := o.unnamed
	if u == nil || u.fd < 0 {
		return
	}
	if u.linked {
		rawio.Unlink(o.Temp)
	}
	unix.Close(u.fd)
	u.fd = -1
}

// fileRef is how prepare reaches a new file: by path inside the private
// staging directory, by descriptor when it is unnamed (its linked name is
// in the target's directory, where another user might swap it for a
// symlink; it is only linked after prepare anyway).
type fileRef struct {
	path string
	fd   int
}

func (o *Output) file() fileRef {
	if o.unnamed != nil {
		return fileRef{fd: o.unnamed.fd}
	}
	return fileRef{path: o.Temp, fd: -1}
}

func (f fileRef) chmod(m os.FileMode) error {
	if f.fd < 0 {
		return os.Chmod(f.path, m)
	}
	return rawio.Fchmod(f.fd, rawio.UnixMode(m))
}

func (f fileRef) chown(uid, gid int) error {
	if f.fd < 0 {
		return os.Lchown(f.path, uid, gid)
	}
	return rawio.Fchown(f.fd, uid, gid)
}

// open returns a descriptor to read the file, and whether the caller must
// close it.
func (f fileRef) open() (int, bool, error) {
	if f.fd >= 0 {
		return f.fd, false, nil
	}
	fd, err := rawio.Open(f.path, unix.O_RDONLY|unix.O_CLOEXEC, 0)
	return fd, err == nil, err
}
