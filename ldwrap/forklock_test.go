//go:build unix

package ldwrap

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
)

// golang/go#22315: a file written and then exec'd while other goroutines
// fork can fail with ETXTBSY, because a child forked meanwhile inherited
// the writable descriptor. WriteFile holds syscall.ForkLock around its
// descriptor; the control (os.WriteFile) does not.
//
// How often the control hits it depends on the machine's load (about 2%
// of execs on an idle 2-core VM, none in 1,200 on a cold check's loaded
// one), so the control runs until it does, and WriteFile then runs three
// times as many execs, and at least 480, without one.
func TestNoETXTBSYUnderConcurrentForks(t *testing.T) {
	writeAndExec := func(w func(string, []byte) error, done func(runs, busy int64) bool) (runs, busy int64) {
		dir := t.TempDir()
		var nRuns, nBusy atomic.Int64
		var wg sync.WaitGroup
		for g := 0; g < 8; g++ {
			wg.Add(1)
			go func(g int) {
				defer wg.Done()
				for i := 0; !done(nRuns.Load(), nBusy.Load()); i++ {
					p := filepath.Join(dir, fmt.Sprintf("s%d-%d", g, i))
					if err := w(p, []byte("#!/bin/sh\nexit 0\n")); err != nil {
						t.Error(err)
						return
					}
					err := exec.Command(p).Run()
					nRuns.Add(1)
					if errors.Is(err, syscall.ETXTBSY) {
						nBusy.Add(1)
					} else if err != nil {
						t.Error(err)
					}
					os.Remove(p)
				}
			}(g)
		}
		wg.Wait()
		return nRuns.Load(), nBusy.Load()
	}
	deadline := time.Now().Add(2 * time.Minute)
	runs, busy := writeAndExec(func(p string, b []byte) error { return os.WriteFile(p, b, 0o755) },
		func(runs, busy int64) bool { return busy > 0 || time.Now().After(deadline) })
	t.Logf("control-os.WriteFile: %d execs, %d ETXTBSY", runs, busy)
	if !assert.NotZero(t, busy, "control: os.WriteFile should hit ETXTBSY within 2 minutes") {
		return
	}
	want := 3 * runs
	if want < 480 {
		want = 480
	}
	runs, busy = writeAndExec(func(p string, b []byte) error { return WriteFile(p, b, 0o755, Durable(false)) },
		func(runs, _ int64) bool { return runs >= want })
	t.Logf("ldwrap.WriteFile: %d execs, %d ETXTBSY", runs, busy)
	assert.Zero(t, busy)
}
