package cli

import (
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestParseRun(t *testing.T) {
	o, what, _ := parseRun([]string{"-o", "a", "--output=b", "-oc", "--stdout", "d", "--env=N=e", "--", "gen", "-o", "x"})
	assert.Empty(t, what)
	assert.Equal(t, []string{"a", "b", "c"}, o.outputs)
	assert.Equal(t, "d", o.stdout)
	assert.Equal(t, [][2]string{{"N", "e"}}, o.envOutputs)
	assert.Equal(t, []string{"gen", "-o", "x"}, o.argv)

	o, _, _ = parseRun([]string{"-o", "a", "gen"}) // the command starts at the first non-option
	assert.Equal(t, []string{"gen"}, o.argv)
	o, _, _ = parseRun([]string{"-o", "a", "--help"})
	assert.Equal(t, "--help", o.help)

	for args, want := range map[string][2]string{
		"-x":        {"option -x", "unknown"},
		"--env=bad": {"option --env bad", "want NAME=OUTPUT"},
		"--env==x":  {"option --env =x", "want NAME=OUTPUT"},
	} {
		_, what, cause := parseRun([]string{args, "gen"})
		assert.Equal(t, want, [2]string{what, cause}, args)
	}
}
