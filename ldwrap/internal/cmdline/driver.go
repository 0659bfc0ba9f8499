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
	stop    byte  // 0 link, 'c', 'S', 'E'
	out     *Edit // the -o option, pointed at its value
	inputs  []string
	sources int // inputs the driver compiles

	deps struct {
		md, only, named bool // -MD/-MMD; -M/-MM; -MT/-MQ
		mf              *Edit
		mfFromFile      bool // -MF came from a response file
	}
	side struct {
		embedded, staged []string // gccNamesEmbedded, sideFilesStaged met
		saveTemps        bool
		saveTempsCwd     bool
		userDumpdir      bool
		dumpbaseSlash    bool
	}
	// asm: -Wa, and -Xassembler options that name the object in a file
	// (gas --MD writes a depfile whose target is its -o).
	asm struct {
		outputNamed string
	}
	link struct {
		lto, shared  bool
		args         []Arg // -Wl, and -Xlinker
		fuseLd, path string
		installName  bool   // clang's -install_name (Apple targets)
		target       string // clang's -target or --target=
	}

	pass         string // why the call must run untouched
	info         bool   // --version and the like: no output
	noFile       bool   // -fsyntax-only and the like: nothing is written
	otherMode    string // a mode ldwrap does not model (-emit-ast, a header)
	missingValue string // an option at the end, without its value
	lang         string // the -x in effect
}

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

// driverHandler reads one option (a, canonical spelling) at c. It returns
// true when it has taken the option and its value entirely, so the generic
// checks (pass-through lists, value options) do not look at it again.
type driverHandler func(s *driverScan, c *argCursor, a string) (done bool)

func (s *driverScan) takeValue(c *argCursor, a string) (Arg, bool) {
	v, ok := c.value()
	if !ok {
		s.missingValue = a
	}
	return v, ok
}

func setStop(s *driverScan, _ *argCursor, a string) bool {
	// -E wins over -S over -c, whatever their order.
	if s.stop == 0 || a == "-E" || (a == "-S" && s.stop == 'c') {
		s.stop = a[1]
	}
	return false
}

func outputSeparate(s *driverScan, c *argCursor, a string) bool {
	flag := c.arg()
	if v, ok := s.takeValue(c, a); ok {
		e := editFor(v.Value, flag, "", true, v.Top, "-o", false)
		s.out = &e
	}
	return true
}

func outputJoined(s *driverScan, c *argCursor, a string) bool {
	prefix := "-o"
	if strings.HasPrefix(a, "--output=") {
		prefix = "--output="
	}
	e := editFor(a[len(prefix):], c.arg(), prefix, false, -1, "-o", false)
	s.out = &e
	return true
}

func depfileName(s *driverScan, c *argCursor, a string) bool {
	flag := c.arg()
	if a != "-MF" {
		s.deps.mf = &Edit{Top: flag.Top, Prefix: "-MF", Target: a[3:], Side: true}
		s.deps.mfFromFile = flag.Top < 0
		return true
	}
	if v, ok := s.takeValue(c, a); ok {
		s.deps.mf = &Edit{Top: v.Top, Target: v.Value, Side: true}
		s.deps.mfFromFile = flag.Top < 0 || v.Top < 0
	}
	return true
}

func language(s *driverScan, c *argCursor, a string) bool {
	if a != "-x" {
		s.lang = a[2:]
		return false
	}
	if v, ok := s.takeValue(c, a); ok {
		s.lang = v.Value
	}
	return true
}

func dumpbase(s *driverScan, c *argCursor, a string) bool {
	if v, ok := s.takeValue(c, a); ok && strings.Contains(v.Value, "/") {
		s.side.dumpbaseSlash = true
	}
	return true
}

func linkerArgs(s *driverScan, c *argCursor, a string) bool {
	if a != "-Xlinker" {
		for _, w := range strings.Split(a[len("-Wl,"):], ",") {
			s.link.args = append(s.link.args, Arg{Value: w, Top: -1})
		}
		return false
	}
	if v, ok := s.takeValue(c, a); ok {
		s.link.args = append(s.link.args, Arg{Value: v.Value, Top: -1})
	}
	return true
}

