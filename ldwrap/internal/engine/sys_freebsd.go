//go:build !ldwrap_portable

package engine

// FreeBSD has no rename that refuses to replace in the releases x/sys
// covers, and no unnamed files: the POSIX fallbacks.
var sys = posixSys
