package cli

import (
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/ldwrap/ldwrap/internal/commands"
)

// The table of commands says what each command is, and the rest is
// derived from it: each row has its cmd/ main, which runs it by name, and
// a man page; each directory under cmd/ is a row.
func TestCommandsTable(t *testing.T) {
	var names []string
	for _, c := range commands.All {
		names = append(names, c.Name)
		assert.Equal(t, c.Model.Wraps(), c.Env != "" && c.Default != "", "%s: a wrapper, and only a wrapper, names its tool", c.Name)
		if c.Page == "" {
			assert.NotEmpty(t, c.Summary, c.Name)
			assert.NotEmpty(t, c.SeeAlso, c.Name)
		} else {
			page, ok := commands.Named(c.Page)
			assert.True(t, ok && page.Page == "" && page.Section == c.Section, "%s: its page is %s's", c.Name, c.Page)
		}
	}
	assert.True(t, sort.StringsAreSorted(names), "sorted by name: %v", names)
	for i := 1; i < len(names); i++ {
		assert.NotEqual(t, names[i-1], names[i])
	}
	if os.Getenv("TEST_SRCDIR") != "" {
		t.Skip("under Bazel: the other packages' sources are not here")
	}
	dirs, err := filepath.Glob("../../cmd/*/main.go")
	assert.NoError(t, err)
	var mains []string
	for _, d := range dirs {
		name := filepath.Base(filepath.Dir(d))
		mains = append(mains, name)
		src, err := os.ReadFile(d)
		assert.NoError(t, err)
		assert.Contains(t, string(src), "\nfunc main() { cli.Main(\""+name+"\") }\n", d)
	}
	assert.Equal(t, names, mains, "a cmd/ main for each command, and only for those")
}

// Each wrapper's usage line and default tool are in the usage text.
func TestWrapUsageFromTable(t *testing.T) {
	usage := wrapUsage()
	for _, c := range commands.All {
		if c.Model.Wraps() {
			assert.Regexp(t, `(?m)^(usage: |       )`+regexp.QuoteMeta(c.Name+" "+modelSynopsis[c.Model])+`$`, usage, c.Name)
			assert.Contains(t, usage, "$"+c.Env+" (default "+c.Default+")", c.Name)
		}
	}
}
