// Package engine makes the outputs of a build step appear atomically. What
// it promises is stated once, at PendingFile.CloseAtomicallyReplace in
// package ldwrap (Txn.Commit says how its options map onto it);
// GUARANTEES.md names the test behind each promise.
//
// A step's outputs are staged: a tool writes each one into a private
// directory beside its target (Stage, staging.go), or this process writes
// a file that has no name yet (Create, unnamed.go). Commit renames each new
// file over its target (commit.go, replace.go) after giving it its
// attributes (prepare.go). The operations the promises rest on that POSIX
// lacks come from one table per system (sys.go).
package engine

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"golang.org/x/sys/unix"

	"github.com/ldwrap/ldwrap/ldwrap/internal/rawio"
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
// always replace, only regular files and symlinks replaced.
type Options struct {
	// Durable makes each new file durable before its rename and its
	// directory after; Ordered only the first, saving the directory's
	// fsync. Durable implies Ordered. What each promises: see Commit.
	Durable   bool
	Ordered   bool
	Symlinks  SymlinkPolicy
	KeepAttrs bool // carry the old file's mode, owner, group and xattrs onto the new file before the rename
	Skip      SkipIdentical
	// ReplaceSpecial lets a new file replace a fifo or a socket at the
	// target, and a symlink to anything, as install(1) does. Device nodes
	// are never replaced.
	ReplaceSpecial bool
	// StageAbove puts a staging directory in the parent of its targets'
	// directory where it can (same filesystem, writable), not among the
	// targets: a command that lists the output's own directory (tar -cf
	// dist.tar ., find .) then does not see it. ldwrap-run sets it; the
	// compilers and linkers, which list no directory, do not.
	StageAbove bool
	// LeaveUnwritable leaves to the tool (ErrInPlace) an existing output
	// this process may not write: GNU ar opens its archive for writing
	// and fails on such a one bare, where a rename over it would succeed
	// and take another user's file.
	LeaveUnwritable bool
	// LeaveOwnState leaves to the tool (ErrInPlace) an output that cannot
	// be staged because of its own state, a directory at its name or a
	// directory this process may not write into: ar fails on it bare,
	// with its own message and status, where ldwrap's would be 126.
	LeaveOwnState bool
	// Logf, if set, receives one line for each decision (verbose mode).
	Logf func(format string, args ...interface{})
	// Warnf, if set, receives warnings (a hard link broken by the rename).
	Warnf func(format string, args ...interface{})
}

// ErrSpecial is returned by Stage for targets that cannot be replaced by
// rename: "-", devices, fifos and sockets. Callers pass such steps through.
var ErrSpecial = errors.New("not a regular file")

// ErrNoDirectory is returned by Stage for a target whose directory does not
// exist. There is no old file to protect there, and making the directory
// would change what the tool does (cp fails, go build makes it): the
// commands run the tool untouched instead.
var ErrNoDirectory = errors.New("no such file or directory")

// ErrInPlace is returned by Stage, Seed and Redirect for an old file that
// no staged file can stand for, where the tool could write it without
// ldwrap: one this process may write but not read, or whose owner or
// group it may not give a new file (another user's), or in a directory it
// may not write. The tool writes it in place, as bare, not atomically.
var ErrInPlace = errors.New("cannot be staged as it is")

// inPlace is ErrInPlace with the system's cause.
type inPlace struct{ cause error }

func (e inPlace) Error() string        { return e.cause.Error() }
func (e inPlace) Unwrap() error        { return e.cause }
func (e inPlace) Is(target error) bool { return target == ErrInPlace }

// noDirectory is ErrNoDirectory with the system's cause: ENOENT, or ENOTDIR
// for a file where the directory should be.
type noDirectory struct{ cause unix.Errno }

func (e noDirectory) Error() string        { return e.cause.Error() }
func (e noDirectory) Is(target error) bool { return target == ErrNoDirectory || target == e.cause }

// Error is a failure of the engine, with the path it concerns.
type Error struct {
	Op   string
	Path string
	Err  error
}

func (e *Error) Error() string { return e.Op + " " + e.Path + ": " + rawio.Cause(e.Err).Error() }
func (e *Error) Unwrap() error { return e.Err }

// Output is one staged file.
type Output struct {
	Target string // the path that Commit replaces
	Temp   string // the path the tool must write; empty while an unnamed output has no name
	// Mode (when not nil), Uid and Gid (when >= 0) are applied to the new
	// file before the rename. They win over Options.KeepAttrs.
	Mode     *os.FileMode
	Uid, Gid int
	// Backup, when set, is where the old target is kept, made just before
	// the rename (install -b).
	Backup string
	// Committed, when set, is told of the rename: whether it replaced an
	// entry, and Backup if a backup of it was made.
	Committed func(replaced bool, backup string)

	stage   *stagingDir
	side    bool
	seed    *seedState   // Seed copied the old content into Temp
	unnamed *unnamedFile // Create made it without a name (unnamed.go)
}

// Txn is one step's set of staged outputs. It is not safe for concurrent use.
type Txn struct {
	opts     Options
	stages   []*stagingDir
	outputs  []*Output
	replaced []rawio.Inode
	treeDirs []string // directories side files were committed into (sideEntries)
	done     bool
}

