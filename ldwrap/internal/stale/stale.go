// Package stale finds the processes that still use an old version of a file
// that was replaced by rename: a running program whose executable was
// replaced, a process that mapped the old shared library, or one that holds
// the old file open. The kernel keeps such an inode alive and shows it in
// /proc with " (deleted)" after its path; this package reads /proc/PID/exe,
// /proc/PID/maps and /proc/PID/fd.
//
// Two ways to ask: by inode (ByInode), which is exact and what ldwrap uses
// right after its own commit, when it knows the inode it replaced; and by
// path (UnderPaths), for a later look: a deleted file is an old version of
// path P when P now names another file.
package stale

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"syscall"

	"golang.org/x/sys/unix"

	"github.com/ldwrap/ldwrap/ldwrap/internal/engine"
	"github.com/ldwrap/ldwrap/ldwrap/internal/rawio"
)

// Kind is how a process uses a file.
type Kind int

const (
	Executable Kind = iota // the process runs it (/proc/PID/exe)
	Mapping                // it is mapped (a shared library, /proc/PID/maps)
	Descriptor             // it is open (/proc/PID/fd)
)

func (k Kind) String() string { return [...]string{"executable", "mapping", "descriptor"}[k] }

// Use is one process's use of one old version of a file.
type Use struct {
	PID  int
	Comm string // the command name (/proc/PID/comm)
	Kind Kind
	Path string // the file's path when the process opened it
	Unit string // the systemd unit of the process, if /proc/PID/cgroup names one
	Dev  uint64
	Ino  uint64
}

// Inode names one replaced version of a file.
type Inode struct {
	Path     string
	Dev, Ino uint64
}

// Result is a scan's findings.
type Result struct {
	Uses []Use
	// Denied counts the processes whose /proc entries could not be read
	// (another user's, when not root): they may use an old file too.
	Denied int
}

// ByInode returns the uses of exactly the given inodes.
func ByInode(olds []Inode) (Result, error) {
	want := map[[2]uint64]string{}
	for _, o := range olds {
		want[[2]uint64{o.Dev, o.Ino}] = o.Path
	}
	if len(want) == 0 {
		return Result{}, nil
	}
	return scan(func(path string, dev, ino uint64) (string, bool) {
		p, ok := want[[2]uint64{dev, ino}]
		return p, ok
	})
}

// UnderPaths returns the uses of deleted regular files whose path is one of
// roots or lies under one of them, where that path now names a different
// file: an old version replaced by a new one. Roots are made absolute.
func UnderPaths(roots []string) (Result, error) {
	var abs []string
	for _, r := range roots {
		a, err := filepath.Abs(r)
		if err != nil {
			return Result{}, err
		}
		abs = append(abs, a)
	}
	return scan(func(path string, dev, ino uint64) (string, bool) {
		path = unstaged(path)
		if !under(path, abs) {
			return "", false
		}
		var st unix.Stat_t
		if unix.Stat(path, &st) != nil || (uint64(st.Dev) == dev && st.Ino == ino) {
			return "", false // gone for good, or not replaced
		}
		return path, true
	})
}

// unstaged is the path a file had before ldwrap replaced it. The kernel
// shows a deleted file under its last name, and ldwrap's commit exchanges
// the old file to its staging name before unlinking it there: into the
// staging directory (".ldwrap.<name>.<8 chars>/<name>" beside the target),
// or, for a file ldwrap wrote itself, to the name its new file was linked
// to (".ldwrap.<name>.<8 chars>"; a name over 200 bytes is shortened there).
func unstaged(path string) string {
	dir, base := filepath.Split(path)
	if isStaging(filepath.Base(dir)) {
		return filepath.Join(filepath.Dir(filepath.Dir(path)), base)
	}
	if isStaging(base) {
		return filepath.Join(dir, base[len(".ldwrap."):len(base)-9])
	}
	return path
}

func isStaging(name string) bool {
	return strings.HasPrefix(name, ".ldwrap.") && len(name) > len(".ldwrap.")+9 && name[len(name)-9] == '.'
}

func under(path string, roots []string) bool {
	for _, r := range roots {
		if path == r || strings.HasPrefix(path, r+"/") || r == "/" {
			return true
		}
	}
	return false
}

const deleted = " (deleted)"

