package cli

import (
	"strings"

	"github.com/ldwrap/ldwrap/internal/commands"
	"github.com/ldwrap/ldwrap/ldwrap/internal/cmdline"
)

// The name tests below are written out rather than compiled from regular
// expressions: package regexp's compile at init cost every call of every
// command about a millisecond (GODEBUG=inittrace=1), for names that a few
// string comparisons decide. names_test.go holds the expressions they
// replace and checks the two agree on generated names.

// compilerFamily is what a compiler's name says of the driver's family.
type compilerFamily int

const (
	anyFamily   compilerFamily = iota // cc, c++: whichever the system installed
	gccFamily                         // GCC's driver
	clangFamily                       // clang's
)

// compilerBases are the names of the C and C++ drivers, as Debian's
// update-ccache-symlinks links them, and the family each name says.
var compilerBases = []struct {
	name   string
	family compilerFamily
}{
	{"cc", anyFamily}, {"c++", anyFamily},
	{"gcc", gccFamily}, {"g++", gccFamily}, {"c89-gcc", gccFamily}, {"c99-gcc", gccFamily},
	{"clang", clangFamily}, {"clang++", clangFamily},
}

func isCompilerBase(s string) bool {
	for _, b := range compilerBases {
		if b.name == s {
			return true
		}
	}
	return false
}

// familyIn is the family of a compiler's file name: the first family,
// clang's before GCC's, one of whose names it contains (clang-14,
// x86_64-linux-gnu-gcc-12, arm-none-eabi-g++), or anyFamily.
func familyIn(name string) compilerFamily {
	for _, f := range []compilerFamily{clangFamily, gccFamily} {
		for _, b := range compilerBases {
			if b.family == f && strings.Contains(name, b.name) {
				return f
			}
		}
	}
	return anyFamily
}

// archiverBases are the names of ar: GNU's, gcc's wrapper that loads
// the LTO plugin, LLVM's.
var archiverBases = []string{"ar", "gcc-ar", "llvm-ar"}

// isArchiverName says whether name is ar's: one of archiverBases, with a
// version after (gcc-ar-12, llvm-ar-14) or a target triplet before
// (x86_64-linux-gnu-ar).
func isArchiverName(name string) bool {
	return matchTriplet(name, func(rest string) bool {
		if i := strings.LastIndexByte(rest, '-'); i > 0 && isVersion(rest[i+1:]) {
			rest = rest[:i]
		}
		for _, b := range archiverBases {
			if rest == b {
				return true
			}
		}
		return false
	})
}

// modelOfName is the argument model of a tool run under name, when name
// is a compiler's, a linker's or ar's.
func modelOfName(name string) (commands.Model, bool) {
	switch {
	case isCompilerName(name):
		return commands.Driver, true
	case isLinkerName(name):
		return commands.Linker, true
	case isArchiverName(name):
		return commands.Archiver, true
	}
	return 0, false
}

// wrapperOf is the first wrapper command of model m (ldwrap for the
// linker's).
func wrapperOf(m commands.Model) (commands.Command, bool) {
	for _, c := range commands.All {
		if c.Model == m {
			return c, true
		}
	}
	return commands.Command{}, false
}

// isCompilerName says whether name is a C or C++ driver's: one of
// compilerBases, with a version after (gcc-12, clang-14.0) or a target
// triplet before (x86_64-linux-gnu-gcc-12).
func isCompilerName(name string) bool {
	return matchTriplet(name, func(rest string) bool {
		if isCompilerBase(rest) {
			return true
		}
		i := strings.LastIndexByte(rest, '-')
		return i > 0 && isCompilerBase(rest[:i]) && isVersion(rest[i+1:])
	})
}

// isLinkerName says whether name is a linker's: one of
// cmdline.LinkerNames (ld, ld.bfd, lld, mold ...) or any other ld.NAME,
// alone or after a triplet.
func isLinkerName(name string) bool {
	return matchTriplet(name, func(rest string) bool {
		for _, n := range cmdline.LinkerNames() {
			if rest == n {
				return true
			}
		}
		return strings.HasPrefix(rest, "ld.") && len(rest) > 3 && allBytes(rest[3:], isLower)
	})
}

// isLauncherName says whether name is a compiler launcher's, one that takes
// the compiler as its first word (ccache gcc ...).
func isLauncherName(name string) bool {
	switch name {
	case "ccache", "sccache", "distcc", "icecc", "icerun", "buildcache":
		return true
	}
	return false
}

// matchTriplet says whether name is a tool's name that base accepts, alone
// or after a target triplet: two to four words joined by '-' and ending in
// '-', the first of [a-z0-9_], the others of [a-z0-9_.].
func matchTriplet(name string, base func(string) bool) bool {
	if base(name) {
		return true
	}
	end := 0
	for words := 1; words <= 4; words++ {
		i := strings.IndexByte(name[end:], '-')
		if i <= 0 {
			return false
		}
		word := name[end : end+i]
		if words == 1 && !allBytes(word, isTripletFirst) || words > 1 && !allBytes(word, isTripletWord) {
			return false
		}
		end += i + 1
		if words >= 2 && base(name[end:]) {
			return true
		}
	}
	return false
}

// isVersion matches [0-9]+(\.[0-9]+)*.
func isVersion(s string) bool {
	for _, part := range strings.Split(s, ".") {
		if part == "" || !allBytes(part, isDigit) {
			return false
		}
	}
	return true
}

func allBytes(s string, ok func(byte) bool) bool {
	for i := 0; i < len(s); i++ {
		if !ok(s[i]) {
			return false
		}
	}
	return true
}

func isDigit(c byte) bool        { return '0' <= c && c <= '9' }
func isLower(c byte) bool        { return 'a' <= c && c <= 'z' }
func isTripletFirst(c byte) bool { return isLower(c) || isDigit(c) || c == '_' }
func isTripletWord(c byte) bool  { return isTripletFirst(c) || c == '.' }
