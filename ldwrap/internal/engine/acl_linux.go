package engine

import (
	"golang.org/x/sys/unix"

	"github.com/ldwrap/ldwrap/ldwrap/internal/rawio"
)

// accessACL is the extended attribute that holds a file's POSIX ACL.
const accessACL = "system.posix_acl_access"

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
