//go:build !linux || ldwrap_portable

package nsrun

// Supported: namespace mode needs Linux's mount, PID and user namespaces
// and overlayfs.
const Supported = false

// Roots: there are none without Linux.
func Roots(dirs []string) ([]Root, error) { return nil, NeedsLinux }

// Execute: nothing runs without Linux.
func Execute(req Request) (Outcome, error) { return Outcome{}, NeedsLinux }

// Serve: there is no helper without Linux.
func Serve() {}

// ForeignACL: no user namespace to lose an ACL in without Linux.
func ForeignACL(path string, uid, gid int) bool { return false }
