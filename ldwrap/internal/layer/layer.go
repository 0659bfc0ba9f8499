// Package layer is the staging layer of ldwrap-run's namespace mode: a
// directory beside a root (Prepare) whose upper/ and work/ an overlay
// mount puts over the root while the command runs (MountOptions), and the
// commit that carries what the command left in upper/ onto the real tree
// (Changes, Commit), guided by a journal that the next run on the root
// finishes after a crash (Recover).
//
// The mount, the namespaces and the command are the caller's; this package
// touches only the stage and the real tree.
//
// Where the committed tree differs from what the bare command leaves, it
// is in inodes: overlayfs copies a real file up before any change, so a
// file moved (mv) or given a second name (ln) inside the root is a new
// inode under its names, and a changed file's other hard links keep the
// old content, as after install(1); a directory removed and made again
// keeps its inode. Directory times are the commit's.
package layer

import (
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/ldwrap/ldwrap/ldwrap/internal/engine"
	"github.com/ldwrap/ldwrap/ldwrap/internal/rawio"
	"github.com/ldwrap/ldwrap/ldwrap/internal/stale"
)

// ErrUnsupported is what every operation answers where there is no
// overlayfs: the caller runs in argument mode instead.
var ErrUnsupported = errors.New("namespace mode needs Linux overlayfs")

// Error is a failure of the layer, with the path it concerns, as the
// engine's are: "<what> <path>: <cause>".
type Error = engine.Error

func fail(op, path string, err error) *Error { return &Error{Op: op, Path: path, Err: err} }

// Stage is the staging layer of one root. Upper and Work are what the
// overlay mount takes (MountOptions); Dir holds them, beside Root on its
// filesystem, and is locked while the Stage lives.
type Stage struct {
	Root  string // the real directory the overlay covers, symlinks resolved
	Dir   string // the staging directory, in Root's parent
	Upper string // Dir/upper
	Work  string // Dir/work

	lock     int    // a descriptor of Dir holding LOCK_EX; -1 once removed
	prefix   string // the overlay's xattr namespace, set by Changes
	replaced []rawio.Inode
}

// Kind is what a Change does to its path.
type Kind int

const (
	// Added puts a file, symlink or special file where there was nothing.
	Added Kind = iota
	// Replaced puts a new file, symlink or directory in place of what is
	// there (a new inode; the old one lives on for whoever has it open).
	Replaced
	// Removed removes the path (and, for a directory, what it holds).
	Removed
	// DirAdded makes a new directory where there was nothing.
	DirAdded
	// MetaChanged gives an existing directory the mode, owner, xattrs and
	// ACLs the command left on it; its inode and entries stay.
	MetaChanged
)

func (k Kind) String() string {
	switch k {
	case Added:
		return "add"
	case Replaced:
		return "replace"
	case Removed:
		return "remove"
	case DirAdded:
		return "mkdir"
	case MetaChanged:
		return "attrs"
	}
	return fmt.Sprintf("Kind(%d)", int(k))
}

// Change is one path the commit changes under the root.
type Change struct {
	Kind Kind
	Path string // the real path

	upper string // the entry in upper/ that holds the new version ("" for Removed)
	ino   uint64 // the real inode the change replaces, removes or changes
	// moved is set on the entries below a DirAdded or a Replaced directory:
	// the rename of that directory carries them, they are listed only.
	moved bool
}

// CommitOptions are the engine's policies that apply to a commit.
type CommitOptions struct {
	// Durable makes the new files and the journal durable before the first
	// rename, and the renames after (LDWRAP_DURABLE, the default).
	Durable bool
	// Ordered makes the new files and the journal durable before the first
	// rename, but not the renames (LDWRAP_DURABLE=order).
	Ordered bool
	// Skip is LDWRAP_SKIP_IDENTICAL: a rewritten file whose bytes, mode and
	// owner equal the old one's keeps the old inode (and, for
	// KeepAndTouch, gets the new mtime).
	Skip engine.SkipIdentical
	// Logf, if set, receives one line per decision (verbose mode).
	Logf func(format string, args ...interface{})
	// Warnf, if set, receives warnings (a hard link broken by a rename).
	Warnf func(format string, args ...interface{})
}

// Replaced lists the regular files Commit replaced: their old inodes live
// on for the processes that have them open (LDWRAP_STALE).
func (s *Stage) Replaced() []rawio.Inode { return s.replaced }

// MountOptions is the option string of the overlay mount of lower with
// upper and work (mount -t overlay overlay -o OPTIONS lower). Changes
// reads upper/ by these rules:
//
//   - redirect_dir=nofollow: a renamed real directory would otherwise be
//     an xattr pointing into the lower layer; without it the rename fails
//     with EXDEV, on which mv copies. ("off" would follow redirects, and
//     userxattr refuses it.)
//   - metacopy=off: a chmod would otherwise leave a file without its data
//     in upper/.
//   - index=off: no xattr written on the lower layer; a copy-up breaks a
//     real file's hard links (see Commit).
//
// userxattr is for a mount in an unprivileged user namespace: overlayfs's
// xattrs are then user.overlay.*. The caller may add "volatile": a
// durable Commit syncs upper/ itself before its first rename. Commas,
// colons and backslashes in the paths are escaped as overlayfs reads them.
func MountOptions(lower, upper, work string, userxattr bool) string {
	s := "lowerdir=" + escapeOpt(lower) + ",upperdir=" + escapeOpt(upper) + ",workdir=" + escapeOpt(work) +
		",redirect_dir=nofollow,metacopy=off,index=off"
	if userxattr {
		s += ",userxattr"
	}
	return s
}

func escapeOpt(p string) string {
	var b strings.Builder
	for i := 0; i < len(p); i++ {
		if c := p[i]; c == ',' || c == ':' || c == '\\' {
			b.WriteByte('\\')
		}
		b.WriteByte(p[i])
	}
	return b.String()
}

// FormatChanges writes the --dry-run listing: one line per change, "add
// PATH", "replace PATH", "remove PATH", "mkdir PATH" or "attrs PATH". A
// newline, another control character, a backslash or a byte that is not
// UTF-8 in PATH is written \xNN, as ldwrap-stale writes it.
func FormatChanges(w io.Writer, changes []Change) {
	var b strings.Builder
	for _, c := range changes {
		b.WriteString(c.Kind.String())
		b.WriteByte(' ')
		b.WriteString(stale.EscapePath(c.Path))
		b.WriteByte('\n')
	}
	io.WriteString(w, b.String())
}
