package cli

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"strings"

	"github.com/ldwrap/ldwrap/internal/commands"
	"github.com/ldwrap/ldwrap/ldwrap/internal/cmdline"
	"github.com/ldwrap/ldwrap/ldwrap/internal/engine"
	"github.com/ldwrap/ldwrap/ldwrap/internal/rawio"
	"github.com/ldwrap/ldwrap/ldwrap/internal/step"
	"github.com/ldwrap/ldwrap/ldwrap/internal/toolpath"
)

// The wrappers (ldwrap, ldwrap-cc, ldwrap-c++, ldwrap-ar: the commands
// whose model Wraps) are one front end, used every way ccache is:
//
//   - by its own name: CC=ldwrap-cc runs $LDWRAP_CC (default cc), ldwrap
//     runs $LDWRAP_LD (default ld): the table's Env and Default;
//   - prefix: ldwrap-cc gcc ..., ldwrap-cc /usr/bin/cc ... (what CMake's
//     launchers run), ldwrap-cc ccache gcc ...: see compilerWord for the
//     exact rule. ldwrap-ar has none: ar's first word is its operation,
//     and "ar" is one (r with the a modifier);
//   - masquerade: a link named gcc, clang-14, ld.gold or ar runs the next
//     executable of that name on PATH after its own directory.
//
// The name decides the argument model: the driver's, the linker's or ar's.

// invocation is what the front end decided.
type invocation struct {
	model commands.Model // the argument model that reads args
	tool  toolpath.Tool
	args  []string // the tool's own arguments
	// compiler is the word that names the compiler ("clang", "cc"), for
	// its family; "" for the other models.
	compiler string
	// childPATH, when set, is PATH for the tool without ldwrap's own
	// masquerade directories.
	childPATH string
	how       string // for verbose mode
}

// wrapperNamed returns the wrapper command called name (ldwrap,
// ldwrap-cc ...).
func wrapperNamed(name string) (commands.Command, bool) {
	c, ok := commands.Named(name)
	return c, ok && c.Model.Wraps()
}

// defaultSpec is the tool wrapper c runs by its own name: $Env, else its
// default.
func defaultSpec(c commands.Command, getenv func(string) string) string {
	if s := getenv(c.Env); s != "" {
		return s
	}
	return c.Default
}

// choose decides the tool and the argument model for a wrapper built as
// own, run as argv0 with args.
func choose(own, argv0 string, args []string, f toolpath.Finder, getenv func(string) string) (invocation, error) {
	name := filepath.Base(argv0)
	c, isOwn := wrapperNamed(name)
	if !isOwn {
		return masquerade(own, name, argv0, args, f, getenv)
	}
	if c.Model == commands.Driver && len(args) > 0 {
		switch kind, t, err := compilerWord(args[0], f); {
		case err != nil:
			return invocation{}, err
		case kind == ldwrapCmd:
			// A double wrap (CMake's launcher with CC=ldwrap-cc): what
			// that command would do, without a second ldwrap around it.
			return choose(own, args[0], args[1:], f, getenv)
		case kind == compilerCmd:
			return prefix(t, args), nil
		}
	}
	spec := defaultSpec(c, getenv)
	t, err := f.Spec(spec)
	inv := invocation{model: c.Model, tool: t, args: args, how: spec}
	if c.Model == commands.Driver {
		inv.compiler = lastCompilerWord(t.Words)
	}
	return inv, err
}

// masquerade: run as a link named after a tool, run the next executable of
// that name after this one on PATH. A linker's name takes $LDWRAP_LD if
// set, as ldwrap always has; a compiler's name is never overridden, so
// that a link named clang never runs gcc.
func masquerade(own, name, argv0 string, args []string, f toolpath.Finder, getenv func(string) string) (invocation, error) {
	c, _ := wrapperNamed(own)
	m, ok := modelOfName(name)
	if !ok {
		m = c.Model
	}
	if m == commands.Linker {
		ld, _ := wrapperOf(commands.Linker)
		if spec := getenv(ld.Env); spec != "" {
			t, err := f.Spec(spec)
			return invocation{model: m, tool: t, args: args, how: "$" + ld.Env}, err
		}
	}
	t, childPATH, err := f.After(name, argv0)
	inv := invocation{model: m, tool: t, args: args, childPATH: childPATH, how: "run as " + name}
	if m == commands.Driver {
		inv.compiler = name
	}
	return inv, err
}

