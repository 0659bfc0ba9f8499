//go:build !darwin

package cli

// directoryLookup is nil where /etc/passwd and /etc/group are the whole
// answer a static binary can give (NSS needs cgo).
var directoryLookup func(what, name string) (int, bool)
