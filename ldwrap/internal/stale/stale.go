// Package stale finds the processes that still use an old version of a file
// that was replaced by rename: a running program whose executable was
// replaced, a process that mapped the old shared library, one that holds
// the old file open, and an interpreter whose script was replaced after it
// started. The kernel keeps such an inode alive and shows it in /proc with
// " (deleted)" after its path; this package reads /proc/PID/exe, maps, fd
// and cmdline, in the process's own mount namespace.
//
// Only Linux has a backend; elsewhere Scan returns ErrUnsupported.
package stale

import (
	"errors"
)

// Kind is how a process uses a file.
type Kind int

const (
	Executable Kind = iota // the process runs it (/proc/PID/exe)
	Mapping                // it is mapped (a shared library, /proc/PID/maps)
	Descriptor             // it is open (/proc/PID/fd)
	Script                 // an interpreter runs it, and it changed after the process started
)

func (k Kind) String() string { return [...]string{"executable", "mapping", "descriptor", "script"}[k] }

// Use is one process's use of one old version of a file.
type Use struct {
	PID  int
	Comm string // the command name (/proc/PID/comm)
	Kind Kind
	Path string // the file's path, as this process sees it
	Dev  uint64
	Ino  uint64
	// Unit is the systemd unit of the process, if its cgroup names one;
	// Service, where there is no unit, the name of a pid file under /run
	// that holds its pid or its parent's (nginx.pid: nginx).
	Unit    string
	Service string
}

// Result is a scan's findings.
type Result struct {
	Uses []Use
	// Denied counts the processes whose /proc entries could not be read,
	// and Uninspected names them: they may use an old file too. Another
	// user's are, when not root; even root may not read the maps of some
	// (a sandbox's pid 1, a process under another user namespace).
	Denied      int
	Uninspected []Process
}

// Process names a process: its PID and command name (/proc/PID/comm).
type Process struct {
	PID  int
	Comm string
}

// ErrUnsupported is Scan's error on a system without a backend.
var ErrUnsupported = errors.New("finding the users of replaced files is not supported on this system")
