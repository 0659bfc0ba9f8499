// Package ldwrap writes, installs and builds files atomically, for
// magefiles and other Go programs. It is the API of the engine behind the
// ldwrap commands.
//
// Every function here writes the new content beside the destination and
// renames it over the destination. WriteFile, Create and Install write a
// file with no name yet (O_TMPFILE in the destination's directory) and link
// it just before the rename; Run's command writes into a private 0700
// directory beside each output, which keeps the output's basename:
//
//   - Atomicity: a reader sees the old file or the new one, never a partial
//     or missing one. A running program or a loaded library keeps the old
//     inode, so replacing them is safe (no ETXTBSY, no SIGSEGV/SIGBUS).
//   - Nothing lost: on any error the destination is left byte-identical and
//     the new file is removed. A killed WriteFile or Install leaves nothing
//     (short of a kill in the two system calls between link and rename);
//     leftovers of a killed process are removed by the next write of the
//     same destination.
//   - Durability: WriteFile, Create and Install fsync the file before the
//     rename and the directory after it by default (Durable(false) turns
//     that off); Run does not by default (Durable(true) turns it on).
//   - Attributes are applied to the new file before the rename, never after:
//     WithMode, WithOwner, KeepAttrs (the old file's mode, owner, group and
//     xattrs, security.selinux included).
//
// Compared point by point:
//
//	                         renameio v2   natefinch/atomic   ldwrap
//	temp beside target       yes           yes                yes, unnamed (O_TMPFILE) until the rename; for Run, a 0700 directory that keeps the basename
//	fsync file / directory   yes / no      yes / no           yes / yes (Durable)
//	mode option              yes           no                 yes, and owner, and old attrs incl. xattrs
//	skip identical content   no            no                 yes (SkipIdentical), keeps the old inode
//	stale temp cleanup       no            no                 yes, lock-proven (never a live writer's)
//	copy a file (install)    no            no                 Install
//	run a command's outputs  no            no                 Run, with depfile-style side files
//	fork/exec fd hygiene     no            no                 WriteFile and Install hold syscall.ForkLock
//
// The last row is golang/go#22315: a writable descriptor inherited by a
// child forked concurrently makes exec of the new file fail with ETXTBSY.
// WriteFile and Install hold syscall.ForkLock (read side) while their
// descriptor is open, as the standard library's own writers do. Create
// cannot (the caller writes at leisure); do not exec the file of a
// PendingFile while another goroutine may fork.
package ldwrap

import (
	"fmt"
	"os"
	"strings"
	"syscall"
	"unsafe"

	"golang.org/x/sys/unix"

	"github.com/ldwrap/ldwrap/ldwrap/internal/cmdline"
	"github.com/ldwrap/ldwrap/ldwrap/internal/engine"
	"github.com/ldwrap/ldwrap/ldwrap/internal/stale"
	"github.com/ldwrap/ldwrap/ldwrap/internal/step"
)

// Option adjusts one call.
type Option func(*config)

type config struct {
	opts          engine.Options
	mode          os.FileMode
	modeSet       bool
	uid, gid      int
	preserveTimes bool
	stdout        string
}

func newConfig(durable bool, opts []Option) *config {
	c := &config{uid: -1, gid: -1}
	c.opts.Durable = durable
	for _, o := range opts {
		o(c)
	}
	return c
}

// Durable turns fsync of the file and its directory on or off.
func Durable(on bool) Option { return func(c *config) { c.opts.Durable = on } }

// WithMode sets the new file's permission bits before the rename, exactly:
// the umask does not apply (as with install -m).
func WithMode(m os.FileMode) Option { return func(c *config) { c.mode, c.modeSet = m, true } }

// WithOwner sets the new file's owner and group (-1 leaves one alone)
// before the rename.
func WithOwner(uid, gid int) Option { return func(c *config) { c.uid, c.gid = uid, gid } }

// KeepAttrs carries the old file's mode, owner, group and extended
// attributes onto the new file. WithMode and WithOwner win over it.
func KeepAttrs() Option { return func(c *config) { c.opts.KeepAttrs = true } }

