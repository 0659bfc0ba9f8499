// Package nsrun is ldwrap-run's namespace mode: the command runs in a
// private mount namespace where each root (an output's directory, a
// --stage directory) is covered by an overlay whose upper layer is a
// staging directory beside the root (package layer). The command sees and
// writes the real paths; nothing of its arguments, environment or streams
// is touched. When it succeeds, what it left in the upper layers is
// committed by package layer; otherwise the layers are removed.
//
// As root, a locked thread unshares the mount namespace and starts the
// command; another user's command runs under a helper, a copy of this
// program in new user and mount namespaces. Either way the runner is a
// child subreaper: when the command's main process exits, what it left
// running has become the runner's and is ended before the commit, so the
// commit never races a writer. Not a PID namespace: its init, the command,
// would ignore every signal it does not handle (kill $$, Ctrl-C).
package nsrun

import (
	"errors"
	"io"
	"syscall"

	"github.com/ldwrap/ldwrap/ldwrap/internal/layer"
	"github.com/ldwrap/ldwrap/ldwrap/internal/rawio"
	"github.com/ldwrap/ldwrap/ldwrap/internal/toolpath"
)

// Unavailable is why namespace mode cannot run here. Nothing has run and
// nothing is left: the caller may run the command in argument mode.
type Unavailable struct {
	Cause string // what stops it, naming the setting or path
	Fix   string // what the user can do instead
}

func (u *Unavailable) Error() string { return "namespace mode cannot run: " + u.Cause }

// NeedsLinux is why namespace mode cannot run off Linux.
var NeedsLinux = &Unavailable{Cause: "it needs Linux (mount namespaces and overlayfs)",
	Fix: "name each output with -o instead of --stage"}

// IsUnavailable reports whether err is an *Unavailable, and returns it.
func IsUnavailable(err error) (*Unavailable, bool) {
	var u *Unavailable
	ok := errors.As(err, &u)
	return u, ok
}

// Root is a directory the command's writes under are staged for: an
// overlay covers it while the command runs.
type Root struct {
	Path string // absolute, symlinks resolved
	// flags are the mount flags of the mount Path is on (nosuid, nodev,
	// noexec ...): the overlay keeps them, so that what the command could
	// not do bare (run a program on a noexec mount) it cannot do here.
	flags  uintptr
	fstype string
}

// Request is one command to run in namespace mode.
type Request struct {
	Tool toolpath.Tool
	Args []string
	Env  []string
	// Stdout, if set, is opened for the command's standard output inside
	// the namespace, as the shell's > would open it: through the overlay,
	// so it is staged when it is under a root.
	Stdout string
	Roots  []Root
	// Dir is the command's working directory, as a path: resolved again
	// inside the namespace, so that it leads through the overlay (an
	// inherited working directory would lead under it).
	Dir string
	// DryRun, if set, receives the changes (layer.FormatChanges) instead
	// of their commit.
	DryRun io.Writer
	Commit layer.CommitOptions
	// TakeTurns, if set, waits for another run on a root to end (runs on
	// one root take turns: an overlay's lower tree must not change under
	// it). Unset, such a root makes namespace mode Unavailable, so that
	// parallel steps writing one directory (make -j) are not serialized.
	TakeTurns bool
	// Logf, if set, is told what happens (verbose mode).
	Logf func(format string, args ...interface{})
}

// Outcome is how the command ended and what the commit replaced.
type Outcome struct {
	Status syscall.WaitStatus
	// Signal is a signal ldwrap received after the command had ended, or
	// 0: the caller dies of it once it has committed.
	Signal   syscall.Signal
	Replaced []rawio.Inode
}

// Success reports whether the command exited 0 and no signal came after.
func (o Outcome) Success() bool {
	return o.Signal == 0 && o.Status.Exited() && o.Status.ExitStatus() == 0
}

func (r Request) logf(format string, args ...interface{}) {
	if r.Logf != nil {
		r.Logf(format, args...)
	}
}
