package install

import "golang.org/x/sys/unix"

// dropAccessACL takes away the access ACL that a directory's default ACL
// gave the new file open as fd: GNU install sets the file's ACL to its
// mode alone (copy.c's set_acl), so the mode asked for is all there is.
func dropAccessACL(fd int) error {
	switch err := unix.Fremovexattr(fd, "system.posix_acl_access"); err {
	case nil, unix.ENODATA, unix.ENOTSUP:
		return nil
	default:
		return err
	}
}
