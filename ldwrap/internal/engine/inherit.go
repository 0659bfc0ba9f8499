package engine

import (
	"golang.org/x/sys/unix"

	"github.com/ldwrap/ldwrap/ldwrap/internal/rawio"
)

// inherit gives the staging directory, made in the parent of dir
// (StageAbove), what a directory made in dir would have taken from dir,
// so that what the tool makes in it gets what it gets in dir without
// ldwrap: dir's group where dir gives its own (groupFrom), and dir's
// default ACL (inheritDefaultACL). The group costs no call where it is
// right already: the two stats are at hand. (Made in dir and moved, the
// staging directory would take all that for nothing, but would change
// dir's mtime under the tool: tar records it.)
func (sd *stagingDir) inherit(dir string, d *unix.Stat_t) error {
	gid, setgid := groupFrom(d, &sd.made)
	if gid != sd.made.Gid {
		if err := rawio.Fchown(sd.lock, -1, int(gid)); err != nil {
			return err
		}
	}
	if setgid != (uint32(sd.made.Mode)&unix.S_ISGID != 0) || gid != sd.made.Gid {
		mode := uint32(0o700)
		if setgid {
			mode |= unix.S_ISGID
		}
		if err := rawio.Fchmod(sd.lock, mode); err != nil {
			return err
		}
	}
	return inheritDefaultACL(dir, sd.lock)
}
