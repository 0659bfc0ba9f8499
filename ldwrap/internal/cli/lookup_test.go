package cli

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// On macOS, users and groups live in the directory service, not in
// /etc/passwd: a name it knows is found there first (here a stand-in
// service that knows "od-user" and "od-group"); a number still is one.
func TestOwnerFromDirectoryService(t *testing.T) {
	saved := directoryLookup
	t.Cleanup(func() { directoryLookup = saved })
	directoryLookup = func(what, name string) (int, bool) {
		ids := map[string]int{"owner/od-user": 501, "group/od-group": 20}
		id, ok := ids[what+"/"+name]
		return id, ok
	}
	uid, ok := lookupID("owner", "od-user", "/etc/passwd")
	require.True(t, ok)
	assert.Equal(t, 501, uid)
	gid, ok := lookupID("group", "od-group", "/etc/group")
	require.True(t, ok)
	assert.Equal(t, 20, gid)
	uid, ok = lookupID("owner", "1234", "/etc/passwd")
	require.True(t, ok)
	assert.Equal(t, 1234, uid)
	_, ok = lookupID("owner", "no-such-user-ldwrap", "/etc/passwd")
	assert.False(t, ok)
}
