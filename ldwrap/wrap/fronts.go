package wrap

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/ldwrap/ldwrap/ldwrap/cmdline"
	"github.com/ldwrap/ldwrap/ldwrap/internal/stale"
)

// LinkerNames are the names under which ldwrap stands in for a linker in a
// directory given to gcc -B.
var LinkerNames = []string{"ld", "ld.bfd", "ld.gold", "ld.lld", "ld.mold"}

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
LDWRAP_KEEP_ATTRS=1, LDWRAP_SKIP_IDENTICAL=touch|restat.
Exit status: the linker's; 126 if ldwrap could not stage, run or commit;
127 if the linker was not found.
`

// LinkerMain is the ldwrap command.
func LinkerMain() {
	name := filepath.Base(os.Args[0])
	args := os.Args[1:]
	if name == "ldwrap" && len(args) >= 1 {
		switch args[0] {
		case "--version":
			fmt.Printf("ldwrap %s\n", Version)
			os.Exit(0)
		case "--help":
			fmt.Print(linkerUsage)
			os.Exit(0)
		case "--install-links":
			if len(args) != 2 {
				Fatalf(2, "usage: ldwrap --install-links DIR")
			}
			if err := InstallLinks(args[1]); err != nil {
				Fatalf(ExitCannotRun, "%v", err)
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
	tool, err := FindTool(spec)
	if err != nil {
		Fatalf(exitCodeOf(err), "%v", err)
	}
	kind := cmdline.LinkerOf(resolved(tool.Path))
	Step{Tool: tool, Args: args, Plan: cmdline.PlanLinker(kind, args, nil)}.Run()
}

// DriverMain is ldwrap-cc (envVar LDWRAP_CC, default cc) and ldwrap-c++.
func DriverMain(envVar, def string) {
	spec := os.Getenv(envVar)
	if spec == "" {
		spec = def
	}
	tool, err := FindTool(spec)
	if err != nil {
		Fatalf(exitCodeOf(err), "%v", err)
	}
	exe := resolved(tool.Path) // once: both questions start from it
	d := cmdline.Driver{Clang: isClang(tool, exe), Distcc: isDistcc(tool, exe)}
	Step{Tool: tool, Args: os.Args[1:], Plan: d.Plan(os.Args[1:], nil)}.Run()
}

// isClang looks at the compiler word of the command: the last word that
// is not an option ("ccache clang" -> clang), resolved through symlinks
// (cc -> /etc/alternatives/cc -> gcc). exe is t.Path resolved.
func isClang(t Tool, exe string) bool {
	word := t.Words[0]
	for i := len(t.Words) - 1; i > 0; i-- {
		if !strings.HasPrefix(t.Words[i], "-") {
			word = t.Words[i]
			break
		}
	}
	if word == t.Words[0] {
		return strings.Contains(filepath.Base(exe), "clang")
	}
	path := word
	if p, err := lookPathNotSelf(word); err == nil {
		path = p
	}
	return strings.Contains(filepath.Base(resolved(path)), "clang")
}

// isDistcc: a word of the command before the compiler is distcc
// (LDWRAP_CC='distcc gcc'), or the command is distcc's masquerade link
// (/usr/lib/distcc/gcc -> ../../bin/distcc). exe is t.Path resolved.
func isDistcc(t Tool, exe string) bool {
	if filepath.Base(exe) == "distcc" {
		return true
	}
	for _, w := range t.Words[1:] {
		if filepath.Base(w) == "distcc" {
			return true
		}
	}
	return false
}

func resolved(path string) string {
	if r, err := filepath.EvalSymlinks(path); err == nil {
		return r
	}
	return path
}

// InstallLinks makes dir a directory for gcc -B: each linker name is a
// symlink to this ldwrap. Existing links are replaced atomically.
func InstallLinks(dir string) error {
	exe, err := os.Executable()
	if err != nil {
		return fmt.Errorf("find ldwrap itself: %w", err)
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("create %s: %w", dir, unwrapPath(err))
	}
	for _, n := range LinkerNames {
		p := filepath.Join(dir, n)
		tmp := p + ".ldwrap-new"
		os.Remove(tmp)
		if err := os.Symlink(exe, tmp); err != nil {
			return fmt.Errorf("link %s: %w", p, unwrapPath(err))
		}
		if err := os.Rename(tmp, p); err != nil {
			os.Remove(tmp)
			return fmt.Errorf("link %s: %w", p, unwrapPath(err))
		}
	}
	return nil
}

const runUsage = `usage: ldwrap-run [-o OUT]... [--stdout OUT] [--env NAME=OUT]... [--] CMD [ARGS...]

