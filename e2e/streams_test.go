//go:build linux

package e2e

import (
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// LDWRAP_SKIP_IDENTICAL=touch gives a new mtime to an output the command
// rewrote with the same bytes, as bare, and leaves alone the mtime of one
// the command never wrote, as bare: a staged output starts as a copy of
// the old one, and an untouched copy is no new file.
func TestSkipIdenticalAsBare(t *testing.T) {
	stamp := time.Date(2020, 1, 2, 3, 4, 5, 0, time.UTC)
	for _, c := range []struct {
		name string
		argv []string
	}{
		{"untouched", []string{"sh", "-c", `test -f "$1"`, "sh", "out"}},
		{"rewritten", []string{"sh", "-c", `cat same > "$1"`, "sh", "out"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			tw := newTwin(t, map[string]string{"out": "data\n", "same": "data\n"})
			bare := runIn(t, tw.bare, c.argv...)
			require.Equal(t, 0, bare.code, bare.stderr)
			argv := append([]string{"env", "LDWRAP_SKIP_IDENTICAL=touch", ldwrap("ldwrap-run"), "-o", "out", "--"}, c.argv...)
			wrapped := runIn(t, tw.wrapped, argv...)
			require.Equal(t, 0, wrapped.code, wrapped.stderr)
			bareTime := mtime(t, filepath.Join(tw.bare, "out"))
			wrappedTime := mtime(t, filepath.Join(tw.wrapped, "out"))
			assert.Equal(t, bareTime.Equal(stamp), wrappedTime.Equal(stamp), "bare: %v, ldwrap: %v", bareTime, wrappedTime)
			assert.Empty(t, diffSnapshots(bare.tree, wrapped.tree))
		})
	}
}

func mtime(t *testing.T, path string) time.Time {
	t.Helper()
	fi, err := os.Stat(path)
	require.NoError(t, err)
	return fi.ModTime()
}
