// Package engine makes the outputs of a build step appear atomically.
//
// A step's outputs are staged: the tool writes each one into a private
// directory beside its target, and Commit renames it over the target. The
// guarantee, stated the way google/renameio states its own:
//
//   - Atomicity: a reader that opens the target sees the old file or the new
//     one, never a partial file, and never a missing path if the target
//     existed before. Processes that have the old file open or mapped (a
//     running program, a loaded shared library) keep the old inode.
//   - Nothing lost: until Commit renames a file, its target is not unlinked,
//     truncated or moved. A step that fails, is aborted, or is killed leaves
//     every target byte-identical. Leftovers of a killed step are swept by
//     the next step that stages the same target, once their owner is gone.
//   - Durability only on request: with Options.Durable, Commit fsyncs each
//     file before the rename and the directory after it, so the new file
//     survives a power cut. Without it, the rename is atomic for running
//     processes but a crash of the machine may revert it.
//   - Several outputs: each rename is atomic on its own; the set is not.
//     Side files are committed before the primary outputs, so a crash
//     between them leaves the primary output old (and so out of date for
//     make) rather than new with stale side files.
//
// The staging directory is created with mkdir(2) (which never follows a
// symlink), mode 0700, so another user cannot plant or read anything in it,
// even in a sticky world-writable directory. It keeps each output's basename,
// so names that a tool derives from its output (depfiles, .dwo, .su) are
// right. The owner holds an flock(2) on it for as long as it lives; the lock
// dies with the process, which is how a sweep tells a leftover of a killed
// run from the directory of a live parallel one.
//
// A file this process writes itself (Create) needs none of that: it is made
// unnamed (O_TMPFILE) in the target's directory, and linked beside the
// target only for the rename (unnamed.go).
package engine

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"syscall"
	"time"

	"golang.org/x/sys/unix"
)

// SymlinkPolicy says what Stage does when the target is a symbolic link.
type SymlinkPolicy int

const (
	// ReplaceLink replaces the link itself with the new file, as lld and
	// mold do. The file the link pointed to is left alone.
	ReplaceLink SymlinkPolicy = iota
	// FollowLink resolves the link and replaces the file it points to; the
	// link keeps pointing at the (new) file.
	FollowLink
)

// SkipIdentical says what Commit does when a new file has exactly the bytes,
// mode and owner of the file it would replace.
type SkipIdentical int

const (
	// AlwaysReplace renames the new file over the old one.
	AlwaysReplace SkipIdentical = iota
	// KeepAndTouch keeps the old inode (running processes and hard links
	// are unaffected) and sets its mtime to now, so make does not keep
	// rebuilding.
	KeepAndTouch
	// KeepUntouched keeps the old inode and its mtime, for ninja's restat.
	KeepUntouched
)

// Options are the policies of one transaction. The zero value is the default
// for links: not durable, replace symlinks, the tool's own mode and owner,
// always replace.
type Options struct {
	Durable   bool
	Symlinks  SymlinkPolicy
	KeepAttrs bool // carry the old file's mode, owner, group and xattrs onto the new file before the rename
	Skip      SkipIdentical
	// Logf, if set, receives one line for each decision (verbose mode).
	Logf func(format string, args ...interface{})
	// Warnf, if set, receives warnings (a hard link broken by the rename).
	Warnf func(format string, args ...interface{})
}

// ErrSpecial is returned by Stage for targets that cannot be replaced by
// rename: "-", devices, fifos and sockets. Callers pass such steps through.
var ErrSpecial = errors.New("not a regular file")

// Error is a failure of the engine, with the path it concerns.
type Error struct {
	Op   string
	Path string
	Err  error
}

func (e *Error) Error() string { return e.Op + " " + e.Path + ": " + Cause(e.Err).Error() }
func (e *Error) Unwrap() error { return e.Err }

// Cause drops the "op path:" prefix of *os.PathError and *os.LinkError, so
// that every message keeps to one "ldwrap: <what> <path>: <cause>" form.
func Cause(err error) error {
	var pe *os.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	var le *os.LinkError
	if errors.As(err, &le) {
		return le.Err
	}
	return err
}

// Output is one staged file.
type Output struct {
	Target string // the path that Commit replaces
	Temp   string // the path the tool must write
	// Mode, Uid and Gid, when set (Mode != 0, Uid/Gid >= 0), are applied to
	// the new file before the rename. They win over Options.KeepAttrs.
	Mode     os.FileMode
	Uid, Gid int

	stage *stagingDir
	side  bool
	// An output created with Create, while it has no name of its own: a
	// read-only descriptor of the unnamed file, and the target's directory.
	// Temp stays empty until Commit links the file there.
	unnamed *unnamedFile
}

