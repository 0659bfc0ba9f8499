package cli

import (
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/ldwrap/ldwrap/internal/commands"
	"github.com/ldwrap/ldwrap/ldwrap/internal/cmdline"
	"github.com/ldwrap/ldwrap/ldwrap/internal/engine"
	"github.com/ldwrap/ldwrap/ldwrap/internal/rawio"
	"github.com/ldwrap/ldwrap/ldwrap/internal/toolpath"
)

// linkerCommands answers what the linker's wrapper (c, ldwrap) takes
// itself before the linker's arguments: --help, --version, --install-links
// DIR. done is false for a linker's command line.
func linkerCommands(c commands.Command, args []string) (code int, done bool) {
	if len(args) == 1 {
		switch args[0] {
		case "--help":
			fmt.Print(wrapUsage())
			return 0, true
		case "--version":
			fmt.Printf("%s %s\n", c.Name, Version)
			return 0, true
		}
	}
	if args[0] != "--install-links" {
		return 0, false
	}
	if len(args) != 2 {
		return failUsage(c.Name, &usageError{"option --install-links", "wants one directory"}), true
	}
	made, removed, err := installLinks(args[1], toolpath.Default())
	if err != nil {
		return failf(exitCannotRun, "%v", err), true
	}
	for _, n := range made {
		logf("linked %s", filepath.Join(args[1], n))
	}
	for _, n := range removed {
		logf("removed %s: no such tool on PATH any more", filepath.Join(args[1], n))
	}
	return 0, true
}

// gccLinkerNames are the linker names that always get a link: those gcc
// -B DIR looks for, ld and ld.<-fuse-ld value>.
func gccLinkerNames() []string {
	var names []string
	for _, n := range cmdline.LinkerNames() {
		if n == "ld" || strings.HasPrefix(n, "ld.") {
			names = append(names, n)
		}
	}
	return names
}

// installLinks makes dir a masquerade directory, as Debian's
// update-ccache-symlinks makes /usr/lib/ccache: a symlink to this ldwrap
// for each of gccLinkerNames, and for each tool on PATH that a model
// reads by name (cc, gcc-12, x86_64-linux-gnu-g++-12, clang-14, ar,
// llvm-ar-14 ...). Run
// again, it adds the tools installed since and removes its links to those
// gone; other files in dir are left alone. The links are staged and
// committed by the engine, as a step's outputs are: each replaced
// atomically, and two runs at once each in their own staging directory.
func installLinks(dir string, f toolpath.Finder) (made, removed []string, err error) {
	exe, err := os.Executable()
	if err != nil {
		return nil, nil, fmt.Errorf("find ldwrap itself: %w", err)
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, nil, fmt.Errorf("create %s: %w", dir, rawio.Cause(err))
	}
	want := map[string]bool{}
	for _, n := range gccLinkerNames() {
		want[n] = true
	}
	for _, n := range toolsOnPath(dir, f) {
		want[n] = true
	}
	old, _ := rawio.ReadDirNames(dir)
	for _, n := range old {
		p := filepath.Join(dir, n)
		if !want[n] && foundOnPath(n) && f.IsSelf(p) {
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
	txn := engine.New(engine.Options{})
	defer txn.Abort()
	for _, n := range names {
		p := filepath.Join(dir, n)
		if dest, err := rawio.Readlink(p); err == nil && dest == exe {
			continue
		}
		o, err := txn.Stage(p)
		if err != nil {
			return made, removed, fmt.Errorf("link %s: %w", p, rawio.Cause(err))
		}
		if err := os.Symlink(exe, o.Temp); err != nil {
			return made, removed, fmt.Errorf("link %s: %w", p, rawio.Cause(err))
		}
		made = append(made, n)
	}
	if err := txn.Commit(); err != nil {
		return nil, removed, err
	}
	return made, removed, nil
}

// foundOnPath says whether name is one of the tools whose links
// installLinks makes for what it finds on PATH: the compilers and ar.
func foundOnPath(name string) bool { return isCompilerName(name) || isArchiverName(name) }

// toolsOnPath lists the tools in PATH's directories that foundOnPath
// names (not in dir, and not ldwrap's own links elsewhere).
func toolsOnPath(dir string, f toolpath.Finder) []string {
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
			if seen[n] || !foundOnPath(n) {
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
