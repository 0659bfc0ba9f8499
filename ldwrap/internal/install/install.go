// Package install copies files into place atomically: each copy is written
// beside its destination, given its mode, owner and times, and renamed over
// the destination (engine.Txn.Create: with no name until then, where the
// system can). ldwrap-install and the Go API's Install and InstallFiles
// share it. Its checks, their order and their messages are GNU install
// 9.1's (copy.c's copy_internal and copy_reg as install runs them).
package install

import (
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strings"
	"syscall"

	"golang.org/x/sys/unix"

	"github.com/ldwrap/ldwrap/ldwrap/internal/cmdline"
	"github.com/ldwrap/ldwrap/ldwrap/internal/copyfile"
	"github.com/ldwrap/ldwrap/ldwrap/internal/engine"
	"github.com/ldwrap/ldwrap/ldwrap/internal/gnumsg"
	"github.com/ldwrap/ldwrap/ldwrap/internal/rawio"
)

// Pair is one file to install.
type Pair struct{ Src, Dst string }

// Options say how to install.
type Options struct {
	Engine engine.Options
	// Mode, when not nil, is the new file's exact mode (no umask);
	// otherwise the source's permission bits, or under Engine.KeepAttrs
	// the old destination's.
	Mode *os.FileMode
	// Uid and Gid, when >= 0, are the new file's owner and group.
	Uid, Gid int
	// PreserveTimes gives the new file the source's access and
	// modification times.
	PreserveTimes bool
	// Compare leaves a destination alone when it already has the source's
	// content and the mode and owner the install would give it (GNU
	// install -C): nothing is copied then, but its owner (if Uid or Gid
	// is set) and mode are given to it again, as GNU does, which fails
	// where this process may not change them.
	Compare bool
	// Strip is the program run on the copy before the commit ("strip"),
	// or "" for none. Its output goes to Stderr (os.Stderr if nil), with
	// the copy's name replaced by the destination's.
	Strip  string
	Stderr io.Writer
	// Backup names the backup of dst (install -b), or "" for none. The
	// backup is a hard link to the old file, made just before the rename:
	// the destination is never missing, where GNU install renames it away
	// first.
	Backup func(dst string) (string, error)
	// NumberedBackups lets a file installed in this call be replaced by
	// another one later in it: its numbered backup keeps it (GNU's rule;
	// otherwise "will not overwrite just-created"). Otherwise
	// BackupSuffix is the simple backups' suffix ("~" if empty), which a
	// source must not be the backup of.
	NumberedBackups bool
	BackupSuffix    string
	// Copied, if set, hears of each copy as soon as it is made (before
	// strip and the commit, where GNU install -v reports it): whether it
	// will replace an existing destination, and the backup of that ("" if
	// none). Unbackup hears that a copy with a backup failed, where GNU
	// install renames the backup back (and -v says so).
	Copied   func(src, dst, backup string, replacing bool)
	Unbackup func(backup, dst string)
	// Failed, if set, hears of each failure as it happens (GNU install
	// reports each at once; Files also returns them all).
	Failed func(err error)
	// Locale quotes the names in messages.
	Locale gnumsg.Locale
}

// Error is one failure of an install, worded as GNU install words it:
// Format's %s are Names, each quoted as GNU quotes a file name, and Err,
// when set, is the cause ("cannot stat 'x': No such file or directory").
type Error struct {
	Format string
	Names  []string
	Err    error
	Locale gnumsg.Locale
	// unbackup is the backup GNU would have renamed back after this
	// failure (its -v says so).
	unbackup, dst string
	// copied says GNU's copy was made before this failure (of the new
	// file's owner or mode, which install.c gives after copy() returns):
	// GNU keeps that file, its backup is not renamed back, and a later
	// install onto it in the same call "will not overwrite just-created".
	copied bool
}

func (e *Error) Error() string {
	args := make([]interface{}, len(e.Names))
	for i, n := range e.Names {
		args[i] = e.Locale.Name(n)
	}
	s := fmt.Sprintf(e.Format, args...)
	if e.Err != nil {
		s += ": " + gnumsg.Strerror(e.Err)
	}
	return s
}

func (e *Error) Unwrap() error { return e.Err }

