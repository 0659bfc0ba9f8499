package cli

import (
	"fmt"
	"os"
	"strings"

	"github.com/ldwrap/ldwrap/ldwrap/internal/cmdline"
	"github.com/ldwrap/ldwrap/ldwrap/internal/step"
)

const runUsage = `usage: ldwrap-run [-o OUT]... [--stdout OUT] [--env NAME=OUT]... [--] CMD [ARGS...]

Runs CMD with every mention of an OUT in its arguments pointed at a staged
file beside OUT, and renames each staged file over its OUT only if CMD
succeeds. A mention is an argument equal to OUT, or OUT as a whole word
inside an argument: after "=", a space, a quote or a redirection, and
before the end, a space, a quote or a shell operator, so
  ldwrap-run -o out.txt -- sh -c 'gen > out.txt'
works and out.txt.tmp is left alone. --stdout OUT captures CMD's standard
output into OUT the same way. --env NAME=OUT stages OUT and passes its
staged path to CMD in the environment variable NAME. Each rename is
atomic; on failure nothing is committed. Files CMD writes beside a staged
output (a depfile) are committed with it.

Example: ldwrap-run -o bin/app -- go build -o bin/app ./cmd/app
`

// runOptions is an ldwrap-run command line.
type runOptions struct {
	outputs    []string
	envOutputs [][2]string
	stdout     string
	argv       []string // the command
	help       string   // --help or --version, seen before the command
}

// parseRun reads ldwrap-run's options up to the command. A problem is
// returned as what and cause for usageError.
func parseRun(args []string) (o runOptions, what, cause string) {
	for len(args) > 0 {
		a := args[0]
		if a == "--" {
			args = args[1:]
			break
		}
		if a == "--help" || a == "--version" {
			o.help = a
			return o, "", ""
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
			return o, "option " + a, "unknown"
		default:
			o.argv = args
			return o, "", ""
		}
		switch {
		case strings.HasPrefix(a, "--stdout"):
			o.stdout = v
		case strings.HasPrefix(a, "--env"):
			i := strings.IndexByte(v, '=')
			if i <= 0 || i == len(v)-1 {
				return o, "option --env " + v, "want NAME=OUTPUT"
			}
			o.envOutputs = append(o.envOutputs, [2]string{v[:i], v[i+1:]})
		default:
			o.outputs = append(o.outputs, v)
		}
	}
	o.argv = args
	return o, "", ""
}

// Run is ldwrap-run.
func Run() {
	o, what, cause := parseRun(os.Args[1:])
	switch {
	case o.help == "--help":
		fmt.Print(runUsage)
		os.Exit(0)
	case o.help == "--version":
		printVersion("ldwrap-run")
	case what != "":
		usageError("ldwrap-run", what, cause)
	case len(o.argv) == 0:
		usageError("ldwrap-run", "command", "missing")
	}
	plan, err := cmdline.PlanRun(o.outputs, o.argv[1:])
	if err != nil {
		fatalf(exitCannotRun, "%v", err)
	}
	tool, err := step.FindCommand(o.argv[0])
	if err != nil {
		fatalf(exitCodeOf(err), "%v", err)
	}
	run(step.Step{Tool: tool, Args: o.argv[1:], Plan: plan, Stdout: o.stdout, EnvOutputs: o.envOutputs})
}
