//go:build unix && !linux

package install

// dropAccessACL is for Linux's POSIX ACLs; elsewhere an inherited ACL
// stays.
func dropAccessACL(int) error { return nil }
