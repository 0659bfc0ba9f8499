package cmdline

import (
	"path/filepath"
	"strings"
)

// Driver is the compiler driver's family: GCC and clang derive side files
// from -o in the same places but differ in which derived names we can keep.
type Driver struct {
	Clang bool
	// Distcc: the compiler runs under distcc, which preprocesses without
	// -o, so an -MD depfile is named after the source (a.d in the current
	// directory) with target a.o, whatever -o says. Bare distcc does that,
	// so ldwrap adds neither -MF nor -MQ there.
	Distcc bool
}

// driverValueOptions take their value in the next argument when written alone.
var driverValueOptions = setOf(
	"-x", "-MF", "-MT", "-MQ", "-I", "-D", "-U", "-L", "-l", "-T", "-u", "-e", "-z",
	"-Xlinker", "-Xassembler", "-Xpreprocessor", "-Xclang", "-include", "-imacros", "-idirafter",
	"-iprefix", "-iwithprefix", "-iwithprefixbefore", "-isystem", "-isysroot", "-iquote",
	"-imultilib", "-aux-info", "-dumpdir", "-dumpbase", "-dumpbase-ext", "-B", "--param",
	"-wrapper", "-A", "-target", "-mllvm", "-arch", "-gcc-toolchain", "--sysroot", "-MJ", "-F",
	"-cxx-isystem", "-isystem-after", "-Xopenmp-target", "-ivfsoverlay", "-serialize-diagnostics",
	"--serialize-diagnostics", "-working-directory", "-Xanalyzer", "-resource-dir",
	"--include-directory", "--include", "--define-macro", "--undefine-macro", "--library-directory",
	"--assert", "-Xarch_host", "-Xarch_device", "--ld-path", "-G",
	// From GCC's and clang's option lists: an option missing here reads its
	// value as an input file (issue 14: -iwithsysroot, -include-pch).
	"-iwithsysroot", "-include-pch", "-imultiarch", "-iframework", "-iframeworkwithsysroot",
	"-iembed-dir", "-Xcuda-fatbinary", "-Xcuda-ptxas", "-Xoffload-linker", "-Xflang",
	"-dependency-file", "-dependency-dot", "-module-dependency-dir", "-arcmt-migrate-report-output",
	"-index-store-path", "-framework", "--config", "-ccc-gcc-name", "-ccc-install-dir",
	"--include-prefix", "--include-with-prefix", "--include-with-prefix-before",
	"--include-with-prefix-after", "--include-directory-after", "--imacros", "--prefix",
	"--force-link", "--specs", "--machine", "--for-assembler", "--system-header-prefix",
	"--no-system-header-prefix",
)

// driverAliases are the long spellings GCC and clang accept for the mode
// options (gcc.cc's option_map; clang's Options.td Alias entries). Without
// them `cc --compile a.c` would look like a link and get "-o a.out".
var driverAliases = map[string]string{
	"--compile": "-c", "--assemble": "-S", "--preprocess": "-E",
	"--dependencies": "-M", "--user-dependencies": "-MM",
	"--write-dependencies": "-MD", "--write-user-dependencies": "-MMD",
	"--language": "-x", "--for-linker": "-Xlinker", "-help": "--help",
	"--dumpdir": "-dumpdir", "--dumpbase": "-dumpbase", "--syntax-only": "-fsyntax-only",
}

// noFileModes make the driver write no file at all (diagnostics only).
var noFileModes = setOf("-fsyntax-only", "-fdriver-only", "--target-help", "--help-hidden")

// otherModes make the driver write something other than an object, an
// assembly file, a preprocessed file or a linked program, under a name of
// its own choosing when there is no -o. ldwrap does not model them, so it
// never adds an -o to them: a link's default "-o a.out" there would
// overwrite a.out with an AST, a plist or a precompiled header.
var otherModes = setOf("-emit-ast", "--analyze", "--precompile", "-emit-module", "-emit-module-interface",
	"-emit-header-unit", "-emit-interface-stubs", "-emit-merged-ifs", "-fmodule-header", "--emit-static-lib",
	"-extract-api", "-emit-llvm-uselists", "-cc1", "-cc1as")

// headerSuffixes are inputs the driver turns into a precompiled header
// (x.h -> x.h.gch) rather than linking them.
var headerSuffixes = setOf(".h", ".hh", ".H", ".hp", ".hxx", ".hpp", ".HPP", ".h++", ".tcc")

// sourceSuffixes are inputs the driver compiles (rather than hands to ld).
var sourceSuffixes = setOf(
	".c", ".i", ".ii", ".cc", ".cp", ".cxx", ".cpp", ".CPP", ".c++", ".C", ".m", ".mi", ".mm",
	".M", ".mii", ".s", ".S", ".sx", ".f", ".for", ".ftn", ".F", ".FOR", ".fpp", ".FPP", ".FTN",
	".f90", ".f95", ".f03", ".f08", ".F90", ".F95", ".F03", ".F08", ".go", ".d", ".adb", ".ads",
	".cu", ".hip", ".cl", ".bc", ".ll",
)