// prefix reads the prefix form: ldwrap-cc COMPILER ARGS, where the first
// argument names the compiler t, or a launcher and then the compiler
// (ldwrap-cc ccache gcc ...).
func prefix(t toolpath.Tool, args []string) invocation {
	rest := args[1:]
	compiler := args[0]
	if isLauncherName(filepath.Base(args[0])) && len(rest) > 0 && !strings.HasPrefix(rest[0], "-") && !isInputName(rest[0]) {
		t.Words = append(t.Words, rest[0])
		compiler, rest = rest[0], rest[1:]
	}
	return invocation{model: commands.Driver, tool: t, args: rest, compiler: compiler, how: "prefix " + strings.Join(t.Words, " ")}
}

// wordKind is what the first argument of ldwrap-cc or ldwrap-c++ is.
type wordKind int

const (
	driverArg   wordKind = iota // the driver's own: an option or an input
	compilerCmd                 // the compiler (or a launcher) to run
	ldwrapCmd                   // one of ldwrap's own commands, skipped
)

// compilerWord says what word, the first argument of ldwrap-cc or
// ldwrap-c++, is, and for a compiler, the tool it names. The rule, in
// order (README, "Prefix rule"):
//
//  1. an option (-x) or a response file (@f) is the driver's;
//  2. a name with an input file's suffix (a.c, x.o, libm.so) is an input;
//  3. ldwrap's own command (ldwrap-cc, ldwrap-c++, ldwrap, by name or as
//     a path to it; a path to this very executable by any name) is
//     skipped, and the rest read as that command would read it: CMake's
//     launcher with CC=ldwrap-cc runs ldwrap-cc /path/to/ldwrap-cc ARGS,
//     and a second ldwrap around the tool would see its own staged files
//     as inputs;
//  4. a word with a slash is the compiler, as a shell would run it: not
//     there, exit 127; there but not executable, 126 (./gcc runs the gcc
//     here);
//  5. a compiler's or a launcher's name (gcc, clang-14,
//     x86_64-linux-gnu-gcc-12, ccache) is the compiler on PATH, whatever
//     files the current directory holds: a data file named clang here
//     never turns ldwrap-cc clang into a compile by cc;
//  6. any other name is an input if a file of that name here cannot be
//     executed (an object named date), else the command of that name on
//     PATH.
//
// A compiler that PATH does not have is an error naming it, exit 127, as
// the shell's "not found". The error is for the caller to report.
func compilerWord(word string, f toolpath.Finder) (wordKind, toolpath.Tool, error) {
	switch {
	case word == "" || word[0] == '-' || word[0] == '@' || isInputName(word):
		return driverArg, toolpath.Tool{}, nil
	case strings.Contains(word, "/"):
		t, err := f.Command(word)
		if toolpath.NamesSelf(err) || err == nil && isOwnName(filepath.Base(word)) {
			return ldwrapCmd, toolpath.Tool{}, nil
		}
		return compilerCmd, t, err
	case isOwnName(word):
		return ldwrapCmd, toolpath.Tool{}, nil
	case !isCompilerName(word) && !isLauncherName(word):
		if fi, err := f.Stat(word); err == nil && fi.Mode()&0o111 == 0 {
			return driverArg, toolpath.Tool{}, nil
		}
	}
	t, err := f.Command(word)
	return compilerCmd, t, err
}

func isOwnName(name string) bool {
	_, ok := wrapperNamed(name)
	return ok
}

// isInputName says whether a word has the suffix of a file the driver
// reads: a source, a header, an object, an archive or a shared library.
func isInputName(word string) bool {
	ext := filepath.Ext(word)
	if cmdline.IsSourceOrHeaderSuffix(ext) {
		return true
	}
	switch ext {
	case ".o", ".obj", ".a", ".so", ".lo", ".la", ".ld", ".lds", ".def", ".res", ".rsp":
		return true
	}
	return strings.Contains(filepath.Base(word), ".so.")
}

// lastCompilerWord is the word of a command that names the compiler: the
// last that is not an option ("ccache clang" -> clang).
func lastCompilerWord(words []string) string {
	for i := len(words) - 1; i >= 0; i-- {
		if !strings.HasPrefix(words[i], "-") {
			return words[i]
		}
	}
	return words[0]
}