// SkipIdentical keeps the old file (its inode, so hard links and running
// processes are unaffected) when the new one has the same bytes, mode and
// owner. With touch, its mtime is set to now, so make does not redo the
// step; without, the mtime is left alone (ninja's restat).
func SkipIdentical(touch bool) Option {
	return func(c *config) {
		c.opts.Skip = engine.KeepUntouched
		if touch {
			c.opts.Skip = engine.KeepAndTouch
		}
	}
}

// FollowSymlinks replaces the file a symlink destination points to, rather
// than the link itself.
func FollowSymlinks() Option { return func(c *config) { c.opts.Symlinks = engine.FollowLink } }

// PreserveTimes gives Install's destination the source's access and
// modification times.
func PreserveTimes() Option { return func(c *config) { c.preserveTimes = true } }

// Stdout makes Run capture the command's standard output into path,
// atomically, as one more output.
func Stdout(path string) Option { return func(c *config) { c.stdout = path } }

// Verbose sends one line per decision to logf.
func Verbose(logf func(format string, args ...interface{})) Option {
	return func(c *config) { c.opts.Logf = logf }
}

// PendingFile is a file being written that replaces its destination only
// when CloseAtomicallyReplace succeeds.
type PendingFile struct {
	*os.File
	txn  *engine.Txn
	out  *engine.Output
	done bool
}

// Create starts writing path. perm, less the umask, is the new file's mode
// (as with os.WriteFile and renameio's WithPermissions) unless WithMode
// (exact bits, no umask) or KeepAttrs (the old file's, where the old file
// is a regular file) says otherwise. Call Cleanup in a defer; it does nothing
// after a successful CloseAtomicallyReplace.
func Create(path string, perm os.FileMode, opts ...Option) (*PendingFile, error) {
	c := newConfig(true, opts)
	txn := engine.New(c.opts)
	out, fd, err := stageFile(txn, path, perm, false, c)
	if err != nil {
		txn.Abort()
		return nil, err
	}
	return &PendingFile{File: os.NewFile(uintptr(fd), path), txn: txn, out: out}, nil
}

// stageFile stages path in txn and creates its new file, unnamed until the
// commit (engine.Txn.Create); the descriptor is the caller's to close. It
// is a plain descriptor, not an *os.File: opening one costs fcntl and
// epoll_ctl calls that Install, which copies with copy_file_range, does not
// need (8 fcntl and 2 epoll_ctl per installed file, strace -c).
//
// The new file's mode, decided before the rename: c's WithMode if set;
// else the old file's with KeepAttrs, where the old file is a regular
// file; else perm, less the umask (as os.WriteFile) unless exact (Install
// copies the source's bits as they are).
func stageFile(txn *engine.Txn, path string, perm os.FileMode, exact bool, c *config) (*engine.Output, int, error) {
	createPerm := unixMode(perm)
	if exact || c.modeSet {
		createPerm = 0o600
	}
	out, fd, err := txn.Create(path, createPerm)
	if err != nil {
		return nil, -1, err
	}
	switch {
	case c.modeSet:
		out.Mode = c.mode
	case c.opts.KeepAttrs && isRegular(out.Target):
		// Mode 0: the engine carries the old file's mode over.
	case exact:
		out.Mode = perm
	}
	out.Uid, out.Gid = c.uid, c.gid
	return out, fd, nil
}

// CloseAtomicallyReplace closes the file and renames it over the
// destination.
func (p *PendingFile) CloseAtomicallyReplace() error {
	if p.done {
		return fmt.Errorf("ldwrap: %s already closed", p.out.Target)
	}
	p.done = true
	if err := p.File.Close(); err != nil {
		p.txn.Abort()
		return &engine.Error{Op: "write", Path: p.out.Target, Err: err}
	}
	return p.txn.Commit()
}

// Cleanup closes and removes the pending file, leaving the destination as
// it was. It is a no-op after CloseAtomicallyReplace.
func (p *PendingFile) Cleanup() error {
	if p.done {
		return nil
	}
	p.done = true
	p.File.Close()
	p.txn.Abort()
	return nil
}

