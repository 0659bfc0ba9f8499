//go:build linux || darwin

package engine

var osXattrNames = nulSeparatedXattrs
