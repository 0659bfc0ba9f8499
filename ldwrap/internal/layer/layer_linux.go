package layer

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"golang.org/x/sys/unix"

	"github.com/ldwrap/ldwrap/ldwrap/internal/engine"
	"github.com/ldwrap/ldwrap/ldwrap/internal/rawio"
)

// The staging directory of a root is "<parent>/.ldwrap.<base>.layer": one
// fixed name per root, since its lock lets one run at a time use it. The
// engine's staging entries end in "." and eight letters or digits; this
// name never does, so neither sweeps the other's.
const (
	dirPrefix = ".ldwrap."
	dirSuffix = ".layer"
)

var (
	errSlash   = errors.New("the root directory has no parent to stage beside")
	errMount   = errors.New("a mount point: its staging layer would be on another filesystem")
	errNotOurs = errors.New("is not this user's staging directory")
	errBusy    = errors.New("cannot lock the staging directory")
	errRemoved = errors.New("the stage was removed")
)

func stageDir(root string) string {
	return filepath.Join(filepath.Dir(root), dirPrefix+engine.StagingKey(filepath.Base(root))+dirSuffix)
}

// resolveRoot is root absolute with its symlinks resolved: the overlay is
// mounted on the directory itself, and its stage goes beside it.
func resolveRoot(root string) (string, error) {
	abs, err := filepath.Abs(root)
	if err != nil {
		return "", fail("stage", root, err)
	}
	real, err := filepath.EvalSymlinks(abs)
	if err != nil {
		return "", fail("stage", root, rawio.Cause(err))
	}
	if real == "/" {
		return "", fail("stage", root, errSlash)
	}
	return real, nil
}

func nolog(string, ...interface{}) {}

// sameMount says whether a and b are on one mount. One device is not
// enough: rename(2) fails with EXDEV between two bind mounts of one
// filesystem. Kernels before 5.8 do not say (no STATX_MNT_ID): the device
// check alone stands there.
func sameMount(a, b string) bool {
	var x, y unix.Statx_t
	for _, s := range []struct {
		path string
		stx  *unix.Statx_t
	}{{a, &x}, {b, &y}} {
		err := rawio.IgnoringEINTR(func() error {
			return unix.Statx(unix.AT_FDCWD, s.path, unix.AT_SYMLINK_NOFOLLOW, unix.STATX_MNT_ID, s.stx)
		})
		if err != nil || s.stx.Mask&unix.STATX_MNT_ID == 0 {
			return true
		}
	}
	return x.Mnt_id == y.Mnt_id
}

// Prepare finishes or sweeps what a killed run on root left (as Recover),
// then makes root's staging layer: Dir beside root, on its filesystem,
// with upper/ and work/. upper/ gets root's mode, owner, xattrs (ACLs) and
// times, since the overlay shows a merged directory with its upper
// directory's: the command sees root as it is, and its new files inherit
// as they would there. While another run on root holds its stage, Prepare
// waits: runs on one root take turns, as overlayfs does not allow the
// lower tree to change under a mount.
func Prepare(root string) (*Stage, error) { return PrepareWith(root, nil) }

// PrepareWith is Prepare that tells logf of a wait and of a recovery.
func PrepareWith(root string, logf func(string, ...interface{})) (*Stage, error) {
	return prepare(root, logf, true)
}

// ErrTaken is TryPrepare's: another live run on the root holds its stage.
var ErrTaken = errors.New("another run is staging this directory")

// TryPrepare is PrepareWith that does not wait for another run on root:
// it fails with ErrTaken instead, and the caller can do without a layer
// (ldwrap-run's -o runs in argument mode beside it, as make -j asks).
func TryPrepare(root string, logf func(string, ...interface{})) (*Stage, error) {
	return prepare(root, logf, false)
}

