//go:build !linux

package stale

// Scan has no backend here: darwin and FreeBSD would need libproc or
// kern.proc sysctls, parsed by hand.
func Scan(roots []string) (Result, error) { return Result{}, ErrUnsupported }
