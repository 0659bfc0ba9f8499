//go:build unix && !(linux || illumos || solaris)

package engine

import "golang.org/x/sys/unix"

// groupFrom is the group, and setgid bit, that a directory made in a
// directory of stat d takes: on macOS and the BSDs a new file or directory
// always takes its directory's group.
func groupFrom(d, _ *unix.Stat_t) (gid uint32, setgid bool) {
	return d.Gid, uint32(d.Mode)&unix.S_ISGID != 0
}