// WriteFile replaces path with data, atomically and (by default) durably.
func WriteFile(path string, data []byte, perm os.FileMode, opts ...Option) error {
	syscall.ForkLock.RLock()
	p, err := Create(path, perm, opts...)
	if err == nil {
		_, err = p.Write(data)
		if cerr := p.File.Close(); err == nil {
			err = cerr
		}
	}
	syscall.ForkLock.RUnlock()
	if p == nil {
		return err
	}
	if err != nil {
		p.Cleanup()
		return &engine.Error{Op: "write", Path: path, Err: err}
	}
	p.done = true
	return p.txn.Commit()
}

// Install copies src to dst atomically and (by default) durably, with
// src's permission bits unless WithMode says otherwise. It is what
// ldwrap-install does for each file.
func Install(src, dst string, opts ...Option) error {
	return InstallFiles([][2]string{{src, dst}}, opts...)
}

// InstallFiles installs each {src, dst} pair as Install does. Durable, it
// is one transaction: durability costs one syncfs(2) rather than an fsync
// per file. Otherwise each file is renamed into place as soon as it is
// written: ext4 allocates inodes far more slowly while many it freed a
// moment before are still recent (its recently_deleted check, which perf
// shows taking half of a batched install), and writing every file before
// replacing any old one makes exactly that happen (bench/README.md). A pair
// that fails (a missing source, say) leaves its destination alone and does
// not stop the others; the error then lists every failure, one per line.
func InstallFiles(pairs [][2]string, opts ...Option) error {
	c := newConfig(true, opts)
	var errs Errors
	txn := engine.New(c.opts)
	for _, p := range pairs {
		if err := stageCopy(txn, p[0], p[1], c); err != nil {
			errs = append(errs, err)
		}
		if !c.opts.Durable {
			if err := txn.Commit(); err != nil {
				errs = append(errs, err)
			}
			txn = engine.New(c.opts)
		}
	}
	if err := txn.Commit(); err != nil {
		errs = append(errs, err)
	}
	if len(errs) == 0 {
		return nil
	}
	return errs
}

// Errors is several failures of one call, one per line.
type Errors []error

func (e Errors) Error() string {
	lines := make([]string, len(e))
	for i, err := range e {
		lines[i] = err.Error()
	}
	return strings.Join(lines, "\n")
}

// stageCopy copies src into a staged file for dst.
func stageCopy(txn *engine.Txn, src, dst string, c *config) error {
	in, err := syscall.Open(src, syscall.O_RDONLY|syscall.O_CLOEXEC, 0)
	if err != nil {
		return &engine.Error{Op: "open", Path: src, Err: err}
	}
	defer syscall.Close(in)
	var st syscall.Stat_t
	if err := syscall.Fstat(in, &st); err != nil {
		return &engine.Error{Op: "stat", Path: src, Err: err}
	}
	if st.Mode&syscall.S_IFMT == syscall.S_IFDIR {
		return &engine.Error{Op: "install", Path: src, Err: syscall.EISDIR}
	}
	syscall.ForkLock.RLock()
	out, fd, err := stageFile(txn, dst, os.FileMode(st.Mode&0o777), true, c)
	if err != nil {
		syscall.ForkLock.RUnlock()
		return err
	}
	err = copyFD(fd, in)
	if err == nil && c.preserveTimes {
		err = futimens(fd, st.Atim, st.Mtim)
	}
	if cerr := syscall.Close(fd); err == nil {
		err = cerr
	}
	syscall.ForkLock.RUnlock()
	if err != nil {
		txn.Drop(out)
		return &engine.Error{Op: "copy", Path: dst, Err: err}
	}
	return nil
}

// copyFD copies everything from in to out: copy_file_range (in-kernel,
// reflinks where the filesystem has them), and read/write where the kernel
// cannot: another filesystem on older kernels, pipes, and /proc or /sys
// files, for which it copies nothing and says so by returning 0 at once.
func copyFD(out, in int) error {
	for first := true; ; first = false {
		n, err := unix.CopyFileRange(in, nil, out, nil, 1<<30, 0)
		switch {
		case err == syscall.EINTR:
			continue
		case first && (n == 0 || err == syscall.EXDEV || err == syscall.EINVAL || err == syscall.ENOSYS ||
			err == syscall.EOPNOTSUPP || err == syscall.EPERM):
			return readWrite(out, in)
		case err != nil:
			return err
		case n == 0:
			return nil
		}
	}
}

