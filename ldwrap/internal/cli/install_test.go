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
	t.Setenv("LC_ALL", "C") // quote()'s quotes are the locale's
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

	// Failures: GNU install's message, naming the command as it was run,
	// status 1, and the destination untouched.
	other := filepath.Join(dir, "other", "prog") // another file of the same name
	require.NoError(t, os.MkdirAll(filepath.Dir(other), 0o755))
	require.NoError(t, os.WriteFile(other, []byte("v2"), 0o700))
	before, _ := os.ReadFile(dst)
	q := func(s string) string { return "'" + s + "'" }
	for _, c := range []struct {
		args []string
		msg  string
	}{
		{[]string{filepath.Join(dir, "missing"), dst}, "cannot stat " + q(filepath.Join(dir, "missing")) + ": No such file or directory\n"},
		{[]string{"-t", filepath.Join(dir, "nodir"), src}, "failed to access " + q(filepath.Join(dir, "nodir")) + ": No such file or directory\n"},
		{[]string{src, src, filepath.Join(dir, "nodir")}, "target " + q(filepath.Join(dir, "nodir")) + ": No such file or directory\n"},
		{[]string{"-o", "no-such-user-ldwrap", src, dst}, "invalid user 'no-such-user-ldwrap'\n"},
		{[]string{"-g", "", src, dst}, "invalid group ''\n"},
		{[]string{"-m"}, "option requires an argument -- 'm'\nTry '" + prog + " --help' for more information.\n"},
		{[]string{src, src}, q(src) + " and " + q(src) + " are the same file\n"},
		{[]string{src, filepath.Join(dir, "nothere") + "/"}, "cannot create regular file " + q(filepath.Join(dir, "nothere")+"/") + ": Not a directory\n"},
		{[]string{src, filepath.Join(dir, "nodir", "x")}, "cannot create regular file " + q(filepath.Join(dir, "nodir", "x")) + ": No such file or directory\n"},
		{[]string{src, other, filepath.Join(dir, "a")}, "will not overwrite just-created " + q(filepath.Join(dir, "a", "prog")) + " with " + q(other) + "\n"},
		// Just installed and the same file: GNU names the same file first.
		{[]string{"-t", filepath.Join(dir, "a"), src, filepath.Join(dir, "a", "prog")}, q(filepath.Join(dir, "a", "prog")) + " and " + q(filepath.Join(dir, "a", "prog")) + " are the same file\n"},
		{[]string{dir, dst}, "omitting directory " + q(dir) + "\n"},
	} {
		assert.Equal(t, 1, install(c.args...), "%q", c.args)
		assert.Equal(t, prog+": "+c.msg, errs.String(), "%q", c.args)
	}
	t.Setenv("LC_ALL", "C.UTF-8")
	assert.Equal(t, 1, install("-o", "", src, dst))
	assert.Equal(t, prog+": invalid user \u2018\u2019\n", errs.String(), "UTF-8 quotes, as GNU's in C.UTF-8")
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

// Owners and groups not in /etc/passwd or /etc/group are numbers as
// GNU's xstrtoumax reads them (base 0); 2^32-1 means "leave it".
func TestLookupIDNumbers(t *testing.T) {
	for name, want := range map[string]int{"0": 0, "+0": 0, "0x1": 1, "0X1f": 31, "010": 8, " 1": 1, "\t+7": 7, "4294967295": -1} {
		id, ok := lookupID("owner", name, "/nonexistent")
		assert.True(t, ok, "%q", name)
		assert.Equal(t, want, id, "%q", name)
	}
	for _, bad := range []string{"", "-1", " -1", "1x", "0x", "08", "4294967296", "+", "+-1", "1 "} {
		_, ok := lookupID("owner", bad, "/nonexistent")
		assert.False(t, ok, "%q", bad)
	}
}

// A file installed into DIR is named as gnulib's file_name_concat names
// it: DIR as written but for trailing slashes, one slash, the name.
func TestFileNameConcat(t *testing.T) {
	for _, c := range [][3]string{{"d", "a", "d/a"}, {"d/", "a", "d/a"}, {"d//", "a", "d/a"}, {"/", "a", "/a"},
		{"", "a", "a"}, {"link/..", "a", "link/../a"}, {".", "b c", "./b c"}, {"x/./", "a", "x/./a"}} {
		assert.Equal(t, c[2], fileNameConcat(c[0], c[1]), "%q %q", c[0], c[1])
	}
}
