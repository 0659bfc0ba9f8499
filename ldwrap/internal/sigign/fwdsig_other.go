//go:build unix && !(linux && (amd64 || arm64) && !ldwrap_portable)

package sigign

import "syscall"

// inherited is what Go's runtime reports where its fwdSig cannot be read:
// off Linux, and in the portable build, which tests that here.
func inherited() []syscall.Signal { return knownToRuntime() }