// Side-output flags, by what a staged -o does to them.
var (
	// gccNamesEmbedded: GCC writes a file named after -o AND records that
	// name in the object (DW_AT_dwo_name, the .gcda path). Adding
	// -dumpdir <dir of -o>/ keeps the recorded name right; those files are
	// then written in place by the compiler.
	gccNamesEmbedded = []string{"-gsplit-dwarf", "--coverage", "-ftest-coverage", "-fprofile-arcs", "-fprofile-generate"}
	// sideFilesStaged land in the staging directory under their right names
	// and are committed with the output.
	sideFilesStaged = []string{"-fstack-usage", "-fcallgraph-info", "-fdump-", "-save-temps"}
	// clangPassThrough: clang records the output name (or the whole command
	// line) in a way no rewrite of ours can keep byte-identical.
	clangPassThrough = []string{"-gsplit-dwarf", "--coverage", "-ftest-coverage", "-fprofile-arcs",
		"-ftime-trace", "-MJ", "-frecord-command-line", "-grecord-command-line", "-frecord-gcc-switches"}
	// alwaysPassThrough for both families. GCC's SARIF and JSON diagnostic
	// files (GCC 13+) record cc1's arguments, -dumpdir taken from -o among
	// them (and times and temporary names besides).
	alwaysPassThrough = []string{"-serialize-diagnostics", "--serialize-diagnostics", "-working-directory", "-Xclang",
		"-fdiagnostics-format=sarif-file", "-fdiagnostics-format=json-file", "-fdiagnostics-add-output",
		"-fdiagnostics-set-output"}
)

func matchFlag(arg string, flags []string) string {
	for _, f := range flags {
		if arg == f || (strings.HasPrefix(arg, f) && (strings.HasSuffix(f, "-") || strings.HasPrefix(arg[len(f):], "="))) {
			return f
		}
	}
	return ""
}

type driverScan struct {
	stop               byte // 0 link, 'c', 'S', 'E'
	hasOut             bool
	out                Arg
	outPrefix          string
	outSep             bool
	outValue           string
	outValTop          int
	inputs             []string
	sources            int
	md, depsOnly, mtmq bool
	mf                 *Edit
	mfFromFile         bool
	embedded, staged   []string
	pass               string
	saveTempsCwd       bool
	saveTemps          bool
	userDumpdir        bool
	dumpbaseSlash      bool
	lto, shared, info  bool
	linkerArgs         []Arg
	fuseLd             string
	ldPath             string
	missingValue       string
	noFile             bool   // -fsyntax-only and the like: nothing is written
	otherMode          string // a mode ldwrap does not model (-emit-ast, a header)
}

