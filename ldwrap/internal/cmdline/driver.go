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
	// Darwin: the driver's default target is Apple's (it runs on macOS, or
	// its name is an Apple triple's), so it links with ld64 unless a
	// --target says otherwise.
	Darwin bool
}

// driverScan is what a driver command line says about its outputs.
type driverScan struct {
	seen    optFlags // the flags of every option met
	stop    byte     // 0 link, 'c', 'S', 'E'
	out     *Edit    // the -o option, pointed at its value
	inputs  []string
	sources int // inputs the driver compiles

	deps struct {
		mf         *Edit
		mfFromFile bool // -MF came from a response file
	}
	side struct {
		embedded, staged []string // the sideEmbedded and sideStaged options met
		dumpbaseSlash    bool
	}
	// asm: -Wa, and -Xassembler options that name the object in a file
	// (gas --MD writes a depfile whose target is its -o).
	asm struct {
		outputNamed string
	}
	link struct {
		lto          bool
		args         []Arg // -Wl, and -Xlinker
		fuseLd, path string
		target       string // clang's -target or --target=
	}

	pass         string // why the call must run untouched
	otherMode    string // a mode ldwrap does not model (-emit-ast, a header)
	missingValue string // an option at the end, without its value
	lang         string // the -x in effect
}

func (s *driverScan) has(f optFlags) bool { return s.seen&f != 0 }

// argCursor walks a command line; options take their values through it.
type argCursor struct {
	args []Arg
	i    int
}

func (c *argCursor) arg() Arg { return c.args[c.i] }

// value takes the next argument as the value of the current option; ok is
// false at the end of the command line.
func (c *argCursor) value() (v Arg, ok bool) {
	if c.i+1 >= len(c.args) {
		return Arg{}, false
	}
	c.i++
	return c.args[c.i], true
}

// appleTriple says whether a target triple is one of Apple's systems,
// which link with ld64 (arm64-apple-macos11, x86_64-apple-darwin20).
func appleTriple(triple string) bool {
	parts := strings.Split(triple, "-")
	if len(parts) > 1 && parts[1] == "apple" {
		return true
	}
	for _, p := range parts[1:] {
		for _, system := range []string{"darwin", "macos", "ios", "tvos", "watchos", "xros", "driverkit"} {
			if strings.HasPrefix(p, system) {
				return true
			}
		}
	}
	return false
}

func (d Driver) scan(args []Arg) driverScan {
	var s driverScan
	for c := (argCursor{args: args}); c.i < len(args); c.i++ {
		a := args[c.i].Value
		if a == "" || a[0] != '-' || a == "-" {
			s.input(a)
		} else if o, n := findDriverOption(a, d.Clang); o != nil {
			s.read(d, &c, o, n)
		}
	}
	switch {
	case s.has(modePreprocess | modeDeps):
		s.stop = 'E'
	case s.has(modeAssemble):
		s.stop = 'S'
	case s.has(modeCompile):
		s.stop = 'c'
	}
	return s
}

