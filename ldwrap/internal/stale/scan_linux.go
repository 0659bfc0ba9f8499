package stale

import (
	"bufio"
	"bytes"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"

	"golang.org/x/sys/unix"

	"github.com/ldwrap/ldwrap/ldwrap/internal/rawio"
)

const deleted = " (deleted)"

// Scan returns the uses of old versions of files at roots or under them
// (files, or directories meaning every file under them): a deleted file is
// an old version of its path when that path now names another regular file
// on the same filesystem. Roots are made absolute and their symlinks
// resolved (/bin is /usr/bin on a merged-/usr system). A script counts when
// the file an interpreter was started on changed after it started.
func Scan(roots []string) (Result, error) {
	var abs []string
	for _, r := range roots {
		a, err := filepath.Abs(r)
		if err != nil {
			return Result{}, err
		}
		if real, err := filepath.EvalSymlinks(a); err == nil {
			a = real
		}
		abs = append(abs, a)
	}
	pids, err := readPIDs()
	if err != nil {
		return Result{}, err
	}
	s := &scanner{roots: abs, self: os.Getpid(), mounts: newMountMap()}
	var res Result
	for _, pid := range pids {
		if pid == s.self {
			continue
		}
		uses, denied := s.process(pid)
		if denied {
			res.Denied++
			res.Uninspected = append(res.Uninspected, Process{PID: pid, Comm: commOf("/proc/" + strconv.Itoa(pid))})
			continue
		}
		res.Uses = append(res.Uses, uses...)
	}
	nameServices(res.Uses)
	sort.SliceStable(res.Uses, func(i, j int) bool {
		a, b := res.Uses[i], res.Uses[j]
		if a.Path != b.Path {
			return a.Path < b.Path
		}
		return a.PID < b.PID
	})
	return res, nil
}

type scanner struct {
	roots  []string
	self   int
	mounts *mountMap
	btime  int64 // boot time, seconds since the epoch; 0 until read
}

func readPIDs() ([]int, error) {
	names, err := rawio.ReadDirNames("/proc")
	if err != nil {
		return nil, err
	}
	var pids []int
	for _, n := range names {
		if pid, err := strconv.Atoi(n); err == nil {
			pids = append(pids, pid)
		}
	}
	sort.Ints(pids)
	return pids, nil
}

// process returns pid's uses of old files; denied when its entries cannot
// be read. A process that exits meanwhile has no uses.
func (s *scanner) process(pid int) (uses []Use, denied bool) {
	base := "/proc/" + strconv.Itoa(pid)
	view := s.mounts.viewOf(pid)
	// One use per inode, the strongest first: a program's executable is
	// also among its mappings.
	seen := map[[2]uint64]bool{}
	add := func(kind Kind, shown string, dev, ino uint64) {
		key := [2]uint64{dev, ino}
		if seen[key] {
			return
		}
		if path, ok := s.replaced(view, shown, dev, ino); ok {
			seen[key] = true
			uses = append(uses, Use{PID: pid, Kind: kind, Path: path, Dev: dev, Ino: ino})
		}
	}

	exe, exeErr := rawio.Readlink(base + "/exe")
	if rawio.IsDenied(exeErr) {
		return nil, true
	}
	if exeErr == nil && strings.HasSuffix(exe, deleted) {
		if dev, ino, ok := statRegular(base + "/exe"); ok {
			add(Executable, strings.TrimSuffix(exe, deleted), dev, ino)
		}
	}

	maps, err := rawio.ReadFile(base + "/maps")
	if rawio.IsDenied(err) {
		return nil, true
	}
	sc := bufio.NewScanner(bytes.NewReader(maps))
	sc.Buffer(make([]byte, 0, 64<<10), 1<<20)
	for sc.Scan() {
		if kind, path, dev, ino, ok := deletedMapping(sc.Text()); ok {
			add(kind, path, dev, ino)
		}
	}

	fds, err := rawio.ReadDirNames(base + "/fd")
	if rawio.IsDenied(err) {
		return nil, true
	}
	for _, fd := range fds {
		link, err := rawio.Readlink(base + "/fd/" + fd)
		if err != nil || !strings.HasPrefix(link, "/") || !strings.HasSuffix(link, deleted) {
			continue
		}
		if dev, ino, ok := statRegular(base + "/fd/" + fd); ok {
			add(Descriptor, strings.TrimSuffix(link, deleted), dev, ino)
		}
	}
	if exeErr == nil {
		if u, ok := s.script(pid, base, exe, view); ok && !seen[[2]uint64{u.Dev, u.Ino}] {
			uses = append(uses, u)
		}
	}
	if len(uses) > 0 && isSignalWitness(base) {
		return nil, false
	}
	if len(uses) > 0 {
		comm, unit := describe(base)
		for i := range uses {
			uses[i].Comm, uses[i].Unit = comm, unit
		}
	}
	return uses, false
}

