package cli

import (
	"math/rand"
	"regexp"
	"testing"
)

// The expressions the hand-written name tests replace: the oracle.
var (
	compilerNameRE = regexp.MustCompile(`^(?:[a-z0-9_]+(?:-[a-z0-9_.]+){1,3}-)?(?:cc|c\+\+|gcc|g\+\+|clang|clang\+\+|c89-gcc|c99-gcc)(?:-[0-9]+(?:\.[0-9]+)*)?$`)
	linkerNameRE   = regexp.MustCompile(`^(?:[a-z0-9_]+(?:-[a-z0-9_.]+){1,3}-)?(?:ld(?:\.[a-z]+)?|ld64\.lld|lld|mold)$`)
	launcherNameRE = regexp.MustCompile(`^(?:ccache|sccache|distcc|icecc|icerun|buildcache)$`)
	archiverNameRE = regexp.MustCompile(`^(?:[a-z0-9_]+(?:-[a-z0-9_.]+){1,3}-)?(?:ar|gcc-ar|llvm-ar)(?:-[0-9]+(?:\.[0-9]+)*)?$`)
)

// TestNamesAgreeWithExpressions generates names from the pieces the
// expressions are made of (and noise), and checks each test against its
// expression.
func TestNamesAgreeWithExpressions(t *testing.T) {
	pieces := []string{"cc", "c++", "gcc", "g++", "clang", "clang++", "c89", "c99", "ld", "ld64", "lld", "mold", "bfd", "gold",
		"x86_64", "linux", "gnu", "aarch64", "unknown", "w64", "mingw32", "arm", "none", "eabi", "12", "14.0", "1.2.3", "x", "_",
		"ccache", "sccache", "distcc", "icecc", "icerun", "buildcache", "", "-", ".", "+", "A", "9", "..", "--",
		"ar", "llvm", "tar", "gcc-ar", "llvm-ar"}
	seps := []string{"-", "-", "-", ".", "", "_"}
	r := rand.New(rand.NewSource(1))
	names := []string{"", "-", "gcc-", "-gcc", "a-gcc", "a-b-gcc", "a-b-c-d-gcc", "a-b-c-d-e-gcc", "ld.", "ld.X", "a.b-c-ld", "gcc-1.", "gcc-.1"}
	for i := 0; i < 200000; i++ {
		n := 1 + r.Intn(6)
		s := ""
		for j := 0; j < n; j++ {
			if j > 0 {
				s += seps[r.Intn(len(seps))]
			}
			s += pieces[r.Intn(len(pieces))]
		}
		names = append(names, s)
	}
	matched := map[string]int{}
	for _, s := range names {
		for _, c := range []struct {
			what string
			re   *regexp.Regexp
			f    func(string) bool
		}{{"compiler", compilerNameRE, isCompilerName}, {"linker", linkerNameRE, isLinkerName}, {"launcher", launcherNameRE, isLauncherName},
			{"archiver", archiverNameRE, isArchiverName}} {
			want := c.re.MatchString(s)
			if got := c.f(s); got != want {
				t.Fatalf("%s name %q: got %v, the expression says %v", c.what, s, got, want)
			}
			if want {
				matched[c.what]++
			}
		}
	}
	for _, what := range []string{"compiler", "linker", "launcher", "archiver"} {
		if matched[what] < 100 {
			t.Errorf("only %d generated names are %s names: the generator does not reach them", matched[what], what)
		}
	}
}