// assemblerArgs reads -Wa,A,B and -Xassembler A for the options that
// record the object's name.
func assemblerArgs(s *driverScan, c *argCursor, a string) bool {
	var words []string
	done := false
	if a == "-Xassembler" {
		v, ok := s.takeValue(c, a)
		if !ok {
			return true
		}
		words, done = []string{v.Value}, true
	} else {
		words = strings.Split(a[len("-Wa,"):], ",")
	}
	for _, w := range words {
		if w == "--MD" || strings.HasPrefix(w, "--MD=") || w == "-o" {
			s.asm.outputNamed = "-Wa," + w
		}
	}
	return done
}

func linkerPath(s *driverScan, c *argCursor, a string) bool {
	if a != "--ld-path" {
		s.link.path = a[len("--ld-path="):]
		return false
	}
	if v, ok := s.takeValue(c, a); ok {
		s.link.path = v.Value
	}
	return true
}

func depsOnly(s *driverScan, _ *argCursor, _ string) bool   { s.deps.only = true; return false }
func depsMD(s *driverScan, _ *argCursor, _ string) bool     { s.deps.md = true; return false }
func depsTarget(s *driverScan, _ *argCursor, _ string) bool { s.deps.named = true; return false }
func dumpdir(s *driverScan, _ *argCursor, _ string) bool    { s.side.userDumpdir = true; return false }
func lto(s *driverScan, _ *argCursor, _ string) bool        { s.link.lto = true; return false }
func noLTO(s *driverScan, _ *argCursor, _ string) bool      { s.link.lto = false; return false }
func shared(s *driverScan, _ *argCursor, _ string) bool     { s.link.shared = true; return false }

func saveTempsCwd(s *driverScan, _ *argCursor, _ string) bool {
	s.side.saveTemps, s.side.saveTempsCwd = true, true
	return false
}

func fuseLd(s *driverScan, _ *argCursor, a string) bool {
	s.link.fuseLd = a[len("-fuse-ld="):]
	return false
}

func informational(s *driverScan, _ *argCursor, _ string) bool { s.info = true; return false }

func target(s *driverScan, c *argCursor, a string) bool {
	if a != "-target" {
		s.link.target = a[len("--target="):]
		return false
	}
	if v, ok := s.takeValue(c, a); ok {
		s.link.target = v.Value
	}
	return true
}

func installName(s *driverScan, c *argCursor, a string) bool {
	s.link.installName = true
	s.takeValue(c, a)
	return true
}