func (o Options) errorf(err error, format string, names ...string) *Error {
	return &Error{Format: format, Names: names, Err: rawio.Cause(err), Locale: o.Locale}
}

// batch is how many durable (or ordered) files share one commit (one syncfs): each
// holds a descriptor until then, and 1,500 at once outran a soft limit of
// 1,024 descriptors.
const batch = 64

// Files installs each pair. A pair that fails (a missing source, say)
// leaves its destination alone and does not stop the others; Files
// returns every failure, in the order GNU install reports them. Not durable, each file is renamed into place
// as soon as it is written: ext4 allocates inodes far more slowly while
// many it freed a moment before are still recent (its recently_deleted
// check, which perf showed taking half of a batched install), and writing
// every file before replacing any old one makes exactly that happen. A
// destination installed again in one call sees the first install done
// (its numbered backup, its file to replace): the batch is committed
// first.
func Files(pairs []Pair, o Options) []error {
	var errs []error
	txn := engine.New(o.Engine)
	pending := map[string]string{} // the batch's targets: the engine's path -> the destination as named
	created := map[string]string{} // destination -> source, in this call
	failed := o.Failed
	o.Failed = func(err error) {
		errs = append(errs, err)
		if failed != nil {
			failed(err)
		}
	}
	fail := func(err error) {
		o.Failed(err)
		var ie *Error
		if errors.As(err, &ie) && ie.unbackup != "" && o.Unbackup != nil {
			o.Unbackup(ie.unbackup, ie.dst)
		}
	}
	commit := func() {
		if err := txn.Commit(); err != nil {
			fail(o.commitError(err, pending))
		}
		txn = engine.New(o.Engine)
		pending = map[string]string{}
	}
	for _, p := range pairs {
		key := entryKey(p.Dst)
		if _, again := created[key]; again && len(pending) > 0 {
			commit()
		}
		out, err := o.one(txn, p, created[key])
		if err != nil {
			var ie *Error
			if errors.As(err, &ie) && ie.copied {
				created[key] = p.Src
			}
			fail(err)
			continue
		}
		if out != nil {
			created[key] = p.Src
			pending[out.Target] = p.Dst
		}
		if !(o.Engine.Durable || o.Engine.Ordered) || len(pending) >= batch {
			commit()
		}
	}
	commit()
	return errs
}

// commitError words a failed commit as GNU words the step it stands for:
// naming the new file is creating it; keeping the old one is a backup.
func (o Options) commitError(err error, pending map[string]string) error {
	var ee *engine.Error
	if !errors.As(err, &ee) {
		return err
	}
	dst, ok := pending[ee.Path]
	if !ok {
		dst = ee.Path
	}
	switch ee.Op {
	case "back up":
		return o.errorf(ee.Err, "cannot backup %s", dst)
	case "chown":
		return o.errorf(ee.Err, "cannot change ownership of %s", dst)
	case "chmod":
		return o.errorf(ee.Err, "cannot change permissions of %s", dst)
	}
	return o.errorf(ee.Err, "cannot create regular file %s", dst)
}

// plan is what the checks found of one pair: the source (followed), the
// destination's entry (if it exists), the backup name, the mode to give.
type plan struct {
	src, dst unix.Stat_t
	exists   bool
	backup   string
	mode     os.FileMode
}

