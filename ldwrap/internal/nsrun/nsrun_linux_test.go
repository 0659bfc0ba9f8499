//go:build linux && !ldwrap_portable

package nsrun

import (
	"syscall"
	"testing"

	"github.com/stretchr/testify/assert"
)

// The helper gets what runHelper means: the command line round-trips,
// paths with spaces, commas and empty arguments included.
func TestHelperArgsRoundTrip(t *testing.T) {
	c := command{path: "/usr/bin/sh", argv: []string{"sh", "-c", "echo a,b > 'x y'", "", "z"},
		dir: "/tmp/a b", stdout: "out,1", user: true, uid: 1000, gid: 100}
	mounts := []layerMount{{"/r 1", "/.l/upper", "/.l/work", "/.l", 6}, {"/r2", "/u2", "/w2", "/s2", 0}}
	argv := helperArgs(c, mounts, 7, 8, nil)
	assert.Equal(t, initName, argv[0])
	got, ok := parseHelper(argv[1:])
	assert.True(t, ok)
	assert.Equal(t, 7, got.report)
	assert.Equal(t, 8, got.control)
	assert.Equal(t, mounts, got.mounts)
	assert.Empty(t, got.ignored)
	c.env = nil
	assert.Equal(t, c, got.cmd)

	_, ok = parseHelper(argv[1:5])
	assert.False(t, ok, "too short")
}

func TestMountinfoPaths(t *testing.T) {
	for _, c := range []struct {
		p, dir string
		in     bool
	}{{"/a/b", "/a", true}, {"/a", "/a", true}, {"/ab", "/a", false}, {"/a", "/", true}, {"/", "/a", false}} {
		assert.Equal(t, c.in, within(c.p, c.dir), "%s in %s", c.p, c.dir)
	}
	for _, fs := range []string{"nfs4", "fuse.sshfs", "overlay", "cifs"} {
		assert.True(t, noUpper(fs), fs)
	}
	for _, fs := range []string{"ext4", "xfs", "btrfs", "tmpfs"} {
		assert.False(t, noUpper(fs), fs)
	}
}

// The causes name the setting and the way out.
func TestCausesNameTheSetting(t *testing.T) {
	u := cloneUnavailable(syscall.EPERM).(*Unavailable)
	assert.NotEmpty(t, u.Cause)
	assert.Contains(t, u.Fix, "root")
}