func prepare(root string, logf func(string, ...interface{}), wait bool) (*Stage, error) {
	if logf == nil {
		logf = nolog
	}
	real, err := resolveRoot(root)
	if err != nil {
		return nil, err
	}
	var st, pst unix.Stat_t
	if err := rawio.Stat(real, &st); err != nil {
		return nil, fail("stage", real, err)
	}
	if st.Mode&unix.S_IFMT != unix.S_IFDIR {
		return nil, fail("stage", real, unix.ENOTDIR)
	}
	if err := rawio.Stat(filepath.Dir(real), &pst); err != nil {
		return nil, fail("stage", real, err)
	}
	if pst.Dev != st.Dev || !sameMount(real, filepath.Dir(real)) {
		return nil, fail("stage", real, errMount)
	}
	dir := stageDir(real)
	fd, err := lockStage(dir, true, func() bool {
		if wait {
			logf("waiting for another run on %s", real)
		}
		return wait
	})
	if err == ErrTaken {
		return nil, err
	}
	if err != nil {
		return nil, fail("stage", real, err)
	}
	s := &Stage{Root: real, Dir: dir, Upper: filepath.Join(dir, "upper"), Work: filepath.Join(dir, "work"), lock: fd}
	if err := s.recover(logf); err != nil {
		s.release()
		return nil, err
	}
	if err := s.makeLayer(&st); err != nil {
		s.Remove()
		return nil, fail("stage", real, err)
	}
	return s, nil
}

// Recover finishes the commit a killed run on root left when its journal
// was complete, and removes what that run left in its stage. It waits for
// a live run on root to end.
func Recover(root string) error {
	real, err := resolveRoot(root)
	if err != nil {
		return err
	}
	dir := stageDir(real)
	fd, err := lockStage(dir, false, func() bool { return true })
	if err != nil || fd < 0 {
		if err != nil {
			err = fail("recover", real, err)
		}
		return err
	}
	s := &Stage{Root: real, Dir: dir, Upper: filepath.Join(dir, "upper"), Work: filepath.Join(dir, "work"), lock: fd}
	if err := s.recover(nolog); err != nil {
		s.release()
		return err
	}
	return s.Remove()
}

// lockStage opens and locks the staging directory dir, making it first
// when create is set; with create unset, -1 says there is none. waiting
// is called before it waits for a live run; where it says no, ErrTaken.
//
// A run removes its stage before it lets go of the lock, so a stage whose
// lock we get and which is still named dir is a killed run's leftover. The
// name check also covers a stage removed and made again while we waited.
func lockStage(dir string, create bool, waiting func() bool) (int, error) {
	for attempt := 0; attempt < 100; attempt++ {
		if create {
			if err := rawio.Mkdir(dir, 0o700); err != nil && err != unix.EEXIST {
				return -1, err
			}
		}
		fd, err := rawio.Open(dir, unix.O_RDONLY|unix.O_DIRECTORY|unix.O_NOFOLLOW|unix.O_CLOEXEC, 0)
		switch {
		case err == unix.ENOENT && create:
			continue
		case err == unix.ENOENT:
			return -1, nil
		case err == unix.ELOOP || err == unix.ENOTDIR:
			return -1, fmt.Errorf("%s %w", dir, errNotOurs)
		case err != nil:
			return -1, err
		}
		var st unix.Stat_t
		if err := rawio.Fstat(fd, &st); err != nil {
			unix.Close(fd)
			return -1, err
		}
		if st.Uid != uint32(os.Geteuid()) {
			unix.Close(fd)
			return -1, fmt.Errorf("%s %w", dir, errNotOurs)
		}
		err = flock(fd, unix.LOCK_EX|unix.LOCK_NB)
		if err == unix.EWOULDBLOCK {
			if !waiting() {
				unix.Close(fd)
				return -1, ErrTaken
			}
			err = flock(fd, unix.LOCK_EX)
		}
		if err != nil {
			unix.Close(fd)
			return -1, err
		}
		if !stillNamed(fd, dir) {
			unix.Close(fd)
			continue
		}
		return fd, nil
	}
	return -1, errBusy
}