// check makes GNU install's checks of p, in its order (copy.c): the
// source; the destination; the same file; a destination this call already
// installed (from prev); a directory there; the backup.
func (o Options) check(p Pair, prev string) (plan, error) {
	var pl plan
	if err := rawio.Stat(p.Src, &pl.src); err != nil {
		return pl, o.errorf(err, "cannot stat %s", p.Src)
	}
	if pl.src.Mode&unix.S_IFMT == unix.S_IFDIR {
		return pl, o.errorf(nil, "omitting directory %s", p.Src)
	}
	pl.mode = o.modeFrom(&pl.src)
	err := rawio.Lstat(p.Dst, &pl.dst)
	switch {
	case err == unix.ENOENT:
		return pl, nil
	case err != nil:
		return pl, o.errorf(err, "cannot stat %s", p.Dst)
	}
	pl.exists = true
	// The same file before a just-installed one, as GNU.
	if sameName(p.Src, p.Dst) || !sameFileOK(&pl.src, p.Src, p.Dst, o.Backup != nil) {
		return pl, o.errorf(nil, "%s and %s are the same file", p.Src, p.Dst)
	}
	isDir := pl.dst.Mode&unix.S_IFMT == unix.S_IFDIR
	if !isDir && prev != "" && !o.NumberedBackups {
		return pl, o.errorf(nil, "will not overwrite just-created %s with %s", p.Dst, p.Src)
	}
	if isDir {
		return pl, o.errorf(nil, "cannot overwrite directory %s with non-directory", p.Dst)
	}
	if t := pl.dst.Mode & unix.S_IFMT; t == unix.S_IFCHR || t == unix.S_IFBLK {
		return pl, o.errorf(nil, "will not replace device %s", p.Dst)
	}
	if o.Backup != nil && !dotOrDotDot(cmdline.LastComponent(p.Src)) {
		if !o.NumberedBackups && o.sourceIsBackup(&pl.src, p.Src, p.Dst) {
			return pl, o.errorf(nil, "backing up %s might destroy source;  %s not copied", p.Dst, p.Src)
		}
		if pl.backup, err = o.Backup(p.Dst); err != nil {
			return pl, o.errorf(err, "cannot backup %s", p.Dst)
		}
	}
	return pl, nil
}

// one stages the copy of p in txn, in GNU install's order of checks and
// messages: -C's comparison (nothing to do: no Output); the checks; the
// old destination's removal (here: room for the new file beside it); the
// -v line; then the copy, strip, and the attributes.
func (o Options) one(txn *engine.Txn, p Pair, prev string) (*engine.Output, error) {
	if o.Compare {
		if mode, need := o.needCopy(p.Src, p.Dst); !need {
			// GNU's copy_file skips the copy, but install_file_in_file
			// still runs change_attributes on the destination: an owner
			// or group asked for is given again, which a user who does
			// not own the file may not do (even as a no-op), before
			// anything is said of the source being the destination.
			// The attributes are already the ones given, so the file is
			// unchanged but for its ctime (and, as under GNU, a
			// capability that a chown drops).
			if err := o.setAttrs(-1, p.Dst, p.Dst, mode); err != nil {
				return nil, err
			}
			return nil, nil
		}
	}
	pl, err := o.check(p, prev)
	if err != nil {
		return nil, err
	}
	st, dst, exists, backup, mode := pl.src, pl.dst, pl.exists, pl.backup, pl.mode
	// The new file's descriptor is open from here to its close, under
	// ForkLock (golang/go#22315), and the file dropped on any failure.
	var out *engine.Output
	fd, locked := -1, true
	syscall.ForkLock.RLock()
	unlock := func() {
		if fd >= 0 {
			unix.Close(fd)
			fd = -1
		}
		if locked {
			syscall.ForkLock.RUnlock()
			locked = false
		}
	}
	defer unlock()
	drop := func() {
		unlock()
		if out != nil {
			txn.Drop(out)
			out = nil
		}
	}
	if exists {
		// GNU removes the old destination (or renames it to its backup)
		// before -v speaks of the copy; a directory that takes no new
		// file fails that step, and nothing is said of the copy.
		var err error
		if err = mayReplace(&dst, p.Dst); err == nil {
			out, fd, err = o.create(txn, p.Dst)
		}
		switch {
		case err == nil:
		case !refusesEntries(err):
			return nil, o.errorf(err, "cannot create regular file %s", p.Dst)
		case backup != "":
			return nil, o.errorf(err, "cannot backup %s", p.Dst)
		default:
			return nil, o.errorf(err, "cannot remove %s", p.Dst)
		}
	}
	if o.Copied != nil {
		o.Copied(p.Src, p.Dst, backup, exists && backup == "")
	}
	// From here a failure is one of copying, after which GNU renames the
	// backup it made back.
	copyFailed := func(err *Error) (*engine.Output, error) {
		drop()
		if backup != "" && !err.copied {
			err.unbackup, err.dst = backup, p.Dst
		}
		return nil, err
	}
	if backup != "" {
		// GNU renames the destination to its backup; where the backup is
		// already the destination (a hard link), the rename does nothing
		// and the destination is still there to refuse its O_EXCL create.
		var b unix.Stat_t
		if rawio.Lstat(backup, &b) == nil && b.Dev == dst.Dev && b.Ino == dst.Ino {
			return copyFailed(o.errorf(unix.EEXIST, "cannot create regular file %s", p.Dst))
		}
	}
	in, err := rawio.Open(p.Src, unix.O_RDONLY|unix.O_CLOEXEC, 0)
	if err != nil {
		return copyFailed(o.errorf(err, "cannot open %s for reading", p.Src))
	}
	defer unix.Close(in)
	var ist unix.Stat_t
	if err := rawio.Fstat(in, &ist); err != nil {
		return copyFailed(o.errorf(err, "cannot fstat %s", p.Src))
	}
	if ist.Dev != st.Dev || ist.Ino != st.Ino {
		return copyFailed(o.errorf(nil, "skipping file %s, as it was replaced while being copied", p.Src))
	}
	if out == nil {
		if err := creatable(p.Dst); err != nil {
			return copyFailed(o.errorf(err, "cannot create regular file %s", p.Dst))
		}
		if out, fd, err = o.create(txn, p.Dst); err != nil {
			out = nil
			return copyFailed(o.errorf(err, "cannot create regular file %s", p.Dst))
		}
	}
	cerr := o.fill(fd, in, &st, p, out.Temp, mode)
	err = unix.Close(fd)
	fd = -1
	if err != nil && cerr == nil {
		cerr = o.errorf(err, "failed to close %s", p.Dst)
	}
	unlock()
	if cerr != nil {
		return copyFailed(cerr)
	}
	out.Backup = backup
	if o.Strip != "" {
		if err := o.strip(out.Temp, p.Dst); err != nil {
			drop()
			return nil, err
		}
		if o.PreserveTimes { // strip wrote it again
			if err := rawio.UtimesNanoAt(unix.AT_FDCWD, out.Temp, []unix.Timespec{st.Atim, st.Mtim}, 0); err != nil {
				drop()
				return nil, o.errorf(err, "cannot set timestamps for %s", p.Dst)
			}
		}
		if err := o.setAttrs(-1, out.Temp, p.Dst, mode); err != nil {
			drop()
			err.copied = true
			return nil, err
		}
	}
	if o.Mode != nil || !(o.Engine.KeepAttrs && isRegular(out.Target)) {
		out.Mode = &mode // else the engine carries the old file's mode over
	}
	out.Uid, out.Gid = o.Uid, o.Gid
	return out, nil
}

