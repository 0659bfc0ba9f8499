package cli

import (
	"fmt"
	"os"

	"github.com/ldwrap/ldwrap/ldwrap/internal/engine"
	"github.com/ldwrap/ldwrap/ldwrap/internal/stale"
)

const staleUsage = `usage: ldwrap-stale [PATH...]

Lists the running processes that still use an old version of a file under
PATH (default: the current directory): a file that was replaced by rename,
as ldwrap replaces it, while a process ran it, mapped it or held it open.
One line each: PID (COMMAND) KIND PATH [unit=UNIT], where KIND is
executable, mapping or descriptor and UNIT the systemd unit to restart.

Exit status: 0 when none, 1 when some, 2 on error (as grep).
`

// Stale is ldwrap-stale.
func Stale() {
	roots := os.Args[1:]
	switch {
	case len(roots) == 1 && roots[0] == "--help":
		fmt.Print(staleUsage)
		os.Exit(0)
	case len(roots) == 1 && roots[0] == "--version":
		printVersion("ldwrap-stale")
	case len(roots) > 0 && roots[0] == "--":
		roots = roots[1:]
	}
	if len(roots) == 0 {
		roots = []string{"."}
	}
	for _, r := range roots {
		if _, err := os.Stat(r); err != nil {
			fatalf(2, "stat %s: %v", r, engine.Cause(err))
		}
	}
	res, err := stale.UnderPaths(roots)
	if err != nil {
		fatalf(2, "scan /proc: %v", engine.Cause(err))
	}
	for _, u := range res.Uses {
		fmt.Println(u.Format())
	}
	if res.Denied > 0 {
		fmt.Fprintf(os.Stderr, "ldwrap: %d processes could not be inspected (permission denied)\n", res.Denied)
	}
	if len(res.Uses) > 0 {
		os.Exit(1)
	}
	os.Exit(0)
}
