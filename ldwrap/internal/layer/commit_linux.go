package layer

import (
	"errors"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"

	"golang.org/x/sys/unix"

	"github.com/ldwrap/ldwrap/ldwrap/internal/copyfile"
	"github.com/ldwrap/ldwrap/ldwrap/internal/engine"
	"github.com/ldwrap/ldwrap/ldwrap/internal/rawio"
)

var errGone = errors.New("its new version is no longer in the staging layer")

// afterOp, when a test sets it, is called after each operation a commit
// or a replay applies, with its index, and before a commit writes its
// journal (-2) and after (-1): the crash tests stop the process there.
var afterOp func(i int)

// Commit applies changes (from Changes) to the real tree:
//
//   - each new or changed file, symlink or special file is renamed over
//     its real path: a new inode, while the old one lives on for whoever
//     has it open; a new directory is renamed into place with all it
//     holds; a directory replacing a file, or a file a directory, is
//     exchanged with it (renameat2 RENAME_EXCHANGE), so the path is never
//     missing;
//   - then the removals, each path moved into the stage at once (a
//     directory whole), where Remove deletes it;
//   - then the mode, owner and xattrs (ACLs) of the directories that
//     changed, children first.
//
// Modes, owners, xattrs and ACLs of what is renamed are the command's, on
// the inode it left; overlayfs's own xattrs are removed first. A file
// whose content is unchanged (a copy-up without a change, see Changes) is
// not in changes, and keeps its inode. A hard link inside upper/ stays
// one; a real file with other names outside the layer is replaced at this
// name only (the others keep the old content, as after install(1)):
// opts.Warnf says so.
//
// The operations are first written to a journal in the stage. A kill
// (SIGKILL) after that leaves every path old or new, and the next Prepare
// or Recover on the root finishes the commit; a kill before it leaves
// every path old, and the next run removes the stage.
//
// Durability: a kill loses nothing from the page cache, so the journal
// needs no sync against one. A power cut is another matter: a rename made
// durable before the journal would leave a commit nobody can finish. So
// with opts.Durable or Ordered the one syncfs(2) that makes the new files
// durable before the first rename (as the engine does) comes after the
// journal is written, and covers it: no sync of its own. With Durable the
// operations are made durable after, by a second syncfs; the removal of
// the journal is not (a replay of a finished journal does nothing: every
// operation checks the inode it expects). Without either, a power cut
// may lose the journal, and some renames with it: each path is still old
// or new, but the set may be part done.
//
// An error stops the commit where it is: the paths done are new, the rest
// old. The journal is removed, so that no later run repeats the error.
func (s *Stage) Commit(changes []Change, opts CommitOptions) error {
	if s.lock < 0 {
		return fail("commit", s.Root, errRemoved)
	}
	logf, warnf := opts.Logf, opts.Warnf
	if logf == nil {
		logf = nolog
	}
	if warnf == nil {
		warnf = nolog
	}
	j := &journal{root: s.Root, prefix: s.prefix, durable: opts.Durable}
	var places, trash []op
	meta := map[string]op{} // the directories whose attributes the commit sets, by rel
	var toSync []string     // the new files and directories, where there is no syncfs
	s.replaced = nil
	for _, c := range changes {
		rel, err := s.rel(c.Path)
		if err != nil {
			return err
		}
		switch c.Kind {
		case Added, Replaced, DirAdded:
			var u unix.Stat_t
			if err := rawio.Lstat(c.upper, &u); err != nil {
				return fail("commit", c.Path, err)
			}
			if err := stripOverlay(c.upper, s.prefix); err != nil {
				return fail("commit", c.Path, err)
			}
			if isRegular(&u) || isDir(&u) {
				toSync = append(toSync, c.upper)
			}
			if c.moved {
				continue
			}
			if c.Kind == Replaced {
				o, keep, err := s.replacing(c, rel, &u, opts, warnf)
				if err != nil {
					return err
				}
				if keep && o != nil {
					places = append(places, *o)
				}
				if keep {
					logf("%s: identical; kept the old file", c.Path)
					continue
				}
			}
			places = append(places, op{opRename, u.Ino, 0, rel})
		case Removed:
			trash = append(trash, op{opTrash, c.ino, 0, rel})
		case MetaChanged:
			var u unix.Stat_t
			if err := rawio.Lstat(c.upper, &u); err != nil {
				return fail("commit", c.Path, err)
			}
			meta[rel] = op{opMeta, c.ino, u.Mode & 0o7777, rel}
		}
	}
	widen, err := s.widening(append(places, trash...), meta)
	if err != nil {
		return err
	}
	j.ops = append(append(append(widen, places...), trash...), metaOps(meta)...)
	if len(j.ops) == 0 {
		return nil
	}
	jpath := filepath.Join(s.Dir, journalName)
	if afterOp != nil {
		afterOp(-2)
	}
	// One rename (the usual -o step) is atomic by itself: no journal, so
	// that a commit on a full disk, which needs no new space, still
	// succeeds, and costs no file more. (ns-run's change.)
	single := len(j.ops) == 1 && j.ops[0].kind == opRename
	if single {
		jpath = ""
	} else if err := writeJournal(s.Dir, j); err != nil {
		return fail("write", jpath, err)
	}
	unlinkJournal := func() error {
		if jpath == "" {
			return nil
		}
		return rawio.Unlink(jpath)
	}
	if opts.Durable || opts.Ordered {
		if err := s.syncNew(toSync, jpath != ""); err != nil {
			unlinkJournal()
			return err
		}
	}
	if afterOp != nil {
		afterOp(-1)
	}
	for i, o := range j.ops {
		if err := s.apply(i, o, j.prefix, false); err != nil {
			unlinkJournal()
			return err
		}
		if o.kind != opWiden {
			logf("%s: %s", filepath.Join(s.Root, o.rel), verbs[o.kind])
		}
		if afterOp != nil {
			afterOp(i)
		}
	}
	if opts.Durable {
		if err := s.syncApplied(j.ops); err != nil {
			return err
		}
	}
	if err := unlinkJournal(); err != nil {
		return fail("remove", jpath, err)
	}
	return nil
}

