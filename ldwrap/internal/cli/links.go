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
	made, removed, kept, err := installLinks(args[1], toolpath.Default())
	for _, n := range kept {
		failf(1, "install-links %s: exists and is not ldwrap's link; left alone", filepath.Join(args[1], n))
	}
	if err != nil {
		return failf(exitCannotRun, "%v", err), true
	}
	for _, n := range made {
		logf("linked %s", filepath.Join(args[1], n))
	}
	for _, n := range removed {
		logf("removed %s: no such tool on PATH any more", filepath.Join(args[1], n))
	}
	if len(kept) > 0 {
		return 1, true
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
// llvm-ar-14 ...). Run again, it adds the tools installed since and
// removes its links to those gone. It replaces only what is missing or is
// its own link (ownLink): a user's script, file, directory or link to a
// tool of that name is theirs, and is left alone and listed in kept.
// Every name is checked before anything changes, then the links are
// staged and committed by the engine in one transaction, as a step's
// outputs are: each replaced atomically, and two runs at once each in
// their own staging directory.
func installLinks(dir string, f toolpath.Finder) (made, removed, kept []string, err error) {
	exe, err := os.Executable()
	if err != nil {
		return nil, nil, nil, fmt.Errorf("find ldwrap itself: %w", err)
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, nil, nil, fmt.Errorf("create %s: %w", dir, rawio.Cause(err))
	}
	want := map[string]bool{}
	for _, n := range gccLinkerNames() {
		want[n] = true
	}
	for _, n := range toolsOnPath(dir, f) {
		want[n] = true
	}
	var names, gone []string
	for n := range want {
		names = append(names, n)
	}
	sort.Strings(names)
	var todo []string
	for _, n := range names {
		p := filepath.Join(dir, n)
		if dest, err := rawio.Readlink(p); err == nil && dest == exe {
			continue
		}
		if _, err := os.Lstat(p); err == nil && !ownLink(p, f) {
			kept = append(kept, n)
			continue
		} else if err != nil && !os.IsNotExist(err) {
			return nil, nil, nil, fmt.Errorf("link %s: %w", p, rawio.Cause(err))
		}
		todo = append(todo, n)
	}
	old, _ := rawio.ReadDirNames(dir)
	for _, n := range old {
		if !want[n] && foundOnPath(n) && ownLink(filepath.Join(dir, n), f) {
			gone = append(gone, n)
		}
	}
	txn := engine.New(engine.Options{})
	defer txn.Abort()
	for _, n := range todo {
		p := filepath.Join(dir, n)
		o, err := txn.Stage(p)
		if err != nil {
			return nil, nil, kept, fmt.Errorf("link %s: %w", p, rawio.Cause(err))
		}
		if err := os.Symlink(exe, o.Temp); err != nil {
			return nil, nil, kept, fmt.Errorf("link %s: %w", p, rawio.Cause(err))
		}
	}
	if err := txn.Commit(); err != nil {
		return nil, nil, kept, err
	}
	made = todo
	for _, n := range gone {
		p := filepath.Join(dir, n)
		if err := rawio.Unlink(p); err != nil && !os.IsNotExist(err) {
			return made, removed, kept, fmt.Errorf("remove %s: %w", p, rawio.Cause(err))
		}
		removed = append(removed, n)
	}
	return made, removed, kept, nil
}

// ownLink says whether p is a link installLinks made: a symlink to this
// executable, or to a file named like one of ldwrap's commands (an older
// ldwrap, moved or gone since). Anything else at a tool's name is the
// user's.
func ownLink(p string, f toolpath.Finder) bool {
	dest, err := rawio.Readlink(p)
	if err != nil {
		return false
	}
	if _, ok := commands.Named(filepath.Base(dest)); ok {
		return true
	}
	return f.IsSelf(p)
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
