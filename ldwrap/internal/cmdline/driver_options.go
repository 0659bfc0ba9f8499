package cmdline

import "strings"

// What the compiler drivers' options are, as GCC's and clang's option lists
// and their manuals give them, in one table (as ccache's compopts[]): how
// each takes its value, which mode it selects, which side file it makes and
// what a staged -o does to that file, and which driver reads it. driver.go
// reads a command line with it.

// optFlags say what one option is to ldwrap.
type optFlags uint64

const (
	// How the option takes its value.
	argSeparate          optFlags = 1 << iota // the next argument, when the name stands alone: -MF dep.d
	argJoined                                 // glued to the name, which begins the argument: -MFdep.d, -Wl,a,b
	argEquals                                 // none, or one after '=': -gsplit-dwarf, -gsplit-dwarf=single
	argJoinedAndSeparate                      // glued, and the next argument too: -Xarch_arm64 -O2 (not with '=')

	// The mode: what the driver writes. -E wins over -S over -c, whatever
	// their order.
	modeCompile    // -c: an object
	modeAssemble   // -S: assembly
	modePreprocess // -E: preprocessed text
	modeDeps       // -M: dependencies instead of preprocessed text (so -E)
	modeInfo       // --version: an answer, and no file
	modeNoFile     // -fsyntax-only: diagnostics, and no file
	// modeOther: a file other than an object, an assembly file, a
	// preprocessed file or a linked program, named by the driver when there
	// is no -o. ldwrap does not model these, so it never adds an -o to them:
	// a link's default "-o a.out" would overwrite a.out with an AST, a plist
	// or a precompiled header.
	modeOther

	// Side files, by what a staged -o does to them.
	sideDepfile   // -MD: a depfile named after -o, whose target is -o
	sideDepTarget // -MT: the depfile's target is the user's
	sideDumpdir   // -dumpdir: the user places the side files
	// sideEmbedded (.dwo, .gcno, .gcda): GCC names the file after -o AND
	// records that name in the object (DW_AT_dwo_name, the .gcda path).
	// Adding -dumpdir <dir of -o>/ keeps the recorded name right; the
	// compiler then writes those files in place.
	sideEmbedded
	sideStaged   // .su, .ci, dumps: named after -o, staged beside it and committed with it
	sideTemps    // -save-temps: the temporaries (.i, .s), named after the output
	sideTempsCwd // -save-temps=cwd: in the working directory, where a -dumpdir would move them

	// Passed through: the driver records the output's name (or the whole
	// command line) in a way no rewrite of ours can keep byte-identical.
	// GCC's SARIF and JSON diagnostic files (GCC 13+) record cc1's
	// arguments, -dumpdir taken from -o among them (and times and temporary
	// names besides).
	passAlways // by either driver
	passClang  // by clang

	// What the value is, one kind a row.
	valueOutput     // -o
	valueDepfile    // -MF
	valueLanguage   // -x
	valueDumpbase   // -dumpbase: with a slash, it places the side files
	valueLinker     // -Wl, and -Xlinker: the linker's options
	valueAssembler  // -Wa, and -Xassembler: the assembler's options
	valueLinkerPath // --ld-path
	valueLinkerName // -fuse-ld=
	valueTarget     // --target= and -target

	// What the link makes.
	linkLTO         // -flto: the link compiles
	linkNoLTO       // -fno-lto
	linkShared      // a shared library
	linkInstallName // -install_name: ld64 names the library after it, not after -o

	// The family: a row read by one driver only. GCC, which knows none of
	// clang's options that begin with -o, reads them as -o (-object is -o
	// bject); clang matches the longest option it knows.
	onlyClang

	values = valueOutput | valueDepfile | valueLanguage | valueDumpbase | valueLinker | valueAssembler |
		valueLinkerPath | valueLinkerName | valueTarget
)

// A driverOption is one row of driverOptions: an option as the drivers
// spell it, and what it is. A row with an alias is another spelling of the
// option named there (gcc.cc's option_map, clang's Alias entries), whose row
// says what it does; without the long spellings `cc --compile a.c` would
// look like a link and get "-o a.out".
type driverOption struct {
	name  string
	flags optFlags
	alias string
}

