package cmdline

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestParseInstall(t *testing.T) {
	in, err := ParseInstall([]string{"-Dm", "644", "a", "--owner=root", "b", "-v"})
	require.NoError(t, err)
	assert.True(t, in.MakeLeading)
	assert.True(t, in.Verbose)
	assert.Equal(t, uint32(0o644), in.FileMode())
	assert.Equal(t, "root", in.Owner)
	assert.Equal(t, []string{"a", "b"}, in.Operands, "options anywhere, as getopt_long permutes")

	in, err = ParseInstall([]string{"--mo=u=rw+x", "--verb", "--backup=nu", "-S", ".old", "--", "-a", "b"})
	require.NoError(t, err)
	assert.Equal(t, uint32(0o700), in.FileMode(), "a unique prefix of a long option")
	assert.True(t, in.Backup)
	assert.Equal(t, ".old", in.BackupSuffix)
	k, err := BackupKind(in.BackupControl)
	require.NoError(t, err)
	assert.Equal(t, NumberedBackups, k)
	assert.Equal(t, []string{"-a", "b"}, in.Operands)

	in, err = ParseInstall([]string{"-m", "bad", "--help"})
	require.NoError(t, err, "--help answers before the mode is read, as GNU's")
	assert.Equal(t, "--help", in.Info)

	for _, c := range []struct {
		args []string
		msg  string
	}{
		{[]string{"--c", "a", "b"}, "option --c: ambiguous (--compare, --context)"},
		{[]string{"--frob", "a", "b"}, "option --frob: unrecognized"},
		{[]string{"-x", "a", "b"}, "option -x: invalid"},
		{[]string{"-m"}, "option -m: needs a value"},
		{[]string{"--mode"}, "option --mode: needs a value"},
		{[]string{"-m", "bad", "a", "b"}, "mode bad: invalid"},
		{[]string{"a"}, "destination after a: missing"},
		{[]string{"-T", "a", "b", "c"}, "operand c: extra (-T takes one source and one destination)"},
		{[]string{"-C", "-p", "a", "b"}, "option -C: cannot be combined with -p"},
		{[]string{"-d", "-s", "x"}, "option -s: may not be used when installing a directory"},
		{[]string{"--backup=foo", "a", "b"}, "backup type foo: invalid (none, off, simple, never, existing, nil, numbered, t)"},
		{[]string{"-t", "x", "-t", "y", "a"}, "option -t: multiple target directories specified"},
	} {
		_, err := ParseInstall(c.args)
		assert.EqualError(t, err, c.msg, "%q", c.args)
	}
}