// modeFrom is the mode a file installed from src gets.
func (o Options) modeFrom(src *unix.Stat_t) os.FileMode {
	if o.Mode != nil {
		return *o.Mode
	}
	return rawio.FileMode(uint32(src.Mode))
}

// fill writes the new file open as fd as GNU's copy_reg does: its ACL
// the mode alone, the source's bytes, -p's times; then, unless strip is
// to run on it, its owner and mode.
func (o Options) fill(fd, in int, st *unix.Stat_t, p Pair, temp string, mode os.FileMode) *Error {
	if o.Mode != nil {
		if err := engine.DropAccessACL(fd); err != nil {
			return o.errorf(err, "setting permissions for %s", p.Dst)
		}
	}
	if err := copyfile.Contents(fd, in, st); err != nil {
		return o.copyError(err, p)
	}
	if o.PreserveTimes {
		if err := futimens(fd, temp, st.Atim, st.Mtim); err != nil {
			return o.errorf(err, "preserving times for %s", p.Dst)
		}
	}
	if o.Strip != "" {
		return nil
	}
	if err := o.setAttrs(fd, "", p.Dst, mode); err != nil {
		err.copied = true
		return err
	}
	return nil
}

// setAttrs gives the new file (open as fd, else at path) its owner and
// then its mode, as GNU's change_attributes does, so that a failure is
// this file's, said at once. The engine gives them again before the
// rename, after what LDWRAP_KEEP_ATTRS carries over.
func (o Options) setAttrs(fd int, path, dst string, mode os.FileMode) *Error {
	if o.Uid >= 0 || o.Gid >= 0 {
		var err error
		if fd >= 0 {
			err = rawio.Fchown(fd, o.Uid, o.Gid)
		} else {
			err = rawio.IgnoringEINTR(func() error { return unix.Lchown(path, o.Uid, o.Gid) })
		}
		if err != nil {
			return o.errorf(err, "cannot change ownership of %s", dst)
		}
	}
	if o.Mode == nil && o.Engine.KeepAttrs {
		return nil
	}
	var err error
	if fd >= 0 {
		err = rawio.Fchmod(fd, rawio.UnixMode(mode))
	} else {
		err = rawio.Chmod(path, rawio.UnixMode(mode))
	}
	if err != nil {
		return o.errorf(err, "cannot change permissions of %s", dst)
	}
	return nil
}

