//go:build linux && !ldwrap_portable

package nsrun

import (
	"path/filepath"
	"sort"
	"strings"

	"golang.org/x/sys/unix"

	"github.com/ldwrap/ldwrap/ldwrap/internal/engine"
	"github.com/ldwrap/ldwrap/ldwrap/internal/rawio"
)

// Roots makes the roots of a run from dirs (each an existing directory,
// absolute or relative to the working directory): symlinks resolved, each
// once, and a directory under another left to the other's overlay. A
// mount at or under a root makes namespace mode Unavailable: an overlay
// of the root does not show what is mounted under it, and the staging of
// a root that is a mount point would be on another filesystem.
func Roots(dirs []string) ([]Root, error) {
	var paths []string
	for _, d := range dirs {
		p, err := filepath.EvalSymlinks(d)
		if err == nil {
			p, err = filepath.Abs(p)
		}
		var st unix.Stat_t
		if err == nil {
			err = rawio.Stat(p, &st)
		}
		if err == nil && st.Mode&unix.S_IFMT != unix.S_IFDIR {
			err = unix.ENOTDIR
		}
		if err != nil {
			return nil, &engine.Error{Op: "stage", Path: d, Err: err}
		}
		paths = append(paths, p)
	}
	sort.Strings(paths)
	var roots []Root
	for _, p := range paths {
		if n := len(roots); n > 0 && within(p, roots[n-1].Path) {
			continue // the same, or under the one before: sorted, so that one is its nearest root
		}
		roots = append(roots, Root{Path: p})
	}
	if len(roots) == 0 {
		return nil, nil
	}
	mounts, err := readMountinfo()
	if err != nil {
		return nil, &Unavailable{Cause: "read /proc/self/mountinfo: " + rawio.Cause(err).Error(), Fix: "mount /proc"}
	}
	for i := range roots {
		r := &roots[i]
		best := -1
		for j, m := range mounts {
			switch {
			case m.point == r.Path:
				return nil, &Unavailable{Cause: r.Path + " is a mount point (its staging would be on another filesystem)",
					Fix: "stage a directory under it"}
			case within(m.point, r.Path):
				return nil, &Unavailable{Cause: "a mount under " + r.Path + ": " + m.point + " (the overlay would hide it)",
					Fix: "stage a directory with no mount under it"}
			case within(r.Path, m.point) && (best < 0 || len(m.point) >= len(mounts[best].point)):
				best = j // later entries are mounted over earlier ones at the same point
			}
		}
		if best >= 0 {
			r.flags, r.fstype = mounts[best].flags, mounts[best].fstype
		}
		if noUpper(r.fstype) {
			// Known before anything is made: no stage is left there by a
			// run that would only fall back.
			return nil, &Unavailable{Cause: "overlayfs cannot put an upper layer on " + r.fstype + " (" + r.Path + ")",
				Fix: "stage a directory on a local filesystem (ext4, xfs, btrfs, tmpfs)"}
		}
	}
	return roots, nil
}

// noUpper says whether overlayfs refuses an upper layer on filesystems of
// type t: network and FUSE filesystems, overlayfs itself (a container's
// root), and those without the extended attributes or whiteouts it needs.
func noUpper(t string) bool {
	switch {
	case strings.HasPrefix(t, "fuse"), strings.HasPrefix(t, "nfs"), strings.HasPrefix(t, "ntfs"):
		return true
	}
	switch t {
	case "overlay", "cifs", "smb3", "9p", "afs", "vfat", "msdos", "exfat", "iso9660", "squashfs", "ecryptfs":
		return true
	}
	return false
}

// within reports whether p is dir or a path under it.
func within(p, dir string) bool {
	return p == dir || dir == "/" || strings.HasPrefix(p, dir) && p[len(dir)] == '/'
}

type mountEntry struct {
	point  string
	flags  uintptr
	fstype string
}

// readMountinfo reads this process's mounts: mount point, the per-mount
// flags an overlay can carry over, and the filesystem type.
func readMountinfo() ([]mountEntry, error) {
	b, err := rawio.ReadFile("/proc/self/mountinfo")
	if err != nil {
		return nil, err
	}
	var ms []mountEntry
	for _, line := range strings.Split(string(b), "\n") {
		// ID PARENT MAJ:MIN ROOT POINT OPTIONS [OPTIONAL...] - TYPE SOURCE SUPER
		f := strings.Fields(line)
		if len(f) < 7 {
			continue
		}
		m := mountEntry{point: rawio.UnescapeMountinfo(f[4])}
		for _, o := range strings.Split(f[5], ",") {
			m.flags |= mountFlags[o]
		}
		for i := 6; i+1 < len(f); i++ {
			if f[i] == "-" {
				m.fstype = f[i+1]
				break
			}
		}
		ms = append(ms, m)
	}
	return ms, nil
}

var mountFlags = map[string]uintptr{
	"ro": unix.MS_RDONLY, "nosuid": unix.MS_NOSUID, "nodev": unix.MS_NODEV, "noexec": unix.MS_NOEXEC,
	"noatime": unix.MS_NOATIME, "nodiratime": unix.MS_NODIRATIME, "relatime": unix.MS_RELATIME,
	"strictatime": unix.MS_STRICTATIME,
}
