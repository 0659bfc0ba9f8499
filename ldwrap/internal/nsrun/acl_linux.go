//go:build linux && !ldwrap_portable

package nsrun

import (
	"encoding/binary"

	"golang.org/x/sys/unix"

	"github.com/ldwrap/ldwrap/ldwrap/internal/rawio"
)

// ForeignACL says whether path's access ACL names a user other than uid
// or a group other than gid. A user namespace maps only the user's own
// ids, so overlayfs cannot copy such an ACL up (EINVAL), and the command
// would lose it where bare keeps it (sed -i: "preserving permissions ...:
// Invalid argument"; TestRunDifferential as a user found it).
func ForeignACL(path string, uid, gid int) bool {
	buf := make([]byte, 512)
	var n int
	err := rawio.IgnoringEINTR(func() (err error) { n, err = unix.Getxattr(path, "system.posix_acl_access", buf); return err })
	if err == unix.ERANGE {
		return true // a long ACL: too many entries to be the owner's alone
	}
	if err != nil || n < 4 {
		return false
	}
	// The xattr form: a 4-byte version, then entries of tag (2 bytes),
	// permissions (2) and id (4), little-endian.
	const aclUser, aclGroup = 0x02, 0x08
	for e := buf[4:n]; len(e) >= 8; e = e[8:] {
		tag, id := binary.LittleEndian.Uint16(e), int(binary.LittleEndian.Uint32(e[4:]))
		if tag == aclUser && id != uid || tag == aclGroup && id != gid {
			return true
		}
	}
	return false
}
