// Package install copies files into place atomically: each copy is written
// beside its destination, given its mode, owner and times, and renamed over
// the destination (engine.Txn.Create: with no name until then, where the
// system can). ldwrap-install and the Go API's Install and InstallFiles
// share it.
package install

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"

	"golang.org/x/sys/unix"

	"github.com/ldwrap/ldwrap/ldwrap/internal/copyfile"
	"github.com/ldwrap/ldwrap/ldwrap/internal/engine"
	"github.com/ldwrap/ldwrap/ldwrap/internal/rawio"
)

// Pair is one file to install.
type Pair struct{ Src, Dst string }

// Options say how to install.
type Options struct {
	Engine engine.Options
	// Mode, when ModeSet, is the new file's exact mode (no umask);
	// otherwise the source's permission bits, or under Engine.KeepAttrs
	// the old destination's.
	Mode    os.FileMode
	ModeSet bool
	// Uid and Gid, when >= 0, are the new file's owner and group.
	Uid, Gid int
	// PreserveTimes gives the new file the source's access and
	// modification times.
	PreserveTimes bool
	// Compare leaves a destination alone when it already has the source's
	// content and the mode and owner the install would give it (GNU
	// install -C): nothing is copied then.
	Compare bool
	// Strip is the program run on the copy before the commit ("strip"),
	// or "" for none.
	Strip string
	// Backup names the backup of dst (install -b), or "" for none. The
	// backup is a hard link to the old file, made just before the rename:
	// the destination is never missing, where GNU install renames it away
	// first.
	Backup func(dst string) (string, error)
	// NumberedBackups lets a file installed in this call be replaced by
	// another one later in it: its numbered backup keeps it (GNU's rule;
	// otherwise "will not overwrite just-created").
	NumberedBackups bool
	// Copied, if set, hears of each copy as soon as it is made (before
	// strip and the commit, where GNU install -v reports it): whether it
	// will replace an existing destination, and the backup of that ("" if
	// none).
	Copied func(src, dst, backup string, replacing bool)
	// Failed, if set, hears of each failure as it happens (GNU install
	// reports each at once; Files also returns them all).
	Failed func(err error)
}

// Errors is several failures of one install, one per line.
type Errors []error

func (e Errors) Error() string {
	lines := make([]string, len(e))
	for i, err := range e {
		lines[i] = err.Error()
	}
	return strings.Join(lines, "\n")
}

// batch is how many durable (or ordered) files share one commit (one syncfs): each
// holds a descriptor until then, and 1,500 at once outran a soft limit of
// 1,024 descriptors.
const batch = 64

// Files installs each pair. A pair that fails (a missing source, say)
// leaves its destination alone and does not stop the others; the error
// then lists every failure. Not durable, each file is renamed into place
// as soon as it is written: ext4 allocates inodes far more slowly while
// many it freed a moment before are still recent (its recently_deleted
// check, which perf showed taking half of a batched install), and writing
// every file before replacing any old one makes exactly that happen.
func Files(pairs []Pair, o Options) error {
	var errs Errors
	txn := engine.New(o.Engine)
	pending := 0
	created := map[string]string{} // destination -> source, in this call
	fail := func(err error) {
		errs = append(errs, err)
		if o.Failed != nil {
			o.Failed(err)
		}
	}
	commit := func() {
		if err := txn.Commit(); err != nil {
			fail(err)
		}
		txn, pending = engine.New(o.Engine), 0
	}
	for _, p := range pairs {
		staged, err := o.one(txn, p, created)
		if err != nil {
			fail(err)
			continue
		}
		if staged {
			created[filepath.Clean(p.Dst)] = p.Src
			pending++
		}
		if !(o.Engine.Durable || o.Engine.Ordered) || pending >= batch {
			commit()
		}
	}
	commit()
	if len(errs) == 0 {
		return nil
	}
	return errs
}