// Txn is one step's set of staged outputs. It is not safe for concurrent use.
type Txn struct {
	opts     Options
	stages   []*stagingDir
	outputs  []*Output
	replaced []Replaced
	done     bool
}

// Replaced is a regular file that Commit replaced: its inode lives on for
// the processes that still have it open, mapped or running.
type Replaced struct {
	Path     string
	Dev, Ino uint64
}

// Replaced lists the regular files Commit replaced, in commit order.
func (t *Txn) Replaced() []Replaced { return t.replaced }

// New starts a transaction.
func New(opts Options) *Txn { return &Txn{opts: opts} }

func (t *Txn) logf(format string, args ...interface{}) {
	if t.opts.Logf != nil {
		t.opts.Logf(format, args...)
	}
}

// Stage prepares target and returns the Output whose Temp the tool must write
// instead. Staging the same target twice returns the same Output. It fails
// with ErrSpecial (wrapped) for targets that are not regular files, and with
// EISDIR for a directory.
func (t *Txn) Stage(target string) (*Output, error) { return t.stage(target, false) }

// StageSide is Stage for a side output (a depfile): Commit puts it in place
// before the outputs staged with Stage.
func (t *Txn) StageSide(target string) (*Output, error) { return t.stage(target, true) }

func (t *Txn) stage(target string, side bool) (*Output, error) {
	target, staged, err := t.resolve(target)
	if staged != nil || err != nil {
		return staged, err
	}
	return t.stageIn(target, side)
}

// stageIn stages the resolved target in its directory's staging directory.
func (t *Txn) stageIn(target string, side bool) (*Output, error) {
	dir, base := splitTarget(target)
	sd, err := t.stagingFor(dir, base)
	if err != nil {
		return nil, &Error{"stage", target, err}
	}
	o := &Output{Target: target, Temp: filepath.Join(sd.path, base), Uid: -1, Gid: -1, stage: sd, side: side}
	t.outputs = append(t.outputs, o)
	return o, nil
}

func splitTarget(target string) (dir, base string) {
	dir, base = filepath.Split(target)
	if dir == "" {
		return ".", base
	}
	return filepath.Clean(dir), base
}

// resolve checks target and returns the path Commit will replace (a
// symlink followed under FollowLink), or the Output that already stages it.
func (t *Txn) resolve(target string) (string, *Output, error) {
	if target == "" || target == "-" {
		return "", nil, &Error{"stage", target, ErrSpecial}
	}
	target = filepath.Clean(target)
	for _, o := range t.outputs {
		if o.Target == target {
			return target, o, nil
		}
	}
	fi, err := os.Lstat(target)
	if err == nil && fi.Mode()&os.ModeSymlink != 0 {
		if t.opts.Symlinks == FollowLink {
			resolved, rerr := resolveLink(target)
			if rerr != nil {
				return "", nil, &Error{"resolve", target, rerr}
			}
			t.logf("following symlink %s to %s", target, resolved)
			target = resolved
			fi, err = os.Lstat(target)
		} else if st, serr := os.Stat(target); serr == nil && !st.Mode().IsRegular() {
			// A link to /dev/null and the like: replacing the link would
			// turn a sink into a file.
			return "", nil, &Error{"stage", target, fmt.Errorf("%w (symlink to %s)", ErrSpecial, st.Mode().Type())}
		}
	}
	if err == nil {
		switch {
		case fi.IsDir():
			return "", nil, &Error{"stage", target, syscall.EISDIR}
		case fi.Mode()&os.ModeSymlink != 0:
		case !fi.Mode().IsRegular():
			return "", nil, &Error{"stage", target, fmt.Errorf("%w (%s)", ErrSpecial, fi.Mode().Type())}
		default:
			if st, ok := fi.Sys().(*syscall.Stat_t); ok && st.Nlink > 1 && t.opts.Warnf != nil {
				t.opts.Warnf("%s has %d hard links; the others keep the old content", target, st.Nlink)
			}
		}
	} else if !os.IsNotExist(err) {
		return "", nil, &Error{"stage", target, err}
	}
	return target, nil, nil
}

