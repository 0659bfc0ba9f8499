package cmdline

import (
	"fmt"
	"strconv"
	"strings"
)

// RunOptions are what a caller of PlanRun knows about its command.
type RunOptions struct {
	// Fresh: the command writes each output from scratch, so the staged
	// file starts empty instead of as a copy of the old output.
	Fresh bool
	// InText: every whole-word mention of an output inside an argument is
	// that output (atomic_output knows this of Bazel's output paths), so
	// those mentions are pointed at the staged file too.
	InText bool
}

// PlanRun points a generic command at staged outputs.
//
// An argument equal to an output is that output: it is pointed at the
// staged file, which starts as a copy of the old output (unless Fresh), so
// that a command that appends to, updates or keeps its output sees what it
// sees without ldwrap.
//
// A mention inside a longer argument is never rewritten (unless InText):
// ldwrap cannot tell the output from other text that happens to contain
// it ('-DNAME="hello"', 'echo writing out.txt', --exclude=dist.tar), and a
// wrong guess changes the command's output while it exits 0. An output
// that has no argument of its own is an error, before anything runs, that
// shows the safe form. An output whose directory is missing is the
// command's business, as it is bare: the engine refuses to stage it
// (engine.ErrNoDirectory) and the command runs untouched.
func PlanRun(outputs []string, argv []string, opts RunOptions) (Plan, error) {
	r := Plan{Outputs: outputs}
	for _, out := range outputs {
		if out == "" {
			return Plan{}, fmt.Errorf("output: empty name")
		}
		found, inside := false, -1
		for i, a := range argv {
			switch {
			case a == out:
				r.Edits = append(r.Edits, Edit{Top: i, Target: out, Seed: !opts.Fresh})
				found = true
			case !mentions(a, out):
			case opts.InText:
				r.Edits = append(r.Edits, Edit{Top: i, Target: out, Within: true, Seed: !opts.Fresh})
				found = true
			case inside < 0:
				inside = i
			}
		}
		switch {
		case found:
		case inside >= 0:
			return Plan{}, fmt.Errorf("output %s: mentioned only inside the argument %s, which ldwrap-run does not rewrite "+
				"(it cannot tell the output from other text there): give the output as an argument of its own, "+
				"as in sh -c '... > \"$1\"' sh %s, or use --stdout %s", out, shorten(argv[inside]), out, out)
		default:
			return Plan{}, fmt.Errorf("output %s: not among the command's arguments, so it cannot be redirected: "+
				"give it as an argument of its own, or use --stdout %s for standard output", out, out)
		}
	}
	return r, nil
}

// mentions says whether text holds out as a whole word, or ends in "=" and
// out (--output=OUT).
func mentions(text, out string) bool {
	return strings.HasSuffix(text, "="+out) || len(wordsAt(text, out)) > 0
}

func shorten(s string) string {
	if len(s) > 60 {
		s = s[:57] + "..."
	}
	return strconv.Quote(s)
}

// A word starts after one of wordBefore (or at the start of the text) and
// ends before one of wordAfter (or at the end): out.txt is a word of
// "gen > out.txt; cat 'out.txt'", not of "out.txt.tmp" or "x/out.txt".
const (
	wordBefore = " \t\n'\"=<>;|&(,"
	wordAfter  = " \t\n'\";|&)<>,"
)

// wordsAt returns where word occurs in text as a whole word.
func wordsAt(text, word string) []int {
	var at []int
	for i := 0; i+len(word) <= len(text); {
		j := strings.Index(text[i:], word)
		if j < 0 {
			break
		}
		j += i
		end := j + len(word)
		if (j == 0 || strings.IndexByte(wordBefore, text[j-1]) >= 0) &&
			(end == len(text) || strings.IndexByte(wordAfter, text[end]) >= 0) {
			at = append(at, j)
		}
		i = j + 1
	}
	return at
}

// replaceWords replaces each whole-word mention in text of a key of temps
// by its value. Mentions are found in the original text, so a staged path
// is never searched again; where two outputs overlap, the longer wins.
func replaceWords(text string, temps map[string]string) string {
	type hit struct {
		at, n int
		temp  string
	}
	var hits []hit
	for word, temp := range temps {
		for _, at := range wordsAt(text, word) {
			hits = append(hits, hit{at, len(word), temp})
		}
	}
	var b strings.Builder
	pos := 0
	for pos < len(text) {
		best := -1
		for k, h := range hits {
			if h.at >= pos && (best < 0 || h.at < hits[best].at || (h.at == hits[best].at && h.n > hits[best].n)) {
				best = k
			}
		}
		if best < 0 {
			break
		}
		h := hits[best]
		b.WriteString(text[pos:h.at])
		b.WriteString(h.temp)
		pos = h.at + h.n
	}
	b.WriteString(text[pos:])
	return b.String()
}
