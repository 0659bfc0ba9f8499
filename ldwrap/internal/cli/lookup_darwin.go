package cli

import (
	"os/user"
	"strconv"
)

// directoryLookup finds owner and group names in the directory service:
// macOS keeps its users in Open Directory, not in /etc/passwd. os/user
// asks libSystem there without cgo, so a static build can too.
var directoryLookup = func(what, name string) (int, bool) {
	var id string
	if what == "owner" {
		u, err := user.Lookup(name)
		if err != nil {
			return 0, false
		}
		id = u.Uid
	} else {
		g, err := user.LookupGroup(name)
		if err != nil {
			return 0, false
		}
		id = g.Gid
	}
	n, err := strconv.Atoi(id)
	return n, err == nil
}
