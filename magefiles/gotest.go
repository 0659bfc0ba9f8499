//go:build mage

package main

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/exec"
	"sort"
	"strings"
	"time"
)

// goTest runs go test with args and prints what go test prints (the
// output of failed tests, and each package's result), then the slowest
// tests: a timeout's margin is checked against them, and a test that
// grows shows there first. Running (startGoTest), following the events
// (testLog) and the summary (reportTimes) are apart, so that each can be
// read, and the last two tested, alone.
func goTest(env map[string]string, args ...string) error {
	shown := shownArgs(args)
	fmt.Printf("go test %s\n", shown)
	start := time.Now()
	run, err := startGoTest(env, args)
	if err != nil {
		return err
	}
	var log testLog
	readTestEvents(run.events, os.Stdout, &log)
	err = run.wait()
	os.Stdout.WriteString(log.unfinished())
	reportTimes(os.Stdout, shown, time.Since(start), run.cpu(), log.timings)
	return err
}

// shownArgs is args as the command line to show: the -run lists are long,
// so each long argument is cut.
func shownArgs(args []string) string {
	var shown []string
	for _, a := range args {
		if len(a) > 60 {
			a = a[:57] + "..."
		}
		shown = append(shown, a)
	}
	return strings.Join(shown, " ")
}

// goTestRun is a running go test -json.
type goTestRun struct {
	cmd    *exec.Cmd
	events io.Reader // its JSON events, kept in LDWRAP_TEST_JSON's directory too
	kept   *os.File
}

// startGoTest starts go test -json with args, env added to this
// process's environment, its standard error this process's.
// LDWRAP_TEST_JSON=DIR keeps each run's events (with their times: how the
// tests overlapped) in a file in DIR, the arguments first.
func startGoTest(env map[string]string, args []string) (*goTestRun, error) {
	cmd := exec.Command("go", append([]string{"test", "-json"}, args...)...)
	cmd.Env = os.Environ()
	for k, v := range env {
		cmd.Env = append(cmd.Env, k+"="+v)
	}
	cmd.Stderr = os.Stderr
	out, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	run := &goTestRun{cmd: cmd, events: out}
	if dir := os.Getenv("LDWRAP_TEST_JSON"); dir != "" {
		f, err := os.CreateTemp(dir, "go-test-*.json")
		if err != nil {
			return nil, err
		}
		json.NewEncoder(f).Encode(map[string]string{"Action": "args", "Output": strings.Join(args, " ")})
		run.kept, run.events = f, io.TeeReader(out, f)
	}
	if err := cmd.Start(); err != nil {
		if run.kept != nil {
			run.kept.Close()
		}
		return nil, err
	}
	return run, nil
}

// wait waits for go test to end and gives its error.
func (r *goTestRun) wait() error {
	err := r.cmd.Wait()
	if r.kept != nil {
		r.kept.Close()
	}
	return err
}

// cpu is the CPU time of go test and of every process it waited for (the
// test binaries and what they ran; not Bazel's servers, which detach).
func (r *goTestRun) cpu() time.Duration {
	if ps := r.cmd.ProcessState; ps != nil {
		return ps.UserTime() + ps.SystemTime()
	}
	return 0
}

// testEvent is what testLog needs of one of go test -json's events.
type testEvent struct {
	Action, Package, Test, Output string
	Elapsed                       float64
}

// testTiming is how long a top-level test took.
type testTiming struct {
	name    string
	seconds float64
}

// testLog follows go test -json's events: it says what to show as they
// come, and keeps each top-level test's time.
type testLog struct {
	pending map[string][]string // a running test's output, shown if it fails
	timings []testTiming
}

// add takes one event and returns what to show now: a package's own
// output (its ok or FAIL line among it), or the whole output of a test
// that just failed.
func (l *testLog) add(ev testEvent) string {
	if l.pending == nil {
		l.pending = map[string][]string{}
	}
	key := ev.Package + " " + ev.Test
	show := ""
	switch {
	case ev.Test == "" && ev.Output != "":
		show = ev.Output
	case ev.Output != "":
		l.pending[key] = append(l.pending[key], ev.Output)
	case ev.Action == "fail" || ev.Action == "pass" || ev.Action == "skip":
		if ev.Action == "fail" {
			show = strings.Join(l.pending[key], "")
		}
		delete(l.pending, key)
		if ev.Test != "" && !strings.Contains(ev.Test, "/") {
			l.timings = append(l.timings, testTiming{ev.Test, ev.Elapsed})
		}
	}
	return show
}

// unfinished is the output of the tests that never ended: the test binary
// died under them (a timeout's panic names them). In a fixed order.
func (l *testLog) unfinished() string {
	var keys []string
	for k := range l.pending {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var b strings.Builder
	for _, k := range keys {
		b.WriteString(strings.Join(l.pending[k], ""))
	}
	return b.String()
}

// readTestEvents feeds the events in r to l and writes to w what l says to
// show. What is not JSON (a build failure's message) is written as it is,
// with the rest.
func readTestEvents(r io.Reader, w io.Writer, l *testLog) {
	dec := json.NewDecoder(r)
	for {
		var ev testEvent
		if err := dec.Decode(&ev); err == io.EOF {
			return
		} else if err != nil {
			io.Copy(w, io.MultiReader(dec.Buffered(), r))
			return
		}
		io.WriteString(w, l.add(ev))
	}
}

// reportTimes writes the run's one-line summary: its wall and CPU time,
// the sum of its top-level tests' times (against the wall time, how much
// the parallel tests overlapped) and the slowest twelve.
func reportTimes(w io.Writer, shown string, wall, cpu time.Duration, timings []testTiming) {
	slow := append([]testTiming(nil), timings...)
	sort.SliceStable(slow, func(i, j int) bool { return slow[i].seconds > slow[j].seconds })
	var sum float64
	for _, s := range slow {
		sum += s.seconds
	}
	if len(slow) > 12 {
		slow = slow[:12]
	}
	fmt.Fprintf(w, "%s in %s, CPU %s, tests' sum %.0fs; slowest:", shown, wall.Round(time.Second), cpu.Round(time.Second), sum)
	for _, s := range slow {
		fmt.Fprintf(w, " %s %.0fs", s.name, s.seconds)
	}
	fmt.Fprintln(w)
}
