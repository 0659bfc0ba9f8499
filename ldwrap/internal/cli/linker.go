package cli

import (
	"fmt"
	"os"
	"path/filepath"

	"github.com/ldwrap/ldwrap/ldwrap/internal/cmdline"
	"github.com/ldwrap/ldwrap/ldwrap/internal/engine"
	"github.com/ldwrap/ldwrap/ldwrap/internal/rawio"
	"github.com/ldwrap/ldwrap/ldwrap/internal/step"
)

// linkerNames are the names under which ldwrap stands in for a linker in a
// directory given to gcc -B.
var linkerNames = []string{"ld", "ld.bfd", "ld.gold", "ld.lld", "ld.mold"}

const linkerUsage = `usage: ldwrap [linker arguments...]
       ldwrap --install-links DIR

ldwrap runs the real linker with its output redirected into a private
directory beside the target, and renames the result over the target only
when the link succeeds. Running programs keep the old file; a failed or
killed link leaves the old output byte-identical.

The real linker is $LDWRAP_LD if set, else the name ldwrap was invoked as
(ld, ld.gold, ...), else "ld". ldwrap never runs itself.

  --install-links DIR  make DIR/ld, ld.bfd, ld.gold, ld.lld and ld.mold
                       symlinks to ldwrap, for "gcc -B DIR"
  --version, --help    (only when invoked as "ldwrap")

Environment: LDWRAP_VERBOSE=1, LDWRAP_DURABLE=1, LDWRAP_SYMLINKS=follow,
LDWRAP_KEEP_ATTRS=1, LDWRAP_SKIP_IDENTICAL=touch|restat, LDWRAP_STALE=1,
LDWRAP_STRICT=1.
Exit status: the linker's; 126 if ldwrap could not stage, run or commit;
127 if the linker was not found.
`

// Linker is the ldwrap command.
func Linker() {
	name := filepath.Base(os.Args[0])
	args := os.Args[1:]
	if name == "ldwrap" && len(args) >= 1 {
		switch args[0] {
		case "--version":
			printVersion("ldwrap")
		case "--help":
			fmt.Print(linkerUsage)
			os.Exit(0)
		case "--install-links":
			if len(args) != 2 {
				usageError("ldwrap", "option --install-links", "wants one directory")
			}
			if err := installLinks(args[1]); err != nil {
				fatalf(exitCannotRun, "%v", err)
			}
			os.Exit(0)
		}
	}
	spec := os.Getenv("LDWRAP_LD")
	if spec == "" {
		spec = "ld"
		if name != "ldwrap" {
			spec = name
		}
	}
	tool, err := step.FindTool(spec)
	if err != nil {
		fatalf(exitCodeOf(err), "%v", err)
	}
	kind := cmdline.LinkerOf(resolved(tool.Path))
	run(step.Step{Tool: tool, Args: args, Plan: cmdline.PlanLinker(kind, args, nil)})
}

// installLinks makes dir a directory for gcc -B: each linker name is a
// symlink to this ldwrap. Existing links are replaced atomically.
func installLinks(dir string) error {
	exe, err := os.Executable()
	if err != nil {
		return fmt.Errorf("find ldwrap itself: %w", err)
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("create %s: %w", dir, engine.Cause(err))
	}
	for _, n := range linkerNames {
		p := filepath.Join(dir, n)
		tmp := p + ".ldwrap-new"
		os.Remove(tmp)
		if err := os.Symlink(exe, tmp); err != nil {
			return fmt.Errorf("link %s: %w", p, engine.Cause(err))
		}
		if err := os.Rename(tmp, p); err != nil {
			os.Remove(tmp)
			return fmt.Errorf("link %s: %w", p, engine.Cause(err))
		}
	}
	return nil
}

// resolved follows path's last component through its symlinks (cc ->
// /etc/alternatives/cc -> gcc): what is asked of it is the name it ends
// at. Directories on the way are not resolved (filepath.EvalSymlinks would
// lstat each: seven system calls for /usr/bin/gcc instead of three).
func resolved(path string) string {
	for i := 0; i < 40; i++ {
		dest, err := rawio.Readlink(path)
		if err != nil {
			return path
		}
		if !filepath.IsAbs(dest) {
			dest = filepath.Join(filepath.Dir(path), dest)
		}
		path = dest
	}
	return path
}
