package ldwrap

import (
	"errors"
	"fmt"
	"os"
	"runtime"
	"strings"
)

// ErrUnsupported is what every call returns on a system ldwrap has no
// engine for, and StaleUsers where it has no backend.
var ErrUnsupported = errors.New("ldwrap: not supported on " + runtime.GOOS)

// Option is an option that every call takes.
type Option interface {
	FileOption
	RunOption
}

// FileOption is an option of WriteFile, Create, Install and InstallFiles.
type FileOption interface {
	InstallOption
	fileOption()
}

// InstallOption is an option of Install and InstallFiles only.
type InstallOption interface {
	option
	installOption()
}

// RunOption is an option of Run only.
type RunOption interface {
	option
	runOption()
}

type option interface{ apply(*config) }

// The options' types: each implements the interfaces of the calls that
// take it, and no other, so that a type assertion cannot get round the
// compiler either.
type (
	setter        func(*config)
	installSetter struct{ setter }
	fileSetter    struct{ setter }
	runSetter     struct{ setter }
	anySetter     struct{ setter }
)

func (s setter) apply(c *config)     { s(c) }
func (installSetter) installOption() {}
func (fileSetter) installOption()    {}
func (fileSetter) fileOption()       {}
func (runSetter) runOption()         {}
func (anySetter) installOption()     {}
func (anySetter) fileOption()        {}
func (anySetter) runOption()         {}

type config struct {
	durable       bool
	mode          *os.FileMode // nil: none given
	uid, gid      int
	keepAttrs     bool
	skip          int // 0 always replace, 1 keep untouched, 2 keep and touch
	follow        bool
	preserveTimes bool
	stdout        string
	verbose       func(format string, args ...interface{})
	fresh         bool
}

// newConfig applies opts over the defaults; a nil option is none.
func newConfig[O option](durable bool, opts []O) *config {
	c := &config{durable: durable, uid: -1, gid: -1}
	for _, o := range opts {
		if o := option(o); o != nil {
			o.apply(c)
		}
	}
	return c
}

// Durable turns fsync of the file and its directory on or off. Default:
// on for WriteFile, Create and Install, off for Run.
func Durable(on bool) Option { return anySetter{func(c *config) { c.durable = on }} }

// WithMode sets the new file's permission bits before the rename, exactly:
// the umask does not apply (as with install -m).
func WithMode(m os.FileMode) FileOption {
	return fileSetter{func(c *config) { c.mode = &m }}
}

// WithOwner sets the new file's owner and group (-1 leaves one alone)
// before the rename.
func WithOwner(uid, gid int) FileOption {
	return fileSetter{func(c *config) { c.uid, c.gid = uid, gid }}
}

// KeepAttrs carries the old file's mode, owner, group and extended
// attributes onto the new file. WithMode and WithOwner win over it.
func KeepAttrs() Option { return anySetter{func(c *config) { c.keepAttrs = true }} }

// SkipIdentical keeps the old file (its inode, so hard links and running
// processes are unaffected) when the new one has the same bytes, mode and
// owner. With touch, its mtime is set to now, so make does not redo the
// step; without, the mtime is left alone (ninja's restat).
func SkipIdentical(touch bool) Option {
	return anySetter{func(c *config) {
		c.skip = 1
		if touch {
			c.skip = 2
		}
	}}
}

// FollowSymlinks replaces the file a symlink destination points to, rather
// than the link itself.
func FollowSymlinks() Option { return anySetter{func(c *config) { c.follow = true }} }

// PreserveTimes gives the destination the source's access and
// modification times.
func PreserveTimes() InstallOption {
	return installSetter{func(c *config) { c.preserveTimes = true }}
}

// Stdout captures the command's standard output into path, atomically, as
// one more output.
func Stdout(path string) RunOption { return runSetter{func(c *config) { c.stdout = path }} }

// Fresh says the command writes its outputs from scratch, so their staged
// files start empty rather than as copies of the old outputs (which a
// command that appends to or updates its output needs).
func Fresh() RunOption { return runSetter{func(c *config) { c.fresh = true }} }

// Verbose sends one line per decision to logf.
func Verbose(logf func(format string, args ...interface{})) Option {
	return anySetter{func(c *config) { c.verbose = logf }}
}

// FilePair is one file for InstallFiles to install.
type FilePair struct{ Src, Dst string }

// Errors is several failures of one call, one per line.
type Errors []error

func (e Errors) Error() string {
	lines := make([]string, len(e))
	for i, err := range e {
		lines[i] = err.Error()
	}
	return strings.Join(lines, "\n")
}

// StaleUse is a process that still uses an old version of a file that was
// replaced by rename (by ldwrap or anything else).
type StaleUse struct {
	PID  int
	Comm string // command name
	// Kind is "executable" (the process runs it), "mapping" (a loaded
	// library), "descriptor" (open), or "script" (an interpreter runs it,
	// and it changed after the process started).
	Kind string
	Path string
	// Unit is the systemd unit to restart; Service, without systemd, the
	// name of the pid file under /run that holds the process's pid or its
	// parent's.
	Unit    string
	Service string
}

// ExitError is a command run by Run that failed.
type ExitError struct {
	Argv []string
	// Code is the exit status, or -1 when a signal ended the command.
	Code   int
	Signal string // the signal's name when one ended it
}

func (e *ExitError) Error() string {
	if e.Signal != "" {
		return fmt.Sprintf("run %s: %s", e.Argv[0], e.Signal)
	}
	return fmt.Sprintf("run %s: exit status %d", e.Argv[0], e.Code)
}
