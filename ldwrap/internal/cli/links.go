package cli

import (
	"fmt"
	"os"
	"path/filepath"
	"sort"

	"github.com/ldwrap/ldwrap/ldwrap/internal/rawio"
	"github.com/ldwrap/ldwrap/ldwrap/internal/toolpath"
)

// linkerNames are the names under which ldwrap always stands in for a
// linker in a directory given to gcc -B.
var linkerNames = []string{"ld", "ld.bfd", "ld.gold", "ld.lld", "ld.mold"}

// linkerCommands answers what "ldwrap" itself takes before the linker's
// arguments: --help, --version, --install-links DIR.
func linkerCommands(args []string) {
	if len(args) == 1 {
		answerInfo("ldwrap", wrapUsage, args[0])
	}
	if args[0] != "--install-links" {
		return
	}
	if len(args) != 2 {
		exitUsage("ldwrap", &usageError{"option --install-links", "wants one directory"})
	}
	made, removed, err := installLinks(args[1], toolpath.Default())
	if err != nil {
		fatalf(exitCannotRun, "%v", err)
	}
	for _, n := range made {
		logf("linked %s", filepath.Join(args[1], n))
	}
	for _, n := range removed {
		logf("removed %s: no such compiler on PATH any more", filepath.Join(args[1], n))
	}
	os.Exit(0)
}

// installLinks makes dir a masquerade directory, as Debian's
// update-ccache-symlinks makes /usr/lib/ccache: a symlink to this ldwrap
// for each linker name, and for each C and C++ driver found on PATH (cc,
// gcc-12, x86_64-linux-gnu-g++-12, clang-14 ...). Run again, it adds the
// drivers installed since and removes its links to those gone; other files
// in dir are left alone. Each link is replaced atomically.
func installLinks(dir string, f toolpath.Finder) (made, removed []string, err error) {
	exe, err := os.Executable()
	if err != nil {
		return nil, nil, fmt.Errorf("find ldwrap itself: %w", err)
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, nil, fmt.Errorf("create %s: %w", dir, rawio.Cause(err))
	}
	want := map[string]bool{}
	for _, n := range linkerNames {
		want[n] = true
	}
	for _, n := range compilersOnPath(dir, f) {
		want[n] = true
	}
	old, _ := rawio.ReadDirNames(dir)
	for _, n := range old {
		p := filepath.Join(dir, n)
		if !want[n] && isCompilerName(n) && f.IsSelf(p) {
			if err := os.Remove(p); err != nil {
				return made, removed, fmt.Errorf("remove %s: %w", p, rawio.Cause(err))
			}
			removed = append(removed, n)
		}
	}
	var names []string
	for n := range want {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		p := filepath.Join(dir, n)
		if dest, err := rawio.Readlink(p); err == nil && dest == exe {
			continue
		}
		tmp := p + ".ldwrap-new"
		os.Remove(tmp)
		if err := os.Symlink(exe, tmp); err != nil {
			return made, removed, fmt.Errorf("link %s: %w", p, rawio.Cause(err))
		}
		if err := os.Rename(tmp, p); err != nil {
			os.Remove(tmp)
			return made, removed, fmt.Errorf("link %s: %w", p, rawio.Cause(err))
		}
		made = append(made, n)
	}
	return made, removed, nil
}

// compilersOnPath lists the C and C++ drivers in PATH's directories (not
// in dir, and not ldwrap's own links elsewhere).
func compilersOnPath(dir string, f toolpath.Finder) []string {
	self, _ := filepath.Abs(dir)
	seen := map[string]bool{}
	var names []string
	for _, d := range filepath.SplitList(f.PATH) {
		if abs, _ := filepath.Abs(d); abs == self || d == "" {
			continue
		}
		entries, err := rawio.ReadDirNames(d)
		if err != nil {
			continue
		}
		for _, n := range entries {
			if seen[n] || !isCompilerName(n) {
				continue
			}
			p := filepath.Join(d, n)
			if fi, err := f.Stat(p); err != nil || fi.IsDir() || fi.Mode()&0o111 == 0 || f.IsSelf(p) {
				continue
			}
			seen[n] = true
			names = append(names, n)
		}
	}
	return names
}
