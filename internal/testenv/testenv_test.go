package testenv

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// LDWRAP_SID_ROOT moves the chroot and its marker together, for whoever
// asks: mage's set-up and the e2e tests read the same function.
func TestSidRootFollowsVariable(t *testing.T) {
	t.Setenv(SidRootVar, "")
	assert.Equal(t, "/var/cache/ldwrap-sid/root", SidRoot())
	assert.Equal(t, "/var/cache/ldwrap-sid/root/.ldwrap-base", SidMarker())
	t.Setenv(SidRootVar, "/srv/sid")
	assert.Equal(t, "/srv/sid", SidRoot())
	assert.Equal(t, "/srv/sid/.ldwrap-base", SidMarker())
}

func TestHostWorkDirIsThisUsers(t *testing.T) {
	t.Setenv("TMPDIR", t.TempDir())
	dir, err := OwnHostWorkDir()
	require.NoError(t, err)
	assert.Equal(t, HostWorkDir(), dir)
	assert.Contains(t, filepath.Base(dir), "ldwrap-e2e-")

	// A symlink planted at the name, in a shared directory, is refused.
	require.NoError(t, os.Remove(dir))
	require.NoError(t, os.Symlink(t.TempDir(), dir))
	_, err = OwnHostWorkDir()
	assert.ErrorContains(t, err, "not a directory")

	// So is a directory another user made there first.
	if os.Geteuid() != 0 {
		t.Skip("giving the directory to another user needs root")
	}
	require.NoError(t, os.Remove(dir))
	require.NoError(t, os.Mkdir(dir, 0o755))
	require.NoError(t, os.Chown(dir, 65534, 65534))
	_, err = OwnHostWorkDir()
	assert.ErrorContains(t, err, "owned by uid 65534")
}
