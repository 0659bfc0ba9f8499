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
// The path comes last, so that it may hold spaces; a newline, another
// control character, a backslash or a byte that is not UTF-8 is written
// \xNN, as lsof escapes names, and so is ")" in COMM.
func (u Use) Format() string {
	s := strconv.Itoa(u.PID) + " (" + escape(u.Comm, ")") + ") " + u.Kind.String() + " "
	switch {
	case u.Unit != "":
		s += "unit=" + escape(u.Unit, " ") + " "
	case u.Service != "":
		s += "service=" + escape(u.Service, " ") + " "
	}
	return s + escape(u.Path, "")
}

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

// jsonUse is a Use in ldwrap-stale --json.
type jsonUse struct {
	PID     int    `json:"pid"`
	Comm    string `json:"comm"`
	Kind    string `json:"kind"`
	Path    string `json:"path"`
	Unit    string `json:"unit,omitempty"`
	Service string `json:"service,omitempty"`
}

// WriteJSON writes res as one JSON object: {"uses": [...], "uninspected": N}.
func WriteJSON(w io.Writer, res Result) error {
	out := struct {
		Uses        []jsonUse `json:"uses"`
		Uninspected int       `json:"uninspected"`
	}{Uses: []jsonUse{}, Uninspected: res.Denied}
	for _, u := range res.Uses {
		out.Uses = append(out.Uses, jsonUse{u.PID, u.Comm, u.Kind.String(), u.Path, u.Unit, u.Service})
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
	if res.Denied > 0 {
		fmt.Fprintf(w, "ldwrap: %d processes could not be inspected (permission denied)\n", res.Denied)
	}
}

// scan is Scan; tests give it another system's answer.
var scan = Scan