// driverFamily tells the driver model what it runs: clang or GCC (from the
// compiler's name, through its symlinks when the name does not say: cc ->
// /etc/alternatives/cc -> gcc), and whether distcc carries it.
func driverFamily(inv invocation, f toolpath.Finder) cmdline.Driver {
	d := cmdline.Driver{}
	for _, w := range inv.tool.Words {
		if filepath.Base(w) == "distcc" {
			d.Distcc = true
		}
	}
	if filepath.Base(resolveLinks(inv.tool.Path)) == "distcc" {
		d.Distcc = true // distcc's masquerade link
	}
	base := filepath.Base(inv.compiler)
	// On macOS, or named for an Apple triple (arm64-apple-darwin23-clang),
	// the driver links with ld64.
	d.Darwin = runtime.GOOS == "darwin" || strings.Contains(base, "-apple-")
	family := familyIn(base)
	if family == anyFamily {
		family = familyIn(filepath.Base(resolveCompiler(inv.compiler, f)))
	}
	d.Clang = family == clangFamily
	return d
}

// resolveCompiler follows a compiler's name to the program it ends at,
// looking past launchers' masquerade links (/usr/lib/ccache/cc) and
// ldwrap's own to the compiler they run.
func resolveCompiler(word string, f toolpath.Finder) string {
	if strings.Contains(word, "/") {
		return resolveLinks(word)
	}
	for _, dir := range filepath.SplitList(f.PATH) {
		p := filepath.Join(dir, word)
		if _, err := f.Stat(p); err != nil || f.IsSelf(p) {
			continue
		}
		end := resolveLinks(p)
		if !isLauncherName(filepath.Base(end)) {
			return end
		}
	}
	return word
}

func resolveLinks(path string) string {
	end, err := rawio.FollowLinks(path, nil)
	if err != nil {
		return path
	}
	return end
}

// growStack grows this goroutine's stack, while it is shallow, to what a
// step needs. A goroutine starts with 2 KiB and doubles its stack as calls
// need more, copying it and adjusting every frame on it each time: the
// step's deep calls (staging, sigign's ELF reading) paid for four copies,
// 100,000 instructions, a tenth of a compile's (callgrind). One copy of a
// shallow stack costs a few thousand.
//
//go:noinline
func growStack() byte {
	var frame [stepStack]byte
	return frame[stackIndex]
}

// stepStack is about the stack a step uses.
const stepStack = 24 << 10

var stackIndex = 0 // a variable, so that the frame stays

// wrap is a wrapper command (own), run as argv0 with args.
func wrap(own commands.Command, argv0 string, args []string) int {
	step.ServeRelay()
	growStack()
	name := filepath.Base(argv0)
	if len(args) == 1 {
		switch args[0] {
		case "--ldwrap-help":
			fmt.Print(wrapUsage())
			return 0
		case "--ldwrap-version":
			fmt.Printf("%s %s\n", own.Name, Version)
			return 0
		}
	}
	if c, ok := wrapperNamed(name); ok && c.Model == commands.Linker && len(args) > 0 {
		if code, done := linkerCommands(c, args); done {
			return code
		}
	}
	f := toolpath.Default()
	inv, err := choose(own.Name, argv0, args, f, os.Getenv)
	if err != nil {
		return failf(exitCodeOf(err), "%v", err)
	}
	logf("%s: runs %s (%s)", name, inv.tool.Path, inv.how)
	if inv.childPATH != "" {
		os.Setenv("PATH", inv.childPATH)
	}
	s := step.Step{Tool: inv.tool, Args: inv.args}
	switch inv.model {
	case commands.Driver:
		s.Plan = driverFamily(inv, f).Plan(inv.args, nil)
	case commands.Linker:
		kind := cmdline.LinkerNamed(inv.tool.Path, resolveLinks(inv.tool.Path), runtime.GOOS == "darwin", inv.args)
		s.Plan = cmdline.PlanLinker(kind, inv.args, nil)
	case commands.Archiver:
		s.Plan = cmdline.PlanAr(inv.args, nil, isThinArchive)
		s.Options = arOptions(inv.tool.Path)
	}
	return runStep(s)
}

// arOptions are what ar does bare to an archive that cannot be staged as
// it is, or is a symlink. Every ar fails on a directory at the archive's
// name, or in a directory it may not write to a new one, with its own
// message. GNU ar (and gcc-ar, which runs it) opens the old archive for
// writing, so it fails on one it may not write, and writes through a
// symlink to the file it leads to; llvm-ar renames a new file over
// either, as ldwrap does.
func arOptions(tool string) engine.Options {
	o := engine.Options{LeaveOwnState: true}
	if !strings.Contains(filepath.Base(resolveLinks(tool)), "llvm") {
		o.LeaveUnwritable = true
		o.Symlinks = engine.FollowLink
	}
	return o
}