// read takes the option at c, whose row is o and whose name is the first n
// bytes of the argument.
func (s *driverScan) read(d Driver, c *argCursor, o *driverOption, n int) {
	arg, f := c.arg(), o.flags
	name := arg.Value // as messages give it: an alias by the option it spells
	if n == len(name) {
		name = o.name
	}
	s.seen |= f
	if f&modeOther != 0 {
		s.otherMode = name
	}
	switch {
	case s.pass != "":
	case f&passAlways != 0:
		s.pass = o.name + " is not supported; passed through"
	case f&passClang != 0 && d.Clang:
		s.pass = "clang " + o.name + " records the output name; passed through"
	}
	if f&sideEmbedded != 0 && !d.Clang {
		s.side.embedded = append(s.side.embedded, o.name)
	}
	if f&sideStaged != 0 {
		s.side.staged = append(s.side.staged, o.name)
	}
	if f&(linkLTO|linkNoLTO) != 0 {
		s.link.lto = f&linkLTO != 0
	}
	v, prefix, separate := Arg{Value: arg.Value[n:], Top: arg.Top}, arg.Value[:n], false
	if n == len(arg.Value) && f&argSeparate != 0 || f&argJoinedAndSeparate != 0 && !strings.Contains(arg.Value, "=") {
		next, ok := c.value()
		if !ok {
			s.missingValue = name
			return
		}
		v, prefix, separate = next, "", true
	}
	switch f & values {
	case valueOutput:
		e := editFor(v.Value, arg, prefix, separate, v.Top, "-o", false)
		s.out = &e
	case valueDepfile:
		s.deps.mf = &Edit{Top: v.Top, Prefix: prefix, Target: v.Value, Side: true}
		s.deps.mfFromFile = arg.Top < 0 || v.Top < 0
	case valueLanguage:
		s.lang = v.Value
	case valueDumpbase:
		s.side.dumpbaseSlash = s.side.dumpbaseSlash || strings.Contains(v.Value, "/")
	case valueLinker, valueAssembler:
		words := []string{v.Value} // -Xlinker a, or -Wl,a,b
		if !separate {
			words = strings.Split(v.Value, ",")
		}
		for _, w := range words {
			if f&valueLinker != 0 {
				s.link.args = append(s.link.args, Arg{Value: w, Top: -1})
			} else if w == "--MD" || strings.HasPrefix(w, "--MD=") || w == "-o" {
				s.asm.outputNamed = "-Wa," + w
			}
		}
	case valueLinkerPath:
		s.link.path = v.Value
	case valueLinkerName:
		s.link.fuseLd = v.Value
	case valueTarget:
		s.link.target = v.Value
	}
}

