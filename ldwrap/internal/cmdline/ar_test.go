package cmdline

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
)

// Where ar's archive is, however its command line is written: the staged
// copy replaces exactly that argument, and the members are its inputs.
func TestPlanArStagesTheArchive(t *testing.T) {
	read := files(map[string]string{"members.rsp": "b.o c.o", "all.rsp": "rcs lib.a a.o"})
	for _, c := range []struct {
		argv    string
		rewrite string
		inputs  string
	}{
		{"rcs lib.a a.o b.o", "rcs T/lib.a a.o b.o", "a.o b.o"},
		{"qc lib.a a.o", "qc T/lib.a a.o", "a.o"}, // CMake's
		{"-rcs lib.a a.o", "-rcs T/lib.a a.o", "a.o"},
		{"-r -c -s lib.a a.o", "-r -c -s T/lib.a a.o", "a.o"},
		{"--plugin /p/lto.so -r lib.a a.o", "--plugin /p/lto.so -r T/lib.a a.o", "a.o"}, // gcc-ar's call of ar
		{"--plugin=/p/lto.so rc lib.a a.o", "--plugin=/p/lto.so rc T/lib.a a.o", "a.o"},
		{"--format=gnu rcsD lib.a a.o", "--format=gnu rcsD T/lib.a a.o", "a.o"}, // llvm-ar's
		{"rc lib.a -v a.o", "rc T/lib.a -v a.o", "a.o"},                         // an option after the archive is still one
		{"-v rc lib.a a.o", "-v rc T/lib.a a.o", "a.o"},                         // letters after an option (binutils PR 13256)
		{"s lib.a", "s T/lib.a", ""},                                            // ranlib
		{"ts lib.a", "ts T/lib.a", ""},                                          // t with s writes the index
		{"d lib.a a.o", "d T/lib.a a.o", "a.o"},
		{"rb a.o lib.a b.o", "rb a.o T/lib.a b.o", "b.o"}, // RELPOS first
		{"mai a.o lib.a b.o", "mai a.o T/lib.a b.o", "b.o"},
		{"dN 2 lib.a a.o", "dN 2 T/lib.a a.o", "a.o"}, // COUNT first
		{"rc lib.a @members.rsp", "rc T/lib.a @members.rsp", "b.o c.o"},
		{"rc -- lib.a -x.o", "rc -- T/lib.a -x.o", "-x.o"},
	} {
		argv := strings.Fields(c.argv)
		p := PlanAr(argv, read, nil)
		assert.Empty(t, p.Pass, c.argv)
		if p.Pass != "" {
			continue
		}
		assert.Equal(t, c.rewrite, strings.Join(apply(t, p, argv), " "), c.argv)
		assert.Equal(t, c.inputs, strings.Join(p.Inputs, " "), c.argv)
		assert.True(t, p.Edits[0].Seed, "%s: ar reads and updates its archive", c.argv)
		assert.Equal(t, []string{"lib.a"}, p.Outputs, c.argv)
	}
}

// What ar does untouched, and whether verbose mode and LDWRAP_STRICT=1
// see it (quiet: nothing is written).
func TestPlanArPassThrough(t *testing.T) {
	read := files(map[string]string{"all.rsp": "rcs lib.a a.o"})
	thin := func(p string) bool { return p == "thin.a" }
	for _, c := range []struct {
		argv   string
		reason string
		quiet  bool
	}{
		{"t lib.a", "only reads", true},
		{"tv lib.a", "only reads", true},
		{"p lib.a a.o", "only reads", true},
		{"--version", "informational", true},
		{"--help", "informational", true},
		{"V", "informational", true},
		{"x lib.a", "writes the members itself", false},
		{"xo --output dir lib.a", "writes the members itself", false},
		{"rcT lib.a a.o", "thin archive", false},
		{"--thin rc lib.a a.o", "thin archive", false},
		{"r thin.a a.o", "thin.a is a thin archive", false},
		{"-M", "script", false},
		{"rcl dep lib.a a.o", "not understood: the l modifier", false},
		{"rx lib.a", "not understood: two operations", false},
		{"c lib.a a.o", "not understood", false},
		{"rc", "no archive named", true}, // ar prints its usage: nothing to protect, even under LDWRAP_STRICT=1
		{"s", "no archive named", true},
		{"", "no archive named", true},
		{"rcZ lib.a", "not understood: ar modifier Z", false},
		{"--bogus rc lib.a", "not understood: ar option --bogus", false},
		{"--target", "not understood", false},
		{"@all.rsp", "not understood: the archive is named in a response file", false},
	} {
		p := PlanAr(strings.Fields(c.argv), read, thin)
		assert.Contains(t, p.Pass, c.reason, c.argv)
		assert.Equal(t, c.quiet, p.Quiet, c.argv)
	}
}
