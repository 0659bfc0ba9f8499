//go:build linux || darwin || freebsd || netbsd

package engine

import (
	"fmt"
	"strings"

	"golang.org/x/sys/unix"

	"github.com/ldwrap/ldwrap/ldwrap/internal/rawio"
)

// copyXattrs copies the extended attributes of the file at from onto to.
// Those this process may not set (EPERM: security.* as a user), and all of
// them on a filesystem without xattrs, are skipped. An ACL that to took
// from its directory's default ACL goes where from has none.
func copyXattrs(from string, to fileRef) error {
	names, err := sys.xattrNames(from)
	if err != nil {
		if isNotSupported(err) {
			return nil
		}
		return err
	}
	hasACL := false
	for _, name := range names {
		hasACL = hasACL || name == accessACL
		n, err := lgetxattr(from, name, nil)
		if err != nil {
			return err
		}
		val := make([]byte, n)
		n, err = lgetxattr(from, name, val)
		if err != nil {
			return err
		}
		if err := to.setxattr(name, val[:n]); err != nil && err != unix.EPERM && !isNotSupported(err) {
			return fmt.Errorf("xattr %s: %w", name, err)
		}
	}
	if !hasACL {
		return to.dropAccessACL()
	}
	return nil
}

// nulSeparatedXattrs lists the extended attributes of the file at path
// (not following a symlink) where listxattr(2) gives their full names,
// each ended by a NUL: Linux and macOS.
func nulSeparatedXattrs(path string) ([]string, error) {
	size, err := llistxattr(path, nil)
	if err != nil || size == 0 {
		return nil, err
	}
	buf := make([]byte, size)
	if size, err = llistxattr(path, buf); err != nil {
		return nil, err
	}
	var names []string
	for _, name := range strings.Split(string(buf[:size]), "\x00") {
		if name != "" {
			names = append(names, name)
		}
	}
	return names, nil
}

// parseExtattrList reads what extattr_list_link(2) gives on FreeBSD and
// NetBSD (and x/sys's Llistxattr passes on as it is, golang/go#54357):
// each name preceded by its length in one byte, without a NUL and without
// its namespace, which prefix ("user.", "system.") adds back, as the
// names x/sys's Lgetxattr and Lsetxattr take.
func parseExtattrList(prefix string, raw []byte) []string {
	var names []string
	for len(raw) > 0 {
		n := int(raw[0])
		if n == 0 || 1+n > len(raw) {
			break
		}
		names = append(names, prefix+string(raw[1:1+n]))
		raw = raw[1+n:]
	}
	return names
}

func (f fileRef) setxattr(name string, val []byte) error {
	if f.fd < 0 {
		return rawio.IgnoringEINTR(func() error { return unix.Lsetxattr(f.path, name, val, 0) })
	}
	return rawio.IgnoringEINTR(func() error { return unix.Fsetxattr(f.fd, name, val, 0) })
}

func llistxattr(path string, buf []byte) (n int, err error) {
	err = rawio.IgnoringEINTR(func() (err error) { n, err = unix.Llistxattr(path, buf); return err })
	return n, err
}

func lgetxattr(path, name string, buf []byte) (n int, err error) {
	err = rawio.IgnoringEINTR(func() (err error) { n, err = unix.Lgetxattr(path, name, buf); return err })
	return n, err
}
