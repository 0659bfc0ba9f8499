package engine

import (
	"golang.org/x/sys/unix"

	"github.com/ldwrap/ldwrap/ldwrap/internal/rawio"
)

// accessACL is the extended attribute that holds a file's POSIX ACL, and
// defaultACL a directory's default ACL, which what is made in it takes.
const (
	accessACL  = "system.posix_acl_access"
	defaultACL = "system.posix_acl_default"
)

// inheritDefaultACL gives the directory open as fd dir's default ACL, or
// none where dir has none (fd's directory may have given it one): two
// calls where the filesystem has ACLs.
func inheritDefaultACL(dir string, fd int) error {
	var val []byte
	buf := make([]byte, 256)
	for {
		var n int
		err := rawio.IgnoringEINTR(func() (err error) { n, err = unix.Getxattr(dir, defaultACL, buf); return err })
		switch {
		case err == unix.ERANGE && len(buf) < 1<<16:
			buf = make([]byte, 4*len(buf))
			continue
		case err == unix.ENODATA:
		case err == unix.EOPNOTSUPP:
			return nil // no ACLs here
		case err != nil:
			return err
		default:
			val = buf[:n]
		}
		break
	}
	err := rawio.IgnoringEINTR(func() error {
		if val == nil {
			return unix.Fremovexattr(fd, defaultACL)
		}
		return unix.Fsetxattr(fd, defaultACL, val, 0)
	})
	if err == unix.ENODATA {
		return nil
	}
	return err
}

// DropAccessACL removes the ACL of the file open as fd, such as the one a
// new file takes from its directory's default ACL, leaving its mode: the
// group bits are the ACL's mask until the next chmod.
func DropAccessACL(fd int) error { return fileRef{fd: fd}.dropAccessACL() }

// dropAccessACL removes f's ACL, such as the one a new file takes from its
// directory's default ACL, leaving its mode: the group bits are the ACL's
// mask until the next chmod.
func (f fileRef) dropAccessACL() error {
	err := rawio.IgnoringEINTR(func() error {
		if f.fd < 0 {
			return unix.Lremovexattr(f.path, accessACL)
		}
		return unix.Fremovexattr(f.fd, accessACL)
	})
	switch err {
	case unix.ENODATA, unix.EOPNOTSUPP:
		return nil // none, or a filesystem without ACLs
	}
	return err
}
