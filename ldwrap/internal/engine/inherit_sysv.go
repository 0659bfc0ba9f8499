//go:build linux || illumos || solaris

package engine

import (
	"os"

	"golang.org/x/sys/unix"
)

// groupFrom is the group, and setgid bit, that a directory made in a
// directory of stat d takes, where the one made elsewhere has stat made:
// d's group and bit where d is setgid, else this process's group.
func groupFrom(d, made *unix.Stat_t) (gid uint32, setgid bool) {
	switch {
	case uint32(d.Mode)&unix.S_ISGID != 0:
		return d.Gid, true
	case uint32(made.Mode)&unix.S_ISGID == 0:
		return made.Gid, false // made where it took this process's group
	}
	return uint32(os.Getegid()), false
}