// one stages the copy of p in txn, in GNU install's order of checks and
// messages: the source; -C's comparison (nothing to do: staged is false);
// a destination this call already installed; the same file; the backup;
// the -v line; then the copy, strip, and the attributes.
func (o Options) one(txn *engine.Txn, p Pair, created map[string]string) (staged bool, err error) {
	in, err := rawio.Open(p.Src, unix.O_RDONLY|unix.O_CLOEXEC, 0)
	if err != nil {
		return false, &engine.Error{Op: "open", Path: p.Src, Err: err}
	}
	defer unix.Close(in)
	var st unix.Stat_t
	if err := rawio.Fstat(in, &st); err != nil {
		return false, &engine.Error{Op: "stat", Path: p.Src, Err: err}
	}
	if st.Mode&unix.S_IFMT == unix.S_IFDIR {
		return false, &engine.Error{Op: "install", Path: p.Src, Err: syscall.EISDIR}
	}
	mode := rawio.FileMode(uint32(st.Mode))
	if o.ModeSet {
		mode = o.Mode
	}
	if o.Compare && !o.needCopy(in, &st, p.Src, p.Dst, mode) {
		return false, nil
	}
	// GNU's order (copy.c): the same file before a just-installed one.
	if sameEntry(p.Src, p.Dst) || !sameFileOK(&st, p.Src, p.Dst, o.Backup != nil) {
		return false, &engine.Error{Op: "install", Path: p.Src, Err: fmt.Errorf("%s and %s are the same file", p.Src, p.Dst)}
	}
	if prev, ok := created[filepath.Clean(p.Dst)]; ok && !o.NumberedBackups {
		return false, &engine.Error{Op: "install", Path: p.Src, Err: fmt.Errorf("will not overwrite %s, just installed from %s", p.Dst, prev)}
	}
	dfi, lerr := os.Lstat(p.Dst)
	exists := lerr == nil
	if exists && dfi.IsDir() {
		return false, &engine.Error{Op: "install", Path: p.Src, Err: fmt.Errorf("cannot overwrite directory %s with a file", p.Dst)}
	}
	backup := ""
	if o.Backup != nil && exists {
		if backup, err = o.Backup(p.Dst); err != nil {
			return false, &engine.Error{Op: "back up", Path: p.Dst, Err: err}
		}
	}
	if o.Copied != nil {
		o.Copied(p.Src, p.Dst, backup, exists && backup == "")
	}
	syscall.ForkLock.RLock()
	out, fd, err := o.create(txn, p.Dst)
	if err != nil {
		syscall.ForkLock.RUnlock()
		return false, err
	}
	err = copyfile.Contents(fd, in)
	if err == nil && o.PreserveTimes {
		err = futimens(fd, out.Temp, st.Atim, st.Mtim)
	}
	if cerr := unix.Close(fd); err == nil {
		err = cerr
	}
	syscall.ForkLock.RUnlock()
	if err != nil {
		txn.Drop(out)
		return false, &engine.Error{Op: "copy", Path: p.Dst, Err: err}
	}
	out.Backup = backup
	if o.Strip != "" {
		if err := strip(o.Strip, out.Temp); err != nil {
			txn.Drop(out)
			return false, &engine.Error{Op: "strip", Path: p.Dst, Err: err}
		}
		if o.PreserveTimes { // strip wrote it again
			if err := rawio.UtimesNanoAt(unix.AT_FDCWD, out.Temp, []unix.Timespec{st.Atim, st.Mtim}, 0); err != nil {
				txn.Drop(out)
				return false, &engine.Error{Op: "copy", Path: p.Dst, Err: err}
			}
		}
	}
	switch {
	case o.ModeSet:
		out.Mode, out.ModeSet = o.Mode, true
	case o.Engine.KeepAttrs && isRegular(out.Target):
		// The engine carries the old file's mode over.
	default:
		out.Mode, out.ModeSet = mode, true
	}
	out.Uid, out.Gid = o.Uid, o.Gid
	return true, nil
}