// resolveLink follows target to the path that a write through it would
// create, even when the link dangles. Each hop obeys the rule of the
// kernel's fs.protected_symlinks (which a readlink does not apply by
// itself): a link in a sticky world-writable directory (/tmp) is followed
// only if we own it or the directory's owner does. Without that, root
// following a link another user planted in /tmp would replace any file.
func resolveLink(target string) (string, error) {
	for i := 0; i < 40; i++ {
		if err := mayFollow(target); err != nil {
			return "", err
		}
		dest, err := os.Readlink(target)
		if err != nil {
			return "", err
		}
		if !filepath.IsAbs(dest) {
			dest = filepath.Join(filepath.Dir(target), dest)
		}
		target = dest
		fi, err := os.Lstat(target)
		if err != nil || fi.Mode()&os.ModeSymlink == 0 {
			return target, nil
		}
	}
	return "", syscall.ELOOP
}

// mayFollow is fs/namei.c's may_follow_link for the symlink at link.
func mayFollow(link string) error {
	var l, d unix.Stat_t
	if err := unix.Lstat(link, &l); err != nil {
		return err
	}
	if err := unix.Stat(filepath.Dir(link), &d); err != nil {
		return err
	}
	const stickyWorldWritable = unix.S_ISVTX | unix.S_IWOTH
	if l.Uid == uint32(os.Geteuid()) || d.Mode&stickyWorldWritable != stickyWorldWritable || d.Uid == l.Uid {
		return nil
	}
	return fmt.Errorf("%w: a symlink owned by uid %d in a sticky world-writable directory is not followed (as fs.protected_symlinks)", syscall.EACCES, l.Uid)
}

func (t *Txn) stagingFor(dir, base string) (*stagingDir, error) {
	for _, sd := range t.stages {
		if sd.dir == dir {
			return sd, nil
		}
	}
	sd, err := createStaging(dir, base, t.logf)
	if err != nil {
		return nil, err
	}
	t.stages = append(t.stages, sd)
	return sd, nil
}

// Abort removes every staged file. Targets are untouched. It is safe to call
// after Commit and more than once.
func (t *Txn) Abort() {
	for _, o := range t.outputs {
		o.release()
	}
	for _, sd := range t.stages {
		sd.remove()
	}
	t.stages = nil
	t.done = true
}

// Commit puts every file the tool left in the staging directories in place:
// files the caller did not stage by name (side outputs such as depfiles)
// and outputs staged with StageSide first, then the outputs staged with
// Stage, in order. Staged outputs the tool did not write are skipped and
// their targets left alone. On an error, the files not yet renamed are
// removed and their targets left alone.
//
// It works in three passes: prepare every file (attributes, the identical
// check), make them durable if asked, then rename. With several files,
// durability is one syncfs(2) rather than one fsync per file: ext4 commits
// its journal once instead of once per file.
func (t *Txn) Commit() error {
	if t.done {
		return errors.New("engine: transaction already finished")
	}
	defer t.Abort()
	var sides, primaries []*Output
	for _, sd := range t.stages {
		names, err := sd.list()
		if err != nil {
			return &Error{"read", sd.path, err}
		}
		named := map[string]bool{}
		for _, o := range t.outputs {
			if o.stage == sd {
				named[filepath.Base(o.Temp)] = true
				if o.side {
					sides = append(sides, o)
				}
			}
		}
		for _, name := range names {
			if !named[name] {
				sides = append(sides, &Output{Target: filepath.Join(sd.dir, name), Temp: filepath.Join(sd.path, name), Uid: -1, Gid: -1, stage: sd})
			}
		}
	}
	for _, o := range t.outputs {
		if !o.side {
			primaries = append(primaries, o)
		}
	}
	var todo []*pending
	for _, o := range append(sides, primaries...) {
		p, err := t.prepare(o)
		if err != nil {
			return err
		}
		if p != nil {
			todo = append(todo, p)
		}
	}
	if t.opts.Durable {
		if err := t.sync(todo); err != nil {
			return err
		}
	}
	for _, p := range todo {
		if p.o.unnamed != nil {
			if err := t.link(p.o); err != nil {
				return &Error{"link", p.o.Target, err}
			}
		}
		if err := t.replace(p); err != nil {
			return &Error{"rename", p.o.Target, err}
		}
		p.o.renamed()
		t.logf("%s: committed", p.o.Target)
	}
	if t.opts.Durable {
		for _, dir := range t.dirs() {
			if err := syncDir(dir); err != nil {
				return &Error{"sync", dir, err}
			}
		}
	}
	return nil
}

