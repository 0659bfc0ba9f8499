package cmdline

import (
	"fmt"
	"strings"
)

// PlanRun points a generic command at staged outputs. An output is
// mentioned by an argument equal to it, by one ending in "=" plus the
// output (--out=FILE), or by one holding it as a whole word (sh -c 'gen >
// out.txt'; see isWordAt); every mention is replaced. An output mentioned
// nowhere cannot be redirected: error. Missing parent directories of the
// outputs are created (mode 0777 less umask), as go build and most
// generators do; they stay if the step fails.
func PlanRun(outputs []string, argv []string) (Rewrite, error) {
	r := Rewrite{Outputs: outputs, MakeDirs: true}
	for _, out := range outputs {
		found := false
		for i, a := range argv {
			switch {
			case a == out:
				r.Edits = append(r.Edits, Edit{Top: i, Target: out})
			case strings.HasSuffix(a, "="+out):
				r.Edits = append(r.Edits, Edit{Top: i, Prefix: a[:len(a)-len(out)], Target: out})
			case out != "" && len(wordsAt(a, out)) > 0:
				r.Edits = append(r.Edits, Edit{Top: i, Target: out, Within: true})
			default:
				continue
			}
			found = true
		}
		if !found {
			return Rewrite{}, fmt.Errorf("output %s: not among the command's arguments, so it cannot be redirected (use --stdout for standard output)", out)
		}
	}
	return r, nil
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
