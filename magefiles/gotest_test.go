//go:build mage

package main

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
)

// A passing test's output is dropped, a failing one's shown whole when it
// fails, a package's own lines as they come; subtests are not timed apart
// from their parent.
func TestTestLogShowsFailuresOnly(t *testing.T) {
	var l testLog
	p := "example.com/p"
	assert.Equal(t, "", l.add(testEvent{Action: "run", Package: p, Test: "TestA"}))
	assert.Equal(t, "", l.add(testEvent{Action: "output", Package: p, Test: "TestA", Output: "=== RUN   TestA\n"}))
	assert.Equal(t, "", l.add(testEvent{Action: "output", Package: p, Test: "TestB", Output: "=== RUN   TestB\n"}))
	assert.Equal(t, "", l.add(testEvent{Action: "output", Package: p, Test: "TestB/sub", Output: "    b_test.go:9: sub\n"}))
	assert.Equal(t, "", l.add(testEvent{Action: "pass", Package: p, Test: "TestB/sub", Elapsed: 1}))
	assert.Equal(t, "", l.add(testEvent{Action: "output", Package: p, Test: "TestA", Output: "    a_test.go:5: wrong\n"}))
	assert.Equal(t, "", l.add(testEvent{Action: "pass", Package: p, Test: "TestB", Elapsed: 2}))
	assert.Equal(t, "=== RUN   TestA\n    a_test.go:5: wrong\n", l.add(testEvent{Action: "fail", Package: p, Test: "TestA", Elapsed: 3}))
	assert.Equal(t, "FAIL\texample.com/p\t5.0s\n", l.add(testEvent{Action: "output", Package: p, Output: "FAIL\texample.com/p\t5.0s\n"}))
	assert.Equal(t, []testTiming{{"TestB", 2}, {"TestA", 3}}, l.timings)
	assert.Equal(t, "", l.unfinished())
}

// A test binary that dies (a timeout's panic) leaves its running tests'
// output to be shown after, and a build failure is not JSON.
func TestReadTestEventsUnfinishedAndNotJSON(t *testing.T) {
	var l testLog
	var out strings.Builder
	readTestEvents(strings.NewReader(`{"Action":"output","Package":"q","Test":"TestSlow","Output":"started\n"}
{"Action":"output","Package":"p","Test":"TestHung","Output":"waiting\n"}
# example.com/r
r.go:3:1: syntax error
`), &out, &l)
	assert.Equal(t, "\n# example.com/r\nr.go:3:1: syntax error\n", out.String(), "the rest as it is, from the end of the last event")
	assert.Equal(t, "waiting\nstarted\n", l.unfinished(), "in a fixed order")
}

func TestReportTimesSlowestTwelve(t *testing.T) {
	var timings []testTiming
	for i := 1; i <= 14; i++ {
		timings = append(timings, testTiming{fmt.Sprintf("T%d", i), float64(i)})
	}
	var out strings.Builder
	reportTimes(&out, "-run X ./e2e/", 61500*time.Millisecond, 90*time.Second, timings)
	assert.Equal(t, "-run X ./e2e/ in 1m2s, CPU 1m30s, tests' sum 105s; slowest: T14 14s T13 13s T12 12s T11 11s T10 10s T9 9s T8 8s T7 7s T6 6s T5 5s T4 4s T3 3s\n", out.String())
	assert.Equal(t, "T1", timings[0].name, "the caller's slice is left as it was")
}

func TestShownArgsCutsLongOnes(t *testing.T) {
	assert.Equal(t, "-run "+strings.Repeat("a", 57)+"... ./e2e/", shownArgs([]string{"-run", strings.Repeat("a", 61), "./e2e/"}))
}
