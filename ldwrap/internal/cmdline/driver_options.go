package cmdline

import "strings"

// What the compiler drivers' options are, as GCC's and clang's option lists
// and their manuals give them: which take a value, which change the mode,
// which suffixes are inputs, and which name side files. driver.go reads a
// command line with these tables.

// driverValueOptions take their value in the next argument when written alone.
func driverValueOptions(s string) bool {
	switch s {
	case "-x", "-MF", "-MT", "-MQ", "-I", "-D", "-U", "-L", "-l", "-T", "-u", "-e", "-z",
		"-Xlinker", "-Xassembler", "-Xpreprocessor", "-Xclang", "-include", "-imacros", "-idirafter",
		"-iprefix", "-iwithprefix", "-iwithprefixbefore", "-isystem", "-isysroot", "-iquote",
		"-imultilib", "-aux-info", "-dumpdir", "-dumpbase", "-dumpbase-ext", "-B", "--param",
		"-wrapper", "-A", "-target", "-mllvm", "-arch", "-gcc-toolchain", "--sysroot", "-MJ", "-F",
		"-cxx-isystem", "-isystem-after", "-Xopenmp-target", "-ivfsoverlay", "-serialize-diagnostics",
		"--serialize-diagnostics", "-working-directory", "-Xanalyzer", "-resource-dir",
		"--include-directory", "--include", "--define-macro", "--undefine-macro", "--library-directory",
		"--assert", "-Xarch_host", "-Xarch_device", "--ld-path", "-G",
		// From GCC's and clang's option lists: an option missing here reads its
		// value as an input file (-iwithsysroot, -include-pch did).
		"-iwithsysroot", "-include-pch", "-imultiarch", "-iframework", "-iframeworkwithsysroot",
		"-iembed-dir", "-Xcuda-fatbinary", "-Xcuda-ptxas", "-Xoffload-linker", "-Xflang",
		"-dependency-file", "-dependency-dot", "-module-dependency-dir", "-arcmt-migrate-report-output",
		"-index-store-path", "-framework", "--config", "-ccc-gcc-name", "-ccc-install-dir",
		"--include-prefix", "--include-with-prefix", "--include-with-prefix-before",
		"--include-with-prefix-after", "--include-directory-after", "--imacros", "--prefix",
		"--force-link", "--specs", "--machine", "--for-assembler", "--system-header-prefix",
		"--no-system-header-prefix":
		return true
	}
	return false
}

// driverAlias is the short spelling of the long ones GCC and clang accept for the mode
// options (gcc.cc's option_map; clang's Options.td Alias entries). Without
// them `cc --compile a.c` would look like a link and get "-o a.out".
func driverAlias(a string) string {
	switch a {
	case "--compile":
		return "-c"
	case "--assemble":
		return "-S"
	case "--preprocess":
		return "-E"
	case "--dependencies":
		return "-M"
	case "--user-dependencies":
		return "-MM"
	case "--write-dependencies":
		return "-MD"
	case "--write-user-dependencies":
		return "-MMD"
	case "--language":
		return "-x"
	case "--for-linker":
		return "-Xlinker"
	case "-help":
		return "--help"
	case "--dumpdir":
		return "-dumpdir"
	case "--dumpbase":
		return "-dumpbase"
	case "--syntax-only":
		return "-fsyntax-only"
	}
	return ""
}

// noFileModes make the driver write no file at all (diagnostics only).
func noFileModes(s string) bool {
	switch s {
	case "-fsyntax-only", "-fdriver-only", "--target-help", "--help-hidden":
		return true
	}
	return false
}

// otherModes make the driver write something other than an object, an
// assembly file, a preprocessed file or a linked program, under a name of
// its own choosing when there is no -o. ldwrap does not model them, so it
// never adds an -o to them: a link's default "-o a.out" there would
// overwrite a.out with an AST, a plist or a precompiled header.
func otherModes(s string) bool {
	switch s {
	case "-emit-ast", "--analyze", "--precompile", "-emit-module", "-emit-module-interface",
		"-emit-header-unit", "-emit-interface-stubs", "-emit-merged-ifs", "-fmodule-header", "--emit-static-lib",
		"-extract-api", "-emit-llvm-uselists", "-cc1", "-cc1as":
		return true
	}
	return false
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

// IsSourceOrHeaderSuffix says whether a file with suffix ext (".c") is
// one the driver compiles or precompiles rather than hands to the linker.
func IsSourceOrHeaderSuffix(ext string) bool { return sourceSuffixes(ext) || headerSuffixes(ext) }
