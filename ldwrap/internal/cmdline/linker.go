package cmdline

import (
	"path/filepath"
	"strings"
)

// Linker names the linker families, whose argument rules differ in details.
type Linker int

const (
	BFD Linker = iota
	Gold
	LLD
	Mold
)

func (l Linker) String() string {
	return [...]string{"ld.bfd", "ld.gold", "ld.lld", "mold"}[l]
}

// LinkerOf guesses the family from a linker's (resolved) file name or a
// -fuse-ld value. Anything unrecognised is taken for GNU ld (bfd).
func LinkerOf(name string) Linker {
	base := filepath.Base(name)
	switch {
	case strings.Contains(base, "gold"):
		return Gold
	case strings.Contains(base, "lld"):
		return LLD
	case strings.Contains(base, "mold"):
		return Mold
	}
	return BFD
}

// linkerValueOptions take their value in the next argument when written
// without "=". GNU ld accepts long options with one dash or two.
func linkerValueOptions(s string) bool {
	switch s {
	case "L", "l", "T", "e", "m", "z", "h", "u", "y", "Y", "A", "b", "c", "f", "F", "G", "I", "P", "R", "a",
		"soname", "rpath", "rpath-link", "dynamic-linker", "Map", "plugin", "plugin-opt", "script",
		"entry", "library", "library-path", "undefined", "trace-symbol", "defsym", "wrap",
		"version-script", "dynamic-list", "retain-symbols-file", "just-symbols", "Ttext", "Tdata",
		"Tbss", "Ttext-segment", "Trodata-segment", "Tldata-segment", "dependency-file", "out-implib",
		"out", "auxiliary", "filter", "fini", "init", "format", "oformat", "architecture", "mri-script",
		"exclude-libs", "mllvm", "chroot", "thread-count", "image-base", "sysroot", "hash-style",
		"section-start", "thinlto-cache-dir", "package-metadata", "error-limit", "undefined-version",
		"require-defined", "export-dynamic-symbol", "dynamic-list-data", "separate-debug-file",
		"Bsymbolic-functions-list":
		return true
	}
	return false
}

// linkScan is what a linker command line says about its output.
type linkScan struct {
	out        *Edit // the output option, pointed at its value
	inputs     []string
	shared     bool
	soname     bool
	info       bool // --version, --help, -v: no output
	passReason string
	// incremental: gold --incremental or --incremental-update, which
	// reads its old output.
	incremental bool
}

// scanLinker reads linker arguments (already expanded) for kind.
func scanLinker(kind Linker, args []Arg) linkScan {
	var s linkScan
	for c := (argCursor{args: args}); c.i < len(args); c.i++ {
		a := args[c.i].Value
		if a == "" || a[0] != '-' || a == "-" {
			if a != "" {
				s.inputs = append(s.inputs, a)
			}
			continue
		}
		if !s.output(kind, &c) {
			s.option(kind, &c)
		}
	}
	if kind == Gold && s.shared && !s.soname && s.passReason == "" {
		s.passReason = "gold -shared without -soname records the output path in the library"
	}
	return s
}

// output takes the option at c if it names the output: -o X, -oX,
// --output=X (and gold's -output). GNU ld rejects -o=X, which gold, lld and
// mold read as "=X": that is passed through.
func (s *linkScan) output(kind Linker, c *argCursor) bool {
	flag := c.arg()
	a := flag.Value
	prefix := ""
	switch {
	case a == "-o" || a == "--output" || (kind == Gold && a == "-output"):
		v, ok := c.value()
		if !ok {
			s.passReason = "-o without a value"
			return true
		}
		e := editFor(v.Value, flag, "", true, v.Top, "-o", false)
		s.out = &e
		return true
	case strings.HasPrefix(a, "--output=") || (kind == Gold && strings.HasPrefix(a, "-output=")):
		prefix = a[:strings.IndexByte(a, '=')+1]
	case kind == BFD && strings.HasPrefix(a, "-o="):
		s.passReason = a + ": GNU ld rejects it"
		return true
	case strings.HasPrefix(a, "-o") && !strings.HasPrefix(a, "--"):
		prefix = "-o" // -oX; bfd, lld and mold read "-output=X" this way too
	default:
		return false
	}
	e := editFor(a[len(prefix):], flag, prefix, false, -1, "-o", false)
	s.out = &e
	return true
}

// linkerPassReason is why an option makes a link run untouched: its file
// names the output. name is the option without dashes and value; some
// reasons hold for GNU ld alone.
func linkerPassReason(kind Linker, name string) string {
	switch name {
	case "M", "print-map":
		if kind == BFD {
			return "GNU ld prints the output name in the map"
		}
	case "Map":
		if kind == BFD {
			return "GNU ld records the output name in the map"
		}
	case "dependency-file":
		return "the file's first line names the output"
	case "save-temps":
		return "temporary files are named after the output"
	case "reproduce":
		return "the archive records the command line, output name included"
	case "separate-debug-file":
		return "the debug file is named after the output (untested with the mold here)"
	}
	return ""
}

// option reads any other option at c, and skips its value.
func (s *linkScan) option(kind Linker, c *argCursor) {
	a := c.arg().Value
	name, value, hasEq := strings.Cut(strings.TrimLeft(a, "-"), "=")
	if strings.HasPrefix(a, "-h") && !strings.HasPrefix(a, "-hash") && len(a) > 2 {
		name = "h" // -hNAME: the joined soname
	}
	if reason := linkerPassReason(kind, name); reason != "" {
		s.passReason = a + ": " + reason
	}
	switch name {
	case "shared", "Bshareable":
		s.shared = true
	case "soname", "h":
		s.soname = true
	case "version", "help":
		s.info = s.info || !hasEq
	case "incremental", "incremental-update":
		s.incremental = kind == Gold
	case "plugin-opt":
		if !hasEq && c.i+1 < len(c.args) {
			value = c.args[c.i+1].Value
		}
		if strings.Contains(value, "save-temps") || strings.Contains(value, "dwo_dir") || strings.Contains(value, "obj-path") {
			s.passReason = "-plugin-opt=" + value + ": LTO files are named after the output"
		}
	}
	if !hasEq && linkerValueOptions(name) && (len(a) == 2 || strings.HasPrefix(a, "--") || len(name) > 1) {
		c.value()
	}
}

// PlanLinker decides how to run a linker of family kind with argv.
func PlanLinker(kind Linker, argv []string, readFile func(string) ([]byte, error)) Plan {
	args := Expand(argv, readFile)
	s := scanLinker(kind, args)
	switch {
	case s.info:
		return quiet("an informational call writes no output")
	case s.passReason != "":
		return passThrough(s.passReason)
	case len(s.inputs) == 0:
		return quiet("no input files")
	}
	return withInputs(linkOutput(s.out, s.incremental), s.inputs)
}

// linkOutput stages a link's output: its -o, or the linker's a.out. A
// linker writes its output from scratch (GNU ld and gold remove the old one
// first), so the staged file starts empty; gold's incremental link reads
// the old output, so there it starts as a copy.
func linkOutput(out *Edit, incremental bool) Plan {
	e := Edit{Top: -1, Flag: "-o", Target: "a.out"}
	if out != nil {
		e = *out
		if e.Target == "-" || e.Target == "" {
			return passThrough("output to standard output")
		}
	}
	e.Seed = incremental
	r := Plan{Edits: []Edit{e}, Outputs: []string{e.Target}}
	if incremental {
		r.Notes = append(r.Notes, "gold --incremental reads its old output: the staged file starts as a copy of it")
	}
	return r
}
