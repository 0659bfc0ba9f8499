package cli

import (
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/ldwrap/ldwrap/ldwrap/internal/step"
)

func TestParseRun(t *testing.T) {
	o, err := parseRun([]string{"-o", "a", "--output=b", "-oc", "--stdout", "d", "--env=N=e", "--fresh", "--", "gen", "-o", "x"})
	assert.NoError(t, err)
	assert.Equal(t, []string{"a", "b", "c"}, o.outputs)
	assert.Equal(t, "d", o.stdout)
	assert.Equal(t, []step.EnvOutput{{Name: "N", Output: "e"}}, o.envOutputs)
	assert.True(t, o.plan.Fresh)
	assert.False(t, o.plan.InText)
	assert.Equal(t, []string{"gen", "-o", "x"}, o.argv)

	o, _ = parseRun([]string{"-o", "a", "gen"}) // the command starts at the first non-option
	assert.Equal(t, []string{"gen"}, o.argv)
	o, _ = parseRun([]string{"-o", "a", "--help"})
	assert.Equal(t, "--help", o.info)
	o, _ = parseRun([]string{"--in-text", "-o", "a", "sh"})
	assert.True(t, o.plan.InText)
	o, _ = parseRun([]string{"--stage", "/usr/local", "--stage=p2", "--dry-run", "make", "install"})
	assert.Equal(t, []string{"/usr/local", "p2"}, o.stages)
	assert.True(t, o.dryRun)
	assert.Equal(t, []string{"make", "install"}, o.argv)
	assert.Empty(t, o.outputs)

	for args, want := range map[string]string{
		"-x":        "option -x: unknown",
		"--env=bad": "option --env bad: want NAME=OUTPUT",
		"--env==x":  "option --env =x: want NAME=OUTPUT",
	} {
		_, err := parseRun([]string{args, "gen"})
		assert.IsType(t, &usageError{}, err, args)
		assert.EqualError(t, err, want, args)
	}
}