// clangNotOutput are clang's options that begin with -o but are not it:
// clang matches the longest option it knows, so -object is not -o bject
// (GCC, which knows none of them, reads them as -o).
func clangNotOutput(a string) bool {
	return a == "-object" || strings.HasPrefix(a, "-objcmt-") || strings.HasPrefix(a, "-object-file-name=")
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

// driverExact and driverPrefixed are the options that decide what the
// driver writes. An option not here is only checked against the side-file
// lists (matchFlag) and driverValueOptions. (Switches and a static table:
// nothing to build at start-up, which every call pays.)
func driverExact(a string) driverHandler {
	switch a {
	case "-o", "--output":
		return outputSeparate
	case "-c", "-S", "-E":
		return setStop
	case "-M", "-MM":
		return depsOnly
	case "-MD", "-MMD":
		return depsMD
	case "-MF":
		return depfileName
	case "-x":
		return language
	case "-dumpdir":
		return dumpdir
	case "-dumpbase":
		return dumpbase
	case "-fno-lto":
		return noLTO
	case "-shared":
		return shared
	case "-Xlinker":
		return linkerArgs
	case "-Xassembler":
		return assemblerArgs
	case "-target":
		return target
	case "-install_name":
		return installName
	case "-dynamiclib":
		return shared
	case "--ld-path":
		return linkerPath
	case "-save-temps=cwd":
		return saveTempsCwd
	case "-###", "--version", "--help", "--target-help", "-dumpversion", "-dumpfullversion",
		"-dumpmachine", "-dumpspecs":
		return informational
	}
	return nil
}

var driverPrefixed = [...]struct {
	prefix string
	handle driverHandler
}{
	{"--output=", outputJoined},
	{"-o", outputJoined},
	{"-MF", depfileName},
	{"-MT", depsTarget},
	{"-MQ", depsTarget},
	{"-x", language},
	{"-flto", lto},
	{"-Wl,", linkerArgs},
	{"-Wa,", assemblerArgs},
	{"-fuse-ld=", fuseLd},
	{"--target=", target},
	{"--ld-path=", linkerPath},
	{"--help=", informational},
	{"-print-", informational},
	{"--print-", informational},
}

func driverHandlerFor(a string) driverHandler {
	if h := driverExact(a); h != nil {
		return h
	}
	for _, p := range driverPrefixed {
		if strings.HasPrefix(a, p.prefix) {
			return p.handle
		}
	}
	return nil
}

// canonical spells an option as driverExact knows it (--compile -> -c).
func canonical(a string) string {
	if c := driverAlias(a); c != "" {
		return c
	}
	if strings.HasPrefix(a, "--language=") {
		return "-x" + a[len("--language="):]
	}
	return a
}

func (d Driver) scan(args []Arg) driverScan {
	var s driverScan
	for c := (argCursor{args: args}); c.i < len(args); c.i++ {
		a := canonical(args[c.i].Value)
		if a == "" || a[0] != '-' || a == "-" {
			s.input(a)
			continue
		}
		if noFileModes(a) {
			s.noFile = true
		}
		if otherModes(a) {
			s.otherMode = a
		}
		h := driverHandlerFor(a)
		if d.Clang && clangNotOutput(a) {
			h = nil
		}
		if h != nil && h(&s, &c, a) {
			continue
		}
		s.sideFlags(d, a)
		if driverValueOptions(a) || (strings.HasPrefix(a, "-Xarch_") && !strings.Contains(a, "=")) {
			s.takeValue(&c, a)
		}
	}
	return s
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

// sideFlags notes the options whose side files decide between staging
// and passing through.
func (s *driverScan) sideFlags(d Driver, a string) {
	if f := matchFlag(a, alwaysPassThrough); f != "" && s.pass == "" {
		s.pass = f + " is not supported; passed through"
	}
	if f := matchFlag(a, clangPassThrough); d.Clang && f != "" && s.pass == "" {
		s.pass = "clang " + f + " records the output name; passed through"
	}
	if f := matchFlag(a, gccNamesEmbedded); !d.Clang && f != "" {
		s.side.embedded = append(s.side.embedded, f)
	}
	if f := matchFlag(a, sideFilesStaged); f != "" {
		s.side.staged = append(s.side.staged, f)
		if f == "-save-temps" {
			s.side.saveTemps = true
		}
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
	if s.deps.only { // -M and -MM imply -E: dependencies instead of preprocessed text
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
	p := d.planLink
	if s.stop != 0 {
		p = d.planCompile
	}
	return withInputs(p(s), s.inputs)
}

func (d Driver) planCompile(s driverScan) Plan {
	if s.stop == 'E' {
		switch {
		case s.deps.md || s.deps.mf != nil:
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
	case s.deps.md && s.deps.mfFromFile:
		return passThrough("-MF inside a response file")
	case s.deps.md && s.deps.mf == nil && e.Top < 0 && s.out != nil:
		// Two -o (the user's, inside the file, and ours) would each name a
		// depfile: gcc's cc1 then fails ("too many filenames").
		return passThrough("-o inside a response file, with -MD and no -MF: the depfile is named after it")
	case s.asm.outputNamed != "":
		return passThrough("the assembler's " + s.asm.outputNamed + " names the object in what it writes")
	}
	needDumpdir := len(s.side.embedded) > 0 && !s.side.userDumpdir && !s.side.dumpbaseSlash
	if needDumpdir && s.side.saveTempsCwd {
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
	case !s.deps.md:
	case s.deps.mf != nil:
		r.Edits = append(r.Edits, *s.deps.mf)
	case d.Distcc:
		r.Notes = append(r.Notes, "distcc names the -MD depfile after the source, not -o: it writes it in place (not atomically)")
	default:
		r.Edits = append(r.Edits, Edit{Top: -1, Flag: "-MF", Target: depfileFor(out), Side: true})
	}
	if s.deps.md && !d.Distcc && !s.deps.named {
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
	case s.side.saveTemps:
		return passThrough("-save-temps on a link: temporaries are named after the output")
	case compiles && (s.deps.md || s.deps.mf != nil):
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
	case kind == Gold && s.link.shared && !ls.soname:
		return passThrough("gold -shared without -soname records the output path in the library")
	}
	r := linkOutput(s.out, ls.incremental)
	if kind == LD64 && (s.link.shared || ls.shared) && !s.link.installName && !ls.soname && r.Pass == "" {
		r.Append = append(r.Append, "-Xlinker", "-final_output", "-Xlinker", r.Outputs[0])
		r.Notes = append(r.Notes, ld64InstallNameNote)
	}
	return r
}
