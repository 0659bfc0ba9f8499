package stale

import (
	"path/filepath"
	"strconv"
	"strings"

	"golang.org/x/sys/unix"

	"github.com/ldwrap/ldwrap/ldwrap/internal/rawio"
)

// A process in another mount namespace (unshare -m, a container) shows its
// files by the paths it sees, which may name other files here or none:
// through a bind mount, the file that was replaced at /srv/prog here may be
// /mnt/prog there, and its own /tmp may hold a /tmp/x that is not ours.
// Such paths are translated through the two /proc/PID/mountinfo tables:
// the process's mount that holds the path gives the filesystem and the
// path inside it, and each of our mounts of that filesystem gives a path
// here.

// mount is one line of a mountinfo table.
type mount struct {
	dev   string // major:minor of the filesystem
	root  string // the path inside the filesystem that is mounted
	point string // where, as the table's process sees it
}

// mountMap knows this process's mount namespace and mounts.
type mountMap struct {
	selfNS [2]uint64
	here   []mount
	loaded bool
}

func newMountMap() *mountMap {
	m := &mountMap{}
	m.selfNS, _ = nsOf("/proc/self/ns/mnt")
	return m
}

func nsOf(path string) ([2]uint64, bool) {
	var st unix.Stat_t
	if unix.Stat(path, &st) != nil {
		return [2]uint64{}, false
	}
	return [2]uint64{uint64(st.Dev), st.Ino}, true
}

// mountView translates one process's paths into ours; it reads what it
// needs on first use.
type mountView struct {
	m      *mountMap
	pid    int
	looked bool
	same   bool
	mounts []mount
}

func (m *mountMap) viewOf(pid int) *mountView { return &mountView{m: m, pid: pid} }

// here gives the path in this mount namespace of the file the process
// shows at shown, when there is one.
func (v *mountView) here(shown string) (string, bool) {
	if !v.looked {
		v.looked = true
		ns, ok := nsOf("/proc/" + strconv.Itoa(v.pid) + "/ns/mnt")
		v.same = !ok || ns == v.m.selfNS
		if !v.same {
			v.mounts = readMountinfo("/proc/" + strconv.Itoa(v.pid) + "/mountinfo")
		}
	}
	if v.same {
		return shown, true
	}
	theirs, ok := holding(v.mounts, shown)
	if !ok {
		return "", false
	}
	inFS := filepath.Join(theirs.root, strings.TrimPrefix(shown, theirs.point))
	if !v.m.loaded {
		v.m.loaded = true
		v.m.here = readMountinfo("/proc/self/mountinfo")
	}
	var best string
	for _, ours := range v.m.here {
		if ours.dev != theirs.dev || !within(inFS, ours.root) {
			continue
		}
		p := filepath.Join(ours.point, strings.TrimPrefix(inFS, ours.root))
		if best == "" || len(p) < len(best) {
			best = p
		}
	}
	return best, best != ""
}

// holding is the mount whose mount point is the longest prefix of path.
func holding(mounts []mount, path string) (mount, bool) {
	best := -1
	for i, m := range mounts {
		if within(path, m.point) && (best < 0 || len(m.point) >= len(mounts[best].point)) {
			best = i
		}
	}
	if best < 0 {
		return mount{}, false
	}
	return mounts[best], true
}

func within(path, dir string) bool {
	return dir == "/" || path == dir || strings.HasPrefix(path, dir+"/")
}

// readMountinfo reads a mountinfo table: "36 35 98:0 /mnt1 /mnt2 ...",
// with spaces and other bytes in paths escaped as \040.
func readMountinfo(path string) []mount {
	b, err := rawio.ReadFile(path)
	if err != nil {
		return nil
	}
	var mounts []mount
	for _, line := range strings.Split(string(b), "\n") {
		f := strings.Fields(line)
		if len(f) < 5 {
			continue
		}
		mounts = append(mounts, mount{dev: f[2], root: unescapeOctal(f[3]), point: unescapeOctal(f[4])})
	}
	return mounts
}

func unescapeOctal(s string) string { return rawio.UnescapeMountinfo(s) }
