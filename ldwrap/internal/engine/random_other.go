//go:build unix && !(linux && !ldwrap_portable)

package engine

import "crypto/rand"

// randomBytes is crypto/rand where there is no getrandom(2) in the table.
// Not on Linux: package crypto's init cost every command there a
// millisecond.
func randomBytes(b []byte) error {
	_, err := rand.Read(b)
	return err
}
