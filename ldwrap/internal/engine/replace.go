package engine

import (
	"fmt"
	"os"
	"path/filepath"
	"syscall"

	"golang.org/x/sys/unix"

	"github.com/ldwrap/ldwrap/ldwrap/internal/rawio"
)

// pending is a prepared file waiting for its rename, or a target waiting
// for its removal.
type pending struct {
	o       *Output
	regular bool // the new file is a regular file (not a directory or link the tool made)
	// replaces: the new entry may take the place of an old one, as a
	// regular file or a symlink does (ln -sf, ldwrap --install-links); a
	// directory the tool made does not, but in place of its seeded copy of
	// the old file.
	replaces bool
	// removing: the tool removed its seeded copy; the target goes.
	removing bool
}

// replace renames p's new file over its target with rename(2).
//
// A plain rename, not renameat2(RENAME_EXCHANGE) and an unlink: the kernel
// names a deleted file by the last name it had, and only a rename over the
// target deletes the old file's entry where it stands, so /proc/PID/exe,
// /proc/PID/maps and lsof show "<target> (deleted)" as after install(1)
// (needrestart and checkrestart find the package by that name). An
// exchange would leave it named after the staging entry. The price is
// ext4's auto_da_alloc: a rename over an existing file starts writeback of
// the new one (bench: the output-size rows).
//
// The target is checked just before: only what replaceable allows is
// replaced. A directory that appears in between makes rename(2) fail
// (EISDIR); another regular file is replaced (the last writer wins, as
// with two bare links). A directory the tool made is only moved where
// nothing is.
func (t *Txn) replace(p *pending) (replaced bool, err error) {
	from, to := p.o.Temp, p.o.Target
	if !p.replaces {
		return false, renameNoReplace(from, to)
	}
	old, err := os.Lstat(to)
	switch {
	case os.IsNotExist(err):
		old = nil
	case err != nil:
		return false, err
	default:
		if err := t.replaceable(old, p.replaces); err != nil {
			return false, err
		}
	}
	if testHookBeforeRename != nil {
		testHookBeforeRename(to)
	}
	if err := t.renameOver(p, from, to, old); err != nil {
		return false, err
	}
	if st, ok := statOf(old); ok && old.Mode().IsRegular() {
		t.replaced = append(t.replaced, rawio.Inode{Path: to, Dev: uint64(st.Dev), Ino: st.Ino})
	}
	return old != nil, nil
}

// renameOver puts the new entry at from in place of old (nil if none) at
// to. A directory cannot be renamed over a file: the two are exchanged
// (the old file is then in the staging directory, which goes with it).
// Where the system cannot exchange, the old file is moved into the
// staging directory first, and back if the new one cannot take its place:
// the path is missing in between.
func (t *Txn) renameOver(p *pending, from, to string, old os.FileInfo) error {
	switch {
	case p.regular || !isDirAt(from):
		return rawio.Rename(from, to) // the last writer wins, as bare
	case old == nil:
		return renameNoReplace(from, to) // never over a directory that appeared
	}
	err := sys.exchange(from, to)
	if err != errNotSupported {
		return err
	}
	aside := stagingName(filepath.Dir(from), filepath.Base(to), "replaced")
	if err := rawio.Rename(to, aside); err != nil {
		return err
	}
	if err := renameNoReplace(from, to); err != nil {
		rawio.Rename(aside, to)
		return err
	}
	return nil
}

// remove removes p's target, which the tool removed (pending.removing).
func (t *Txn) remove(p *pending) error {
	old, err := os.Lstat(p.o.Target)
	if err != nil {
		return err
	}
	if err := rawio.Unlink(p.o.Target); err != nil {
		return err
	}
	if st, ok := statOf(old); ok && old.Mode().IsRegular() {
		t.replaced = append(t.replaced, rawio.Inode{Path: p.o.Target, Dev: uint64(st.Dev), Ino: st.Ino})
	}
	return nil
}

func isDirAt(path string) bool {
	fi, err := os.Lstat(path)
	return err == nil && fi.IsDir()
}

// statOf is fi's stat(2) record: os.FileInfo carries syscall's Stat_t,
// not x/sys's.
func statOf(fi os.FileInfo) (*syscall.Stat_t, bool) {
	if fi == nil {
		return nil, false
	}
	st, ok := fi.Sys().(*syscall.Stat_t)
	return st, ok
}

// renameNoReplace moves a new entry to a place where nothing is. Where the
// system cannot refuse atomically, a check just before does.
func renameNoReplace(from, to string) error {
	err := sys.renameNoReplace(from, to)
	if err != errNotSupported {
		return err
	}
	if _, lerr := os.Lstat(to); lerr == nil {
		return unix.EEXIST
	}
	return rawio.Rename(from, to)
}

// replaceable says whether Commit may put a new entry in place of old:
// only a regular file, or a symlink under ReplaceLink, is ever replaced
// (and under ReplaceSpecial a fifo, a socket or any symlink). Anything
// else (a directory, a fifo, a symlink that appeared under FollowLink) was
// not there when the step was staged, or is not ours to remove. A new
// directory (one the tool made) never replaces anything.
func (t *Txn) replaceable(old os.FileInfo, newReplaces bool) error {
	m := old.Mode()
	switch {
	case m.IsDir():
		return unix.EISDIR
	case !newReplaces:
		return unix.EEXIST
	case m.IsRegular():
		return nil
	case m&os.ModeSymlink != 0 && (t.opts.Symlinks == ReplaceLink || t.opts.ReplaceSpecial):
		return nil
	case m&os.ModeSymlink != 0:
		return fmt.Errorf("%w (a symlink appeared while following symlinks)", unix.EEXIST)
	case t.opts.ReplaceSpecial && m&(os.ModeNamedPipe|os.ModeSocket) != 0:
		return nil
	}
	return fmt.Errorf("%w (%s)", ErrSpecial, m.Type())
}

// testHookBeforeRename lets tests change the target between the check and
// the rename.
var testHookBeforeRename func(target string)
