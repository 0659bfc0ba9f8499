package cmdline

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestParseInstall(t *testing.T) {
	in, err := ParseInstall([]string{"-Dm", "644", "a", "--owner=root", "b", "-v"}, nil)
	require.NoError(t, err)
	require.NoError(t, in.Settle())
	assert.True(t, in.MakeLeading)
	assert.True(t, in.Verbose)
	assert.Equal(t, uint32(0o644), in.FileMode())
	assert.Equal(t, "root", in.Owner)
	assert.Equal(t, []string{"a", "b"}, in.Operands, "options anywhere, as getopt_long permutes")

	in, err = ParseInstall([]string{"--mo=u=rw+x", "--verb", "--backup=nu", "-S", ".old", "--", "-a", "b"}, nil)
	require.NoError(t, err)
	require.NoError(t, in.Settle())
	assert.Equal(t, uint32(0o700), in.FileMode(), "a unique prefix of a long option")
	assert.Equal(t, NumberedBackups, in.BackupType)
	assert.Equal(t, ".old", in.BackupSuffix)
	assert.Equal(t, []string{"-a", "b"}, in.Operands)

	in, err = ParseInstall([]string{"-m", "bad", "--help"}, nil)
	require.NoError(t, err, "--help answers before the mode is read, as GNU's")
	assert.Equal(t, "--help", in.Info)

	// POSIXLY_CORRECT ends the options at the first operand.
	posix := env("POSIXLY_CORRECT", "1")
	in, err = ParseInstall([]string{"-v", "a", "b", "-m", "600"}, posix)
	require.NoError(t, err)
	assert.Equal(t, []string{"a", "b", "-m", "600"}, in.Operands)
	assert.False(t, in.ModeGiven)

	// An empty value is a value: -o '' names a user (none), -t '' a directory.
	in, err = ParseInstall([]string{"-o", "", "-g", "", "a", "b"}, nil)
	require.NoError(t, err)
	assert.True(t, in.OwnerGiven && in.GroupGiven)
	_, err = ParseInstall([]string{"-t", "", "-t", "x", "a"}, nil)
	assert.EqualError(t, err, "multiple target directories specified")

	// -b's type and suffix from the environment, as gnulib reads them.
	in, err = ParseInstall([]string{"-b", "a", "b"}, env("VERSION_CONTROL", "t", "SIMPLE_BACKUP_SUFFIX", "a/b"))
	require.NoError(t, err)
	assert.Equal(t, NumberedBackups, in.BackupType)
	assert.Equal(t, "~", in.BackupSuffix, "a suffix with a slash is no suffix")
	in, err = ParseInstall([]string{"-S", "x/", "a", "b"}, nil)
	require.NoError(t, err)
	assert.Equal(t, "x/", in.BackupSuffix, "a trailing slash is its last component's")

	// Warnings as GNU's getopt loop meets them, before a later error.
	in, err = ParseInstall([]string{"--preserve-context", "--context=", "-x"}, nil)
	assert.Equal(t, []string{"WARNING: ignoring --preserve-context; this kernel is not SELinux-enabled",
		"warning: ignoring --context; it requires an SELinux-enabled kernel"}, in.Warnings)
	assert.EqualError(t, err, "invalid option -- 'x'")

	for _, c := range []struct {
		args []string
		msg  string
		try  bool
	}{
		{[]string{"--c", "a", "b"}, "option '--c' is ambiguous; possibilities: '--compare' '--context'", true},
		{[]string{"--pre=1", "a", "b"}, "option '--pre=1' is ambiguous; possibilities: '--preserve-timestamps' '--preserve-context'", true},
		{[]string{"--frob=1", "a", "b"}, "unrecognized option '--frob=1'", true},
		{[]string{"--verb=1", "a", "b"}, "option '--verbose' doesn't allow an argument", true},
		{[]string{"-vx", "a", "b"}, "invalid option -- 'x'", true},
		{[]string{"-m"}, "option requires an argument -- 'm'", true},
		{[]string{"--mo"}, "option '--mode' requires an argument", true},
		{[]string{}, "missing file operand", true},
		{[]string{"a"}, "missing destination file operand after 'a'", true},
		{[]string{"-T", "a", "b", "c"}, "extra operand 'c'", true},
		{[]string{"-T", "-t", "d", "a"}, "cannot combine --target-directory (-t) and --no-target-directory (-T)", false},
		{[]string{"-d", "-s", "x"}, "the strip option may not be used when installing a directory", false},
		{[]string{"-d", "-t", "x", "y"}, "target directory not allowed when installing a directory", false},
		{[]string{"-t", "x", "-t", "y", "a"}, "multiple target directories specified", false},
		{[]string{"--backup=foo", "a", "b"}, "invalid argument 'foo' for 'backup type'\nValid arguments are:\n  - 'none', 'off'\n  - 'simple', 'never'\n  - 'existing', 'nil'\n  - 'numbered', 't'", true},
		{[]string{"--backup=n", "a", "b"}, "ambiguous argument 'n' for 'backup type'\nValid arguments are:\n  - 'none', 'off'\n  - 'simple', 'never'\n  - 'existing', 'nil'\n  - 'numbered', 't'", true},
	} {
		_, err := ParseInstall(c.args, nil)
		require.Error(t, err, "%q", c.args)
		assert.Equal(t, c.msg, err.Error(), "%q", c.args)
		assert.Equal(t, c.try, err.(*UsageError).Try, "%q", c.args)
	}
	_, err = ParseInstall([]string{"-b", "a", "b"}, env("VERSION_CONTROL", "x"))
	assert.Contains(t, err.Error(), "invalid argument 'x' for '$VERSION_CONTROL'")

	// After the target: the mode, then -C's conflicts.
	for _, c := range []struct {
		args []string
		msg  string
	}{
		{[]string{"-m", "bad", "a", "b"}, "invalid mode 'bad'"},
		{[]string{"-m", "", "a", "b"}, "invalid mode ''"},
		{[]string{"-C", "-p", "a", "b"}, "options --compare (-C) and --preserve-timestamps are mutually exclusive"},
		{[]string{"-C", "-s", "a", "b"}, "options --compare (-C) and --strip are mutually exclusive"},
	} {
		in, err := ParseInstall(c.args, nil)
		require.NoError(t, err, "%q", c.args)
		assert.EqualError(t, in.Settle(), c.msg, "%q", c.args)
	}
	in, _ = ParseInstall([]string{"-C", "-m", "4755", "--strip-program=x", "a", "b"}, nil)
	require.NoError(t, in.Settle())
	assert.Equal(t, []string{"WARNING: ignoring --strip-program option as -s option was not specified",
		"the --compare (-C) option is ignored when you specify a mode with non-permission bits"}, in.Warnings)
}

func env(kv ...string) func(string) string {
	return func(k string) string {
		for i := 0; i+1 < len(kv); i += 2 {
			if kv[i] == k {
				return kv[i+1]
			}
		}
		return ""
	}
}