// driverOptions, sorted by name, one row per option. A value option missing
// here reads its value as an input file (-iwithsysroot and -include-pch
// did): the rows that only take a value come from GCC's option lists
// (common.opt, c.opt, gcc.cc's option_map) and clang's Options.td, and
// TestDriverValueOptions checks each; every other row is named by a test
// case (TestDriverOptionsExercised). A static table: nothing to build at
// start-up, which every call pays.
var driverOptions = [...]driverOption{
	{"-###", modeInfo, ""},
	{"--analyze", modeOther, ""},
	{"--assemble", 0, "-S"},
	{"--assert", argSeparate, ""},
	{"--compile", 0, "-c"},
	{"--config", argSeparate, ""},
	{"--coverage", argEquals | sideEmbedded | passClang, ""},
	{"--define-macro", argSeparate, ""},
	{"--dependencies", 0, "-M"},
	{"--dumpbase", 0, "-dumpbase"},
	{"--dumpdir", 0, "-dumpdir"},
	{"--emit-static-lib", modeOther, ""},
	{"--for-assembler", argSeparate, ""},
	{"--for-linker", 0, "-Xlinker"},
	{"--force-link", argSeparate, ""},
	{"--help", modeInfo, ""},
	{"--help-hidden", modeNoFile, ""},
	{"--help=", argJoined | modeInfo, ""},
	{"--imacros", argSeparate, ""},
	{"--include", argSeparate, ""},
	{"--include-directory", argSeparate, ""},
	{"--include-directory-after", argSeparate, ""},
	{"--include-prefix", argSeparate, ""},
	{"--include-with-prefix", argSeparate, ""},
	{"--include-with-prefix-after", argSeparate, ""},
	{"--include-with-prefix-before", argSeparate, ""},
	{"--language", 0, "-x"},
	{"--language=", argJoined, "-x"},
	{"--ld-path", argSeparate | valueLinkerPath, ""},
	{"--ld-path=", argJoined | valueLinkerPath, ""},
	{"--library-directory", argSeparate, ""},
	{"--machine", argSeparate, ""},
	{"--no-system-header-prefix", argSeparate, ""},
	{"--output", argSeparate | valueOutput, ""},
	{"--output=", argJoined | valueOutput, ""},
	{"--param", argSeparate, ""},
	{"--precompile", modeOther, ""},
	{"--prefix", argSeparate, ""},
	{"--preprocess", 0, "-E"},
	{"--print-", argJoined | modeInfo, ""},
	{"--serialize-diagnostics", argSeparate | argEquals | passAlways, ""},
	{"--specs", argSeparate, ""},
	{"--syntax-only", 0, "-fsyntax-only"},
	{"--sysroot", argSeparate, ""},
	{"--system-header-prefix", argSeparate, ""},
	{"--target-help", modeInfo | modeNoFile, ""},
	{"--target=", argJoined | valueTarget, ""},
	{"--undefine-macro", argSeparate, ""},
	{"--user-dependencies", 0, "-MM"},
	{"--version", modeInfo, ""},
	{"--write-dependencies", 0, "-MD"},
	{"--write-user-dependencies", 0, "-MMD"},
	{"-A", argSeparate, ""},
	{"-B", argSeparate, ""},
	{"-D", argSeparate, ""},
	{"-E", modePreprocess, ""},
	{"-F", argSeparate, ""},
	{"-G", argSeparate, ""},
	{"-I", argSeparate, ""},
	{"-L", argSeparate, ""},
	{"-M", modeDeps, ""},
	{"-MD", sideDepfile, ""},
	{"-MF", argSeparate | argJoined | valueDepfile, ""},
	{"-MJ", argSeparate | argEquals | passClang, ""},
	{"-MM", modeDeps, ""},
	{"-MMD", sideDepfile, ""},
	{"-MQ", argSeparate | argJoined | sideDepTarget, ""},
	{"-MT", argSeparate | argJoined | sideDepTarget, ""},
	{"-S", modeAssemble, ""},
	{"-T", argSeparate, ""},
	{"-U", argSeparate, ""},
	{"-Wa,", argJoined | valueAssembler, ""},
	{"-Wl,", argJoined | valueLinker, ""},
	{"-Xanalyzer", argSeparate, ""},
	{"-Xarch_", argJoined | argJoinedAndSeparate, ""},
	{"-Xassembler", argSeparate | valueAssembler, ""},
	{"-Xclang", argSeparate | argEquals | passAlways, ""},
	{"-Xcuda-fatbinary", argSeparate, ""},
	{"-Xcuda-ptxas", argSeparate, ""},
	{"-Xflang", argSeparate, ""},
	{"-Xlinker", argSeparate | valueLinker, ""},
	{"-Xoffload-linker", argSeparate, ""},
	{"-Xopenmp-target", argSeparate, ""},
	{"-Xpreprocessor", argSeparate, ""},
	{"-arch", argSeparate, ""},
	{"-arcmt-migrate-report-output", argSeparate, ""},
	{"-aux-info", argSeparate, ""},
	{"-c", modeCompile, ""},
	{"-cc1", modeOther, ""},
	{"-cc1as", modeOther, ""},
	{"-ccc-gcc-name", argSeparate, ""},
	{"-ccc-install-dir", argSeparate, ""},
	{"-cxx-isystem", argSeparate, ""},
	{"-dependency-dot", argSeparate, ""},
	{"-dependency-file", argSeparate, ""},
	{"-dumpbase", argSeparate | valueDumpbase, ""},
	{"-dumpbase-ext", argSeparate, ""},
	{"-dumpdir", argSeparate | sideDumpdir, ""},
	{"-dumpfullversion", modeInfo, ""},
	{"-dumpmachine", modeInfo, ""},
	{"-dumpspecs", modeInfo, ""},
	{"-dumpversion", modeInfo, ""},
	{"-dynamiclib", linkShared, ""},
	{"-e", argSeparate, ""},
	{"-emit-ast", modeOther, ""},
	{"-emit-header-unit", modeOther, ""},
	{"-emit-interface-stubs", modeOther, ""},
	{"-emit-llvm-uselists", modeOther, ""},
	{"-emit-merged-ifs", modeOther, ""},
	{"-emit-module", modeOther, ""},
	{"-emit-module-interface", modeOther, ""},
	{"-extract-api", modeOther, ""},
	{"-fcallgraph-info", argEquals | sideStaged, ""},
	{"-fdiagnostics-add-output", argEquals | passAlways, ""},
	{"-fdiagnostics-format=json-file", argEquals | passAlways, ""},
	{"-fdiagnostics-format=sarif-file", argEquals | passAlways, ""},
	{"-fdiagnostics-set-output", argEquals | passAlways, ""},
	{"-fdriver-only", modeNoFile, ""},
	{"-fdump-", argJoined | sideStaged, ""},
	{"-flto", argJoined | linkLTO, ""},
	{"-fmodule-header", modeOther, ""},
	{"-fno-lto", linkNoLTO, ""},
	{"-fprofile-arcs", argEquals | sideEmbedded | passClang, ""},
	{"-fprofile-generate", argEquals | sideEmbedded, ""},
	{"-framework", argSeparate, ""},
	{"-frecord-command-line", argEquals | passClang, ""},
	{"-frecord-gcc-switches", argEquals | passClang, ""},
	{"-fstack-usage", argEquals | sideStaged, ""},
	{"-fsyntax-only", modeNoFile, ""},
	{"-ftest-coverage", argEquals | sideEmbedded | passClang, ""},
	{"-ftime-trace", argEquals | passClang, ""},
	{"-fuse-ld=", argJoined | valueLinkerName, ""},
	{"-gcc-toolchain", argSeparate, ""},
	{"-grecord-command-line", argEquals | passClang, ""},
	{"-gsplit-dwarf", argEquals | sideEmbedded | passClang, ""},
	{"-help", 0, "--help"},
	{"-idirafter", argSeparate, ""},
	{"-iembed-dir", argSeparate, ""},
	{"-iframework", argSeparate, ""},
	{"-iframeworkwithsysroot", argSeparate, ""},
	{"-imacros", argSeparate, ""},
	{"-imultiarch", argSeparate, ""},
	{"-imultilib", argSeparate, ""},
	{"-include", argSeparate, ""},
	{"-include-pch", argSeparate, ""},
	{"-index-store-path", argSeparate, ""},
	{"-install_name", argSeparate | linkInstallName, ""},
	{"-iprefix", argSeparate, ""},
	{"-iquote", argSeparate, ""},
	{"-isysroot", argSeparate, ""},
	{"-isystem", argSeparate, ""},
	{"-isystem-after", argSeparate, ""},
	{"-ivfsoverlay", argSeparate, ""},
	{"-iwithprefix", argSeparate, ""},
	{"-iwithprefixbefore", argSeparate, ""},
	{"-iwithsysroot", argSeparate, ""},
	{"-l", argSeparate, ""},
	{"-mllvm", argSeparate, ""},
	{"-module-dependency-dir", argSeparate, ""},
	{"-o", argSeparate | argJoined | valueOutput, ""},
	{"-objcmt-", argJoined | onlyClang, ""},
	{"-object", onlyClang, ""},
	{"-object-file-name=", argJoined | onlyClang, ""},
	{"-print-", argJoined | modeInfo, ""},
	{"-resource-dir", argSeparate, ""},
	{"-save-temps", argEquals | sideStaged | sideTemps, ""},
	{"-save-temps=cwd", sideStaged | sideTemps | sideTempsCwd, ""},
	{"-serialize-diagnostics", argSeparate | argEquals | passAlways, ""},
	{"-shared", linkShared, ""},
	{"-target", argSeparate | valueTarget, ""},
	{"-u", argSeparate, ""},
	{"-working-directory", argSeparate | argEquals | passAlways, ""},
	{"-wrapper", argSeparate, ""},
	{"-x", argSeparate | argJoined | valueLanguage, ""},
	{"-z", argSeparate, ""},
}

