//go:build unix && !(linux || darwin || freebsd || netbsd)

package engine

// copyXattrs has nothing to copy on a system without extended attributes.
func copyXattrs(string, fileRef) error { return nil }

func osXattrNames(string) ([]string, error) { return nil, nil }
