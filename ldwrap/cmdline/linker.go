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
var linkerValueOptions = setOf(
	"L", "l", "T", "e", "m", "z", "h", "u", "y", "Y", "A", "b", "c", "f", "F", "G", "I", "P", "R", "a",
	"soname", "rpath", "rpath-link", "dynamic-linker", "Map", "plugin", "plugin-opt", "script",
	"entry", "library", "library-path", "undefined", "trace-symbol", "defsym", "wrap",
	"version-script", "dynamic-list", "retain-symbols-file", "just-symbols", "Ttext", "Tdata",
	"Tbss", "Ttext-segment", "Trodata-segment", "Tldata-segment", "dependency-file", "out-implib",
	"out", "auxiliary", "filter", "fini", "init", "format", "oformat", "architecture", "mri-script",
	"exclude-libs", "mllvm", "chroot", "thread-count", "image-base", "sysroot", "hash-style",
	"section-start", "thinlto-cache-dir", "package-metadata", "error-limit", "undefined-version",
	"require-defined", "export-dynamic-symbol", "dynamic-list-data", "separate-debug-file",
	"Bsymbolic-functions-list",
)

func setOf(names ...string) map[string]bool {
	m := make(map[string]bool, len(names))
	for _, n := range names {
		m[n] = true
	}
	return m
}

// linkScan is what a linker command line says about its output.
type linkScan struct {
	out        Arg // the option that names the output (Value "" when none)
	outPrefix  string
	outSep     bool
	outValue   string
	outValTop  int
	inputs     int
	shared     bool
	soname     bool
	info       bool // --version, --help, -v: no output
	passReason string
}

// scanLinker reads linker arguments (already expanded) for kind.
func scanLinker(kind Linker, args []Arg) linkScan {
	var s linkScan
	s.outValTop = -1
	for i := 0; i < len(args); i++ {
		a := args[i].Value
		if a == "" || a[0] != '-' || a == "-" {
			if a != "" {
				s.inputs++
			}
			continue
		}
		name := strings.TrimLeft(a, "-")
		value, hasEq := "", false
		if j := strings.IndexByte(name, '='); j >= 0 {
			name, value, hasEq = name[:j], name[j+1:], true
		}
		isOutput := false
		switch {
		case a == "-o" || a == "--output" || (kind == Gold && a == "-output"):
			isOutput = true
			if i+1 < len(args) {
				s.out, s.outPrefix, s.outSep, s.outValue, s.outValTop = args[i], "", true, args[i+1].Value, args[i+1].Top
				if args[i+1].Top < 0 {
					s.outValTop = -1
				}
				i++
			} else {
				s.passReason = "-o without a value"
			}
		case strings.HasPrefix(a, "--output=") || (kind == Gold && strings.HasPrefix(a, "-output=")):
			isOutput = true
			p := a[:strings.IndexByte(a, '=')+1]
			s.out, s.outPrefix, s.outSep, s.outValue = args[i], p, false, a[len(p):]
		case kind == BFD && strings.HasPrefix(a, "-o="):
			// GNU ld rejects -o=X (gold, lld and mold write "=X").
			s.passReason = a + ": GNU ld rejects it"
			continue
		case strings.HasPrefix(a, "-o") && !strings.HasPrefix(a, "--"):
			// -oX; bfd, lld and mold read "-output=X" this way too.
			isOutput = true
			s.out, s.outPrefix, s.outSep, s.outValue = args[i], "-o", false, a[2:]
		}
		if isOutput {
			continue
		}
		if strings.HasPrefix(a, "-h") && !strings.HasPrefix(a, "-hash") && len(a) > 2 {
			name = "h" // -hNAME: the joined soname
		}
		switch name {
		case "shared", "Bshareable":
			s.shared = true
		case "soname", "h":
			s.soname = true
		case "version", "help":
			if !hasEq {
				s.info = true
			}
		case "M", "print-map":
			if kind == BFD {
				s.passReason = a + ": GNU ld prints the output name in the map"
			}
		case "Map":
			if kind == BFD {
				s.passReason = "-Map: GNU ld records the output name in the map"
			}
		case "dependency-file":
			s.passReason = "--dependency-file: the file's first line names the output"
		case "save-temps":
			s.passReason = a + ": temporary files are named after the output"
		case "reproduce":
			s.passReason = a + ": the archive records the command line, output name included"
		case "separate-debug-file":
			s.passReason = a + ": the debug file is named after the output (untested with the mold here)"
		case "plugin-opt":
			v := value
			if !hasEq && i+1 < len(args) {
				v = args[i+1].Value
			}
			if strings.Contains(v, "save-temps") || strings.Contains(v, "dwo_dir") || strings.Contains(v, "obj-path") {
				s.passReason = "-plugin-opt=" + v + ": LTO files are named after the output"
			}
		}
		if !hasEq && linkerValueOptions[name] && (len(a) == 2 || strings.HasPrefix(a, "--") || len(name) > 1) {
			i++ // the value is the next argument
		}
	}
	if kind == Gold && s.shared && !s.soname && s.passReason == "" {
		s.passReason = "gold -shared without -soname records the output path in the library"
	}
	return s
}

// PlanLinker decides how to run a linker of family kind with argv.
func PlanLinker(kind Linker, argv []string, readFile func(string) ([]byte, error)) Rewrite {
	args := Expand(argv, readFile)
	s := scanLinker(kind, args)
	switch {
	case s.info:
		return quiet("an informational call writes no output")
	case s.passReason != "":
		return passThrough(s.passReason)
	case s.inputs == 0:
		return quiet("no input files")
	}
	out := s.outValue
	var e Edit
	if s.out.Value == "" {
		out = "a.out"
		e = Edit{Top: -1, Flag: "-o", Target: out}
	} else {
		if out == "-" || out == "" {
			return passThrough("output to standard output")
		}
		e = editFor(out, s.out, s.outPrefix, s.outSep, s.outValTop, "-o", false)
	}
	return Rewrite{Edits: []Edit{e}, Outputs: []string{out}}
}