// copyError words a failed copy: a full disk is the new file's write,
// anything else the source's read.
func (o Options) copyError(err error, p Pair) *Error {
	switch rawio.Cause(err) {
	case unix.ENOSPC, unix.EDQUOT, unix.EFBIG:
		return o.errorf(err, "error writing %s", p.Dst)
	}
	return o.errorf(err, "error reading %s", p.Src)
}

// refusesEntries says whether err, from making a file in a directory, is
// one that removing or renaming an entry there meets as well.
func refusesEntries(err error) bool {
	for _, e := range []error{unix.EACCES, unix.EPERM, unix.EROFS} {
		if errors.Is(err, e) {
			return true
		}
	}
	return false
}

// mayReplace says why the entry dst (old is its lstat) could not be
// removed or renamed away: in a sticky directory (/tmp), only by root or
// the owner of the entry or of the directory (the kernel's rule, which
// the rename over it would meet).
func mayReplace(old *unix.Stat_t, dst string) error {
	uid := uint32(os.Geteuid())
	if uid == 0 || old.Uid == uid {
		return nil
	}
	var dir unix.Stat_t
	if rawio.Stat(dirName(dst), &dir) == nil && dir.Mode&unix.S_ISVTX != 0 && dir.Uid != uid {
		return unix.EPERM
	}
	return nil
}

// creatable says why open(dst, O_CREAT|O_EXCL) would fail where nothing
// is at dst, as GNU finds out by trying: a name ending in a slash is no
// regular file, and a missing directory has no room for one. Staging
// must not get as far as cleaning such a name into another one.
func creatable(dst string) error {
	if dst == "" {
		return unix.ENOENT
	}
	var st unix.Stat_t
	if err := rawio.Stat(dirName(dst), &st); err != nil {
		return err
	}
	if st.Mode&unix.S_IFMT != unix.S_IFDIR {
		return unix.ENOTDIR
	}
	if strings.HasSuffix(dst, "/") && rawio.Lstat(dst, &st) != nil {
		return unix.ENOTDIR
	}
	return nil
}

// dirName is gnulib's dir_name: dst without its last component and the
// slashes before it, "." where that leaves nothing, "/" for the root. No
// ".." is cleaned away: the kernel resolves what is left.
func dirName(p string) string {
	base := cmdline.LastComponent(p)
	d := strings.TrimRight(p[:len(p)-len(base)], "/")
	switch {
	case d != "":
		return d
	case strings.HasPrefix(p, "/"):
		return "/"
	}
	return "."
}

// baseName is last_component without its trailing slashes (base_len).
func baseName(p string) string {
	b := cmdline.LastComponent(p)
	if t := strings.TrimRight(b, "/"); t != "" {
		return t
	}
	return b
}

// entryKey names the directory entry p leads to, as GNU's same_name
// compares two names: its directory's device and inode, and its last
// component. A path whose directory is missing keys by its text.
func entryKey(p string) string {
	var st unix.Stat_t
	if rawio.Stat(dirName(p), &st) != nil {
		return "?" + p
	}
	return fmt.Sprintf("%d:%d/%s", st.Dev, st.Ino, baseName(p))
}

func dotOrDotDot(name string) bool {
	name = strings.TrimRight(name, "/")
	return name == "." || name == ".."
}

