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
// grows shows there first.
func goTest(env map[string]string, args ...string) error {
	cmd := exec.Command("go", append([]string{"test", "-json"}, args...)...)
	cmd.Env = os.Environ()
	for k, v := range env {
		cmd.Env = append(cmd.Env, k+"="+v)
	}
	cmd.Stderr = os.Stderr
	out, err := cmd.StdoutPipe()
	if err != nil {
		return err
	}
	// The -run lists are long: the command is shown with them cut.
	var shown []string
	for _, a := range args {
		if len(a) > 60 {
			a = a[:57] + "..."
		}
		shown = append(shown, a)
	}
	fmt.Printf("go test %s\n", strings.Join(shown, " "))
	start := time.Now()
	if err := cmd.Start(); err != nil {
		return err
	}
	type event struct {
		Action, Package, Test, Output string
		Elapsed                       float64
	}
	type timing struct {
		name    string
		seconds float64
	}
	var slow []timing
	pending := map[string][]string{} // a running test's output, shown if it fails
	// LDWRAP_TEST_JSON=DIR keeps each run's events (with their times: how
	// the tests overlapped) in DIR.
	var events io.Reader = out
	if dir := os.Getenv("LDWRAP_TEST_JSON"); dir != "" {
		f, err := os.CreateTemp(dir, "go-test-*.json")
		if err != nil {
			return err
		}
		defer f.Close()
		json.NewEncoder(f).Encode(map[string]string{"Action": "args", "Output": strings.Join(args, " ")})
		events = io.TeeReader(out, f)
	}
	dec := json.NewDecoder(events)
	for {
		var ev event
		if err := dec.Decode(&ev); err == io.EOF {
			break
		} else if err != nil {
			// Not JSON (a build failure): show the rest as it is.
			io.Copy(os.Stdout, io.MultiReader(dec.Buffered(), events))
			break
		}
		key := ev.Package + " " + ev.Test
		switch {
		case ev.Test == "" && ev.Output != "":
			os.Stdout.WriteString(ev.Output)
		case ev.Output != "":
			pending[key] = append(pending[key], ev.Output)
		case ev.Action == "fail":
			os.Stdout.WriteString(strings.Join(pending[key], ""))
			fallthrough
		case ev.Action == "pass" || ev.Action == "skip":
			delete(pending, key)
			if ev.Test != "" && !strings.Contains(ev.Test, "/") {
				slow = append(slow, timing{ev.Test, ev.Elapsed})
			}
		}
	}
	err = cmd.Wait()
	// A test still running when the binary died (a timeout's panic).
	for _, lines := range pending {
		os.Stdout.WriteString(strings.Join(lines, ""))
	}
	sort.Slice(slow, func(i, j int) bool { return slow[i].seconds > slow[j].seconds })
	// The sum against the wall time shows how much the parallel tests overlap.
	var sum float64
	for _, s := range slow {
		sum += s.seconds
	}
	if len(slow) > 12 {
		slow = slow[:12]
	}
	// The CPU time of go test and of every process it waited for (the
	// test binaries and what they ran; not Bazel's servers, which detach).
	var cpu time.Duration
	if ps := cmd.ProcessState; ps != nil {
		cpu = ps.UserTime() + ps.SystemTime()
	}
	fmt.Printf("%s in %s, CPU %s, tests' sum %.0fs; slowest:", strings.Join(shown, " "), time.Since(start).Round(time.Second), cpu.Round(time.Second), sum)
	for _, s := range slow {
		fmt.Printf(" %s %.0fs", s.name, s.seconds)
	}
	fmt.Println()
	return err
}
