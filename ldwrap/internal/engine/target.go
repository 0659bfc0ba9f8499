package engine

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"golang.org/x/sys/unix"

	"github.com/ldwrap/ldwrap/ldwrap/internal/rawio"
)

func splitTarget(target string) (dir, base string) {
	dir, base = filepath.Split(target)
	if dir == "" {
		return ".", base
	}
	return filepath.Clean(dir), base
}

// resolve checks target and returns the path Commit will replace (a
// symlink followed under FollowLink), or the Output that already stages it.
func (t *Txn) resolve(target string) (string, *Output, error) {
	return t.resolveAs(target, t.opts.Symlinks)
}

// resolveAs is resolve under the symlink policy symlinks.
func (t *Txn) resolveAs(target string, symlinks SymlinkPolicy) (string, *Output, error) {
	if target == "" || target == "-" {
		return "", nil, &Error{"stage", target, ErrSpecial}
	}
	if namesDirectory(target) {
		// The kernel takes lib.a/ for a directory, so the tool fails on a
		// file there (or makes what it makes); cleaning the text to lib.a
		// would replace the file where bare fails.
		return "", nil, &Error{"stage", target, fmt.Errorf("%w (a directory's name: it ends in / or a dot)", ErrSpecial)}
	}
	target, err := rawio.Clean(target)
	if err != nil {
		var errno unix.Errno
		if errors.As(err, &errno) && (errno == unix.ENOENT || errno == unix.ENOTDIR) {
			err = noDirectory{errno} // the tool runs untouched, and fails as it would
		}
		return "", nil, &Error{"stage", target, err}
	}
	for _, o := range t.outputs {
		if o.Target == target {
			return target, o, nil
		}
	}
	if isDescriptorPath(target) && !t.opts.ReplaceSpecial {
		return "", nil, &Error{"stage", target, fmt.Errorf("%w (a descriptor's name)", ErrSpecial)}
	}
	fi, err := os.Lstat(target)
	if err == nil && fi.Mode()&os.ModeSymlink != 0 {
		if dest, _ := rawio.Readlink(target); strings.HasPrefix(dest, "/proc/") && !t.opts.ReplaceSpecial {
			return "", nil, &Error{"stage", target, fmt.Errorf("%w (a symlink to %s)", ErrSpecial, dest)}
		}
		if symlinks == FollowLink {
			resolved, rerr := rawio.FollowLinks(target, mayFollow)
			if rerr != nil {
				return "", nil, &Error{"resolve", target, rerr}
			}
			t.logf("following symlink %s to %s", target, resolved)
			target = resolved
			fi, err = os.Lstat(target)
		} else if st, serr := os.Stat(target); serr == nil && !st.Mode().IsRegular() && !t.opts.ReplaceSpecial {
			// A link to /dev/null and the like: replacing the link would
			// turn a sink into a file.
			return "", nil, &Error{"stage", target, fmt.Errorf("%w (symlink to %s)", ErrSpecial, st.Mode().Type())}
		}
	}
	if err == nil {
		if fi.IsDir() && t.opts.LeaveOwnState {
			return "", nil, &Error{"stage", target, inPlace{unix.EISDIR}}
		}
		if t.opts.LeaveUnwritable && fi.Mode().IsRegular() {
			if werr := access(target, unix.W_OK); rawio.IsDenied(werr) || werr == unix.EROFS {
				return "", nil, &Error{"stage", target, inPlace{werr}}
			}
		}
		if err := t.stageable(fi); err != nil {
			return "", nil, &Error{"stage", target, err}
		}
		if st, ok := statOf(fi); ok && fi.Mode().IsRegular() && st.Nlink > 1 && t.opts.Warnf != nil {
			t.opts.Warnf("%s has %d hard links; the others keep the old content", target, st.Nlink)
		}
	} else if !os.IsNotExist(err) && !errors.Is(err, unix.ENOTDIR) {
		return "", nil, &Error{"stage", target, err}
	} else if dir, _ := splitTarget(target); !isDir(dir) {
		cause := unix.ENOENT
		if errors.Is(err, unix.ENOTDIR) {
			cause = unix.ENOTDIR // a file where the directory should be
		}
		return "", nil, &Error{"stage", target, noDirectory{cause}}
	}
	return target, nil, nil
}

// namesDirectory says whether target ends in "/", or its last element
// is "." or "..": whatever is there, the system resolves it as a
// directory.
func namesDirectory(target string) bool {
	if strings.HasSuffix(target, "/") {
		return true
	}
	last := target[strings.LastIndexByte(target, '/')+1:]
	return last == "." || last == ".."
}

// isDescriptorPath says whether target names an open descriptor rather
// than a file: /dev/stdout, /dev/fd/N, /proc/self/fd/N. The tool writes
// through it, to whatever the descriptor is; replacing the name would put
// a file where the system keeps a link (/dev/stdout) and leave the
// descriptor's file as it was. (install(1) replaces such a link, and so
// does ldwrap-install: ReplaceSpecial.)
func isDescriptorPath(target string) bool {
	switch target {
	case "/dev/stdin", "/dev/stdout", "/dev/stderr":
		return true
	}
	return strings.HasPrefix(target, "/dev/fd/") || strings.HasPrefix(target, "/proc/")
}

// stageable says whether an existing entry may be staged for replacement.
func (t *Txn) stageable(fi os.FileInfo) error {
	switch m := fi.Mode(); {
	case m.IsDir():
		return unix.EISDIR
	case m.IsRegular(), m&os.ModeSymlink != 0:
		return nil
	case t.opts.ReplaceSpecial && m&(os.ModeNamedPipe|os.ModeSocket) != 0:
		return nil
	default:
		return fmt.Errorf("%w (%s)", ErrSpecial, m.Type())
	}
}

// mayFollow is fs/namei.c's may_follow_link for the symlink at link: a
// link in a sticky world-writable directory (/tmp) is followed only if we
// own it or the directory's owner does, whatever fs.protected_symlinks
// says. Without that, root following a link another user planted in /tmp
// would replace any file.
func mayFollow(link string) error {
	var l, d unix.Stat_t
	if err := rawio.Lstat(link, &l); err != nil {
		return err
	}
	if err := rawio.Stat(filepath.Dir(link), &d); err != nil {
		return err
	}
	const stickyWorldWritable = unix.S_ISVTX | unix.S_IWOTH
	if l.Uid == uint32(os.Geteuid()) || uint32(d.Mode)&stickyWorldWritable != stickyWorldWritable || d.Uid == l.Uid {
		return nil
	}
	return fmt.Errorf("%w: a symlink owned by uid %d in a sticky world-writable directory is not followed (as fs.protected_symlinks)", unix.EACCES, l.Uid)
}

// access is faccessat(2) of path with this process's effective ids, as
// open(2) checks them: whether it may read or write the file (through a
// symlink).
func access(path string, mode uint32) error {
	return rawio.IgnoringEINTR(func() error { return unix.Faccessat(unix.AT_FDCWD, path, mode, unix.AT_EACCESS) })
}

func isDir(path string) bool {
	fi, err := os.Stat(path)
	return err == nil && fi.IsDir()
}
