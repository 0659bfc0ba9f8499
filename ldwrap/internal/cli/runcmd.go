package cli

import (
	"os"
	"path/filepath"
	"strings"

	"github.com/ldwrap/ldwrap/ldwrap/internal/cmdline"
	"github.com/ldwrap/ldwrap/ldwrap/internal/engine"
	"github.com/ldwrap/ldwrap/ldwrap/internal/nsrun"
	"github.com/ldwrap/ldwrap/ldwrap/internal/step"
	"github.com/ldwrap/ldwrap/ldwrap/internal/toolpath"
)

const runUsage = `usage: ldwrap-run [-o OUT]... [--stdout OUT] [--env NAME=OUT]... [--dry-run] [--] CMD [ARGS...]
       ldwrap-run --stage DIR [--stage DIR]... [--dry-run] [--] CMD [ARGS...]

Runs CMD so that what it writes under each staged directory appears only
if it succeeds: each new or changed file is renamed over its path (a new
inode; a program running the old one keeps it, as after install(1)),
deletions are applied, and on failure, a signal or a kill nothing is.
The staged directories are the directory of each OUT, and each DIR.

Namespace mode, the default on Linux: CMD runs in a private mount
namespace where an overlay covers each staged directory. CMD sees and
writes the real paths, in its arguments, its environment and its own
shell redirections (sh -c 'gen > OUT' works as it does bare); its
streams are its own. Processes it leaves running are ended when it
exits. Another user than root needs unprivileged user namespaces.

Argument mode, where namespace mode cannot run (not Linux, no user
namespaces, a filesystem overlayfs cannot stage on, a mount under a
staged directory; LDWRAP_VERBOSE=1 says which ran and why): each OUT
that is an argument of its own is pointed at a staged file beside it.
A mention of OUT inside a longer argument is never rewritten: give OUT
as an argument of its own, as in sh -c '... > "$1"' sh OUT. --stage and
--dry-run need namespace mode: without it they fail, nothing run.

  -o OUT         an output: its directory is staged
  --stdout OUT   CMD's standard output is OUT, opened as the shell's >
                 would open it (through the overlay: staged too)
  --env NAME=OUT the environment variable NAME holds OUT (in argument
                 mode, its staged path)
  --stage DIR    stage everything CMD writes under DIR, no names needed
  --dry-run      print what would be added, replaced and removed, on
                 standard error, and commit nothing
  --fresh        argument mode: do not start each staged file as a copy of
                 the old output (faster for big ones)
  --in-text      argument mode: also rewrite whole-word mentions of an
                 OUT inside arguments, only for a caller that knows each
                 is the output (namespace mode has nothing to rewrite)

LDWRAP_RUN_MODE=namespace or args forces a mode (namespace where it
cannot run: 126 and the cause). Exit status is CMD's; ldwrap's own
failures are 126, 127 for a command not found.

Examples:
  ldwrap-run -o gen.h -- sh -c './codegen > gen.h'
  ldwrap-run -o bin/app -- go build -o bin/app ./cmd/app
  ldwrap-run --stage /usr/local -- make install
  ldwrap-run --dry-run --stage "$(go env GOPATH)/bin" -- go install ./cmd/...
`

// runCmdLine is an ldwrap-run command line.
type runCmdLine struct {
	outputs    []string
	envOutputs []step.EnvOutput
	stdout     string
	plan       cmdline.RunOptions
	argv       []string // the command
	info       string   // --help or --version, seen before the command
	stages     []string // --stage DIR: namespace mode's roots without names
	dryRun     bool
}

