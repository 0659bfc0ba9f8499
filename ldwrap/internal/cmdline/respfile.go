// Package cmdline holds the argument models of the tools ldwrap wraps: which
// argument names the output, which flags derive side files from it, and
// how to point them at a staged path. The models are data plus small pure
// functions; they touch the file system only to read response files.
package cmdline

import (
	"os"
)

// Arg is one argument after response files are expanded.
type Arg struct {
	Value string
	// Top is the index of the argument in the original argv, or -1 when it
	// came from a response file (and so cannot be rewritten in place).
	Top int
}

// maxExpansions bounds response-file expansion, as libiberty does, so that a
// file that includes itself terminates.
const maxExpansions = 2000

// Expand expands @file arguments the way GCC's libiberty and the GNU
// linkers do: a file's content is split like a shell word list (whitespace
// separates, single and double quotes group, a backslash escapes the next
// character everywhere), files may name further @files, and an @file that
// cannot be read stays as it is.
func Expand(argv []string, readFile func(string) ([]byte, error)) []Arg {
	if readFile == nil {
		readFile = os.ReadFile
	}
	out := make([]Arg, 0, len(argv))
	for i, a := range argv {
		out = append(out, Arg{Value: a, Top: i})
	}
	expansions := 0
	for i := 0; i < len(out); i++ {
		a := out[i].Value
		if len(a) < 2 || a[0] != '@' {
			continue
		}
		if expansions >= maxExpansions {
			break
		}
		data, err := readFile(a[1:])
		if err != nil {
			continue
		}
		expansions++
		words := SplitResponse(string(data))
		repl := make([]Arg, len(words))
		for j, w := range words {
			repl[j] = Arg{Value: w, Top: -1}
		}
		out = append(out[:i], append(repl, out[i+1:]...)...)
		i-- // the first inserted word may itself be an @file
	}
	return out
}

// SplitResponse splits response-file content with libiberty's buildargv rules.
func SplitResponse(s string) []string {
	var words []string
	i := 0
	for {
		for i < len(s) && isSpace(s[i]) {
			i++
		}
		if i >= len(s) {
			return words
		}
		var w []byte
		squote, dquote, escaped := false, false, false
		for ; i < len(s); i++ {
			c := s[i]
			switch {
			case escaped:
				escaped = false
				w = append(w, c)
			case c == '\\':
				escaped = true
			case squote:
				if c == '\'' {
					squote = false
				} else {
					w = append(w, c)
				}
			case dquote:
				if c == '"' {
					dquote = false
				} else {
					w = append(w, c)
				}
			case isSpace(c):
				goto done
			case c == '\'':
				squote = true
			case c == '"':
				dquote = true
			default:
				w = append(w, c)
			}
		}
	done:
		words = append(words, string(w))
	}
}

func isSpace(c byte) bool {
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v'
}
