package layer

import (
	"bytes"
	"strings"

	"golang.org/x/sys/unix"

	"github.com/ldwrap/ldwrap/ldwrap/internal/engine"
	"github.com/ldwrap/ldwrap/ldwrap/internal/rawio"
)

// overlayPrefix is the namespace of the xattrs overlayfs writes in upper/:
// trusted.overlay.* as root, user.overlay.* under userxattr.
func overlayPrefix(userxattr bool) string {
	if userxattr {
		return "user.overlay."
	}
	return "trusted.overlay."
}

func notSupported(err error) bool { return err == unix.ENOTSUP || err == unix.EOPNOTSUPP }

// xattrs are the extended attributes (ACLs among them) of the file at
// path, not following a symlink, but those whose names start with skip
// (when set).
func xattrs(path, skip string) (map[string][]byte, error) {
	names, err := engine.XattrNames(path)
	if err != nil {
		if notSupported(err) {
			return nil, nil
		}
		return nil, err
	}
	m := map[string][]byte{}
	for _, name := range names {
		if skip != "" && strings.HasPrefix(name, skip) {
			continue
		}
		val, err := getXattr(path, name)
		if err == unix.ENODATA {
			continue
		}
		if err != nil {
			return nil, err
		}
		m[name] = val
	}
	return m, nil
}

func getXattr(path, name string) ([]byte, error) {
	for {
		var n int
		err := rawio.IgnoringEINTR(func() (err error) { n, err = unix.Lgetxattr(path, name, nil); return err })
		if err != nil {
			return nil, err
		}
		buf := make([]byte, n)
		err = rawio.IgnoringEINTR(func() (err error) { n, err = unix.Lgetxattr(path, name, buf); return err })
		if err == unix.ERANGE {
			continue // it grew between the calls
		}
		if err != nil {
			return nil, err
		}
		return buf[:n], nil
	}
}

func sameXattrs(a, b map[string][]byte) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		w, ok := b[k]
		if !ok || !bytes.Equal(v, w) {
			return false
		}
	}
	return true
}

// stripOverlay removes overlayfs's own xattrs (prefix) from the file at
// path, so that they do not reach the real tree.
func stripOverlay(path, prefix string) error {
	names, err := engine.XattrNames(path)
	if err != nil {
		if notSupported(err) {
			return nil
		}
		return err
	}
	for _, name := range names {
		if strings.HasPrefix(name, prefix) {
			err := rawio.IgnoringEINTR(func() error { return unix.Lremovexattr(path, name) })
			if err != nil && err != unix.ENODATA {
				return err
			}
		}
	}
	return nil
}

// copyXattrs makes the xattrs of to those of from, but the ones named
// skip*: it sets what differs and removes what from lacks. Those this
// process may not set (EPERM: trusted.* as a user) are left, as the
// engine leaves them.
func copyXattrs(from, to, skip string) error {
	want, err := xattrs(from, skip)
	if err != nil {
		return err
	}
	have, err := xattrs(to, skip)
	if err != nil {
		return err
	}
	for name, val := range want {
		if old, ok := have[name]; ok && bytes.Equal(old, val) {
			continue
		}
		err := rawio.IgnoringEINTR(func() error { return unix.Lsetxattr(to, name, val, 0) })
		if err != nil && err != unix.EPERM && !notSupported(err) {
			return err
		}
	}
	for name := range have {
		if _, ok := want[name]; ok {
			continue
		}
		err := rawio.IgnoringEINTR(func() error { return unix.Lremovexattr(to, name) })
		if err != nil && err != unix.EPERM && err != unix.ENODATA && !notSupported(err) {
			return err
		}
	}
	return nil
}

func lchown(path string, uid, gid int) error {
	return rawio.IgnoringEINTR(func() error { return unix.Lchown(path, uid, gid) })
}
