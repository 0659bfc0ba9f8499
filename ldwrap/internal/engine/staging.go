package engine

import (
	"encoding/hex"
	"errors"
	"hash/fnv"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"golang.org/x/sys/unix"

	"github.com/ldwrap/ldwrap/ldwrap/internal/rawio"
)

// A staging entry is named ".ldwrap.<key>.<suffix>": key is the basename of
// the first target staged in that directory (so a later run on the same
// target finds the leftovers of a killed one), suffix is random and of fixed
// length (so "a" never matches the leftovers of "a.b"). It is a staging
// directory (a tool's step), or the name a file this process wrote itself
// is linked to just before its rename (unnamed.go).
const (
	stagingPrefix = ".ldwrap."
	suffixLen     = 8
	suffixChars   = "abcdefghijklmnopqrstuvwxyz0123456789"
	maxKeyLen     = 200 // NAME_MAX is 255
)

type stagingDir struct {
	dir  string      // the targets' directory
	path string      // the staging directory
	lock int         // a descriptor of it holding LOCK_EX while it is ours; -1 once released
	made unix.Stat_t // its stat once made and locked
}

func stagingKey(base string) string {
	if len(base) <= maxKeyLen {
		return base
	}
	h := fnv.New64a()
	h.Write([]byte(base))
	return base[:maxKeyLen-17] + "~" + hex.EncodeToString(h.Sum(nil))
}

// IsStagingName reports whether name (a basename) is an ldwrap staging
// entry of the target with basename base.
func IsStagingName(name, base string) bool {
	prefix := stagingPrefix + stagingKey(base) + "."
	if len(name) != len(prefix)+suffixLen || !strings.HasPrefix(name, prefix) {
		return false
	}
	for _, c := range name[len(prefix):] {
		if !strings.ContainsRune(suffixChars, c) {
			return false
		}
	}
	return true
}

func randomSuffix() (string, error) {
	var b [suffixLen]byte
	if err := sys.random(b[:]); err != nil {
		return "", err
	}
	for i := range b {
		b[i] = suffixChars[int(b[i])%len(suffixChars)]
	}
	return string(b[:]), nil
}

// firstSuffix is the suffix every staging entry of a target tries first:
// the staging directory of a tool's step, or the name a file ldwrap wrote
// itself is linked to. Being fixed, it is where the next run on the target
// meets the leftover of a killed one. A run finds it taken only when a run
// on the same target died or is still going (or another user planted
// something there); only then does it list the directory to sweep. Listing
// every time cost about 1 ms per call in a directory of 2,000 entries.
const firstSuffix = "staging0"

// stagingName is the staging entry of base in dir with the given suffix.
func stagingName(dir, base, suffix string) string {
	return filepath.Join(dir, stagingPrefix+stagingKey(base)+"."+suffix)
}

// createStaging makes and locks a staging directory for base in dir, mode
// 0700: mkdir(2) never follows a symlink, so another user cannot plant or
// read anything in it, even in a sticky world-writable directory. It keeps
// each output's basename, so names that a tool derives from its output
// (depfiles, .dwo, .su) are right. The lock dies with the process: that
// is how a sweep tells a leftover of a killed run from the directory of a
// live parallel one.
//
// It is made under a random name, locked, and only then renamed to the
// first name, never over anything: a directory under the first name is
// always locked while its run lives. (Made there directly, a sweeper could
// remove it between mkdir and flock, another run make it again, and the
// first open the second's.)
//
// Lock protocol under the random name: the creator mkdirs, opens and locks
// (blocking), then checks that the path still names the inode it locked. A
// sweeper only removes a directory whose lock it got without waiting, and
// owned by us. A sweeper that slips in between the creator's mkdir and
// flock removes an empty directory; the creator sees the path gone and
// starts over.
func createStaging(dir, base string, logf func(string, ...interface{})) (*stagingDir, error) {
	for attempt := 0; attempt < 100; attempt++ {
		suffix, err := randomSuffix()
		if err != nil {
			return nil, err
		}
		path := stagingName(dir, base, suffix)
		if err := rawio.Mkdir(path, 0o700); err != nil {
			if err == unix.EEXIST {
				continue
			}
			return nil, err
		}
		fd, err := rawio.Open(path, unix.O_RDONLY|unix.O_DIRECTORY|unix.O_NOFOLLOW|unix.O_CLOEXEC, 0)
		if err != nil {
			if err == unix.ENOENT || err == unix.ENOTDIR || isSymlinkRefused(err) {
				continue
			}
			return nil, err
		}
		if err := flock(fd, unix.LOCK_EX); err != nil {
			unix.Close(fd)
			os.Remove(path)
			return nil, err
		}
		sd := &stagingDir{dir: dir, path: path, lock: fd}
		if !stillNamedFD(fd, path, &sd.made) {
			unix.Close(fd)
			continue
		}
		sd.takeFirstName(base, logf)
		return sd, nil
	}
	return nil, errors.New("cannot create a unique staging directory")
}

