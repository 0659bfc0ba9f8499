//go:build unix && (!linux || ldwrap_portable)

package step

import "syscall"

// witness: outside Linux there is no /proc to read a witness's pending
// signals from (witness_linux.go). Every signal ldwrap receives is
// forwarded; one sent to its process group reaches the tool twice.
type witness struct{}

func startWitness() *witness                              { return nil }
func (w *witness) sawGroupSignal(sig syscall.Signal) bool { return false }
func (w *witness) stop()                                  {}
