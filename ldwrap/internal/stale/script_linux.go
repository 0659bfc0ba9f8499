package stale

import (
	"path/filepath"
	"strconv"
	"strings"

	"golang.org/x/sys/unix"

	"github.com/ldwrap/ldwrap/ldwrap/internal/rawio"
)

// An interpreter does not keep its script open (python, perl and ruby read
// it and close it), so a replaced script leaves nothing deleted behind. It
// is found the way needrestart finds it: the script named on the command
// line changed after the process started. Modules the script loaded are
// not covered: nothing in /proc names them.

// isInterpreterName says whether name is a script interpreter's: python,
// perl, ruby, node, nodejs, php, tclsh, wish or lua with any version after
// (python3.11), or a shell (sh, bash, dash, zsh, ksh, mksh). Written out,
// not a regular expression: compiling one at init cost every command about
// half a millisecond.
func isInterpreterName(name string) bool {
	switch name {
	case "sh", "bash", "dash", "zsh", "ksh", "mksh":
		return true
	}
	switch strings.TrimRight(name, "0123456789.") {
	case "python", "perl", "ruby", "node", "nodejs", "php", "tclsh", "wish", "lua":
		return true
	}
	return false
}

// scriptOptions are, per interpreter family, the options that give the
// program inline (no script follows), and those whose value is the next
// argument.
func scriptOptions(name string) (inline, value map[string]bool) {
	set := func(s ...string) map[string]bool {
		m := map[string]bool{}
		for _, x := range s {
			m[x] = true
		}
		return m
	}
	switch {
	case strings.HasPrefix(name, "python"):
		return set("-c", "-m"), set("-W", "-X")
	case strings.HasPrefix(name, "perl"):
		return set("-e", "-E"), set("-I")
	case strings.HasPrefix(name, "ruby"):
		return set("-e"), set("-I", "-r")
	case strings.HasPrefix(name, "node"):
		return set("-e", "--eval", "-p", "--print"), set("-r", "--require", "--import")
	case strings.HasPrefix(name, "php"):
		return set("-r"), set("-c", "-d", "-z")
	case strings.HasPrefix(name, "lua"):
		return set("-e"), set("-l")
	case strings.HasPrefix(name, "tclsh"), strings.HasPrefix(name, "wish"):
		return set(), set()
	}
	return set("-c"), set("-o", "+o") // the shells
}

// scriptArg is the script an interpreter was started on, or "".
func scriptArg(name string, argv []string) string {
	inline, value := scriptOptions(name)
	for i := 1; i < len(argv); i++ {
		a := argv[i]
		switch {
		case a == "--":
			if i+1 < len(argv) {
				return argv[i+1]
			}
			return ""
		case inline[a]:
			return ""
		case a == "-f" && strings.HasPrefix(name, "php") && i+1 < len(argv):
			return argv[i+1]
		case value[a]:
			i++
		case a == "-" || !strings.HasPrefix(a, "-") && !strings.HasPrefix(a, "+"):
			if a == "-" {
				return "" // the program comes from standard input
			}
			return a
		}
	}
	return ""
}

// script finds an interpreter's script under the roots that changed (its
// inode's ctime) after the process started.
func (s *scanner) script(pid int, base, exe string, view *mountView) (Use, bool) {
	name := filepath.Base(strings.TrimSuffix(exe, deleted))
	if !isInterpreterName(name) {
		return Use{}, false
	}
	b, err := rawio.ReadFile(base + "/cmdline")
	if err != nil {
		return Use{}, false
	}
	arg := scriptArg(name, strings.Split(strings.TrimSuffix(string(b), "\x00"), "\x00"))
	if arg == "" {
		return Use{}, false
	}
	if !filepath.IsAbs(arg) {
		cwd, err := rawio.Readlink(base + "/cwd")
		if err != nil {
			return Use{}, false
		}
		arg = filepath.Join(strings.TrimSuffix(cwd, deleted), arg)
	}
	path, ok := view.here(arg)
	if !ok || !under(path, s.roots) {
		return Use{}, false
	}
	var st unix.Stat_t
	if unix.Stat(path, &st) != nil || st.Mode&unix.S_IFMT != unix.S_IFREG {
		return Use{}, false
	}
	start, ok := s.startTime(base)
	// The start time is known to a second (the boot time's precision):
	// only a change a second or more after it counts.
	if !ok || int64(st.Ctim.Sec) <= start {
		return Use{}, false
	}
	return Use{PID: pid, Kind: Script, Path: path, Dev: uint64(st.Dev), Ino: st.Ino}, true
}

// clockTicks is USER_HZ, which Linux fixes at 100 on every architecture
// it reports process times in.
const clockTicks = 100

// startTime is when the process started, in seconds since the epoch.
func (s *scanner) startTime(base string) (int64, bool) {
	if s.btime == 0 {
		b, err := rawio.ReadFile("/proc/stat")
		if err != nil {
			return 0, false
		}
		for _, line := range strings.Split(string(b), "\n") {
			if strings.HasPrefix(line, "btime ") {
				s.btime, _ = strconv.ParseInt(strings.TrimSpace(line[6:]), 10, 64)
			}
		}
	}
	f := statFields(base)
	if len(f) < 20 || s.btime == 0 {
		return 0, false
	}
	ticks, err := strconv.ParseInt(f[19], 10, 64) // field 22, starttime
	if err != nil {
		return 0, false
	}
	return s.btime + ticks/clockTicks, true
}

// statFields are /proc/PID/stat's fields after the command name (which may
// hold spaces and parentheses): field 3 (state) is [0].
func statFields(base string) []string {
	b, err := rawio.ReadFile(base + "/stat")
	if err != nil {
		return nil
	}
	i := strings.LastIndexByte(string(b), ')')
	if i < 0 {
		return nil
	}
	return strings.Fields(string(b[i+1:]))
}