// input counts an input file: a source, or a header the driver would
// precompile.
func (s *driverScan) input(a string) {
	if a == "" {
		return
	}
	s.inputs = append(s.inputs, a)
	lang := s.lang
	switch {
	case strings.HasSuffix(lang, "-header") || lang == "c++-header-unit" ||
		((lang == "" || lang == "none") && headerSuffixes(filepath.Ext(a))):
		s.otherMode = "a header input (the driver makes a precompiled header)"
	case (lang != "" && lang != "none") || sourceSuffixes(filepath.Ext(a)):
		s.sources++
	}
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
func (d Driver) Plan(argv []string, readFile func(string) ([]byte, error)) Plan {
	args := Expand(argv, readFile)
	s := d.scan(args)
	switch {
	case s.has(modeInfo):
		return quiet("an informational call")
	case s.has(modeNoFile):
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
	p := d.planLink
	if s.stop != 0 {
		p = d.planCompile
	}
	return withInputs(p(s), s.inputs)
}

func (d Driver) planCompile(s driverScan) Plan {
	if s.stop == 'E' {
		switch {
		case s.has(sideDepfile) || s.deps.mf != nil:
			return passThrough("dependency output of a preprocess-only call is not staged")
		case s.out == nil:
			return quiet("preprocessing to standard output")
		}
	}
	e, why := compileOutput(s)
	switch {
	case why.Pass != "":
		return why
	case e.Target == "-" || e.Target == "":
		return passThrough("output to standard output")
	case s.has(sideDepfile) && s.deps.mfFromFile:
		return passThrough("-MF inside a response file")
	case s.has(sideDepfile) && s.deps.mf == nil && e.Top < 0 && s.out != nil:
		// Two -o (the user's, inside the file, and ours) would each name a
		// depfile: gcc's cc1 then fails ("too many filenames").
		return passThrough("-o inside a response file, with -MD and no -MF: the depfile is named after it")
	case s.asm.outputNamed != "":
		return passThrough("the assembler's " + s.asm.outputNamed + " names the object in what it writes")
	}
	needDumpdir := len(s.side.embedded) > 0 && !s.has(sideDumpdir) && !s.side.dumpbaseSlash
	if needDumpdir && s.has(sideTempsCwd) {
		return passThrough("-save-temps=cwd with " + s.side.embedded[0] + ": -dumpdir would move the temporaries")
	}
	r := Plan{Outputs: []string{e.Target}, Edits: []Edit{e}}
	d.addDepfile(&r, s)
	if needDumpdir {
		dir, _ := splitKeepDir(e.Target)
		r.Append = append(r.Append, "-dumpdir", dir)
		r.Notes = append(r.Notes, "the files of "+strings.Join(s.side.embedded, " ")+
			" record their own names, so the compiler writes them in place (not atomically)")
	}
	return r
}

// compileOutput is the edit for a compile's output: its -o, or the name
// the driver derives from the one input (a.c -> a.o, or a.s with -S).
func compileOutput(s driverScan) (Edit, Plan) {
	if s.out != nil {
		if len(s.inputs) > 1 {
			return Edit{}, unknown("-o with several inputs (" + strings.Join(s.inputs, " ") +
				"): the driver rejects that, unless one of them is the value of an option ldwrap does not know")
		}
		return *s.out, Plan{}
	}
	switch {
	case len(s.inputs) > 1:
		return Edit{}, passThrough("several inputs without -o: one output each")
	case s.inputs[0] == "-":
		return Edit{}, passThrough("input from standard input")
	}
	_, base := splitKeepDir(s.inputs[0])
	if i := strings.LastIndexByte(base, '.'); i > 0 {
		base = base[:i]
	}
	suffix := ".o"
	if s.stop == 'S' {
		suffix = ".s"
	}
	return Edit{Top: -1, Flag: "-o", Target: base + suffix}, Plan{}
}

// addDepfile stages the -MD depfile beside the output, under the name the
// driver would give it, and keeps its target line the output's name (-MQ).
func (d Driver) addDepfile(r *Plan, s driverScan) {
	out := r.Outputs[0]
	switch {
	case !s.has(sideDepfile):
	case s.deps.mf != nil:
		r.Edits = append(r.Edits, *s.deps.mf)
	case d.Distcc:
		r.Notes = append(r.Notes, "distcc names the -MD depfile after the source, not -o: it writes it in place (not atomically)")
	default:
		r.Edits = append(r.Edits, Edit{Top: -1, Flag: "-MF", Target: depfileFor(out), Side: true})
	}
	if s.has(sideDepfile) && !d.Distcc && !s.has(sideDepTarget) {
		r.Append = append(r.Append, "-MQ", out)
	}
}

func (d Driver) planLink(s driverScan) Plan {
	kind := BFD
	switch {
	case s.link.target != "" && appleTriple(s.link.target), s.link.target == "" && d.Darwin:
		kind = LD64 // ld64, or ld64.lld under -fuse-ld=lld
	case s.link.path != "":
		kind = LinkerOf(s.link.path)
	case s.link.fuseLd != "":
		kind = LinkerOf(s.link.fuseLd)
	}
	compiles := s.sources > 0 || s.link.lto
	switch {
	case s.has(sideTemps):
		return passThrough("-save-temps on a link: temporaries are named after the output")
	case compiles && (s.has(sideDepfile) || s.deps.mf != nil):
		return passThrough("compile+link with a depfile: its target is the output name")
	case compiles && len(s.side.embedded) > 0:
		return passThrough("compile+link with " + s.side.embedded[0] + ": side files are named after the output")
	case compiles && len(s.side.staged) > 0:
		return passThrough("compile+link with " + s.side.staged[0] + ": side files are named after the output")
	}
	ls := scanLinker(kind, s.link.args)
	switch {
	case ls.out != nil:
		return passThrough("the linker's own -o (-Wl,-o or -Xlinker -o) wins over the driver's")
	case ls.passReason != "":
		return passThrough(ls.passReason)
	case kind == Gold && s.has(linkShared) && !ls.soname:
		return passThrough("gold -shared without -soname records the output path in the library")
	}
	r := linkOutput(s.out, ls.incremental)
	if kind == LD64 && (s.has(linkShared) || ls.shared) && !s.has(linkInstallName) && !ls.soname && r.Pass == "" {
		r.Append = append(r.Append, "-Xlinker", "-final_output", "-Xlinker", r.Outputs[0])
		r.Notes = append(r.Notes, ld64InstallNameNote)
	}
	return r
}