// scan reads every process's /proc entries. match gets the path the kernel
// shows (without " (deleted)") and the inode of each deleted file a process
// uses; it returns the path to report.
func scan(match func(path string, dev, ino uint64) (string, bool)) (Result, error) {
	var res Result
	pids, err := readPIDs()
	if err != nil {
		return res, err
	}
	self := os.Getpid()
	for _, pid := range pids {
		if pid == self {
			continue
		}
		uses, denied := scanProcess(pid, match)
		if denied {
			res.Denied++
			continue
		}
		if len(uses) > 0 {
			comm, unit := describe(pid)
			for i := range uses {
				uses[i].Comm, uses[i].Unit = comm, unit
			}
			res.Uses = append(res.Uses, uses...)
		}
	}
	sort.SliceStable(res.Uses, func(i, j int) bool {
		a, b := res.Uses[i], res.Uses[j]
		if a.Path != b.Path {
			return a.Path < b.Path
		}
		return a.PID < b.PID
	})
	return res, nil
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

// scanProcess returns pid's uses of matching files; denied when its entries
// cannot be read. A process that exits meanwhile has no uses.
func scanProcess(pid int, match func(string, uint64, uint64) (string, bool)) (uses []Use, denied bool) {
	base := "/proc/" + strconv.Itoa(pid)
	// One use per inode, the strongest first: a program's executable is
	// also among its mappings.
	seen := map[[2]uint64]bool{}
	add := func(kind Kind, path string, dev, ino uint64) {
		key := [2]uint64{dev, ino}
		if seen[key] {
			return
		}
		if p, ok := match(path, dev, ino); ok {
			seen[key] = true
			uses = append(uses, Use{PID: pid, Kind: kind, Path: p, Dev: dev, Ino: ino})
		}
	}

	exe, err := rawio.Readlink(base + "/exe")
	if isDenied(err) {
		return nil, true
	}
	if err == nil && strings.HasSuffix(exe, deleted) {
		if dev, ino, ok := statRegular(base + "/exe"); ok {
			add(Executable, strings.TrimSuffix(exe, deleted), dev, ino)
		}
	}

	maps, err := rawio.ReadFile(base + "/maps")
	if isDenied(err) {
		return nil, true
	}
	sc := bufio.NewScanner(bytes.NewReader(maps))
	sc.Buffer(make([]byte, 0, 64<<10), 1<<20)
	for sc.Scan() {
		line := sc.Text()
		if !strings.HasSuffix(line, deleted) {
			continue
		}
		// address perms offset dev inode path
		fields := strings.SplitN(line, " ", 6)
		if len(fields) < 6 {
			continue
		}
		path := strings.TrimLeft(fields[5], " ")
		if !strings.HasPrefix(path, "/") {
			continue
		}
		ino, err := strconv.ParseUint(fields[4], 10, 64)
		dev, ok := parseDev(fields[3])
		if err != nil || !ok || ino == 0 {
			continue
		}
		add(Mapping, strings.TrimSuffix(path, deleted), dev, ino)
	}

	fds, err := rawio.ReadDirNames(base + "/fd")
	if isDenied(err) {
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
	return uses, false
}

func isDenied(err error) bool {
	return err == syscall.EACCES || err == syscall.EPERM
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

// describe reads pid's command name and systemd unit.
func describe(pid int) (comm, unit string) {
	base := "/proc/" + strconv.Itoa(pid)
	if b, err := rawio.ReadFile(base + "/comm"); err == nil {
		comm = strings.TrimSuffix(string(b), "\n")
	}
	if b, err := rawio.ReadFile(base + "/cgroup"); err == nil {
		unit = unitOf(string(b))
	}
	return comm, unit
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

// Format is a Use as ldwrap-stale prints it:
// "PID (COMM) KIND PATH[ unit=UNIT]".
func (u Use) Format() string {
	s := strconv.Itoa(u.PID) + " (" + u.Comm + ") " + u.Kind.String() + " " + u.Path
	if u.Unit != "" {
		s += " unit=" + u.Unit
	}
	return s
}

// Report is ldwrap's line after a replacement, one per path in use:
// "ldwrap: PATH: old version still in use by PID (COMM)[, ...]".
func Report(uses []Use) []string {
	var lines []string
	byPath := map[string][]string{}
	var order []string
	seen := map[string]bool{}
	for _, u := range uses {
		key := u.Path + "\x00" + strconv.Itoa(u.PID)
		if seen[key] {
			continue
		}
		seen[key] = true
		if _, ok := byPath[u.Path]; !ok {
			order = append(order, u.Path)
		}
		byPath[u.Path] = append(byPath[u.Path], strconv.Itoa(u.PID)+" ("+u.Comm+")")
	}
	for _, p := range order {
		lines = append(lines, "ldwrap: "+p+": old version still in use by "+strings.Join(byPath[p], ", "))
	}
	return lines
}

// Print writes a scan's findings as ldwrap reports them after a
// replacement: Report's lines, then how many processes could not be
// inspected, or the scan's error. It is a report, never a failure.
func Print(w io.Writer, res Result, err error) {
	if err != nil {
		fmt.Fprintf(w, "ldwrap: scan /proc: %v\n", engine.Cause(err))
		return
	}
	for _, line := range Report(res.Uses) {
		fmt.Fprintln(w, line)
	}
	if res.Denied > 0 {
		fmt.Fprintf(w, "ldwrap: %d processes could not be inspected (permission denied)\n", res.Denied)
	}
}