// widening opens up, for a user's commit, the directories that ops
// rename into or out of and that their owner may not write or search (a
// command may chmod u+w, write, chmod u-w; root needs none of it): in
// upper/ at once (it is private), in the real tree by opWiden operations.
// Each real one gets its final mode again at the end (meta).
func (s *Stage) widening(ops []op, meta map[string]op) ([]op, error) {
	if os.Geteuid() == 0 {
		return nil, nil
	}
	var widen []op
	seen := map[string]bool{}
	for _, o := range ops {
		if o.kind != opRename && o.kind != opTrash {
			continue
		}
		parent := filepath.Dir(o.rel)
		if parent == "." {
			parent = ""
		}
		if seen[parent] {
			continue
		}
		seen[parent] = true
		real, up := filepath.Join(s.Root, parent), filepath.Join(s.Upper, parent)
		var r, u unix.Stat_t
		if err := rawio.Lstat(real, &r); err != nil {
			return nil, fail("commit", real, err)
		}
		if r.Mode&0o300 != 0o300 {
			widen = append(widen, op{opWiden, r.Ino, 0, parent})
			if _, ok := meta[parent]; !ok {
				meta[parent] = op{opMeta, r.Ino, r.Mode & 0o7777, parent}
			}
		}
		if rawio.Lstat(up, &u) == nil && u.Mode&0o300 != 0o300 {
			if err := rawio.Chmod(up, (u.Mode|0o300)&0o7777); err != nil {
				return nil, fail("commit", real, err)
			}
		}
	}
	return widen, nil
}

// metaOps are the meta operations, children before parents: a
// directory made read-only last.
func metaOps(meta map[string]op) []op {
	var rels []string
	for rel := range meta {
		rels = append(rels, rel)
	}
	sort.Sort(sort.Reverse(sort.StringSlice(rels))) // "a/b" before "a"
	var ops []op
	for _, rel := range rels {
		ops = append(ops, meta[rel])
	}
	return ops
}

var verbs = map[string]string{opRename: "committed", opTouch: "touched", opTrash: "removed", opMeta: "mode, owner and xattrs committed"}

