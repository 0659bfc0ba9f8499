package stale

import (
	"bytes"
	"testing"

	"github.com/stretchr/testify/assert"
)

// Where the system has no backend (macOS, FreeBSD), the report after an
// install or a commit says nothing, every time; an error of the scan
// itself is said in one line.
func TestReportSilentWithoutBackend(t *testing.T) {
	saved := scan
	t.Cleanup(func() { scan = saved })
	var out bytes.Buffer
	scan = func([]string) (Result, error) { return Result{}, ErrUnsupported }
	Report(&out, []string{"/usr/local/bin/app"})
	assert.Empty(t, out.String())
	assert.Contains(t, ErrUnsupported.Error(), "not supported on this system")
	scan = func([]string) (Result, error) { return Result{}, errTest }
	Report(&out, []string{"/usr/local/bin/app"})
	assert.Equal(t, "ldwrap: find the users of old files: test\n", out.String())
}

var errTest = testError("test")

type testError string

func (e testError) Error() string { return string(e) }
