package cmdline

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestPlanRun(t *testing.T) {
	argv := []string{"build", "-o", "bin/app", "--header", "gen.h", "x"}
	r, err := PlanRun([]string{"bin/app", "gen.h"}, argv, RunOptions{})
	require.NoError(t, err)
	out, err := r.Apply(argv, fakeStage)
	require.NoError(t, err)
	assert.Equal(t, []string{"build", "-o", "T/bin/app", "--header", "T/gen.h", "x"}, out)
	for _, e := range r.Edits {
		assert.True(t, e.Seed, "a command's outputs start as copies of the old ones")
	}
	r, err = PlanRun([]string{"bin/app"}, argv, RunOptions{Fresh: true})
	require.NoError(t, err)
	assert.False(t, r.Edits[0].Seed, "unless the caller says the command writes from scratch")

	_, err = PlanRun([]string{"y"}, []string{"build"}, RunOptions{})
	assert.EqualError(t, err, "output y: not among the command's arguments, so it cannot be redirected: "+
		"give it as an argument of its own, or use --stdout y for standard output")
}

// A mention inside a longer argument is not rewritten: where the output
// also has an argument of its own, that one is the output and the text is
// left as it is; where it has none, the plan fails before anything runs,
// showing the safe form. Each case is one the bare command gets right and
// a guess gets wrong.
func TestPlanRunNeverRewritesText(t *testing.T) {
	for _, c := range []struct {
		out  string
		argv []string
		want []string // nil: an error naming the safe form
	}{
		{"hello", []string{`-DNAME="hello"`, "-o", "hello", "hello.c"}, []string{`-DNAME="hello"`, "-o", "T/hello", "hello.c"}},
		{"dist.tar", []string{"-cf", "dist.tar", "--exclude=dist.tar", "."}, []string{"-cf", "T/dist.tar", "--exclude=dist.tar", "."}},
		{"gen.h", []string{"-c", `echo "/* generated into gen.h */" > gen.h`}, nil},
		{"out.txt", []string{"-c", "echo writing out.txt; echo data > out.txt"}, nil},
		{"test", []string{"-c", "test -d . && echo ok > test"}, nil},
		{"x", []string{"-c", "for x in 1 2; do echo $x; done > x"}, nil},
		{"out", []string{"--output=out"}, nil},
		{"gen.h", []string{"-c", `echo "/* generated into gen.h */" > "$1"`, "sh", "gen.h"},
			[]string{"-c", `echo "/* generated into gen.h */" > "$1"`, "sh", "T/gen.h"}},
	} {
		r, err := PlanRun([]string{c.out}, c.argv, RunOptions{})
		if c.want == nil {
			require.Error(t, err, "%q", c.argv)
			assert.Contains(t, err.Error(), `as in sh -c '... > "$1"' sh `+c.out+", or use --stdout "+c.out)
			continue
		}
		require.NoError(t, err, "%q", c.argv)
		got, err := r.Apply(c.argv, fakeStage)
		require.NoError(t, err)
		assert.Equal(t, c.want, got)
	}
}

// InText: a caller that knows every whole-word mention is the output (the
// Bazel rule) gets them all pointed at the staged file, and only whole
// words: not inside a longer path that starts or ends with the output.
func TestPlanRunInText(t *testing.T) {
	cmd := "gen > out/a.txt && cp out/a.txt out/a.txt.bak && echo x/out/a.txt 'out/a.txt'; tool --o=out/a.txt.d,out/a.txt"
	argv := []string{"-c", cmd}
	r, err := PlanRun([]string{"out/a.txt", "out/a.txt.d"}, argv, RunOptions{InText: true})
	require.NoError(t, err)
	got, err := r.Apply(argv, fakeStage)
	require.NoError(t, err)
	assert.Equal(t, []string{"-c",
		"gen > T/out/a.txt && cp T/out/a.txt out/a.txt.bak && echo x/out/a.txt 'T/out/a.txt'; tool --o=T/out/a.txt.d,T/out/a.txt"}, got)
	assert.Equal(t, []string{"-c", cmd}, argv, "argv itself is left alone")

	_, err = PlanRun([]string{"out/a.txt"}, []string{"-c", "cp x out/a.txt.bak"}, RunOptions{InText: true})
	assert.Error(t, err, "a mention inside a longer path is no mention")

	// An argument that is one output and mentions another as a word: the
	// whole-argument match wins.
	argv = []string{"a b", "x a"}
	r, err = PlanRun([]string{"a", "a b"}, argv, RunOptions{InText: true})
	require.NoError(t, err)
	got, err = r.Apply(argv, func(e Edit) (string, error) { return "<" + e.Target + ">", nil })
	require.NoError(t, err)
	assert.Equal(t, []string{"<a b>", "x <a>"}, got)
}