// replacing looks at the real file c replaces: under LDWRAP_SKIP_IDENTICAL
// an identical one is kept (keep, with a touch op or none); a replaced
// regular file is recorded for LDWRAP_STALE, and one with other names
// warned of.
func (s *Stage) replacing(c Change, rel string, u *unix.Stat_t, opts CommitOptions, warnf func(string, ...interface{})) (*op, bool, error) {
	var r unix.Stat_t
	if err := rawio.Lstat(c.Path, &r); err != nil || !isRegular(&r) {
		return nil, false, nil // gone (commit says so), or not a file
	}
	if isRegular(u) && opts.Skip != engine.AlwaysReplace && u.Size == r.Size && u.Mode == r.Mode && u.Uid == r.Uid && u.Gid == r.Gid {
		fd, err := rawio.Open(c.upper, unix.O_RDONLY|unix.O_NOFOLLOW|unix.O_CLOEXEC, 0)
		if err != nil {
			return nil, false, fail("compare", c.Path, err)
		}
		same, err := copyfile.SameContent(fd, c.Path)
		unix.Close(fd)
		if err != nil {
			return nil, false, fail("compare", c.Path, err)
		}
		if same {
			if opts.Skip == engine.KeepAndTouch {
				return &op{opTouch, r.Ino, 0, rel}, true, nil
			}
			return nil, true, nil
		}
	}
	if r.Nlink > 1 {
		warnf("%s: replaced at this name only; its %d other names keep the old file", c.Path, r.Nlink-1)
	}
	s.replaced = append(s.replaced, rawio.Inode{Path: c.Path, Dev: r.Dev, Ino: r.Ino})
	return nil, false, nil
}

func (s *Stage) rel(path string) (string, error) {
	if path == s.Root {
		return "", nil
	}
	if !strings.HasPrefix(path, s.Root+"/") {
		return "", fail("commit", path, errors.New("not under "+s.Root))
	}
	return path[len(s.Root)+1:], nil
}

// apply carries out one operation. Each checks the inode it expects first,
// so that a replay after a crash skips what was done. replay also skips an
// operation whose new version is gone (done, then its path changed again).
func (s *Stage) apply(i int, o op, prefix string, replay bool) error {
	real, up := filepath.Join(s.Root, o.rel), filepath.Join(s.Upper, o.rel)
	var r unix.Stat_t
	err := rawio.Lstat(real, &r)
	if err != nil && err != unix.ENOENT {
		return fail("commit", real, err)
	}
	present := err == nil
	if o.kind == opRename {
		if present && r.Ino == o.ino {
			return nil
		}
		var u unix.Stat_t
		if err := rawio.Lstat(up, &u); err != nil || u.Ino != o.ino {
			if replay {
				return nil
			}
			return fail("commit", real, errGone)
		}
		if present && isDir(&r) != isDir(&u) {
			err = s.exchange(i, up, real)
		} else {
			err = renameDir(up, real, &u)
		}
		if err != nil {
			return fail("rename", real, err)
		}
		return nil
	}
	if !present || r.Ino != o.ino {
		return nil // done, or the path changed since
	}
	switch o.kind {
	case opTouch:
		now := []unix.Timespec{{Nsec: unix.UTIME_NOW}, {Nsec: unix.UTIME_NOW}}
		err = rawio.UtimesNanoAt(unix.AT_FDCWD, real, now, unix.AT_SYMLINK_NOFOLLOW)
	case opTrash:
		err = s.trash(i, real, &r)
	case opWiden:
		if r.Mode&0o300 != 0o300 {
			err = rawio.Chmod(real, (r.Mode|0o300)&0o7777)
		}
	case opMeta:
		err = copyMeta(up, real, prefix, o.mode)
	}
	if err != nil {
		return fail(doing[o.kind], real, err)
	}
	return nil
}

// doing names an operation in an error message.
var doing = map[string]string{opTouch: "touch", opTrash: "remove", opWiden: "open up", opMeta: "set the attributes of"}

// renameDir renames from (u) to to. A user's directory without write
// permission cannot move to another parent (its ".." changes): it gets
// the permission for the rename.
func renameDir(from, to string, u *unix.Stat_t) error {
	err := rawio.Rename(from, to)
	if err != unix.EACCES || !isDir(u) || u.Mode&0o200 != 0 {
		return err
	}
	if err := rawio.Chmod(from, (u.Mode|0o200)&0o7777); err != nil {
		return err
	}
	if err := rawio.Rename(from, to); err != nil {
		rawio.Chmod(from, u.Mode&0o7777)
		return err
	}
	return rawio.Chmod(to, u.Mode&0o7777)
}