// takeFirstName renames the locked staging directory to base's first name,
// sweeping base's leftovers if that is taken. Where it is a live run's, the
// random name stays.
func (sd *stagingDir) takeFirstName(base string, logf func(string, ...interface{})) {
	first := stagingName(sd.dir, base, firstSuffix)
	for try := 0; try < 2; try++ {
		switch err := sys.renameNoReplace(sd.path, first); err {
		case nil:
			sd.path = first
			return
		case unix.EEXIST, unix.ENOTEMPTY:
			if try == 0 {
				sweep(sd.dir, base, logf) // may free the first name
			}
		default:
			// Nothing can be renamed there without replacing (no
			// RENAME_NOREPLACE, or no such call for directories): nothing
			// will be found at the first name, so sweep now, as every run
			// here will.
			sweepIfSubdirs(sd.dir, base, logf)
			return
		}
	}
}

// symlinkRefused are open(2)'s answers for a symlink under O_NOFOLLOW:
// ELOOP as POSIX has it, EMLINK on FreeBSD, EFTYPE on NetBSD
// (nofollow_netbsd.go).
var symlinkRefused = []error{unix.ELOOP, unix.EMLINK}

func isSymlinkRefused(err error) bool {
	for _, e := range symlinkRefused {
		if err == e {
			return true
		}
	}
	return false
}

// stillNamedFD reports whether path still names the file open as fd,
// whose stat it puts in a.
func stillNamedFD(fd int, path string, a *unix.Stat_t) bool {
	var b unix.Stat_t
	if rawio.Fstat(fd, a) != nil || rawio.Lstat(path, &b) != nil {
		return false
	}
	return a.Dev == b.Dev && a.Ino == b.Ino && a.Nlink > 0
}

func flock(fd, how int) error {
	return rawio.IgnoringEINTR(func() error { return unix.Flock(fd, how) })
}

// sweepIfSubdirs sweeps only where there can be a staging directory: a
// directory's link count is 2 plus its subdirectories (where the
// filesystem counts them; btrfs says 1, APFS counts every entry).
func sweepIfSubdirs(dir, base string, logf func(string, ...interface{})) {
	var st unix.Stat_t
	if rawio.Stat(dir, &st) == nil && st.Nlink == 2 {
		return
	}
	sweep(dir, base, logf)
}

// sweep removes staging entries of base in dir whose owner is gone.
func sweep(dir, base string, logf func(string, ...interface{})) {
	fd, err := rawio.Open(dir, unix.O_RDONLY|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
	if err != nil {
		return
	}
	names, err := sys.dirNames(fd)
	unix.Close(fd)
	if err != nil {
		return
	}
	for _, name := range names {
		if IsStagingName(name, base) || isStagingEntryAs(dir, name, base) {
			sweepEntry(filepath.Join(dir, name), logf)
		}
	}
}

// isStagingEntryAs says whether dir's entry name is base's staging entry
// under another spelling: HFS+ lists names decomposed (NFD), so the entry
// made for "é.o" does not have the bytes IsStagingName expects, but a
// lookup of the name made the same way finds it.
func isStagingEntryAs(dir, name, base string) bool {
	n := len(name)
	if !strings.HasPrefix(name, stagingPrefix) || n < len(stagingPrefix)+suffixLen+2 || name[n-suffixLen-1] != '.' {
		return false
	}
	ours := stagingName(dir, base, name[n-suffixLen:])
	if filepath.Base(ours) == name {
		return false // IsStagingName said no to these very bytes
	}
	listed, err := os.Lstat(filepath.Join(dir, name))
	if err != nil {
		return false
	}
	found, err := os.Lstat(ours)
	return err == nil && os.SameFile(listed, found)
}

// sweepEntry removes the staging entry at path if it is ours and its owner
// is gone: a staging directory, or a file an unnamed output was linked to
// by a run that died before its rename. It reports whether it removed it.
// Errors are ignored: a leftover we cannot remove must not fail a build.
func sweepEntry(path string, logf func(string, ...interface{})) bool {
	// O_NONBLOCK: opening a fifo someone named so must not hang us.
	fd, err := rawio.Open(path, unix.O_RDONLY|unix.O_NOFOLLOW|unix.O_NONBLOCK|unix.O_CLOEXEC, 0)
	if err != nil {
		return false
	}
	defer unix.Close(fd)
	var st unix.Stat_t
	if rawio.Fstat(fd, &st) != nil || st.Uid != uint32(os.Geteuid()) {
		return false
	}
	kind := uint32(st.Mode) & unix.S_IFMT
	if kind != unix.S_IFDIR && kind != unix.S_IFREG {
		return false
	}
	if flock(fd, unix.LOCK_EX|unix.LOCK_NB) != nil { // a live run holds it
		return false
	}
	if !stillNamedFD(fd, path, &st) {
		return false
	}
	if kind == unix.S_IFDIR {
		os.RemoveAll(path)
	} else {
		rawio.Unlink(path)
	}
	logf("removed %s, left by a run that died", path)
	return true
}

// list reads the staging directory through the descriptor we hold (its
// offset is still 0: nothing else reads it), sorted.
func (sd *stagingDir) list() ([]string, error) {
	names, err := sys.dirNames(sd.lock)
	sort.Strings(names)
	return names, err
}

// remove removes the staging directory and what the tool left in it, while
// still locked, so no sweeper races us. Everything in it was made by the
// tool we ran.
func (sd *stagingDir) remove() error {
	if sd.lock < 0 {
		return nil
	}
	var err error
	if rerr := rawio.Rmdir(sd.path); rerr != nil && rerr != unix.ENOENT {
		err = os.RemoveAll(sd.path) // not empty: the tool left files we did not commit
	}
	unix.Close(sd.lock)
	sd.lock = -1
	return err
}
