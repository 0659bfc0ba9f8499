package cli

import (
	"fmt"
	"os"

	"github.com/ldwrap/ldwrap/ldwrap/internal/rawio"
	"github.com/ldwrap/ldwrap/ldwrap/internal/stale"
)

const staleUsage = `usage: ldwrap-stale [--json | --units | --services] [--] [PATH...]

Lists the running processes that still use an old version of a file under
PATH (default: the current directory): a file that was replaced by rename,
as ldwrap and install(1) replace it, while a process ran it, mapped it or
held it open, or a script an interpreter started on before it changed.
One line each:

  PID (COMMAND) KIND [unit=UNIT |service=NAME ]PATH

KIND is executable, mapping, descriptor or script. UNIT is the systemd
unit to restart; NAME, without systemd, the pid file under /run that holds
the process's pid or its parent's. Control characters, backslashes,
bytes that are not UTF-8, ")" in COMMAND and spaces in the other fields
are written \xNN: a space ends a field, a newline a line.

  --json      one JSON object: {"uses": [...], "uninspected": N,
              "uninspected_processes": [{"pid": PID, "comm": COMMAND}, ...]}
  --units     only the systemd units, one per line (systemctl try-restart $(...))
  --services  only the service names, one per line (service NAME restart)

Processes whose /proc entries cannot be read are named on standard error,
PID (COMMAND), the first 10 (--json names all): other users' processes
when not root, and even as root a process no one may inspect (a sandbox's
pid 1, one in another user namespace).

Exit status: 0 none, 1 some, 2 error, 3 none found but some processes
could not be inspected (one is enough, as root too).
`

// staleCommand is ldwrap-stale.
func staleCommand() {
	args := os.Args[1:]
	format := ""
options:
	for len(args) > 0 && len(args[0]) > 1 && args[0][0] == '-' {
		a := args[0]
		args = args[1:]
		switch a {
		case "--help", "-h", "--version":
			if a == "-h" {
				a = "--help"
			}
			answerInfo("ldwrap-stale", staleUsage, a)
		case "--json", "--units", "--services":
			format = a
			continue
		case "--":
			break options
		default:
			staleFatal(2, "option %s: unknown (see ldwrap-stale --help)", a)
		}
	}
	if len(args) == 0 {
		args = []string{"."}
	}
	for _, r := range args {
		if _, err := os.Stat(r); err != nil {
			staleFatal(2, "stat %s: %v", r, rawio.Cause(err))
		}
	}
	res, err := stale.Scan(args)
	if err == stale.ErrUnsupported {
		staleFatal(2, "%v", err)
	}
	if err != nil {
		staleFatal(2, "scan /proc: %v", rawio.Cause(err))
	}
	switch format {
	case "--json":
		stale.WriteJSON(os.Stdout, res)
	case "--units":
		printLines(stale.Units(res.Uses))
	case "--services":
		printLines(stale.Services(res.Uses))
	default:
		for _, u := range res.Uses {
			fmt.Println(u.Format())
		}
	}
	if m := stale.UninspectedMessage(res); m != "" && format != "--json" {
		fmt.Fprintf(os.Stderr, "ldwrap-stale: %s\n", m)
	}
	switch {
	case len(res.Uses) > 0:
		os.Exit(1)
	case res.Denied > 0:
		os.Exit(3)
	}
	os.Exit(0)
}

func printLines(lines []string) {
	for _, l := range lines {
		fmt.Println(l)
	}
}

func staleFatal(code int, format string, args ...interface{}) {
	fmt.Fprintf(os.Stderr, "ldwrap-stale: "+format+"\n", args...)
	os.Exit(code)
}