// exchange puts up at real, where a directory is to replace a file or a
// file a directory: one renameat2(RENAME_EXCHANGE), and the old entry is
// left in upper/ for Remove. Where the filesystem cannot exchange, the
// old entry is moved to the trash first, and the path is missing between
// the two renames.
func (s *Stage) exchange(i int, up, real string) error {
	err := rawio.IgnoringEINTR(func() error {
		return unix.Renameat2(unix.AT_FDCWD, up, unix.AT_FDCWD, real, unix.RENAME_EXCHANGE)
	})
	if err != unix.EINVAL && err != unix.ENOSYS {
		return err
	}
	var r, u unix.Stat_t
	if err := rawio.Lstat(real, &r); err != nil {
		return err
	}
	if err := s.trash(i, real, &r); err != nil {
		return err
	}
	if err := rawio.Lstat(up, &u); err != nil {
		return err
	}
	return renameDir(up, real, &u)
}

// trash moves the real entry path (r) into the stage's trash/, under the
// operation's index: it is gone from the tree at once, a directory with
// all it holds, and Remove deletes it.
func (s *Stage) trash(i int, path string, r *unix.Stat_t) error {
	dir := filepath.Join(s.Dir, "trash")
	if err := rawio.Mkdir(dir, 0o700); err != nil && err != unix.EEXIST {
		return err
	}
	to := filepath.Join(dir, strconv.Itoa(i))
	err := rawio.Rename(path, to)
	if err == unix.EACCES && isDir(r) && r.Mode&0o200 == 0 {
		if err := rawio.Chmod(path, (r.Mode|0o200)&0o7777); err != nil {
			return err
		}
		err = rawio.Rename(path, to)
	}
	return err
}

// copyMeta gives the real directory real the owner and xattrs (ACLs) of
// the upper one up, the overlay's xattrs (prefix) aside, and mode (up's
// before widening opened it up). The mode comes last: a chown clears the
// set-id bits, and an ACL sets the group bits.
func copyMeta(up, real, prefix string, mode uint32) error {
	var u, r unix.Stat_t
	if err := rawio.Lstat(up, &u); err != nil {
		return err
	}
	if err := rawio.Lstat(real, &r); err != nil {
		return err
	}
	if u.Uid != r.Uid || u.Gid != r.Gid {
		if err := lchown(real, int(u.Uid), int(u.Gid)); err != nil {
			return err
		}
	}
	if err := copyXattrs(up, real, prefix); err != nil {
		return err
	}
	return rawio.Chmod(real, mode)
}

// syncNew makes the new files and directories, and the journal if the
// commit has one, durable before the first rename: one syncfs(2) of the
// root's filesystem where it does that, else an fsync of each.
func (s *Stage) syncNew(paths []string, journal bool) error {
	if ok, err := engine.SyncFS(s.lock); ok {
		if err != nil {
			return fail("sync", s.Dir, err)
		}
		return nil
	}
	if journal {
		paths = append(paths, filepath.Join(s.Dir, journalName))
	}
	for _, p := range paths {
		if err := syncPath(p); err != nil {
			return fail("sync", p, err)
		}
	}
	if err := engine.SyncDir(s.Dir); err != nil {
		return fail("sync", s.Dir, err)
	}
	return nil
}

// syncApplied makes the applied operations durable: one syncfs(2), else
// an fsync of each directory they changed.
func (s *Stage) syncApplied(ops []op) error {
	if ok, err := engine.SyncFS(s.lock); ok {
		if err != nil {
			return fail("sync", s.Root, err)
		}
		return nil
	}
	seen := map[string]bool{}
	dirs := []string{filepath.Join(s.Dir, "trash")}
	for _, o := range ops {
		p := filepath.Join(s.Root, o.rel)
		if o.kind != opMeta && o.kind != opWiden {
			p = filepath.Dir(p)
		}
		if !seen[p] {
			seen[p] = true
			dirs = append(dirs, p)
		}
	}
	for _, d := range dirs {
		if err := engine.SyncDir(d); err != nil && err != unix.ENOENT {
			return fail("sync", d, err)
		}
	}
	return nil
}

func syncPath(path string) error {
	fd, err := rawio.Open(path, unix.O_RDONLY|unix.O_NOFOLLOW|unix.O_CLOEXEC, 0)
	if err != nil {
		return err
	}
	defer unix.Close(fd)
	return engine.SyncFile(fd)
}

// replay finishes the commit of a complete journal j left by a killed
// run.
func (s *Stage) replay(j *journal) error {
	for i, o := range j.ops {
		if err := s.apply(i, o, j.prefix, true); err != nil {
			return err
		}
		if afterOp != nil {
			afterOp(i)
		}
	}
	if j.durable {
		return s.syncApplied(j.ops)
	}
	return nil
}