// dirs lists the targets' directories, once each.
func (t *Txn) dirs() []string {
	var dirs []string
	seen := map[string]bool{}
	add := func(dir string) {
		if !seen[dir] {
			seen[dir] = true
			dirs = append(dirs, dir)
		}
	}
	for _, sd := range t.stages {
		add(sd.dir)
	}
	for _, o := range t.outputs {
		if o.unnamed != nil {
			add(o.unnamed.dir)
		}
	}
	return dirs
}

// pending is a prepared file waiting for its rename.
type pending struct {
	o       *Output
	regular bool // the new file is a regular file (not a directory or link the tool made)
}

// sync makes the prepared files durable before any rename.
func (t *Txn) sync(todo []*pending) error {
	var regular []*pending
	for _, p := range todo {
		if p.regular {
			regular = append(regular, p)
		}
	}
	if len(regular) > 1 {
		synced := map[string]bool{}
		for _, p := range regular {
			dir, fd := p.o.dirFD()
			if !synced[dir] {
				synced[dir] = true
				if err := unix.Syncfs(fd); err != nil {
					return &Error{"sync", dir, err}
				}
			}
		}
		return nil
	}
	for _, p := range regular {
		var err error
		if u := p.o.unnamed; u != nil {
			err = unix.Fsync(u.fd)
		} else {
			err = syncFile(p.o.Temp)
		}
		if err != nil {
			return &Error{"sync", p.o.Target, err}
		}
	}
	return nil
}

// dirFD is o's target directory and a descriptor on its filesystem.
func (o *Output) dirFD() (string, int) {
	if u := o.unnamed; u != nil {
		return u.dir, u.fd
	}
	return o.stage.dir, o.stage.lock
}

// prepare applies attributes and the identical check to one staged file.
// It returns nil when there is nothing to rename.
func (t *Txn) prepare(o *Output) (*pending, error) {
	regular := true // an unnamed file is one
	if o.unnamed == nil {
		newInfo, err := os.Lstat(o.Temp)
		if os.IsNotExist(err) {
			t.logf("%s: not written by the tool; left as it was", o.Target)
			return nil, nil
		}
		if err != nil {
			return nil, &Error{"commit", o.Target, err}
		}
		regular = newInfo.Mode().IsRegular()
	}
	oldInfo, oldErr := os.Lstat(o.Target)
	if oldErr != nil && !os.IsNotExist(oldErr) {
		return nil, &Error{"commit", o.Target, oldErr}
	}
	p := &pending{o: o, regular: regular}
	if oldErr == nil {
		if err := t.replaceable(oldInfo, p.regular); err != nil {
			return nil, &Error{"commit", o.Target, err}
		}
	}
	if !p.regular {
		return p, nil
	}
	oldRegular := oldErr == nil && oldInfo.Mode().IsRegular()
	f := o.file()
	if t.opts.KeepAttrs && oldRegular {
		if err := carryAttrs(o.Target, f, oldInfo); err != nil {
			return nil, &Error{"keep attributes of", o.Target, err}
		}
	}
	if o.Mode != 0 {
		if err := f.chmod(o.Mode); err != nil {
			return nil, &Error{"chmod", o.Target, err}
		}
	}
	if o.Uid >= 0 || o.Gid >= 0 {
		if err := f.chown(o.Uid, o.Gid); err != nil {
			return nil, &Error{"chown", o.Target, err}
		}
		if o.Mode != 0 { // chown clears setuid/setgid bits
			if err := f.chmod(o.Mode); err != nil {
				return nil, &Error{"chmod", o.Target, err}
			}
		}
	}
	if t.opts.Skip != AlwaysReplace && oldRegular {
		same, err := sameFile(f, o.Target)
		if err != nil {
			return nil, &Error{"compare", o.Target, err}
		}
		if same {
			if t.opts.Skip == KeepAndTouch {
				now := time.Now()
				if err := os.Chtimes(o.Target, now, now); err != nil {
					return nil, &Error{"touch", o.Target, err}
				}
			}
			t.logf("%s: identical; kept the old file", o.Target)
			if o.unnamed != nil {
				return nil, nil // freed when Abort closes it
			}
			return nil, os.Remove(o.Temp)
		}
	}
	return p, nil
}

// Drop removes one staged output (the caller could not produce it): its
// target is left alone and Commit skips it.
func (t *Txn) Drop(o *Output) {
	if o.unnamed != nil {
		o.release()
	} else {
		os.Remove(o.Temp)
	}
	for i, x := range t.outputs {
		if x == o {
			t.outputs = append(t.outputs[:i], t.outputs[i+1:]...)
			break
		}
	}
}