// create makes the new file for dst: with no name where nothing must run
// on it, in a staging directory where strip must.
func (o Options) create(txn *engine.Txn, dst string) (*engine.Output, int, error) {
	if o.Strip == "" {
		return txn.Create(dst, 0o600)
	}
	out, err := txn.Stage(dst)
	if err != nil {
		return nil, -1, err
	}
	fd, err := rawio.Open(out.Temp, unix.O_RDWR|unix.O_CREAT|unix.O_EXCL|unix.O_CLOEXEC, 0o600)
	if err != nil {
		txn.Drop(out)
		return nil, -1, &engine.Error{Op: "create", Path: dst, Err: err}
	}
	return out, fd, nil
}

// sameFileOK is GNU copy.c's same_file_ok as install(1) runs it (the
// source followed, the destination removed before it is written): src and
// dst may be one file only as two hard links of it, or where a backup
// keeps it; a symlink onto its own target is "the same file".
func sameFileOK(src *unix.Stat_t, srcPath, dst string, backup bool) bool {
	var d unix.Stat_t
	if rawio.Lstat(dst, &d) != nil || d.Dev != src.Dev || d.Ino != src.Ino {
		return true
	}
	var sl unix.Stat_t
	if rawio.Lstat(srcPath, &sl) != nil {
		return true
	}
	srcLink := sl.Mode&unix.S_IFMT == unix.S_IFLNK
	sameLink := sl.Dev == d.Dev && sl.Ino == d.Ino
	if backup {
		if !sameLink {
			return !srcLink
		}
		return !sameEntry(srcPath, dst)
	}
	if sameLink && d.Nlink > 1 && !sameEntry(srcPath, dst) {
		return true
	}
	return false
}

// sameEntry says whether src and dst name one directory entry (install
// lnk ./lnk with lnk a symlink): GNU install removes dst, which is its own
// source, and then fails to read it; ldwrap refuses.
func sameEntry(src, dst string) bool {
	if filepath.Base(src) != filepath.Base(dst) {
		return false
	}
	var a, b unix.Stat_t
	return rawio.Stat(filepath.Dir(src), &a) == nil && rawio.Stat(filepath.Dir(dst), &b) == nil && a.Dev == b.Dev && a.Ino == b.Ino
}

// needCopy is GNU install -C's test: a copy is needed unless the
// destination is a regular file with the source's size and content, the
// mode the install would give, and the owner and group it would give
// (this process's own when none is asked for). A mode with setuid, setgid
// or sticky bits is always copied.
func (o Options) needCopy(in int, src *unix.Stat_t, srcPath, dst string, mode os.FileMode) bool {
	const extra = os.ModeSetuid | os.ModeSetgid | os.ModeSticky
	if mode&extra != 0 {
		return true
	}
	// The source as it is named: install 9.1 copies through a symlink
	// (lstat, where later releases stat it).
	var d, sl unix.Stat_t
	if rawio.Lstat(dst, &d) != nil || d.Mode&unix.S_IFMT != unix.S_IFREG || src.Mode&unix.S_IFMT != unix.S_IFREG ||
		rawio.Lstat(srcPath, &sl) != nil || sl.Mode&unix.S_IFMT != unix.S_IFREG {
		return true
	}
	if rawio.FileMode(uint32(src.Mode))&extra != 0 || rawio.FileMode(uint32(d.Mode))&extra != 0 {
		return true
	}
	uid, gid := o.Uid, o.Gid
	if uid < 0 {
		uid = os.Getuid()
	}
	if gid < 0 {
		gid = os.Getgid()
	}
	if d.Size != src.Size || uint32(d.Mode)&0o7777 != rawio.UnixMode(mode) || int(d.Uid) != uid || int(d.Gid) != gid {
		return true
	}
	same, err := copyfile.SameContent(in, dst)
	return err != nil || !same
}

func isRegular(path string) bool {
	fi, err := os.Lstat(path)
	return err == nil && fi.Mode().IsRegular()
}

// strip runs the strip program on path, as GNU install runs it: the
// program and the file's name, nothing else.
func strip(program, path string) error {
	if strings.HasPrefix(path, "-") {
		path = "./" + path
	}
	out, err := exec.Command(program, path).CombinedOutput()
	if len(out) > 0 {
		os.Stderr.Write(out)
	}
	if err != nil {
		return fmt.Errorf("%s: %v", program, err)
	}
	return nil
}
