//go:build unix && !((linux || freebsd) && (amd64 || arm64))

package sigign

import "syscall"

// inherited is what Go's runtime reports where its fwdSig cannot be read.
func inherited() []syscall.Signal { return knownToRuntime() }
