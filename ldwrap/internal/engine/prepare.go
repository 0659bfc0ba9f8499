package engine

import (
	"errors"
	"os"
	"time"

	"golang.org/x/sys/unix"
)

// prepare readies one staged file for its rename: it checks that the file
// exists and may replace its target, gives it its attributes, then decides
// whether the old file is kept instead. It returns nil when there is
// nothing to rename.
func (t *Txn) prepare(o *Output) (*pending, error) {
	p, old, err := t.check(o)
	if p == nil || err != nil || !p.regular {
		return p, err
	}
	oldRegular := old != nil && old.Mode().IsRegular()
	if err := t.setAttrs(o, old, oldRegular); err != nil {
		return nil, err
	}
	// A seeded copy of a file behind a symlink may still be kept: the
	// comparison reads through the link, as the tool did.
	if old == nil || !(oldRegular || o.seed != nil) {
		return p, nil
	}
	keep, err := t.keepOld(o)
	if err != nil || !keep {
		return p, err
	}
	if o.unnamed == nil {
		os.Remove(o.Temp)
	} // an unnamed file is freed when Abort closes it
	return nil, nil
}

// check finds o's new file and its target's current entry (nil if none),
// and refuses a target that may not be replaced.
func (t *Txn) check(o *Output) (*pending, os.FileInfo, error) {
	regular, replaces := true, true // an unnamed file is a regular one
	if o.unnamed == nil {
		newInfo, err := os.Lstat(o.Temp)
		if os.IsNotExist(err) && o.seed != nil {
			return t.removal(o)
		}
		if os.IsNotExist(err) {
			t.logf("%s: not written by the tool; left as it was", o.Target)
			return nil, nil, nil
		}
		if err != nil {
			return nil, nil, &Error{"commit", o.Target, err}
		}
		regular = newInfo.Mode().IsRegular()
		replaces = regular || newInfo.Mode()&os.ModeSymlink != 0
	}
	// A directory the tool made replaces nothing, but one it put in place
	// of its seeded copy of the old file: bare, it replaced the old file.
	replaces = replaces || o.seed != nil
	p := &pending{o: o, regular: regular, replaces: replaces}
	old, err := os.Lstat(o.Target)
	if os.IsNotExist(err) {
		return p, nil, nil
	}
	if err != nil {
		return nil, nil, &Error{"commit", o.Target, err}
	}
	if err := t.replaceable(old, replaces); err != nil {
		return nil, nil, &Error{"commit", o.Target, err}
	}
	return p, old, nil
}

// removal is the pending removal of a seeded output whose copy the tool
// removed or moved away: without ldwrap, it would have removed the old
// file. Only that file is removed, not one put there since.
func (t *Txn) removal(o *Output) (*pending, os.FileInfo, error) {
	// Through a symlink, as Seed read it; the link is what goes.
	fi, err := os.Stat(o.Target)
	if os.IsNotExist(err) {
		return nil, nil, nil
	}
	if err != nil {
		return nil, nil, &Error{"commit", o.Target, err}
	}
	if st, ok := statOf(fi); !ok || uint64(st.Dev) != o.seed.dev || uint64(st.Ino) != o.seed.oldIno {
		t.logf("%s: removed by the command, but replaced since; left as it is", o.Target)
		return nil, nil, nil
	}
	return &pending{o: o, removing: true}, nil, nil
}

// setAttrs gives the new file its mode, owner and xattrs before the rename:
// the old file's under KeepAttrs, then o's own, which win.
func (t *Txn) setAttrs(o *Output, old os.FileInfo, oldRegular bool) error {
	f := o.file()
	if t.opts.KeepAttrs && oldRegular {
		if err := carryAttrs(o.Target, f, old); err != nil {
			return &Error{"keep attributes of", o.Target, err}
		}
	}
	if o.Mode != nil {
		if err := f.chmod(*o.Mode); err != nil {
			return &Error{"chmod", o.Target, err}
		}
	}
	if o.Uid >= 0 || o.Gid >= 0 {
		if err := f.chown(o.Uid, o.Gid); err != nil {
			return &Error{"chown", o.Target, err}
		}
		if o.Mode != nil { // chown clears the setuid and setgid bits
			if err := f.chmod(*o.Mode); err != nil {
				return &Error{"chmod", o.Target, err}
			}
		}
	}
	if u := o.unnamed; u != nil && u.modeAfter != nil {
		// Create added the owner's read bit to reopen the file; take it
		// back unless an explicit mode already set the bits.
		if o.Mode == nil && !(t.opts.KeepAttrs && oldRegular) {
			if err := f.chmod(*u.modeAfter); err != nil {
				return &Error{"chmod", o.Target, err}
			}
		}
	}
	return nil
}

// keepOld says whether the old file stays instead of o's new one: a seeded
// output the tool did not change, or, under Options.Skip, an identical one.
// An output the tool never touched keeps its mtime whatever Options.Skip
// says: KeepAndTouch stands for the new file the tool wrote, which bare
// would have given a new mtime, not for a file bare would have left alone.
func (t *Txn) keepOld(o *Output) (bool, error) {
	skip, why := t.opts.Skip, "identical; kept the old file"
	if o.seed != nil {
		unchanged, err := o.seed.unchanged(o.Temp)
		if err != nil {
			return false, &Error{"commit", o.Target, err}
		}
		if unchanged {
			// Its times say untouched, but a change within one tick of
			// the clock would not show there: the content decides.
			skip, why = KeepUntouched, "not changed by the command; left as it was"
		} else if skip == AlwaysReplace {
			return false, nil
		}
	}
	if skip == AlwaysReplace {
		return false, nil
	}
	same, err := sameFile(o.file(), o.Target)
	if err != nil {
		return false, &Error{"compare", o.Target, err}
	}
	if !same {
		return false, nil
	}
	if skip == KeepAndTouch {
		now := time.Now()
		if err := os.Chtimes(o.Target, now, now); err != nil {
			return false, &Error{"touch", o.Target, err}
		}
	}
	t.logf("%s: %s", o.Target, why)
	return true, nil
}

// carryAttrs puts the old file's owner, group, mode and extended attributes
// (security.selinux included) on the new file. It runs before the rename, so
// there is no moment when the target has the wrong ones.
func carryAttrs(oldPath string, f fileRef, old os.FileInfo) error {
	if st, ok := statOf(old); ok {
		if err := f.chown(int(st.Uid), int(st.Gid)); err != nil && !errors.Is(err, unix.EPERM) {
			return err
		}
	}
	if err := f.chmod(old.Mode() & (os.ModePerm | os.ModeSetuid | os.ModeSetgid | os.ModeSticky)); err != nil {
		return err
	}
	return copyXattrs(oldPath, f)
}