// findDriverOption finds the row that reads argument a, an option: the row
// named a, else the longest one whose name begins a and that takes a value
// glued to it. n is the length of the name in a. An alias gives the row of
// the option it spells.
func findDriverOption(a string, clang bool) (o *driverOption, n int) {
	// Every row that could begin a sorts at or before key, a beginning of a.
	for key := a; len(key) > 1; {
		i := rowsUpTo(key) - 1
		if i < 0 {
			break
		}
		o = &driverOptions[i]
		if !strings.HasPrefix(a, o.name) {
			// A row longer than what o and a share would sort after o.
			key = a[:commonPrefix(a, o.name)]
			continue
		}
		if o.reads(a, clang) {
			if n = len(o.name); o.alias != "" {
				o = &driverOptions[rowsUpTo(o.alias)-1]
			}
			return o, n
		}
		key = o.name[:len(o.name)-1]
	}
	return nil, 0
}

// rowsUpTo is the number of rows named key or sorting before it.
func rowsUpTo(key string) int {
	lo, hi := 0, len(driverOptions)
	for lo < hi {
		m := int(uint(lo+hi) >> 1)
		if driverOptions[m].name <= key {
			lo = m + 1
		} else {
			hi = m
		}
	}
	return lo
}

func commonPrefix(a, b string) int {
	i := 0
	for i < len(a) && i < len(b) && a[i] == b[i] {
		i++
	}
	return i
}

