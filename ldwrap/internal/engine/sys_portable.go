//go:build unix && (ldwrap_portable || !(linux || darwin || freebsd))

package engine

// The other Unixes, and any Unix built with the ldwrap_portable tag (so
// that the POSIX fallbacks run under this repository's tests on Linux).
var sys = posixSys