// modelSynopsis is what a wrapper's usage line shows after its name.
var modelSynopsis = map[commands.Model]string{
	commands.Linker:   "[linker arguments...]",
	commands.Driver:   "[COMPILER] [compiler arguments...]",
	commands.Archiver: "[ar arguments...]",
}

// isThinArchive says whether the file at path is a thin archive, by its
// magic number.
func isThinArchive(path string) bool {
	f, err := os.Open(path)
	if err != nil {
		return false
	}
	defer f.Close()
	magic := make([]byte, 8)
	n, _ := io.ReadFull(f, magic)
	return string(magic[:n]) == "!<thin>\n"
}

// wrapUsage is the wrappers' usage text: --ldwrap-help, and ldwrap --help.
// It is made when asked for, not at every start.
func wrapUsage() string {
	var b strings.Builder
	margin := "usage: "
	var byName []string
	for _, c := range commands.All {
		if c.Model.Wraps() {
			fmt.Fprintf(&b, "%s%s %s\n", margin, c.Name, modelSynopsis[c.Model])
			margin = "       "
			byName = append(byName, fmt.Sprintf("  %-26s$%s (default %s)\n", c.Name+" ARGS", c.Env, c.Default))
		}
	}
	fmt.Fprintf(&b, "%sldwrap --install-links DIR\n", margin)
	b.WriteString(wrapUsageTools)
	b.WriteString(strings.Join(byName, ""))
	b.WriteString(wrapUsageRule)
	return b.String()
}

const wrapUsageTools = `
Each runs the real compiler, linker or ar with its outputs redirected into
a private directory beside them, and renames each over its target only when
the step succeeds: running programs keep the old file, and a failed or
killed step leaves the old outputs byte-identical.

The tool, the ways ccache is used:
`

const wrapUsageRule = `  ldwrap-cc gcc ARGS        the compiler named first (a path, or a command on
                            PATH; ldwrap-cc ccache gcc ARGS too)
  gcc ARGS (a link named gcc, clang-14, ld.gold, ar ... to ldwrap)
                            the next executable of that name on PATH after
                            the link's directory; ldwrap --install-links DIR
                            makes such links for every compiler, linker and ar
                            (a file of that name not its link is left alone,
                            named, and the exit status is 1)

The prefix rule: the first argument of ldwrap-cc or ldwrap-c++ names the
compiler unless it is the compiler's own:
  - an option (-c) or a response file (@args) is the compiler's;
  - a name with an input's suffix (a.c, x.o, libm.a, libm.so) is an input;
  - ldwrap's own command (CMake's launcher with CC=ldwrap-cc) is skipped;
  - a path (with a slash) is the compiler (./gcc runs the gcc here): one
    that is missing exits 127, one not executable 126, as sh does;
  - a compiler's or a launcher's name (gcc, clang-21, ccache) is the
    compiler on PATH, whatever file of that name is here; 127 if none;
  - another name is an input if a file of that name here is not
    executable, else the command on PATH, else it exits 127.
A link named clang never runs gcc, and wrappers that call each other stop
after 8 nested calls. ldwrap-ar takes no tool first: ar's first word is its
operation (-DCMAKE_AR=$(command -v ldwrap-ar), AR=ldwrap-ar).

ldwrap-ar stages the archive as a copy of the old one, which ar updates (r,
q, d, m, s); t, p and x run untouched, and so does a thin archive (T,
--thin, or an existing one), whose members are named relative to it.

ldwrap never runs itself. --ldwrap-help and --ldwrap-version answer for
ldwrap itself (--help and --version go to the compiler or ar, as build
systems expect); "ldwrap --help" and "ldwrap --version" too.

Environment: LDWRAP_VERBOSE=1, LDWRAP_DURABLE=1|order, LDWRAP_SYMLINKS=follow,
LDWRAP_KEEP_ATTRS=1, LDWRAP_SKIP_IDENTICAL=touch|restat, LDWRAP_STALE=1,
LDWRAP_STRICT=1.
Exit status: the tool's; 126 if ldwrap could not stage, run or commit;
127 if the tool was not found.
`