// isSignalWitness says whether the process is a running ldwrap step's
// witness of signals (internal/step): a child stopped under ptrace at its
// exec of ldwrap's own binary, which never runs an instruction. It maps
// that binary, but uses nothing: its step, which does, is listed.
func isSignalWitness(base string) bool {
	cmdline, err := rawio.ReadFile(base + "/cmdline")
	if err != nil || string(cmdline) != "signal-witness\x00" {
		return false
	}
	f := statFields(base)
	return len(f) > 0 && f[0] == "t"
}

// deletedMapping reads one line of /proc/PID/maps: a mapping of a deleted
// file. Shared anonymous memory (/dev/zero, SysV shm, memfd) shows as
// deleted too and is never a file anyone replaced.
func deletedMapping(line string) (kind Kind, path string, dev, ino uint64, ok bool) {
	if !strings.HasSuffix(line, deleted) {
		return 0, "", 0, 0, false
	}
	// address perms offset dev inode path
	fields := strings.SplitN(line, " ", 6)
	if len(fields) < 6 {
		return 0, "", 0, 0, false
	}
	path = strings.TrimSuffix(strings.TrimLeft(fields[5], " "), deleted)
	if !strings.HasPrefix(path, "/") || strings.HasPrefix(path, "/dev/") || strings.HasPrefix(path, "/SYSV") || strings.HasPrefix(path, "/memfd:") {
		return 0, "", 0, 0, false
	}
	ino, err := strconv.ParseUint(fields[4], 10, 64)
	dev, devOK := parseDev(fields[3])
	if err != nil || !devOK || ino == 0 {
		return 0, "", 0, 0, false
	}
	return Mapping, path, dev, ino, true
}

// replaced says whether the deleted file (dev, ino), shown to the process
// at shown, is an old version of a file under the roots, and gives that
// file's path here: in this mount namespace, a regular file on the same
// filesystem, another inode.
func (s *scanner) replaced(view *mountView, shown string, dev, ino uint64) (string, bool) {
	path, ok := view.here(shown)
	if !ok || !under(path, s.roots) {
		return "", false
	}
	var st unix.Stat_t
	if unix.Stat(path, &st) != nil || uint32(st.Mode)&unix.S_IFMT != unix.S_IFREG || uint64(st.Dev) != dev || st.Ino == ino {
		return "", false // gone for good, not a file, elsewhere, or not replaced
	}
	return path, true
}

func under(path string, roots []string) bool {
	for _, r := range roots {
		if path == r || strings.HasPrefix(path, r+"/") || r == "/" {
			return true
		}
	}
	return false
}

func statRegular(path string) (dev, ino uint64, ok bool) {
	var st unix.Stat_t
	if unix.Stat(path, &st) != nil || st.Mode&unix.S_IFMT != unix.S_IFREG {
		return 0, 0, false
	}
	return uint64(st.Dev), st.Ino, true
}

// parseDev reads maps' "major:minor" (hex) as a stat dev number.
func parseDev(s string) (uint64, bool) {
	i := strings.IndexByte(s, ':')
	if i < 0 {
		return 0, false
	}
	major, err1 := strconv.ParseUint(s[:i], 16, 32)
	minor, err2 := strconv.ParseUint(s[i+1:], 16, 32)
	if err1 != nil || err2 != nil {
		return 0, false
	}
	return unix.Mkdev(uint32(major), uint32(minor)), true
}

// describe reads a process's command name and systemd unit.
func describe(base string) (comm, unit string) {
	comm = commOf(base)
	if b, err := rawio.ReadFile(base + "/cgroup"); err == nil {
		unit = unitOf(string(b))
	}
	return comm, unit
}

// commOf is a process's command name; anyone may read it, even where its
// maps and descriptors are closed to the reader.
func commOf(base string) string {
	b, err := rawio.ReadFile(base + "/comm")
	if err != nil {
		return ""
	}
	return strings.TrimSuffix(string(b), "\n")
}

// unitOf picks the innermost systemd unit from /proc/PID/cgroup: the last
// path component that is a service or a scope (".../user@1000.service/
// app.slice/foo.service" -> foo.service).
func unitOf(cgroup string) string {
	unit := ""
	for _, line := range strings.Split(cgroup, "\n") {
		parts := strings.SplitN(line, ":", 3)
		if len(parts) != 3 || (parts[0] != "0" && parts[1] != "name=systemd") {
			continue
		}
		for _, c := range strings.Split(parts[2], "/") {
			if strings.HasSuffix(c, ".service") || strings.HasSuffix(c, ".scope") {
				unit = c
			}
		}
	}
	return unit
}