func (d Driver) scan(args []Arg) driverScan {
	s := driverScan{outValTop: -1}
	lang := ""
	for i := 0; i < len(args); i++ {
		a := args[i].Value
		if canon, ok := driverAliases[a]; ok {
			a = canon
		} else if strings.HasPrefix(a, "--language=") {
			a = "-x" + a[len("--language="):]
		}
		next := func() (Arg, bool) {
			if i+1 < len(args) {
				i++
				return args[i], true
			}
			s.missingValue = a
			return Arg{}, false
		}
		if a == "" || a[0] != '-' || a == "-" {
			if a == "" {
				continue
			}
			s.inputs = append(s.inputs, a)
			switch {
			case strings.HasSuffix(lang, "-header") || lang == "c++-header-unit" ||
				((lang == "" || lang == "none") && headerSuffixes[filepath.Ext(a)]):
				s.otherMode = "a header input (the driver makes a precompiled header)"
			case (lang != "" && lang != "none") || sourceSuffixes[filepath.Ext(a)]:
				s.sources++
			}
			continue
		}
		if noFileModes[a] {
			s.noFile = true
		}
		if otherModes[a] {
			s.otherMode = a
		}
		switch {
		case a == "-o" || a == "--output":
			if v, ok := next(); ok {
				s.hasOut, s.out, s.outPrefix, s.outSep, s.outValue, s.outValTop = true, args[i-1], "", true, v.Value, v.Top
			}
			continue
		case strings.HasPrefix(a, "--output="):
			s.hasOut, s.out, s.outPrefix, s.outSep, s.outValue = true, args[i], "--output=", false, a[len("--output="):]
			continue
		case strings.HasPrefix(a, "-o"):
			s.hasOut, s.out, s.outPrefix, s.outSep, s.outValue = true, args[i], "-o", false, a[2:]
			continue
		case a == "-c" || a == "-S" || a == "-E":
			if s.stop == 0 || a == "-E" || (a == "-S" && s.stop == 'c') {
				s.stop = a[1]
			}
		case a == "-M" || a == "-MM":
			s.depsOnly = true
		case a == "-MD" || a == "-MMD":
			s.md = true
		case a == "-MF" || (strings.HasPrefix(a, "-MF") && len(a) > 3):
			flag := args[i]
			if a == "-MF" {
				if v, ok := next(); ok {
					s.mf = &Edit{Top: v.Top, Target: v.Value, Side: true}
					s.mfFromFile = flag.Top < 0 || v.Top < 0
				}
			} else {
				s.mf = &Edit{Top: flag.Top, Prefix: "-MF", Target: a[3:], Side: true}
				s.mfFromFile = flag.Top < 0
			}
			continue
		case strings.HasPrefix(a, "-MT") || strings.HasPrefix(a, "-MQ"):
			s.mtmq = true
		case a == "-x":
			if v, ok := next(); ok {
				lang = v.Value
			}
			continue
		case strings.HasPrefix(a, "-x"):
			lang = a[2:]
		case a == "-dumpdir":
			s.userDumpdir = true
		case a == "-dumpbase":
			if v, ok := next(); ok && strings.Contains(v.Value, "/") {
				s.dumpbaseSlash = true
			}
			continue
		case strings.HasPrefix(a, "-flto"):
			s.lto = true
		case a == "-fno-lto":
			s.lto = false
		case a == "-shared":
			s.shared = true
		case strings.HasPrefix(a, "-Wl,"):
			for _, w := range strings.Split(a[4:], ",") {
				s.linkerArgs = append(s.linkerArgs, Arg{Value: w, Top: -1})
			}
		case a == "-Xlinker":
			if v, ok := next(); ok {
				s.linkerArgs = append(s.linkerArgs, Arg{Value: v.Value, Top: -1})
			}
			continue
		case strings.HasPrefix(a, "-fuse-ld="):
			s.fuseLd = a[len("-fuse-ld="):]
		case a == "--ld-path":
			if v, ok := next(); ok {
				s.ldPath = v.Value
			}
			continue
		case strings.HasPrefix(a, "--ld-path="):
			s.ldPath = a[len("--ld-path="):]
		case a == "-save-temps=cwd":
			s.saveTemps, s.saveTempsCwd = true, true
		case a == "-###" || a == "--version" || a == "--help" || strings.HasPrefix(a, "--help=") ||
			strings.HasPrefix(a, "-print-") || strings.HasPrefix(a, "--print-") || a == "--target-help" ||
			a == "-dumpversion" || a == "-dumpfullversion" || a == "-dumpmachine" || a == "-dumpspecs":
			s.info = true
		}
		if f := matchFlag(a, alwaysPassThrough); f != "" && s.pass == "" {
			s.pass = f + " is not supported; passed through"
		}
		if f := matchFlag(a, clangPassThrough); d.Clang && f != "" && s.pass == "" {
			s.pass = "clang " + f + " records the output name; passed through"
		}
		if f := matchFlag(a, gccNamesEmbedded); !d.Clang && f != "" {
			s.embedded = append(s.embedded, f)
		}
		if f := matchFlag(a, sideFilesStaged); f != "" {
			s.staged = append(s.staged, f)
			if f == "-save-temps" {
				s.saveTemps = true
			}
		}
		if driverValueOptions[a] || (strings.HasPrefix(a, "-Xarch_") && !strings.Contains(a, "=")) {
			next()
		}
	}
	return s
}

// depfileFor is the depfile GCC and clang derive from an output: the output
// minus its last suffix, plus ".d" (x.y.z -> x.y.d, .hidden -> .d).
func depfileFor(out string) string {
	dir, base := splitKeepDir(out)
	if i := strings.LastIndexByte(base, '.'); i >= 0 {
		base = base[:i]
	}
	return dir + base + ".d"
}

// splitKeepDir splits at the last slash, keeping the directory as written.
func splitKeepDir(p string) (dir, base string) {
	i := strings.LastIndexByte(p, '/')
	return p[:i+1], p[i+1:]
}

// Plan decides how to run the driver with argv.
func (d Driver) Plan(argv []string, readFile func(string) ([]byte, error)) Rewrite {
	args := Expand(argv, readFile)
	s := d.scan(args)
	if s.depsOnly { // -M and -MM imply -E: dependencies instead of preprocessed text
		s.stop = 'E'
	}
	switch {
	case s.info:
		return quiet("an informational call")
	case s.noFile:
		return quiet("a call that writes no file")
	case s.missingValue != "":
		return quiet(s.missingValue + " without a value")
	case len(s.inputs) == 0:
		return quiet("no input files")
	case s.pass != "":
		return passThrough(s.pass)
	}
	// Preprocessing is text, whatever the input (cc -E -dM h.h); other
	// modes are not staged, and never given a link's "-o a.out".
	if s.stop != 'E' && s.otherMode != "" {
		return passThrough(s.otherMode + ": a mode ldwrap does not stage")
	}
	if s.stop != 0 {
		return d.planCompile(s)
	}
	return d.planLink(s)
}