// New starts a transaction.
func New(opts Options) *Txn { return &Txn{opts: opts} }

// Replaced lists the regular files Commit replaced, in commit order: their
// inodes live on for the processes that still have them open, mapped or
// running.
func (t *Txn) Replaced() []rawio.Inode { return t.replaced }

func (t *Txn) logf(format string, args ...interface{}) {
	if t.opts.Logf != nil {
		t.opts.Logf(format, args...)
	}
}

// Stage prepares target and returns the Output whose Temp the tool must write
// instead. Staging the same target twice returns the same Output. It fails
// with ErrSpecial (wrapped) for targets that are not regular files, with
// ErrNoDirectory where the target's directory does not exist, and with
// EISDIR for a directory.
func (t *Txn) Stage(target string) (*Output, error) { return t.stage(target, false) }

// StageSide is Stage for a side output (a depfile): Commit puts it in place
// before the outputs staged with Stage.
func (t *Txn) StageSide(target string) (*Output, error) { return t.stage(target, true) }

func (t *Txn) stage(target string, side bool) (*Output, error) {
	resolved, staged, err := t.resolve(target)
	if staged != nil || err != nil {
		return staged, err
	}
	o, err := t.stageIn(resolved, side)
	if err == nil && resolved != target {
		t.nameAsGiven(o, target)
	}
	return o, err
}

// nameAsGiven names o's staged file as the link the tool was given, not
// as the file it leads to (FollowLink): the tool's messages name the
// file ("ar: creating lib.a"), and the relay gives back the directory
// only. Two outputs with one name in a staging directory keep the
// target's.
func (t *Txn) nameAsGiven(o *Output, given string) {
	_, base := splitTarget(given)
	temp := filepath.Join(o.stage.path, base)
	for _, x := range t.outputs {
		if x != o && x.Temp == temp {
			return
		}
	}
	o.Temp = temp
}

// stageIn stages the resolved target in its directory's staging directory.
func (t *Txn) stageIn(target string, side bool) (*Output, error) {
	dir, base := splitTarget(target)
	sd, err := t.stagingFor(dir, base)
	if err != nil {
		if (rawio.IsDenied(err) || err == unix.EROFS) && (t.opts.LeaveOwnState || access(target, unix.W_OK) == nil) {
			// A directory this process may not write, holding an old
			// file it may: the tool writes that in place, as bare (or,
			// LeaveOwnState, fails there as bare).
			err = inPlace{err}
		}
		return nil, &Error{"stage", target, err}
	}
	o := &Output{Target: target, Temp: filepath.Join(sd.path, base), Uid: -1, Gid: -1, stage: sd, side: side}
	t.outputs = append(t.outputs, o)
	return o, nil
}

func (t *Txn) stagingFor(dir, base string) (*stagingDir, error) {
	for _, sd := range t.stages {
		if sd.dir == dir {
			return sd, nil
		}
	}
	var sd *stagingDir
	if above, dirStat, ok := t.aboveDir(dir); ok {
		// Staged above, the rename into dir would fail only after the
		// tool ran: fail now where it would, as below.
		if err := access(dir, unix.W_OK); rawio.IsDenied(err) {
			return nil, err
		}
		var err error
		if sd, err = createStaging(above, base, t.logf); err == nil {
			if err = sd.inherit(dir, dirStat); err != nil {
				sd.remove()
				sd = nil
			}
		}
		if err != nil {
			t.logf("%s: staging in %s instead of above it: %v", base, dir, err)
		} else if first := stagingName(dir, base, firstSuffix); rawio.Lstat(first, &unix.Stat_t{}) == nil {
			// A run that staged in dir (its parent was another
			// filesystem or not writable then) and died left this.
			sweepEntry(first, t.logf)
		}
	}
	if sd == nil {
		var err error
		if sd, err = createStaging(dir, base, t.logf); err != nil {
			return nil, err
		}
	}
	sd.dir = dir
	t.stages = append(t.stages, sd)
	return sd, nil
}

// aboveDir is where StageAbove stages the outputs of dir: its parent, when
// that is on the same filesystem (a rename cannot cross one). It gives
// dir's stat too.
func (t *Txn) aboveDir(dir string) (string, *unix.Stat_t, bool) {
	if !t.opts.StageAbove {
		return "", nil, false
	}
	parent := dir + "/.." // not Join: a symlinked dir's parent is where it leads
	var a, b unix.Stat_t
	if rawio.Stat(dir, &a) != nil || rawio.Stat(parent, &b) != nil || a.Dev != b.Dev || a.Ino == b.Ino {
		return "", nil, false // another filesystem, or dir is the root
	}
	return parent, &a, true
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

// Abort removes every staged file; targets are untouched. It is safe to
// call after Commit and more than once. The error is the first staging
// directory it could not remove (the next step on the same target sweeps
// it).
func (t *Txn) Abort() error {
	for _, o := range t.outputs {
		o.release()
	}
	var first error
	for _, sd := range t.stages {
		if err := sd.remove(); err != nil && first == nil {
			first = &Error{"remove", sd.path, err}
		}
	}
	t.stages = nil
	t.done = true
	return first
}

var errDone = fmt.Errorf("engine: transaction already finished")
