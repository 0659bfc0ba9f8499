package engine

import (
	"os"
	"path/filepath"
	"strconv"
	"sync"

	"golang.org/x/sys/unix"
)

// An unnamed output is a file this process writes itself (ldwrap-install,
// ldwrap-run --stdout, the Go API's Create, WriteFile and Install): nothing
// derives a name from it, so it needs no staging directory. It is made with O_TMPFILE in the
// target's directory and has no name until Commit links it beside the
// target, right before the rename: a process killed while writing leaves
// nothing behind. Measured on ext4 (bench/README.md), a file created in a
// fresh staging directory and renamed out of it costs several times what
// install(1)'s unlink-and-create costs; an unnamed file in the target's
// own directory costs about the same.
type unnamedFile struct {
	fd     int    // read-only: no writable descriptor of a committed file stays open here (golang/go#22315)
	dir    string // the target's directory
	linked bool   // Temp names the file (or, after a failed exchange-back, a foreign entry)
}

// Create stages target for a writer in this process. It returns the Output
// and a descriptor, open for reading and writing, of a new file with mode
// perm (less the umask). The descriptor is the caller's to close, before
// Commit. Where the filesystem has no O_TMPFILE, or /proc (which linking
// the file needs) is not mounted, the file is created in a staging
// directory, as Stage does. A target staged earlier in the transaction is
// dropped first: the last Create wins, as with install(1) run twice.
func (t *Txn) Create(target string, perm uint32) (*Output, int, error) {
	target, staged, err := t.resolve(target)
	if err != nil {
		return nil, -1, err
	}
	if staged != nil {
		t.Drop(staged)
	}
	dir, _ := splitTarget(target)
	if procFDMounted() {
		fd, err := unix.Open(dir, unix.O_TMPFILE|unix.O_RDWR|unix.O_CLOEXEC, perm)
		switch err {
		case nil:
			own, err := reopenReadOnly(fd)
			if err != nil {
				unix.Close(fd)
				return nil, -1, &Error{"create", target, err}
			}
			o := &Output{Target: target, Uid: -1, Gid: -1, unnamed: &unnamedFile{fd: own, dir: dir}}
			t.outputs = append(t.outputs, o)
			return o, fd, nil
		case unix.EOPNOTSUPP, unix.EISDIR, unix.EINVAL:
			// No O_TMPFILE here (EISDIR: a kernel older than 3.11).
		default:
			return nil, -1, &Error{"stage", target, err}
		}
	}
	o, err := t.stageIn(target, false)
	if err != nil {
		return nil, -1, err
	}
	fd, err := unix.Open(o.Temp, unix.O_RDWR|unix.O_CREAT|unix.O_EXCL|unix.O_CLOEXEC, perm)
	if err != nil {
		t.Drop(o)
		return nil, -1, &Error{"create", target, err}
	}
	return o, fd, nil
}

var procFDMounted = func() func() bool {
	var once sync.Once
	var ok bool
	return func() bool {
		once.Do(func() { ok = unix.Access("/proc/self/fd", unix.X_OK) == nil })
		return ok
	}
}()

func procFD(fd int) string { return "/proc/self/fd/" + strconv.Itoa(fd) }

// reopenReadOnly opens the file of fd again, read-only, and locks it: the
// lock tells a sweep that the linked name is a live run's.
func reopenReadOnly(fd int) (int, error) {
	own, err := unix.Open(procFD(fd), unix.O_RDONLY|unix.O_CLOEXEC, 0)
	if err != nil {
		return -1, err
	}
	if err := flockFD(own, unix.LOCK_EX); err != nil {
		unix.Close(own)
		return -1, err
	}
	return own, nil
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
		err := unix.Linkat(unix.AT_FDCWD, procFD(u.fd), unix.AT_FDCWD, path, unix.AT_SYMLINK_FOLLOW)
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

// renamed records that o's linked name is gone (renamed over the target,
// or the old file exchanged to it was removed): Abort must not remove
// whatever another run links there next.
func (o *Output) renamed() {
	if o.unnamed != nil {
		o.unnamed.linked = false
	}
}

// keep leaves the entry that came back from a failed exchange (not ours,
// and not approved) where nothing removes it, and says where that is.
func (o *Output) keep() string {
	u := o.unnamed
	if u == nil {
		o.stage.keep()
		return o.stage.path
	}
	o.Temp = moveToKept(o.Temp)
	u.linked = false
	return o.Temp
}

// release closes an unnamed output's descriptor (an unlinked file is then
// freed) and removes its linked name, unless keep moved a foreign entry
// there.
func (o *Output) release() {
	u := o.unnamed
	if u == nil || u.fd < 0 {
		return
	}
	if u.linked {
		unix.Unlink(o.Temp)
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
	mode := uint32(m.Perm())
	if m&os.ModeSetuid != 0 {
		mode |= unix.S_ISUID
	}
	if m&os.ModeSetgid != 0 {
		mode |= unix.S_ISGID
	}
	if m&os.ModeSticky != 0 {
		mode |= unix.S_ISVTX
	}
	return unix.Fchmod(f.fd, mode)
}

func (f fileRef) chown(uid, gid int) error {
	if f.fd < 0 {
		return os.Lchown(f.path, uid, gid)
	}
	return unix.Fchown(f.fd, uid, gid)
}

func (f fileRef) setxattr(name string, val []byte) error {
	if f.fd < 0 {
		return unix.Lsetxattr(f.path, name, val, 0)
	}
	return unix.Fsetxattr(f.fd, name, val, 0)
}

// open returns a descriptor to read the file, and whether the caller must
// close it.
func (f fileRef) open() (int, bool, error) {
	if f.fd >= 0 {
		return f.fd, false, nil
	}
	fd, err := unix.Open(f.path, unix.O_RDONLY|unix.O_CLOEXEC, 0)
	return fd, err == nil, err
}
