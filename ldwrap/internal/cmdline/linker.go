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
	// LD64 is Apple's linker and ld64.lld: single-dash long options, -o
	// only as a word of its own (-order_file is not -o rder_file).
	LD64
)

// linkerFamilies are the families, each with its name, the names its
// linker is run by, and the word that tells it in a file name or a
// -fuse-ld value. gcc -B DIR -fuse-ld=gold runs DIR/ld.gold: the names
// "ld" and "ld.*" are those gcc looks for. LinkerOf tries the words in
// this order, so that ld64.lld is ld64's, not lld's; a name with none of
// them is GNU ld's.
var linkerFamilies = [...]struct {
	family Linker
	name   string
	names  []string
	word   string
}{
	{LD64, "ld64", []string{"ld64.lld"}, "ld64"},
	{Gold, "ld.gold", []string{"ld.gold"}, "gold"},
	{LLD, "ld.lld", []string{"ld.lld", "lld"}, "lld"},
	{Mold, "mold", []string{"ld.mold", "mold"}, "mold"},
	{BFD, "ld.bfd", []string{"ld", "ld.bfd"}, ""},
}

func (l Linker) String() string {
	for _, f := range linkerFamilies {
		if f.family == l {
			return f.name
		}
	}
	return "linker"
}

// linkerNames lists every name of linkerFamilies once.
var linkerNames = func() []string {
	var names []string
	for _, f := range linkerFamilies {
		names = append(names, f.names...)
	}
	return names
}()

// LinkerNames are the names a linker of a known family is run by.
func LinkerNames() []string { return linkerNames }

// LinkerNamed chooses the family of the linker run under the file name
// name (its argv[0]) that ends, through its symlinks, at resolved. lld
// picks its flavor from argv[0] (ld64.lld and ld64 are Apple's, whatever
// binary they lead to) or from a leading "-flavor X"; darwin says the
// system is macOS, where plain "ld" is Apple's ld64. A cross linker for
// an Apple triple (x86_64-apple-darwin20-ld) is ld64 too.
func LinkerNamed(name, resolved string, darwin bool, argv []string) Linker {
	if len(argv) > 1 && argv[0] == "-flavor" {
		switch strings.ToLower(argv[1]) {
		case "darwin", "ld64", "ld64.lld":
			return LD64
		case "gnu", "ld", "ld.lld":
			return LLD
		}
	}
	base := filepath.Base(name)
	if base == "ld" && darwin {
		return LD64
	}
	words := strings.Split(strings.ToLower(base), "-")
	for i, w := range words {
		if w == "ld64" || w == "ld64.lld" || w == "darwin" || (w == "apple" && i > 0) {
			return LD64
		}
	}
	return LinkerOf(resolved)
}