func (d Driver) planCompile(s driverScan) Rewrite {
	if s.stop == 'E' {
		switch {
		case s.md || s.mf != nil:
			return passThrough("dependency output of a preprocess-only call is not staged")
		case !s.hasOut:
			return quiet("preprocessing to standard output")
		}
	}
	out := s.outValue
	if !s.hasOut {
		if len(s.inputs) > 1 {
			return passThrough("several inputs without -o: one output each")
		}
		in := s.inputs[0]
		if in == "-" {
			return passThrough("input from standard input")
		}
		_, base := splitKeepDir(in)
		if i := strings.LastIndexByte(base, '.'); i > 0 {
			base = base[:i]
		}
		suffix := ".o"
		if s.stop == 'S' {
			suffix = ".s"
		}
		out = base + suffix
	} else if len(s.inputs) > 1 {
		return unknown("-o with several inputs (" + strings.Join(s.inputs, " ") +
			"): the driver rejects that, unless one of them is the value of an option ldwrap does not know")
	}
	if out == "-" || out == "" {
		return passThrough("output to standard output")
	}
	if s.md && s.mfFromFile {
		return passThrough("-MF inside a response file")
	}
	needDumpdir := len(s.embedded) > 0 && !s.userDumpdir && !s.dumpbaseSlash
	if needDumpdir && s.saveTempsCwd {
		return passThrough("-save-temps=cwd with " + s.embedded[0] + ": -dumpdir would move the temporaries")
	}

	r := Rewrite{Outputs: []string{out}}
	var e Edit
	if s.hasOut {
		e = editFor(out, s.out, s.outPrefix, s.outSep, s.outValTop, "-o", false)
	} else {
		e = Edit{Top: -1, Flag: "-o", Target: out}
	}
	r.Edits = append(r.Edits, e)
	switch {
	case s.md && d.Distcc:
		if s.mf != nil {
			r.Edits = append(r.Edits, *s.mf)
		} else {
			r.Notes = append(r.Notes, "distcc names the -MD depfile after the source, not -o: it writes it in place (not atomically)")
		}
	case s.md:
		if s.mf != nil {
			r.Edits = append(r.Edits, *s.mf)
		} else {
			r.Edits = append(r.Edits, Edit{Top: -1, Flag: "-MF", Target: depfileFor(out), Side: true})
		}
		if !s.mtmq {
			r.Append = append(r.Append, "-MQ", out)
		}
	}
	if needDumpdir {
		dir, _ := splitKeepDir(out)
		r.Append = append(r.Append, "-dumpdir", dir)
		r.Notes = append(r.Notes, "the files of "+strings.Join(s.embedded, " ")+
			" record their own names, so the compiler writes them in place (not atomically)")
	}
	return r
}

func (d Driver) planLink(s driverScan) Rewrite {
	kind := BFD
	if s.ldPath != "" {
		kind = LinkerOf(s.ldPath)
	} else if s.fuseLd != "" {
		kind = LinkerOf(s.fuseLd)
	}
	compiles := s.sources > 0 || s.lto
	switch {
	case s.saveTemps:
		return passThrough("-save-temps on a link: temporaries are named after the output")
	case compiles && (s.md || s.mf != nil):
		return passThrough("compile+link with a depfile: its target is the output name")
	case compiles && len(s.embedded) > 0:
		return passThrough("compile+link with " + s.embedded[0] + ": side files are named after the output")
	case compiles && len(s.staged) > 0:
		return passThrough("compile+link with " + s.staged[0] + ": side files are named after the output")
	}
	ls := scanLinker(kind, s.linkerArgs)
	switch {
	case ls.out.Value != "":
		return passThrough("the linker's own -o (-Wl,-o or -Xlinker -o) wins over the driver's")
	case ls.passReason != "":
		return passThrough(ls.passReason)
	case kind == Gold && s.shared && !ls.soname:
		return passThrough("gold -shared without -soname records the output path in the library")
	}
	out := "a.out"
	e := Edit{Top: -1, Flag: "-o", Target: out}
	if s.hasOut {
		out = s.outValue
		if out == "-" || out == "" {
			return passThrough("output named \"-\"")
		}
		e = editFor(out, s.out, s.outPrefix, s.outSep, s.outValTop, "-o", false)
	}
	return Rewrite{Edits: []Edit{e}, Outputs: []string{out}}
}