Runs CMD with every argument equal to an OUT (or ending in "=OUT") pointed
at a staged file beside OUT, and renames each staged file over its OUT only
if CMD succeeds. --stdout OUT captures CMD's standard output into OUT the
same way. --env NAME=OUT stages OUT and passes its staged path to CMD in
the environment variable NAME (for shell commands: sh -c 'gen > "$NAME"').
Each rename is atomic; on failure nothing is committed. Files CMD
writes beside a staged output (a depfile) are committed with it.

Example: ldwrap-run -o bin/app -- go build -o bin/app ./cmd/app
`

// RunMain is ldwrap-run.
func RunMain() {
	args := os.Args[1:]
	var outputs []string
	var envOutputs [][2]string
	stdout := ""
	for len(args) > 0 {
		a := args[0]
		if a == "--" {
			args = args[1:]
			break
		}
		if a == "--help" {
			fmt.Print(runUsage)
			os.Exit(0)
		}
		if a == "--version" {
			fmt.Printf("ldwrap-run %s\n", Version)
			os.Exit(0)
		}
		var v string
		switch {
		case (a == "-o" || a == "--output" || a == "--stdout" || a == "--env") && len(args) > 1:
			v, args = args[1], args[2:]
		case strings.HasPrefix(a, "--output=") || strings.HasPrefix(a, "--stdout=") || strings.HasPrefix(a, "--env="):
			v, args = a[strings.IndexByte(a, '=')+1:], args[1:]
		case strings.HasPrefix(a, "-o") && len(a) > 2:
			v, args = a[2:], args[1:]
		case strings.HasPrefix(a, "-"):
			Fatalf(ExitCannotRun, "usage %s: unknown option (see ldwrap-run --help)", a)
		default:
			goto cmd
		}
		if strings.HasPrefix(a, "--stdout") {
			stdout = v
		} else if strings.HasPrefix(a, "--env") {
			i := strings.IndexByte(v, '=')
			if i <= 0 || i == len(v)-1 {
				Fatalf(ExitCannotRun, "usage --env %s: want NAME=OUTPUT", v)
			}
			envOutputs = append(envOutputs, [2]string{v[:i], v[i+1:]})
		} else {
			outputs = append(outputs, v)
		}
	}
cmd:
	if len(args) == 0 {
		Fatalf(ExitCannotRun, "usage ldwrap-run: no command (see ldwrap-run --help)")
	}
	plan, err := cmdline.PlanRun(outputs, args[1:])
	if err != nil {
		Fatalf(ExitCannotRun, "%v", err)
	}
	tool, err := FindCommand(args[0])
	if err != nil {
		Fatalf(exitCodeOf(err), "%v", err)
	}
	Step{Tool: tool, Args: args[1:], Plan: plan, Stdout: stdout, EnvOutputs: envOutputs}.Run()
}

const staleUsage = `usage: ldwrap-stale [PATH...]

Lists the running processes that still use an old version of a file under
PATH (default: the current directory): a file that was replaced by rename,
as ldwrap replaces it, while a process ran it, mapped it or held it open.
One line each: PID (COMMAND) KIND PATH [unit=UNIT], where KIND is
executable, mapping or descriptor and UNIT the systemd unit to restart.

Exit status: 0 when none, 1 when some, 2 on error.
`

// StaleMain is ldwrap-stale.
func StaleMain() {
	roots := os.Args[1:]
	switch {
	case len(roots) == 1 && roots[0] == "--help":
		fmt.Print(staleUsage)
		os.Exit(0)
	case len(roots) == 1 && roots[0] == "--version":
		fmt.Printf("ldwrap-stale %s\n", Version)
		os.Exit(0)
	case len(roots) == 0:
		roots = []string{"."}
	}
	if len(roots) > 0 && roots[0] == "--" {
		roots = roots[1:]
	}
	for _, r := range roots {
		if _, err := os.Stat(r); err != nil {
			Fatalf(2, "stat %s: %v", r, unwrapPath(err))
		}
	}
	res, err := stale.UnderPaths(roots)
	if err != nil {
		Fatalf(2, "scan /proc: %v", unwrapPath(err))
	}
	for _, u := range res.Uses {
		fmt.Println(u.Format())
	}
	if res.Denied > 0 {
		fmt.Fprintf(os.Stderr, "ldwrap-stale: %d processes could not be inspected (permission denied)\n", res.Denied)
	}
	if len(res.Uses) > 0 {
		os.Exit(1)
	}
	os.Exit(0)
}