// LinkerOf guesses the family from a linker's (resolved) file name or a
// -fuse-ld value. Anything unrecognised is taken for GNU ld (bfd).
func LinkerOf(name string) Linker {
	base := filepath.Base(name)
	for _, f := range linkerFamilies {
		if f.word != "" && strings.Contains(base, f.word) {
			return f.family
		}
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
	if kind == LD64 {
		return scanLD64(args)
	}
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

// ld64Values is how many values an ld64 option takes, from ld64.lld's
// option table (which lists Apple ld64's, the ones it ignores included)
// and Apple's ld(1). Every ld64 option is a word of its own: -Ldir and
// -lname are joined forms of their own, with no value after them.
func ld64Values(a string) int {
	switch a {
	case "-sectcreate", "-segcreate", "-sectalign", "-segprot", "-sectorder", "-platform_version":
		return 3
	case "-rename_section":
		return 4
	case "-add_empty_section", "-sectobjectsymbols", "-move_to_ro_segment", "-move_to_rw_segment",
		"-rename_segment", "-section_order", "-seg_page_size", "-segaddr", "-alias":
		return 2
	case "-o", "-dtrace", "-filelist", "-bitcode_symbol_map", "-bundle_loader", "-lazy_framework",
		"-lazy_library", "-compatibility_version", "-current_version", "-dylib_compatibility_version",
		"-dylib_current_version", "-dylib_install_name", "-dylinker_install_name", "-install_name",
		"-objc_abi_version", "-dependency_info", "-map", "-why_live", "-force_load", "-framework", "-F",
		"-L", "-needed_framework", "-needed_library", "-reexport_framework", "-reexport_library",
		"-syslibroot", "-upward_framework", "-upward_library", "-weak_framework", "-weak_library",
		"-pagezero_size", "-stack_size", "-A", "-lto_library", "-multiply_defined_unused",
		"-multiply_defined", "-sect_diff_relocs", "-seg_addr_table", "-seg_addr_table_filename", "-Y",
		"-exported_symbols_order", "-image_base", "-order_file", "-seg1addr", "-O", "-arch",
		"-allowable_client", "-cache_path_lto", "-client_name", "-dirty_data_list", "-dot",
		"-dylib_file", "-e", "-final_output", "-headerpad", "-init", "-interposable_list",
		"-max_default_common_align", "-max_relative_cache_size_lto", "-mcpu", "-mllvm",
		"-object_path_lto", "-prune_after_lto", "-prune_interval_lto", "-read_only_relocs",
		"-segalign", "-segment_order", "-segs_read_only_addr", "-segs_read_write_addr", "-stack_addr",
		"-sub_library", "-sub_umbrella", "-umbrella", "-unaligned_pointers",
		"-weak_reference_mismatches", "-alias_list", "-commons", "-exported_symbols_list",
		"-exported_symbol", "-reexported_symbols_list", "-rpath", "-undefined",
		"-unexported_symbols_list", "-unexported_symbol", "-U", "-u", "-add_ast_path",
		"-non_global_symbols_no_strip_list", "-non_global_symbols_strip_list", "-oso_prefix",
		"-bridgeos_version_min", "-driverkit_version_min", "-ios_simulator_version_min",
		"-ios_version_min", "-iosmac_version_min", "-iphoneos_version_min", "-maccatalyst_version_min",
		"-macos_version_min", "-macosx_version_min", "-sdk_version", "-tvos_version_min",
		"-uikitformac_version_min", "-watchos_version_min", "-dyld_env", "-source_version",
		"-thinlto_cache_policy", "-flavor", "--reproduce", "-reproduce":
		return 1
	}
	return 0
}

// scanLD64 reads ld64's arguments. Its output is -o followed by a path,
// nothing else: -order_file, -object_path_lto, -oso_prefix are options of
// their own, and ld64 refuses -opath.
func scanLD64(args []Arg) linkScan {
	var s linkScan
	for c := (argCursor{args: args}); c.i < len(args); c.i++ {
		flag := c.arg()
		a := flag.Value
		if a == "" || a[0] != '-' || a == "-" {
			if a != "" {
				s.inputs = append(s.inputs, a)
			}
			continue
		}
		switch a {
		case "-o":
			v, ok := c.value()
			if !ok {
				s.passReason = "-o without a value"
				continue
			}
			e := editFor(v.Value, flag, "", true, v.Top, "-o", false)
			s.out = &e
			continue
		case "-dylib":
			s.shared = true
		case "-install_name", "-dylib_install_name", "-final_output":
			s.soname = true
		case "-help", "--help", "--version", "-version_details":
			s.info = true
		case "-map":
			s.passReason = a + ": the map's first line names the output"
		case "-dependency_info":
			s.passReason = a + ": the file records the output's name"
		case "--reproduce", "-reproduce":
			s.passReason = a + ": the archive records the command line, output name included"
		}
		for n := ld64Values(a); n > 0; n-- {
			c.value()
		}
	}
	return s
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
	r := linkOutput(s.out, s.incremental)
	if kind == LD64 && s.shared && !s.soname && r.Pass == "" {
		r.Append = append(r.Append, "-final_output", r.Outputs[0])
		r.Notes = append(r.Notes, ld64InstallNameNote)
	}
	return withInputs(r, s.inputs)
}

// ld64InstallNameNote: a dylib linked without -install_name records its
// output path as its install name, where the programs linked against it
// look for it; ld64's -final_output gives the name it would have had.
const ld64InstallNameNote = "a dylib without -install_name is named after its output: -final_output keeps that name"

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
