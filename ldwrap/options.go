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

// Option adjusts one call. Each applies to some calls only; see each.
type Option func(*config)

// option names, for the error a call gives about one it does not take.
const (
	optDurable = 1 << iota
	optMode
	optOwner
	optKeepAttrs
	optSkipIdentical
	optFollowSymlinks
	optPreserveTimes
	optStdout
	optVerbose
	optFresh
)

var optionNames = map[int]string{
	optDurable: "Durable", optMode: "WithMode", optOwner: "WithOwner", optKeepAttrs: "KeepAttrs",
	optSkipIdentical: "SkipIdentical", optFollowSymlinks: "FollowSymlinks", optPreserveTimes: "PreserveTimes",
	optStdout: "Stdout", optVerbose: "Verbose", optFresh: "Fresh",
}

type config struct {
	given         int
	durable       bool
	durableSet    bool
	mode          os.FileMode
	uid, gid      int
	keepAttrs     bool
	skip          int // 0 always replace, 1 keep untouched, 2 keep and touch
	follow        bool
	preserveTimes bool
	stdout        string
	verbose       func(format string, args ...interface{})
	fresh         bool
}

// newConfig applies opts for the call named call, which takes the options
// in allowed; the durability default is durable.
func newConfig(call string, durable bool, allowed int, opts []Option) (*config, error) {
	c := &config{durable: durable, uid: -1, gid: -1}
	for _, o := range opts {
		o(c)
	}
	if extra := c.given &^ allowed; extra != 0 {
		var names []string
		for bit := 1; bit <= extra; bit <<= 1 {
			if extra&bit != 0 {
				names = append(names, optionNames[bit])
			}
		}
		return nil, fmt.Errorf("ldwrap: %s: option %s does not apply", call, strings.Join(names, ", "))
	}
	return c, nil
}

const (
	fileOptions    = optDurable | optMode | optOwner | optKeepAttrs | optSkipIdentical | optFollowSymlinks | optVerbose
	installOptions = fileOptions | optPreserveTimes
	runOptions     = optDurable | optKeepAttrs | optSkipIdentical | optFollowSymlinks | optStdout | optVerbose | optFresh
)

// Durable turns fsync of the file and its directory on or off. Default:
// on for WriteFile, Create and Install, off for Run.
func Durable(on bool) Option {
	return func(c *config) { c.given |= optDurable; c.durable, c.durableSet = on, true }
}

// WithMode sets the new file's permission bits before the rename, exactly:
// the umask does not apply (as with install -m). WriteFile, Create, Install.
func WithMode(m os.FileMode) Option {
	return func(c *config) { c.given |= optMode; c.mode = m }
}

// WithOwner sets the new file's owner and group (-1 leaves one alone)
// before the rename. WriteFile, Create, Install.
func WithOwner(uid, gid int) Option {
	return func(c *config) { c.given |= optOwner; c.uid, c.gid = uid, gid }
}

// KeepAttrs carries the old file's mode, owner, group and extended
// attributes onto the new file. WithMode and WithOwner win over it.
func KeepAttrs() Option { return func(c *config) { c.given |= optKeepAttrs; c.keepAttrs = true } }

// SkipIdentical keeps the old file (its inode, so hard links and running
// processes are unaffected) when the new one has the same bytes, mode and
// owner. With touch, its mtime is set to now, so make does not redo the
// step; without, the mtime is left alone (ninja's restat).
func SkipIdentical(touch bool) Option {
	return func(c *config) {
		c.given |= optSkipIdentical
		c.skip = 1
		if touch {
			c.skip = 2
		}
	}
}

// FollowSymlinks replaces the file a symlink destination points to, rather
// than the link itself.
func FollowSymlinks() Option {
	return func(c *config) { c.given |= optFollowSymlinks; c.follow = true }
}

// PreserveTimes gives Install's destination the source's access and
// modification times. Install only.
func PreserveTimes() Option {
	return func(c *config) { c.given |= optPreserveTimes; c.preserveTimes = true }
}

// Stdout makes Run capture the command's standard output into path,
// atomically, as one more output. Run only.
func Stdout(path string) Option { return func(c *config) { c.given |= optStdout; c.stdout = path } }

// Fresh tells Run that the command writes its outputs from scratch, so
// their staged files start empty rather than as copies of the old outputs
// (which a command that appends to or updates its output needs). Run only.
func Fresh() Option { return func(c *config) { c.given |= optFresh; c.fresh = true } }

// Verbose sends one line per decision to logf.
func Verbose(logf func(format string, args ...interface{})) Option {
	return func(c *config) { c.given |= optVerbose; c.verbose = logf }
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
