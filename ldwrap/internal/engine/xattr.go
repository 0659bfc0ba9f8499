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
// them on a filesystem without xattrs, are skipped.
func copyXattrs(from string, to fileRef) error {
	size, err := llistxattr(from, nil)
	if err != nil || size == 0 {
		if isNotSupported(err) {
			return nil
		}
		return err
	}
	buf := make([]byte, size)
	size, err = llistxattr(from, buf)
	if err != nil {
		return err
	}
	for _, name := range strings.Split(strings.TrimRight(string(buf[:size]), "\x00"), "\x00") {
		if name == "" {
			continue
		}
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
	return nil
}

// isNotSupported reports whether err says the filesystem has no extended
// attributes. darwin's ENOTSUP (45) is not EOPNOTSUPP (102); Linux's are
// one value.
func isNotSupported(err error) bool { return err == unix.ENOTSUP || err == unix.EOPNOTSUPP }

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
