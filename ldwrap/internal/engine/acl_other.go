//go:build !linux

package engine

// accessACL names no attribute: elsewhere ACLs are not extended
// attributes, and a file's is copied, or not, apart from them.
const accessACL = ""

// inheritDefaultACL has nothing to copy where ACLs are no extended
// attributes.
func inheritDefaultACL(string, int) error { return nil }

// dropAccessACL has nothing to remove where ACLs are no extended
// attributes.
func (fileRef) dropAccessACL() error { return nil }

// DropAccessACL is for Linux's POSIX ACLs; elsewhere an inherited ACL
// stays.
func DropAccessACL(int) error { return nil }
