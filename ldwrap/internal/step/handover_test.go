package step

import (
	"testing"

	"github.com/stretchr/testify/assert"
)

// The copy that takes the relay over gets the replacements and the bytes
// read but not yet written exactly, an empty replacement (an output in the
// current directory) and NULs and newlines in the bytes included.
func TestHandoverEncoding(t *testing.T) {
	pairs := []string{"/abs/.ldwrap.p.staging0/", "/abs/", ".ldwrap.p.staging0/", ""}
	pending := []byte("ld: warning: .ldwrap.p.staging0/p \x00 partial")
	gotPairs, gotPending, ok := decodeHandover(encodeHandover(pairs, pending))
	assert.True(t, ok)
	assert.Equal(t, pairs, gotPairs)
	assert.Equal(t, pending, gotPending)

	gotPairs, gotPending, ok = decodeHandover(encodeHandover(nil, nil))
	assert.True(t, ok)
	assert.Empty(t, gotPairs)
	assert.Empty(t, gotPending)

	for _, bad := range []string{"", "3\x00a\x00b\x00c\x00", "2\x00a\x00", "x\x00"} {
		_, _, ok := decodeHandover([]byte(bad))
		assert.False(t, ok, "%q", bad)
	}
}
