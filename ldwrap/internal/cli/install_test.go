package cli

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func modeOf(t *testing.T, p string) os.FileMode {
	t.Helper()
	fi, err := os.Lstat(p)
	require.NoError(t, err)
	return fi.Mode()
}

// runInstall is ldwrap-install without a process: its decisions (into a
// directory or onto a file, -D, -v, -d, -b, messages) are unit-testable.
// The e2e differential test compares it with GNU install on generated
// command lines; these are the cases worth reading.
func TestRunInstall(t *testing.T) {
	dir := t.TempDir()
	src := filepath.Join(dir, "prog")
	require.NoError(t, os.WriteFile(src, []byte("v1"), 0o700))
	var out, errs bytes.Buffer
	install := func(args ...string) int {
		out.Reset()
		errs.Reset()
		return runInstall(args, &out, &errs)
	}

	// Onto a file, making the leading directories (-D, 0755 whatever the
	// umask), verbosely.
	dst := filepath.Join(dir, "a", "b", "prog")
	require.Equal(t, 0, install("-D", "-v", "-m", "0640", src, dst), errs.String())
	prog := os.Args[0]
	assert.Equal(t, prog+": creating directory '"+filepath.Join(dir, "a")+"'\n"+
		prog+": creating directory '"+filepath.Join(dir, "a", "b")+"'\n'"+src+"' -> '"+dst+"'\n", out.String())
	assert.Equal(t, os.FileMode(0o640), modeOf(t, dst).Perm())
	assert.Equal(t, os.FileMode(0o755), modeOf(t, filepath.Join(dir, "a")).Perm())

	// Again, over the file: GNU's words for it.
	require.Equal(t, 0, install("-v", "-m", "0", src, dst), errs.String())
	assert.Equal(t, "removed '"+dst+"'\n'"+src+"' -> '"+dst+"'\n", out.String())
	assert.Equal(t, os.FileMode(0), modeOf(t, dst).Perm(), "-m 0 is mode 0")

	// Into a directory: the last operand is one.
	require.Equal(t, 0, install(src, filepath.Join(dir, "a")), errs.String())
	assert.FileExists(t, filepath.Join(dir, "a", "prog"))

	// Backups are hard links of the old file: numbered, then simple.
	require.Equal(t, 0, install("-v", "--backup=numbered", src, dst), errs.String())
	assert.Equal(t, "'"+src+"' -> '"+dst+"' (backup: '"+dst+".~1~')\n", out.String())
	require.Equal(t, 0, install("-b", "-S", ".old", src, dst), errs.String())
	assert.FileExists(t, dst+".~2~", "existing numbered backups make -b number")
	require.Equal(t, 0, install("--backup=simple", "-S", ".old", src, dst), errs.String())
	assert.FileExists(t, dst+".old")

	// -d makes directories with the mode asked for, and sets it on one
	// that exists.
	require.NoError(t, os.Mkdir(filepath.Join(dir, "d1"), 0o700))
	require.Equal(t, 0, install("-d", "-m", "750", filepath.Join(dir, "d1"), filepath.Join(dir, "d2")))
	assert.Equal(t, os.ModeDir|0o750, modeOf(t, filepath.Join(dir, "d1")))
	assert.Equal(t, os.ModeDir|0o750, modeOf(t, filepath.Join(dir, "d2")))

	// A fifo and a symlink at the destination are replaced, as GNU does.
	require.NoError(t, os.Symlink("/dev/null", filepath.Join(dir, "sink")))
	require.Equal(t, 0, install(src, filepath.Join(dir, "sink")), errs.String())
	assert.True(t, modeOf(t, filepath.Join(dir, "sink")).IsRegular())

	// Failures: one "ldwrap: <what> <path>: <cause>" line each, status 1,
	// and the destination untouched.
	other := filepath.Join(dir, "other", "prog") // another file of the same name
	require.NoError(t, os.MkdirAll(filepath.Dir(other), 0o755))
	require.NoError(t, os.WriteFile(other, []byte("v2"), 0o700))
	before, _ := os.ReadFile(dst)
	for _, c := range []struct {
		args []string
		msg  string
	}{
		{[]string{filepath.Join(dir, "missing"), dst}, "ldwrap: open " + filepath.Join(dir, "missing") + ": no such file or directory\n"},
		{[]string{"-t", filepath.Join(dir, "nodir"), src}, "ldwrap: target " + filepath.Join(dir, "nodir") + ": no such file or directory\n"},
		{[]string{"-o", "no-such-user-ldwrap", src, dst}, "ldwrap: owner no-such-user-ldwrap: invalid (not in /etc/passwd, and not a number)\n"},
		{[]string{"-m"}, "ldwrap: option -m: needs a value (see ldwrap-install --help)\n"},
		{[]string{src, src}, "ldwrap: install " + src + ": " + src + " and " + src + " are the same file\n"},
		{[]string{src, filepath.Join(dir, "nothere") + "/"}, "ldwrap: create " + filepath.Join(dir, "nothere") + "/: not a directory\n"},
		{[]string{src, other, filepath.Join(dir, "a")}, "ldwrap: install " + other + ": will not overwrite " + filepath.Join(dir, "a", "prog") + ", just installed from " + src + "\n"},
		// Just installed and the same file: GNU names the same file first.
		{[]string{"-t", filepath.Join(dir, "a"), src, filepath.Join(dir, "a", "prog")}, "ldwrap: install " + filepath.Join(dir, "a", "prog") + ": " + filepath.Join(dir, "a", "prog") + " and " + filepath.Join(dir, "a", "prog") + " are the same file\n"},
	} {
		assert.Equal(t, 1, install(c.args...), "%q", c.args)
		assert.Equal(t, c.msg, errs.String(), "%q", c.args)
	}
	after, _ := os.ReadFile(dst)
	assert.Equal(t, before, after)
	_, err := os.Lstat(filepath.Join(dir, "nothere"))
	assert.True(t, os.IsNotExist(err), "a trailing slash makes no file")
	assert.False(t, strings.Contains(strings.Join(entries(t, dir), " "), ".ldwrap"), "nothing left")
}

func entries(t *testing.T, dir string) []string {
	d, err := os.ReadDir(dir)
	require.NoError(t, err)
	var n []string
	for _, e := range d {
		n = append(n, e.Name())
	}
	return n
}

// quote is GNU install -v's quoting, checked against install 9.1's output.
func TestQuote(t *testing.T) {
	for in, want := range map[string]string{
		"a": `'a'`, "b c": `'b c'`, "q'x": `"q'x"`, `d"q`: `'d"q'`, "do$llar": `'do$llar'`,
		"t\tab": `'t'$'\t''ab'`, "n\nl": `'n'$'\n''l'`, `bs\x`: `'bs\x'`, "é": `'é'`,
		"inv\xff": `'inv'$'\377'''`, "q'$x": `'q'\''$x'`, `q'\x`: `'q'\''\x'`,
	} {
		assert.Equal(t, want, quote(in), "%q", in)
	}
}