// replaceable says whether Commit may put a new entry in place of old:
// only a regular file, or a symlink under ReplaceLink, is ever replaced.
// Anything else (a directory, a fifo, a symlink that appeared under
// FollowLink) was not there when the step was staged, or is not ours to
// remove. A new entry that is not a regular file (a directory the tool
// made) never replaces anything.
func (t *Txn) replaceable(old os.FileInfo, newRegular bool) error {
	switch {
	case old.IsDir():
		return syscall.EISDIR
	case !newRegular:
		return syscall.EEXIST
	case old.Mode().IsRegular():
		return nil
	case old.Mode()&os.ModeSymlink != 0 && t.opts.Symlinks == ReplaceLink:
		return nil
	case old.Mode()&os.ModeSymlink != 0:
		return fmt.Errorf("%w (a symlink appeared while following symlinks)", syscall.EEXIST)
	}
	return fmt.Errorf("%w (%s)", ErrSpecial, old.Mode().Type())
}

// replace renames p's new file over its target.
//
// When the target exists it first tries renameat2(RENAME_EXCHANGE): ext4
// (auto_da_alloc) starts writeback of the new file when a plain rename
// replaces an existing one, which makes the rename cost grow with the
// file; the exchange does not. The exchange does not look at what it
// swaps, so what comes back under the staging name is checked: it must be
// the very inode that replaceable approved a moment before. Anything else
// (a directory made in between) is exchanged back, and the step fails.
//
// Where the exchange is not supported, a plain rename(2), which itself
// refuses to put a file over a directory. A new entry that is not a
// regular file is moved only where nothing is (RENAME_NOREPLACE). There
// is no copy fallback: writing in place is what this package exists to
// avoid.
func (t *Txn) replace(p *pending) error {
	from, to := p.o.Temp, p.o.Target
	if !p.regular {
		err := unix.Renameat2(unix.AT_FDCWD, from, unix.AT_FDCWD, to, unix.RENAME_NOREPLACE)
		if err == unix.EINVAL || err == unix.ENOSYS {
			if _, lerr := os.Lstat(to); lerr == nil {
				return syscall.EEXIST
			}
			return os.Rename(from, to)
		}
		return err
	}
	old, err := os.Lstat(to)
	if os.IsNotExist(err) {
		return os.Rename(from, to)
	}
	if err != nil {
		return err
	}
	if err := t.replaceable(old, true); err != nil {
		return err
	}
	if testHookBeforeExchange != nil {
		testHookBeforeExchange(to)
	}
	err = unix.Renameat2(unix.AT_FDCWD, from, unix.AT_FDCWD, to, unix.RENAME_EXCHANGE)
	switch err {
	case nil:
	case unix.EINVAL, unix.ENOSYS, unix.EOPNOTSUPP:
		if err := os.Rename(from, to); err != nil {
			return err
		}
		t.noteReplaced(to, old)
		return nil
	case unix.ENOENT:
		return os.Rename(from, to)
	default:
		return err
	}
	back, err := os.Lstat(from)
	if err == nil && sameEntry(back, old) {
		// The exchanged entry is the old file now; drop it at once so
		// that its blocks are freed before we return.
		if err := unix.Unlink(from); err != nil && err != unix.ENOENT {
			return err
		}
		t.noteReplaced(to, old)
		return nil
	}
	// Not what was approved: undo. If even that fails, the foreign entry
	// stays in the staging directory (or at the linked name), which is then
	// kept, never removed.
	exchangeBack := func() error { return unix.Renameat2(unix.AT_FDCWD, from, unix.AT_FDCWD, to, unix.RENAME_EXCHANGE) }
	if testHookExchangeBack != nil {
		exchangeBack = testHookExchangeBack
	}
	if uerr := exchangeBack(); uerr != nil {
		kept := p.o.keep()
		return fmt.Errorf("%s changed during the commit and could not be put back: it is at %s", to, kept)
	}
	return fmt.Errorf("%w: changed during the commit; left as it is", syscall.EEXIST)
}

func (t *Txn) noteReplaced(path string, old os.FileInfo) {
	if st, ok := old.Sys().(*syscall.Stat_t); ok && old.Mode().IsRegular() {
		t.replaced = append(t.replaced, Replaced{Path: path, Dev: uint64(st.Dev), Ino: st.Ino})
	}
}