// parseRun reads ldwrap-run's options up to the command. A problem is a
// *usageError.
func parseRun(args []string) (o runCmdLine, err error) {
	for len(args) > 0 {
		a := args[0]
		switch a {
		case "--":
			o.argv = args[1:]
			return o, nil
		case "--help", "--version":
			o.info = a
			return o, nil
		case "--fresh":
			o.plan.Fresh, args = true, args[1:]
			continue
		case "--in-text":
			o.plan.InText, args = true, args[1:]
			continue
		case "--dry-run":
			o.dryRun, args = true, args[1:]
			continue
		}
		var v string
		switch {
		case (a == "-o" || a == "--output" || a == "--stdout" || a == "--env" || a == "--stage") && len(args) > 1:
			v, args = args[1], args[2:]
		case strings.HasPrefix(a, "--output=") || strings.HasPrefix(a, "--stdout=") || strings.HasPrefix(a, "--env=") || strings.HasPrefix(a, "--stage="):
			v, args = a[strings.IndexByte(a, '=')+1:], args[1:]
		case strings.HasPrefix(a, "-o") && len(a) > 2:
			v, args = a[2:], args[1:]
		case strings.HasPrefix(a, "-"):
			return o, &usageError{"option " + a, "unknown"}
		default:
			o.argv = args
			return o, nil
		}
		switch {
		case strings.HasPrefix(a, "--stdout"):
			o.stdout = v
		case strings.HasPrefix(a, "--stage"):
			o.stages = append(o.stages, v)
		case strings.HasPrefix(a, "--env"):
			i := strings.IndexByte(v, '=')
			if i <= 0 || i == len(v)-1 {
				return o, &usageError{"option --env " + v, "want NAME=OUTPUT"}
			}
			o.envOutputs = append(o.envOutputs, step.EnvOutput{Name: v[:i], Output: v[i+1:]})
		default:
			o.outputs = append(o.outputs, v)
		}
	}
	return o, nil
}

// runCommand is ldwrap-run.
func runCommand() {
	step.ServeRelay()
	nsrun.Serve()
	o, err := parseRun(os.Args[1:])
	answerInfo("ldwrap-run", runUsage, o.info)
	switch {
	case err != nil:
		exitUsage("ldwrap-run", err)
	case len(o.argv) == 0:
		exitUsage("ldwrap-run", &usageError{"command", "missing"})
	}
	// Namespace mode where it can run; argument mode where it cannot, but
	// for --stage and --dry-run, which only it can do. --in-text does not
	// choose: it is what argument mode needs to stand in for namespace
	// mode, where the command names its outputs by their real paths
	// anyway (the Bazel rule passes it for the fallback).
	mode := os.Getenv("LDWRAP_RUN_MODE")
	onlyNS := len(o.stages) > 0 || o.dryRun
	switch {
	case mode != "" && mode != "namespace" && mode != "args":
		fatalf(exitCannotRun, "config: LDWRAP_RUN_MODE=%s: want namespace or args", mode)
	case mode == "args" && onlyNS:
		fatalf(exitCannotRun, "stage %s: --stage and --dry-run need namespace mode, and LDWRAP_RUN_MODE=args; unset it", stageWhere(o))
	case mode == "args":
		logf("argument mode: LDWRAP_RUN_MODE=args")
	default:
		tool, err := toolpath.Default().Command(o.argv[0])
		if err != nil {
			fatalf(exitCodeOf(err), "%v", err)
		}
		code, u := runInNamespace(o, tool)
		if u == nil {
			os.Exit(code)
		}
		if u != nothingToStage && (onlyNS || mode == "namespace") {
			fatalf(exitCannotRun, "stage %s: %v; %s", stageWhere(o), u, u.Fix)
		}
		if u == nothingToStage {
			logf("argument mode: nothing to stage")
		} else {
			logf("argument mode: %v", u)
		}
	}
	plan, err := cmdline.PlanRun(o.outputs, o.argv[1:], o.plan)
	if err != nil {
		fatalf(exitCannotRun, "%v", err)
	}
	tool, err := toolpath.Default().Command(o.argv[0])
	if err != nil {
		fatalf(exitCodeOf(err), "%v", err)
	}
	// Staged above the outputs' directories: a command that lists one
	// (tar -cf dist.tar .) must not find the staging there.
	os.Exit(runStep(step.Step{Tool: tool, Args: o.argv[1:], Plan: plan, Stdout: o.stdout,
		EnvOutputs: o.envOutputs, SeedEnvOutputs: !o.plan.Fresh, Options: engine.Options{StageAbove: true}}))
}

// stageWhere is the directory a refusal of namespace mode names: the first
// --stage, else the first output's directory.
func stageWhere(o runCmdLine) string {
	switch {
	case len(o.stages) > 0:
		return o.stages[0]
	case len(o.outputs) > 0:
		return filepath.Dir(o.outputs[0])
	case o.stdout != "":
		return filepath.Dir(o.stdout)
	case len(o.envOutputs) > 0:
		return filepath.Dir(o.envOutputs[0].Output)
	}
	return "."
}