// sourceIsBackup is copy.c's source_is_dst_backup: src is named dst's
// simple backup name and is that file, which backing up dst (renaming it
// there) would destroy.
func (o Options) sourceIsBackup(src *unix.Stat_t, srcPath, dst string) bool {
	suffix := o.BackupSuffix
	if suffix == "" {
		suffix = "~"
	}
	if cmdline.LastComponent(srcPath) != cmdline.LastComponent(dst)+suffix {
		return false
	}
	var b unix.Stat_t
	return rawio.Stat(dst+suffix, &b) == nil && b.Dev == src.Dev && b.Ino == src.Ino
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
		return nil, -1, err
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
		return !sameName(srcPath, dst)
	}
	if sameLink && d.Nlink > 1 && !sameName(srcPath, dst) {
		return true
	}
	return false
}

// sameName is gnulib's same_name: src and dst name one directory entry
// (the same last component in the same directory, install lnk ./lnk with
// lnk a symlink). GNU install removes dst, which is its own source, and
// then fails to read it; ldwrap refuses.
func sameName(src, dst string) bool {
	if baseName(src) != baseName(dst) {
		return false
	}
	var a, b unix.Stat_t
	return rawio.Stat(dirName(src), &a) == nil && rawio.Stat(dirName(dst), &b) == nil && a.Dev == b.Dev && a.Ino == b.Ino
}

// needCopy is GNU install -C's test: a copy is needed unless the
// destination is a regular file with the source's size and content, the
// mode the install would give, and the owner and group it would give
// (this process's own when none is asked for). A mode with setuid, setgid
// or sticky bits is always copied. mode is the one the install gives.
func (o Options) needCopy(srcPath, dst string) (mode os.FileMode, need bool) {
	const extra = os.ModeSetuid | os.ModeSetgid | os.ModeSticky
	if o.Mode != nil && *o.Mode&extra != 0 {
		return mode, true
	}
	// The source as it is named: install 9.1 compares through a symlink
	// (lstat, where later releases stat it).
	var d, src unix.Stat_t
	if rawio.Lstat(srcPath, &src) != nil || rawio.Lstat(dst, &d) != nil ||
		d.Mode&unix.S_IFMT != unix.S_IFREG || src.Mode&unix.S_IFMT != unix.S_IFREG {
		return mode, true
	}
	mode = o.modeFrom(&src)
	if rawio.FileMode(uint32(src.Mode))&extra != 0 || rawio.FileMode(uint32(d.Mode))&extra != 0 {
		return mode, true
	}
	uid, gid := o.Uid, o.Gid
	if uid < 0 {
		uid = os.Getuid()
	}
	if gid < 0 {
		gid = os.Getgid()
	}
	if d.Size != src.Size || uint32(d.Mode)&rawio.ModeBits != rawio.UnixMode(mode) || int(d.Uid) != uid || int(d.Gid) != gid {
		return mode, true
	}
	in, err := rawio.Open(srcPath, unix.O_RDONLY|unix.O_CLOEXEC, 0)
	if err != nil {
		return mode, true
	}
	defer unix.Close(in)
	same, err := copyfile.SameContent(in, dst)
	return mode, err != nil || !same
}

func isRegular(path string) bool {
	fi, err := os.Lstat(path)
	return err == nil && fi.Mode().IsRegular()
}

// strip runs the strip program on the copy at path, as GNU install runs
// it on dst: the program and the file's name, nothing else. What it says
// names dst, as it would under GNU install, and a failure is GNU's.
func (o Options) strip(path, dst string) error {
	if strings.HasPrefix(path, "-") {
		path = "./" + path
	}
	stderr := o.Stderr
	if stderr == nil {
		stderr = os.Stderr
	}
	cmd := exec.Command(o.Strip, path)
	out, err := cmd.CombinedOutput()
	if len(out) > 0 {
		stderr.Write([]byte(strings.ReplaceAll(string(out), path, dst)))
	}
	if err == nil {
		return nil
	}
	abnormal := o.errorf(nil, "strip process terminated abnormally")
	if _, exited := err.(*exec.ExitError); !exited {
		if errors.Is(err, exec.ErrNotFound) {
			err = unix.ENOENT // what execlp says of a program not on PATH
		}
		// GNU reports two failures, this one first. Files has set
		// Failed to collect every failure.
		o.Failed(o.errorf(err, "cannot run %s", o.Strip))
	}
	return abnormal
}
