//go:build freebsd || netbsd

package engine

import "golang.org/x/sys/unix"

// osXattrNames lists the user and system namespaces one at a time, as
// extattr_list_link(2) does; x/sys's Llistxattr runs them together in
// that raw form. The system namespace is root's: listing it as another
// user gives nothing.
func osXattrNames(path string) ([]string, error) {
	var names []string
	for _, ns := range []struct {
		id     int
		prefix string
	}{{unix.EXTATTR_NAMESPACE_USER, "user."}, {unix.EXTATTR_NAMESPACE_SYSTEM, "system."}} {
		size, err := unix.LlistxattrNS(path, ns.id, nil)
		if err == unix.EPERM && ns.id != unix.EXTATTR_NAMESPACE_USER {
			continue
		}
		if err != nil {
			return nil, err
		}
		if size == 0 {
			continue
		}
		buf := make([]byte, size)
		n, err := unix.LlistxattrNS(path, ns.id, buf)
		if err != nil {
			return nil, err
		}
		names = append(names, parseExtattrList(ns.prefix, buf[:n])...)
	}
	return names, nil
}
