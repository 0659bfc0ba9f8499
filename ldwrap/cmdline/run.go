package cmdline

import (
	"fmt"
	"strings"
)

// PlanRun points a generic command at staged outputs: every argument equal
// to an output, or ending in "=" plus an output (--out=FILE), is replaced.
// An output that appears nowhere in argv cannot be redirected: error.
// Missing parent directories of the outputs are created (mode 0777 less
// umask), as go build and most generators do; they stay if the step fails.
func PlanRun(outputs []string, argv []string) (Rewrite, error) {
	r := Rewrite{Outputs: outputs, MakeDirs: true}
	for _, out := range outputs {
		found := false
		for i, a := range argv {
			switch {
			case a == out:
				r.Edits = append(r.Edits, Edit{Top: i, Target: out})
				found = true
			case strings.HasSuffix(a, "="+out):
				r.Edits = append(r.Edits, Edit{Top: i, Prefix: a[:len(a)-len(out)], Target: out})
				found = true
			}
		}
		if !found {
			return Rewrite{}, fmt.Errorf("output %s: not among the command's arguments, so it cannot be redirected (use --stdout for standard output)", out)
		}
	}
	return r, nil
}
