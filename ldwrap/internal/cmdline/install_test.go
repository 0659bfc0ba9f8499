package cmdline

import (
	"os"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestParseInstall(t *testing.T) {
	in, err := ParseInstall([]string{"-c", "-Dm644", "-o", "root", "--group=wheel", "-Cpv", "a", "b"})
	require.NoError(t, err)
	assert.Equal(t, os.FileMode(0o644), in.Mode)
	assert.True(t, in.MakeLeading && in.Compare && in.PreserveTimes && in.Verbose)
	assert.Equal(t, "root", in.Owner)
	assert.Equal(t, "wheel", in.Group)
	assert.Equal(t, []string{"a", "b"}, in.Operands)

	in, err = ParseInstall([]string{"-t", "dir", "a", "b", "c"})
	require.NoError(t, err)
	assert.Equal(t, "dir", in.TargetDir)
	in, err = ParseInstall([]string{"-d", "-m", "0700", "x", "y"})
	require.NoError(t, err)
	assert.True(t, in.Directories)
	assert.Equal(t, os.FileMode(0o700), in.Mode)

	for mode, want := range map[string]os.FileMode{"u+x": 0o100, "a=r": 0o444, "go-w,u+s": os.ModeSetuid, "755": 0o755, "u=rwx,go=rx": 0o755} {
		in, err := ParseInstall([]string{"-m", mode, "a", "b"})
		require.NoError(t, err, mode)
		assert.Equal(t, want, in.Mode, mode)
	}
	for _, bad := range [][]string{{"-s", "a", "b"}, {"--strip", "a", "b"}, {"-b", "a", "b"}, {"-Z", "a", "b"}, {"a"}, {}, {"-T", "a", "b", "c"}, {"-m", "9", "a", "b"}, {"-t", "d", "-T", "a"}} {
		_, err := ParseInstall(bad)
		assert.Error(t, err, "%v", bad)
	}
	_, err = ParseInstall([]string{"-s", "a", "b"})
	assert.IsType(t, ErrUnsupported{}, err)
}

func TestPlanRun(t *testing.T) {
	r, err := PlanRun([]string{"bin/app", "gen.h"}, []string{"build", "-o", "bin/app", "--header=gen.h", "x"})
	require.NoError(t, err)
	out, err := r.Apply([]string{"build", "-o", "bin/app", "--header=gen.h", "x"}, fakeStage)
	require.NoError(t, err)
	assert.Equal(t, []string{"build", "-o", "T/bin/app", "--header=T/gen.h", "x"}, out)
	_, err = PlanRun([]string{"y"}, []string{"build"})
	assert.Error(t, err)
}

// An output mentioned as a word inside an argument (a shell command, as
// atomic_output runs one) is replaced there, and only as a whole word: not
// inside a longer path that starts or ends with it (issue 15: the Starlark
// rule used to replace it inside a longer path too).
func TestPlanRunWordsInsideAnArgument(t *testing.T) {
	cmd := "gen > out/a.txt && cp out/a.txt out/a.txt.bak && echo x/out/a.txt 'out/a.txt'; tool --o=out/a.txt.d,out/a.txt"
	argv := []string{"-c", cmd}
	r, err := PlanRun([]string{"out/a.txt", "out/a.txt.d"}, argv)
	require.NoError(t, err)
	got, err := r.Apply(argv, fakeStage)
	require.NoError(t, err)
	assert.Equal(t, []string{"-c",
		"gen > T/out/a.txt && cp T/out/a.txt out/a.txt.bak && echo x/out/a.txt 'T/out/a.txt'; tool --o=T/out/a.txt.d,T/out/a.txt"}, got)
	assert.Equal(t, []string{"-c", cmd}, argv, "argv itself is left alone")

	_, err = PlanRun([]string{"out/a.txt"}, []string{"-c", "cp x out/a.txt.bak"})
	assert.Error(t, err, "a mention inside a longer path is no mention")

	// An argument that is one output and mentions another as a word: the
	// whole-argument match wins.
	argv = []string{"a b", "x a"}
	r, err = PlanRun([]string{"a", "a b"}, argv)
	require.NoError(t, err)
	got, err = r.Apply(argv, func(target string, side bool) (string, error) { return "<" + target + ">", nil })
	require.NoError(t, err)
	assert.Equal(t, []string{"<a b>", "x <a>"}, got)
}
