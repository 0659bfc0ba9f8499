package cmdline

import "strings"

// ar's command line, as GNU ar (and gcc-ar, which runs it) and llvm-ar
// read it: ar [-]OPERATION[MODIFIERS] [--option[=value]]... [RELPOS]
// [COUNT] ARCHIVE [MEMBER]... The letters come first as a word of their
// own (rcs), or as options (-rcs, -r -c -s) anywhere: both tools take a
// word that starts with a dash for options wherever it stands, and a
// word without one for the letters until an operation is named.

// arOperations are the operation letters; arWrites those that change the
// archive. The s modifier writes its index with any operation but p and
// x, and alone is ranlib.
const (
	arOperations = "dmpqrtx"
	arWrites     = "dmqr"
	// arModifiers are the other letters either ar takes (llvm-ar's L
	// adds archives' members; h is help, V the version).
	arModifiers = "abcDfhiLlMNoOPsSTuUvV"
)

// arValueOptions are the long options that take a value, in the next
// word when not after "=": GNU ar's and llvm-ar's.
var arValueOptions = []string{"plugin", "target", "output", "record-libdeps", "format", "rsp-quoting"}

func isArValueOption(name string) bool {
	for _, o := range arValueOptions {
		if name == o {
			return true
		}
	}
	return false
}

// arScan is what an ar command line says.
type arScan struct {
	letters    string // the operation and its modifiers
	thin       bool   // --thin
	info       bool   // --help, --version
	unknown    string // an option ldwrap does not know
	positional []Arg  // RELPOS, COUNT, ARCHIVE, MEMBER...
}

func scanAr(args []Arg) arScan {
	var s arScan
	optionsEnd := false
	for c := (argCursor{args: args}); c.i < len(args); c.i++ {
		a := c.arg().Value
		switch {
		case optionsEnd || a == "" || a == "-" || a[0] != '-' && strings.ContainsAny(s.letters, arOperations+"s"):
			s.positional = append(s.positional, c.arg())
		case a == "--":
			optionsEnd = true
		case strings.HasPrefix(a, "--"):
			name, _, hasEq := strings.Cut(a[2:], "=")
			switch {
			case name == "thin":
				s.thin = true
			case name == "help" || name == "version":
				s.info = true
			case isArValueOption(name):
				if !hasEq {
					if _, ok := c.value(); !ok {
						s.unknown = a + " without a value"
					}
				}
			default:
				s.unknown = a
			}
		case a[0] == '-':
			s.letters += a[1:]
		default: // the letters, before an operation is named
			s.letters += a
		}
	}
	return s
}

// PlanAr decides how to run ar (GNU ar, gcc-ar, llvm-ar) with argv.
//
// An operation that changes the archive (r, q, d, m, s) stages it as a
// copy of the old one, which ar updates: it reads the old members from
// it, and GNU ar writes the result over it in place (O_TRUNC), where a
// reader or a kill would see it half written. One that only reads it (t,
// p) runs untouched, as does x, which writes the members itself.
//
// A thin archive (the T modifier or --thin, or an existing archive that
// isThin says is one) names its members by paths relative to its own
// directory, which a staged copy in another directory would get wrong: it
// runs untouched, and verbose mode says so. isThin may be nil.
func PlanAr(argv []string, readFile func(string) ([]byte, error), isThin func(path string) bool) Plan {
	s := scanAr(Expand(argv, readFile))
	ops := ""
	for _, l := range s.letters {
		switch {
		case strings.ContainsRune(arOperations, l):
			ops += string(l)
		case !strings.ContainsRune(arModifiers, l):
			return unknown("ar modifier " + string(l))
		}
	}
	has := func(letters string) bool { return strings.ContainsAny(s.letters, letters) }
	switch {
	case s.info || has("hV"):
		return quiet("an informational call writes no archive")
	case s.unknown != "":
		return unknown("ar option " + s.unknown)
	case has("M"):
		return passThrough("ar -M reads a script that names the archive")
	case has("l"):
		return unknown("the l modifier (GNU ar takes a value after it, llvm-ar none)")
	case len(ops) > 1:
		return unknown("two operations, " + ops)
	case ops == "p" || ops == "t" && !has("s"):
		return quiet("ar " + ops + " only reads the archive")
	case ops == "x":
		return passThrough("ar x writes the members itself")
	case len(s.positional) == 0:
		// ar, ar rc, ar s: ar prints its usage; nothing to protect, even
		// under LDWRAP_STRICT=1.
		return quiet("no archive named: ar writes nothing")
	case ops == "" && !has("s"):
		return unknown("no operation")
	}
	pos := s.positional
	if has("abi") { // RELPOS
		pos = skipOne(pos)
	}
	if has("N") { // COUNT
		pos = skipOne(pos)
	}
	if len(pos) == 0 {
		return quiet("no archive named: ar writes nothing")
	}
	archive := pos[0]
	switch {
	case s.thin || has("T"):
		return passThrough("a thin archive names its members relative to itself: ar writes it in place")
	case archive.Top < 0:
		return unknown("the archive is named in a response file")
	case isThin != nil && isThin(archive.Value):
		return passThrough(archive.Value + " is a thin archive, which names its members relative to itself: ar writes it in place")
	}
	var members []string
	for _, m := range pos[1:] {
		members = append(members, m.Value)
	}
	e := Edit{Top: archive.Top, Target: archive.Value, Seed: true}
	return Plan{Edits: []Edit{e}, Outputs: []string{e.Target}, Inputs: members,
		Notes: []string{"ar updates its archive: the staged file starts as a copy of it"}}
}

func skipOne(args []Arg) []Arg {
	if len(args) > 0 {
		return args[1:]
	}
	return args
}