// reads says whether row o reads argument a, which begins with its name.
func (o *driverOption) reads(a string, clang bool) bool {
	switch {
	case o.flags&onlyClang != 0 && !clang:
		return false
	case len(a) == len(o.name) || o.flags&argJoined != 0:
		return true
	}
	return o.flags&argEquals != 0 && a[len(o.name)] == '='
}

// headerSuffixes are inputs the driver turns into a precompiled header
// (x.h -> x.h.gch) rather than linking them.
func headerSuffixes(s string) bool {
	switch s {
	case ".h", ".hh", ".H", ".hp", ".hxx", ".hpp", ".HPP", ".h++", ".tcc":
		return true
	}
	return false
}

// sourceSuffixes are inputs the driver compiles (rather than hands to ld).
func sourceSuffixes(s string) bool {
	switch s {
	case ".c", ".i", ".ii", ".cc", ".cp", ".cxx", ".cpp", ".CPP", ".c++", ".C", ".m", ".mi", ".mm",
		".M", ".mii", ".s", ".S", ".sx", ".f", ".for", ".ftn", ".F", ".FOR", ".fpp", ".FPP", ".FTN",
		".f90", ".f95", ".f03", ".f08", ".F90", ".F95", ".F03", ".F08", ".go", ".d", ".adb", ".ads",
		".cu", ".hip", ".cl", ".bc", ".ll":
		return true
	}
	return false
}

// IsSourceOrHeaderSuffix says whether a file with suffix ext (".c") is
// one the driver compiles or precompiles rather than hands to the linker.
func IsSourceOrHeaderSuffix(ext string) bool { return sourceSuffixes(ext) || headerSuffixes(ext) }