// unixMode is m as open(2) takes it, as os.OpenFile converts it.
func unixMode(m os.FileMode) uint32 {
	u := uint32(m.Perm())
	if m&os.ModeSetuid != 0 {
		u |= syscall.S_ISUID
	}
	if m&os.ModeSetgid != 0 {
		u |= syscall.S_ISGID
	}
	if m&os.ModeSticky != 0 {
		u |= syscall.S_ISVTX
	}
	return u
}

func readWrite(out, in int) error {
	buf := make([]byte, 128<<10)
	for {
		n, err := syscall.Read(in, buf)
		if err == syscall.EINTR {
			continue
		}
		if err != nil || n == 0 {
			return err
		}
		for b := buf[:n]; len(b) > 0; {
			w, err := syscall.Write(out, b)
			if err == syscall.EINTR {
				continue
			}
			if err != nil {
				return err
			}
			b = b[w:]
		}
	}
}

func isRegular(path string) bool {
	fi, err := os.Lstat(path)
	return err == nil && fi.Mode().IsRegular()
}

// futimens sets the times of the file open as fd (utimensat with a NULL
// path, which x/sys/unix has no wrapper for).
func futimens(fd int, atime, mtime syscall.Timespec) error {
	ts := [2]syscall.Timespec{atime, mtime}
	_, _, errno := syscall.Syscall6(syscall.SYS_UTIMENSAT, uintptr(fd), 0, uintptr(unsafe.Pointer(&ts[0])), 0, 0, 0)
	if errno != 0 {
		return errno
	}
	return nil
}

// ExitError is a command run by Run that failed.
type ExitError struct {
	Argv   []string
	Status syscall.WaitStatus
}

func (e *ExitError) Error() string {
	if e.Status.Signaled() {
		return fmt.Sprintf("run %s: %v", e.Argv[0], e.Status.Signal())
	}
	return fmt.Sprintf("run %s: exit status %d", e.Argv[0], e.Status.ExitStatus())
}

// Run runs argv with its outputs staged: every argument equal to an output
// (or ending in "=" and the output) is pointed at the staged file, and the
// outputs replace their destinations only if the command succeeds. Files
// the command writes beside a staged output (a depfile, a .map) are
// committed with it. A failing command leaves every destination untouched
// and returns *ExitError. Run does not touch the program's signal handling.
//
//	ldwrap.Run([]string{"bin/app"}, []string{"go", "build", "-o", "bin/app", "./cmd/app"})
func Run(outputs []string, argv []string, opts ...Option) error {
	c := newConfig(false, opts)
	if len(argv) == 0 {
		return fmt.Errorf("run: empty command")
	}
	plan, err := cmdline.PlanRun(outputs, argv[1:])
	if err != nil {
		return err
	}
	tool, err := step.FindCommand(argv[0])
	if err != nil {
		return err
	}
	out, err := step.Step{Tool: tool, Args: argv[1:], Plan: plan, Stdout: c.stdout, Options: c.opts}.Execute()
	if err != nil {
		return err
	}
	if !out.Success() {
		return &ExitError{Argv: argv, Status: out.Status}
	}
	return nil
}

// StaleUse is a process that still uses an old version of a file that was
// replaced by rename (by ldwrap or anything else).
type StaleUse struct {
	PID  int
	Comm string // command name
	// Kind is "executable" (the process runs it), "mapping" (a loaded
	// library) or "descriptor" (open).
	Kind string
	Path string
	Unit string // the systemd unit to restart, when the process is in one
}

// StaleUsers returns the processes that still run, map or hold open an old
// version of one of paths: files, or directories meaning every file under
// them. A deleted file is an old version of its path when that path now
// names another file. uninspected counts the processes whose /proc entries
// could not be read (other users', when not root); they may be users too.
func StaleUsers(paths ...string) (uses []StaleUse, uninspected int, err error) {
	res, err := stale.UnderPaths(paths)
	for _, u := range res.Uses {
		uses = append(uses, StaleUse{PID: u.PID, Comm: u.Comm, Kind: u.Kind.String(), Path: u.Path, Unit: u.Unit})
	}
	return uses, res.Denied, err
}