// sameEntry says whether a and b are one unchanged file: the inode number
// alone is not enough, since a freed number is handed out again at once.
func sameEntry(a, b os.FileInfo) bool {
	return os.SameFile(a, b) && a.Mode().Type() == b.Mode().Type() && a.Size() == b.Size() && a.ModTime().Equal(b.ModTime())
}

// testHookBeforeExchange lets tests change the target between the check
// and the exchange; testHookExchangeBack, make the undo fail.
var (
	testHookBeforeExchange func(target string)
	testHookExchangeBack   func() error
)

// sameFile says whether the new file f has exactly the bytes, mode and
// owner of the file at path.
func sameFile(f fileRef, path string) (bool, error) {
	fa, closeA, err := f.open()
	if err != nil {
		return false, err
	}
	if closeA {
		defer unix.Close(fa)
	}
	fb, err := unix.Open(path, unix.O_RDONLY|unix.O_CLOEXEC, 0)
	if err != nil {
		return false, err
	}
	defer unix.Close(fb)
	var sa, sb unix.Stat_t
	if err := unix.Fstat(fa, &sa); err != nil {
		return false, err
	}
	if err := unix.Fstat(fb, &sb); err != nil {
		return false, err
	}
	if sa.Size != sb.Size || sa.Mode != sb.Mode || sa.Uid != sb.Uid || sa.Gid != sb.Gid {
		return false, nil
	}
	bufA := make([]byte, 64<<10)
	bufB := make([]byte, 64<<10)
	for off := int64(0); off < sa.Size; {
		na, err := preadFull(fa, bufA, off)
		if err != nil {
			return false, err
		}
		nb, err := preadFull(fb, bufB, off)
		if err != nil {
			return false, err
		}
		if na != nb || !bytes.Equal(bufA[:na], bufB[:nb]) {
			return false, nil
		}
		if na == 0 { // both shorter than their size said: changed under us
			return false, nil
		}
		off += int64(na)
	}
	return true, nil
}

// preadFull reads from off until buf is full or the file ends.
func preadFull(fd int, buf []byte, off int64) (int, error) {
	n := 0
	for n < len(buf) {
		m, err := unix.Pread(fd, buf[n:], off+int64(n))
		if err == unix.EINTR {
			continue
		}
		if err != nil {
			return n, err
		}
		if m == 0 {
			break
		}
		n += m
	}
	return n, nil
}

func syncFile(path string) error {
	fd, err := unix.Open(path, unix.O_RDONLY|unix.O_CLOEXEC, 0)
	if err != nil {
		return err
	}
	defer unix.Close(fd)
	return unix.Fsync(fd)
}

// syncDir makes a rename durable. Some filesystems refuse fsync on a
// directory with EINVAL; there is nothing more to do on them.
func syncDir(dir string) error {
	err := syncFile(dir)
	if err == unix.EINVAL {
		return nil
	}
	return err
}

// carryAttrs puts the old file's owner, group, mode and extended attributes
// (security.selinux included) on the new file. It runs before the rename, so
// there is no moment when the target has the wrong ones.
func carryAttrs(oldPath string, f fileRef, old os.FileInfo) error {
	if st, ok := old.Sys().(*syscall.Stat_t); ok {
		if err := f.chown(int(st.Uid), int(st.Gid)); err != nil && !errors.Is(err, syscall.EPERM) {
			return err
		}
	}
	if err := f.chmod(old.Mode().Perm() | old.Mode()&(os.ModeSetuid|os.ModeSetgid|os.ModeSticky)); err != nil {
		return err
	}
	return copyXattrs(oldPath, f)
}

func copyXattrs(from string, to fileRef) error {
	size, err := unix.Llistxattr(from, nil)
	if err != nil || size == 0 {
		if err == unix.ENOTSUP {
			return nil
		}
		return err
	}
	buf := make([]byte, size)
	size, err = unix.Llistxattr(from, buf)
	if err != nil {
		return err
	}
	for _, name := range strings.Split(strings.TrimRight(string(buf[:size]), "\x00"), "\x00") {
		if name == "" {
			continue
		}
		n, err := unix.Lgetxattr(from, name, nil)
		if err != nil {
			return err
		}
		val := make([]byte, n)
		n, err = unix.Lgetxattr(from, name, val)
		if err != nil {
			return err
		}
		if err := to.setxattr(name, val[:n]); err != nil && err != unix.EPERM && err != unix.ENOTSUP {
			return fmt.Errorf("xattr %s: %w", name, err)
		}
	}
	return nil
}

func sortedNames(names []string) []string {
	sort.Strings(names)
	return names
}
