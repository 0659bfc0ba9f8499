package stale

import (
	"encoding/json"
	"fmt"
	"io"
	"sort"
	"strconv"
	"strings"
	"unicode/utf8"
)

// Format is a Use as ldwrap-stale prints it:
//
//	PID (COMM) KIND [unit=UNIT |service=NAME ]PATH
//
// A newline, another control character, a backslash or a byte that is not
// UTF-8 is written \xNN, as lsof escapes names; so is what would read as
// the end of a field: ")" in COMM, a space in UNIT, NAME and PATH (a path
// ending in " unit=x.service" would read as a unit).
func (u Use) Format() string {
	s := strconv.Itoa(u.PID) + " (" + escape(u.Comm, ")") + ") " + u.Kind.String() + " "
	switch {
	case u.Unit != "":
		s += "unit=" + escape(u.Unit, " ") + " "
	case u.Service != "":
		s += "service=" + escape(u.Service, " ") + " "
	}
	return s + escape(u.Path, " ")
}

// namedMax is how many uninspected processes a message names; --json
// names them all.
const namedMax = 10

// UninspectedMessage is the line that says how many processes a scan
// could not inspect and names them, PID (COMM), or "" if none.
func UninspectedMessage(res Result) string {
	if res.Denied == 0 {
		return ""
	}
	s := strconv.Itoa(res.Denied) + " processes could not be inspected (permission denied)"
	if res.Denied == 1 {
		s = "1 process could not be inspected (permission denied)"
	}
	var named []string
	for i, p := range res.Uninspected {
		if i == namedMax {
			named = append(named, "and "+strconv.Itoa(len(res.Uninspected)-namedMax)+" more")
			break
		}
		named = append(named, strconv.Itoa(p.PID)+" ("+escape(p.Comm, ")")+")")
	}
	if len(named) > 0 {
		s += ": " + strings.Join(named, ", ")
	}
	return s
}

// EscapePath is path as ldwrap's listings write it: a newline, another
// control character, DEL, a backslash or a byte that is not UTF-8 as \xNN
// (ldwrap-run --dry-run's, too).
func EscapePath(path string) string { return escape(path, "") }

// escape writes control characters, DEL, backslashes, invalid UTF-8 and
// the bytes of extra as \xNN.
func escape(s, extra string) string {
	var b strings.Builder
	for i := 0; i < len(s); {
		r, n := utf8.DecodeRuneInString(s[i:])
		c := s[i]
		if (r == utf8.RuneError && n == 1) || c < 0x20 || c == 0x7f || c == '\\' || (c < utf8.RuneSelf && strings.IndexByte(extra, c) >= 0) {
			fmt.Fprintf(&b, `\x%02x`, c)
			i++
			continue
		}
		b.WriteString(s[i : i+n])
		i += n
	}
	return b.String()
}

// jsonProcess is an uninspected process in ldwrap-stale --json.
type jsonProcess struct {
	PID  int    `json:"pid"`
	Comm string `json:"comm"`
}

// jsonUse is a Use in ldwrap-stale --json.
type jsonUse struct {
	PID     int    `json:"pid"`
	Comm    string `json:"comm"`
	Kind    string `json:"kind"`
	Path    string `json:"path"`
	Unit    string `json:"unit,omitempty"`
	Service string `json:"service,omitempty"`
}

// WriteJSON writes res as one JSON object: {"uses": [...], "uninspected":
// N, "uninspected_processes": [{"pid": PID, "comm": COMM}, ...]}.
func WriteJSON(w io.Writer, res Result) error {
	out := struct {
		Uses                 []jsonUse     `json:"uses"`
		Uninspected          int           `json:"uninspected"`
		UninspectedProcesses []jsonProcess `json:"uninspected_processes"`
	}{Uses: []jsonUse{}, Uninspected: res.Denied, UninspectedProcesses: []jsonProcess{}}
	for _, u := range res.Uses {
		out.Uses = append(out.Uses, jsonUse{u.PID, u.Comm, u.Kind.String(), u.Path, u.Unit, u.Service})
	}
	for _, p := range res.Uninspected {
		out.UninspectedProcesses = append(out.UninspectedProcesses, jsonProcess{p.PID, p.Comm})
	}
	enc := json.NewEncoder(w)
	return enc.Encode(out)
}

// Units are the systemd units of the uses, once each, sorted (for
// systemctl try-restart).
func Units(uses []Use) []string {
	return distinct(uses, func(u Use) string { return u.Unit })
}

// Services are the service names of the uses, once each, sorted: a
// systemd service unit without ".service", or a pid file's name (for
// service NAME restart).
func Services(uses []Use) []string {
	return distinct(uses, func(u Use) string {
		if u.Unit != "" {
			if strings.HasSuffix(u.Unit, ".service") {
				return strings.TrimSuffix(u.Unit, ".service")
			}
			return ""
		}
		return u.Service
	})
}

func distinct(uses []Use, key func(Use) string) []string {
	seen := map[string]bool{}
	var out []string
	for _, u := range uses {
		if k := key(u); k != "" && !seen[k] {
			seen[k] = true
			out = append(out, k)
		}
	}
	sort.Strings(out)
	return out
}

// Report is what ldwrap prints after a replacement, to w: a line per file
// still in use, "ldwrap: PATH: old version still in use by PID (COMM)[,
// ...]", how many processes could not be inspected, or why no scan was
// possible. It is a report, never a failure, and where the system has no
// backend it says nothing: not after every install and every commit.
func Report(w io.Writer, paths []string) {
	if len(paths) == 0 {
		return
	}
	res, err := scan(paths)
	if err == ErrUnsupported {
		return
	}
	if err != nil {
		fmt.Fprintf(w, "ldwrap: find the users of old files: %v\n", err)
		return
	}
	byPath := map[string][]string{}
	var order []string
	seen := map[string]bool{}
	for _, u := range res.Uses {
		key := u.Path + "\x00" + strconv.Itoa(u.PID)
		if seen[key] {
			continue
		}
		seen[key] = true
		if _, ok := byPath[u.Path]; !ok {
			order = append(order, u.Path)
		}
		byPath[u.Path] = append(byPath[u.Path], strconv.Itoa(u.PID)+" ("+escape(u.Comm, ")")+")")
	}
	for _, p := range order {
		fmt.Fprintf(w, "ldwrap: %s: old version still in use by %s\n", escape(p, ""), strings.Join(byPath[p], ", "))
	}
	if m := UninspectedMessage(res); m != "" {
		fmt.Fprintf(w, "ldwrap: %s\n", m)
	}
}

// scan is Scan; tests give it another system's answer.
var scan = Scan
