package engine

import (
	"errors"

	"golang.org/x/sys/unix"
)

// sysCalls are the operations the engine's promises rest on where POSIX has
// no portable call. Each system fills the table in its own file
// (sys_linux.go, sys_darwin.go, sys_freebsd.go); sys_posix.go serves the
// other Unixes, and Linux under the ldwrap_portable build tag, so that the
// fallbacks' tests run here. Tests replace entries to inject faults.
type sysCalls struct {
	// renameNoReplace renames from to to, failing with EEXIST (or
	// ENOTEMPTY) when to exists; errNotSupported where the system cannot
	// refuse atomically.
	renameNoReplace func(from, to string) error
	// openUnnamed creates a file with no name in dir, open for reading and
	// writing; errNotSupported where the system or filesystem cannot.
	openUnnamed func(dir string, perm uint32) (int, error)
	// reopenUnnamed opens the file of fd (from openUnnamed) again, read-only.
	reopenUnnamed func(fd int) (int, error)
	// linkUnnamed gives the file of fd (from openUnnamed) the name path,
	// failing with EEXIST when path exists.
	linkUnnamed func(fd int, path string) error
	// exchange swaps the names of a and b, both existing, at once;
	// errNotSupported where the system or filesystem cannot.
	exchange func(a, b string) error
	// syncFS makes everything written to fd's filesystem durable;
	// errNotSupported where there is no such call.
	syncFS func(fd int) error
	// syncFile makes the file of fd durable, as far as the system can
	// promise it (darwin: F_FULLFSYNC).
	syncFile func(fd int) error
	// random fills b with random bytes.
	random func(b []byte) error
	// link gives the file at from the second name to, failing with EEXIST
	// when to exists. The engine never links a symlink: link(2) follows
	// one on macOS and the BSDs (x/sys's Link is link(2) there), and does
	// not on Linux; linkat without AT_SYMLINK_FOLLOW follows none anywhere.
	link func(from, to string) error
	// dirNames lists the directory open as fd. HFS+ gives names back in
	// decomposed Unicode (NFD), whatever form they were made with.
	dirNames func(fd int) ([]string, error)
	// xattrNames lists the extended attributes of the file at path, not
	// following a symlink, by the full names Lgetxattr takes ("user.x").
	xattrNames func(path string) ([]string, error)
}

// errNotSupported is what a sysCalls entry answers where the system has no
// such operation; the engine then takes its documented fallback.
var errNotSupported = errors.New("not supported on this system")

// isNotSupported reports whether err says the filesystem or system has no
// such operation (extended attributes, a rename flag, hard links).
// darwin's ENOTSUP (45) is not its EOPNOTSUPP (102); Linux's are one
// value.
func isNotSupported(err error) bool { return err == unix.ENOTSUP || err == unix.EOPNOTSUPP }

// noUnnamed is openUnnamed, reopenUnnamed and linkUnnamed where there are
// no unnamed files: Create then uses a staging directory.
func noUnnamed(string, uint32) (int, error) { return -1, errNotSupported }
func noReopen(int) (int, error)             { return -1, errNotSupported }
func noLink(int, string) error              { return errNotSupported }
func noSyncFS(int) error                    { return errNotSupported }
func noExchange(string, string) error       { return errNotSupported }
