//go:build linux

package e2e

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

var _ = portableToo(TestParallelWritersSameOutput)

// Many parallel writers of one output while readers exec it: no reader
// sees a broken program, and the final file is one writer's whole output.
func TestParallelWritersSameOutput(t *testing.T) {
	need(t, "gcc")
	dir := t.TempDir()
	const writers, links, readers = 4, 15, 2
	var refs [][]byte
	for w := 0; w < writers; w++ {
		src := fmt.Sprintf("w%d.c", w)
		writeFile(t, filepath.Join(dir, src), hello(fmt.Sprintf("w%d", w))+fmt.Sprintf("char pad[%d] = {1};\n", (w+1)<<16))
		run(t, dir, nil, "gcc", "-c", src)
		run(t, dir, nil, "gcc", "-o", fmt.Sprintf("ref%d", w), fmt.Sprintf("w%d.o", w))
		refs = append(refs, readFile(t, filepath.Join(dir, fmt.Sprintf("ref%d", w))))
	}
	run(t, dir, nil, "cp", "ref0", "prog")
	var stop atomic.Bool
	var reads, bad atomic.Int64
	var rwg, wwg sync.WaitGroup
	for r := 0; r < readers; r++ {
		rwg.Add(1)
		go func() {
			defer rwg.Done()
			for !stop.Load() {
				out, err := exec.Command(filepath.Join(dir, "prog")).CombinedOutput()
				reads.Add(1)
				if err != nil || !strings.HasPrefix(string(out), "w") {
					bad.Add(1)
				}
			}
		}()
	}
	for w := 0; w < writers; w++ {
		wwg.Add(1)
		go func(w int) {
			defer wwg.Done()
			for i := 0; i < links; i++ {
				if out, err := runErr(dir, nil, ldwrap("ldwrap-cc"), "-o", "prog", fmt.Sprintf("w%d.o", w)); err != nil {
					t.Errorf("writer %d: %v %s", w, err, out)
				}
			}
		}(w)
	}
	wwg.Wait()
	stop.Store(true)
	rwg.Wait()
	t.Logf("%d writers x %d links, %d readers: %d execs, %d failed", writers, links, readers, reads.Load(), bad.Load())
	assert.Zero(t, bad.Load())
	final := readFile(t, filepath.Join(dir, "prog"))
	whole := false
	for _, r := range refs {
		whole = whole || bytes.Equal(final, r)
	}
	assert.True(t, whole, "the final file is one writer's whole output")
	assert.Empty(t, leftovers(t, dir))
}

var _ = portableToo(TestParallelWritersDifferentOutputs)

// Parallel writers of different outputs in one directory do not interfere.
func TestParallelWritersDifferentOutputs(t *testing.T) {
	need(t, "gcc")
	dir := t.TempDir()
	const n = 8
	for i := 0; i < n; i++ {
		writeFile(t, filepath.Join(dir, fmt.Sprintf("p%d.c", i)), hello(fmt.Sprintf("p%d", i)))
	}
	var wg sync.WaitGroup
	for i := 0; i < n; i++ {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			for k := 0; k < 5; k++ {
				if out, err := runErr(dir, nil, ldwrap("ldwrap-cc"), "-MD", "-o", fmt.Sprintf("p%d", i), fmt.Sprintf("p%d.c", i)); err == nil {
					continue
				} else {
					t.Errorf("%d: %v %s", i, err, out)
				}
			}
		}(i)
	}
	wg.Wait()
	for i := 0; i < n; i++ {
		assert.Equal(t, fmt.Sprintf("p%d\n", i), run(t, dir, nil, "./"+fmt.Sprintf("p%d", i)))
	}
	assert.Empty(t, leftovers(t, dir))
}

var _ = portableToo(TestSweepSparesLiveWriter)

// The stale-temp sweep never removes a live writer's temp: a second run on
// the same target, which sweeps, leaves a slow first run's staging alone.
func TestSweepSparesLiveWriter(t *testing.T) {
	need(t, "gcc")
	dir := t.TempDir()
	bigObject(t, dir, 64)
	writeFile(t, filepath.Join(dir, "slow.c"), strings.Replace(bigMain, "VERSION", "slow", 1))
	writeFile(t, filepath.Join(dir, "fast.c"), hello("fast"))
	run(t, dir, nil, "gcc", "-c", "slow.c", "fast.c")
	for i := 0; i < 3; i++ {
		slow := exec.Command(ldwrap("ldwrap-cc"), "-o", "prog", "slow.o", "big.o")
		slow.Dir = dir
		var slowOut bytes.Buffer
		slow.Stdout, slow.Stderr = &slowOut, &slowOut
		require.NoError(t, slow.Start())
		waitFor(t, "the slow run's staging", 20*time.Second, func() bool { return stagedFile(dir, "prog") > 0 })
		run(t, dir, []string{"LDWRAP_VERBOSE=1"}, ldwrap("ldwrap-cc"), "-o", "prog", "fast.o")
		require.NoError(t, slow.Wait(), "the live run survives the other's sweep: %s", slowOut.String())
		assert.Equal(t, "slow\n", run(t, dir, nil, "./prog"))
	}
	assert.Empty(t, leftovers(t, dir))
	// A dead run's staging (its lock released) is swept by the next run:
	// under the first name, where a run alone on its target leaves it, and
	// with it one a run killed beside a live one left under another name.
	for _, name := range []string{".ldwrap.prog.staging0", ".ldwrap.prog.deadbeef"} {
		dead := filepath.Join(dir, name)
		require.NoError(t, os.Mkdir(dead, 0o700))
		writeFile(t, filepath.Join(dead, "prog"), "partial")
	}
	out := run(t, dir, []string{"LDWRAP_VERBOSE=1"}, ldwrap("ldwrap-cc"), "-o", "prog", "fast.o")
	assert.Equal(t, 2, strings.Count(out, "left by a run that died"), out)
	assert.Empty(t, leftovers(t, dir))
}
