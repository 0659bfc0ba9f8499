// Package rawio holds the small system-call helpers that the engine, the
// stale scan and the commands share: reading files, directories and links
// with plain descriptors, retrying on EINTR, and converting file modes.
//
// os.Open would set each descriptor non-blocking and register it with Go's
// network poller (epoll): two more system calls per file, which is more
// than the read itself on the hot path of a wrapped link, and thousands per
// scan of /proc.
package rawio

import (
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"golang.org/x/sys/unix"
)

// IgnoringEINTR calls fn until it fails with something other than EINTR,
// as the os package's own helper of that name does.
func IgnoringEINTR(fn func() error) error {
	for {
		if err := fn(); err != unix.EINTR {
			return err
		}
	}
}

// ReadDirNames lists dir.
func ReadDirNames(dir string) ([]string, error) {
	fd, err := Open(dir, unix.O_RDONLY|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
	if err != nil {
		return nil, err
	}
	defer unix.Close(fd)
	return DirentNames(fd)
}

// ReadFile reads path whole (a /proc file reports size 0, so it reads to EOF).
func ReadFile(path string) ([]byte, error) {
	fd, err := Open(path, unix.O_RDONLY|unix.O_CLOEXEC, 0)
	if err != nil {
		return nil, err
	}
	defer unix.Close(fd)
	var out []byte
	buf := make([]byte, 16<<10)
	for {
		var n int
		err := IgnoringEINTR(func() (err error) { n, err = unix.Read(fd, buf); return err })
		if err != nil {
			return out, err
		}
		if n <= 0 {
			return out, nil
		}
		out = append(out, buf[:n]...)
	}
}

// Readlink reads the symbolic link at path.
func Readlink(path string) (string, error) {
	var buf [unix.PathMax]byte
	var n int
	err := IgnoringEINTR(func() (err error) { n, err = unix.Readlink(path, buf[:]); return err })
	if err != nil {
		return "", err
	}
	return string(buf[:n]), nil
}

// FollowLinks follows path's last component through its chain of symbolic
// links (cc -> /etc/alternatives/cc -> gcc) and returns the path it ends
// at, even when the last link dangles. Directories on the way are not
// resolved: filepath.EvalSymlinks would lstat each, seven system calls for
// /usr/bin/gcc instead of three. check, if set, is asked about each link
// before it is followed, and may refuse it.
func FollowLinks(path string, check func(link string) error) (string, error) {
	for i := 0; i < 40; i++ {
		dest, err := Readlink(path)
		if err == unix.EINVAL || err == unix.ENOENT {
			return path, nil // not a link, or nothing there: the end of the chain
		}
		if err != nil {
			return "", err
		}
		if check != nil {
			if err := check(path); err != nil {
				return "", err
			}
		}
		if !filepath.IsAbs(dest) {
			dest = filepath.Dir(path) + "/" + dest
		}
		if dest, err = Clean(dest); err != nil {
			return "", err
		}
		path = dest
	}
	return "", unix.ELOOP
}

// ModeBits are the bits of a stat(2) mode that chmod(2) sets: the
// permissions, setuid, setgid and sticky (gnulib's CHMOD_MODE_BITS).
const ModeBits = unix.S_ISUID | unix.S_ISGID | unix.S_ISVTX | unix.S_IRWXU | unix.S_IRWXG | unix.S_IRWXO

// UnixMode is m as open(2) and chmod(2) take it.
func UnixMode(m os.FileMode) uint32 {
	u := uint32(m.Perm())
	if m&os.ModeSetuid != 0 {
		u |= unix.S_ISUID
	}
	if m&os.ModeSetgid != 0 {
		u |= unix.S_ISGID
	}
	if m&os.ModeSticky != 0 {
		u |= unix.S_ISVTX
	}
	return u
}

// FileMode is the permission and special bits of a stat(2) mode as an
// os.FileMode.
func FileMode(u uint32) os.FileMode {
	m := os.FileMode(u) & os.ModePerm
	if u&unix.S_ISUID != 0 {
		m |= os.ModeSetuid
	}
	if u&unix.S_ISGID != 0 {
		m |= os.ModeSetgid
	}
	if u&unix.S_ISVTX != 0 {
		m |= os.ModeSticky
	}
	return m
}

// Inode names one version of a file: the path it had, and its device and
// inode numbers, which outlive the path when the file is replaced.
type Inode struct {
	Path     string
	Dev, Ino uint64
}

// Cause drops the "op path:" prefix of *os.PathError, *os.LinkError and
// *os.SyscallError, so that every message keeps to one
// "ldwrap: <what> <path>: <cause>" form.
func Cause(err error) error {
	switch e := err.(type) {
	case *os.PathError:
		return e.Err
	case *os.LinkError:
		return e.Err
	case *os.SyscallError:
		return e.Err
	}
	return err
}

// IsDenied reports whether err is a permission failure.
func IsDenied(err error) bool { return err == unix.EACCES || err == unix.EPERM }

// Clean is filepath.Clean for a path the kernel will resolve. The kernel
// takes a ".." from where the component before it leads: link/.., where
// link points at real/sub, is real, not ".". So the part of p up to its
// last ".." that follows a name is resolved, links and all, and only what
// comes after it is cleaned by its text. The last component is never
// followed. A path without such a ".." costs no system call.
func Clean(p string) (string, error) {
	end := dotDotAfterName(p)
	if end < 0 {
		return filepath.Clean(p), nil
	}
	head, err := filepath.EvalSymlinks(p[:end])
	if err != nil {
		return "", Cause(err)
	}
	return filepath.Join(head, p[end:]), nil
}

// dotDotAfterName is the end of p's last ".." element that comes after a
// name (a/.., not ../..), or -1.
func dotDotAfterName(p string) int {
	last, named := -1, false
	for i := 0; i < len(p); {
		j := i
		for j < len(p) && p[j] != '/' {
			j++
		}
		switch p[i:j] {
		case "", ".":
		case "..":
			if named {
				last = j
			}
		default:
			named = true
		}
		i = j + 1
	}
	return last
}

// UnescapeMountinfo undoes the kernel's octal escapes (\040 for a space,
// \011, \012, \134) of a path in /proc/PID/mountinfo.
func UnescapeMountinfo(s string) string {
	if !strings.Contains(s, `\`) {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] == '\\' && i+3 < len(s) {
			if n, err := strconv.ParseUint(s[i+1:i+4], 8, 8); err == nil {
				b.WriteByte(byte(n))
				i += 3
				continue
			}
		}
		b.WriteByte(s[i])
	}
	return b.String()
}
