package cli

import "strings"

// The name tests below are written out rather than compiled from regular
// expressions: package regexp's compile at init cost every call of every
// command about a millisecond (GODEBUG=inittrace=1), for names that a few
// string comparisons decide. names_test.go holds the expressions they
// replace and checks the two agree on generated names.

// isCompilerName says whether name is a C or C++ driver's, as Debian's
// update-ccache-symlinks links them: cc, c++, gcc, g++, clang, clang++,
// c89-gcc, c99-gcc, with a version after (gcc-12, clang-14.0) or a target
// triplet before (x86_64-linux-gnu-gcc-12).
func isCompilerName(name string) bool {
	return matchTriplet(name, func(rest string) bool {
		if compilerBases[rest] {
			return true
		}
		i := strings.LastIndexByte(rest, '-')
		return i > 0 && compilerBases[rest[:i]] && isVersion(rest[i+1:])
	})
}

var compilerBases = map[string]bool{"cc": true, "c++": true, "gcc": true, "g++": true, "clang": true, "clang++": true, "c89-gcc": true, "c99-gcc": true}

// isLinkerName says whether name is a linker's: ld, ld.bfd, ld.gold,
// ld.lld, ld.mold, ld64.lld, lld, mold, or one of them after a triplet.
func isLinkerName(name string) bool {
	return matchTriplet(name, func(rest string) bool {
		switch rest {
		case "ld", "ld64.lld", "lld", "mold":
			return true
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