func flock(fd, how int) error {
	return rawio.IgnoringEINTR(func() error { return unix.Flock(fd, how) })
}

// stillNamed reports whether path still names the directory open as fd.
func stillNamed(fd int, path string) bool {
	var a, b unix.Stat_t
	if rawio.Fstat(fd, &a) != nil || rawio.Lstat(path, &b) != nil {
		return false
	}
	return a.Dev == b.Dev && a.Ino == b.Ino && a.Nlink > 0
}

// recover replays the journal a killed commit left, if complete, then
// empties the stage. Without a complete journal no rename was made: what
// is left is an uncommitted layer.
func (s *Stage) recover(logf func(string, ...interface{})) error {
	j, err := readJournal(s.Dir)
	if err != nil {
		return fail("recover", s.Root, err)
	}
	if j != nil {
		if j.root != s.Root {
			return fail("recover", s.Root, errors.New("the journal in "+s.Dir+" is for "+j.root))
		}
		logf("%s: finishing the commit a killed run left", s.Root)
		if err := s.replay(j); err != nil {
			return err
		}
	}
	names, err := rawio.ReadDirNames(s.Dir)
	if err != nil {
		return fail("recover", s.Root, err)
	}
	if len(names) > 0 && j == nil {
		logf("%s: removed the uncommitted layer of a killed run", s.Root)
	}
	if err := rawio.Unlink(filepath.Join(s.Dir, journalName)); err != nil && err != unix.ENOENT {
		return fail("recover", s.Root, err)
	}
	for _, name := range names {
		if err := removeAll(filepath.Join(s.Dir, name)); err != nil {
			return fail("remove", filepath.Join(s.Dir, name), err)
		}
	}
	return nil
}

// makeLayer makes upper/ and work/ in the (empty, locked) stage. upper/
// gets root's attributes (st): see Prepare.
func (s *Stage) makeLayer(st *unix.Stat_t) error {
	if err := rawio.Mkdir(s.Upper, 0o700); err != nil {
		return err
	}
	if err := rawio.Mkdir(s.Work, 0o700); err != nil {
		return err
	}
	if st.Uid != uint32(os.Geteuid()) || st.Gid != uint32(os.Getegid()) {
		// A user who may not give upper/ root's owner cannot have the
		// command see root as it is.
		if err := lchown(s.Upper, int(st.Uid), int(st.Gid)); err != nil {
			return err
		}
	}
	if err := copyXattrs(s.Root, s.Upper, ""); err != nil {
		return err
	}
	if err := rawio.Chmod(s.Upper, st.Mode&0o7777); err != nil {
		return err
	}
	return rawio.UtimesNanoAt(unix.AT_FDCWD, s.Upper, []unix.Timespec{st.Atim, st.Mtim}, unix.AT_SYMLINK_NOFOLLOW)
}

// Remove removes the stage and everything in it, then releases its lock.
// It is safe to call more than once.
func (s *Stage) Remove() error {
	if s.lock < 0 {
		return nil
	}
	err := removeAll(s.Dir)
	s.release()
	if err != nil {
		return fail("remove", s.Dir, err)
	}
	return nil
}

func (s *Stage) release() {
	if s.lock >= 0 {
		unix.Close(s.lock)
		s.lock = -1
	}
}

// removeAll removes path and what it holds. A directory it may not read
// or write is opened up first: overlayfs leaves a work/work of mode 000,
// and a command may leave a read-only tree.
func removeAll(path string) error {
	err := os.RemoveAll(path)
	if err == nil {
		return nil
	}
	var st unix.Stat_t
	if rawio.Lstat(path, &st) != nil || st.Mode&unix.S_IFMT != unix.S_IFDIR {
		return rawio.Cause(err)
	}
	rawio.Chmod(path, 0o700)
	names, lerr := rawio.ReadDirNames(path)
	if lerr != nil {
		return lerr
	}
	for _, name := range names {
		if err := removeAll(filepath.Join(path, name)); err != nil {
			return err
		}
	}
	return rawio.Rmdir(path)
}
