//go:build linux && !ldwrap_portable

package step

import (
	"os"
	"syscall"

	"golang.org/x/sys/unix"

	"github.com/ldwrap/ldwrap/ldwrap/internal/rawio"
)

// waitTool reaps the tool. It parks on a pidfd in Go's netpoller instead
// of blocking in wait4: while a goroutine sits in a blocking system call,
// the runtime's sysmon thread wakes every 20 µs or so for up to 10 ms to
// see whether to take its P back, and in a parallel build that steals CPU
// from the other jobs (make -j2: 3% of the build's time, measured). Parked
// in the netpoller, every P is idle and sysmon sleeps. Where pidfd_open is
// missing (Linux < 5.3) or refused (a seccomp filter), plain wait4 it is.
func waitTool(pid int) (syscall.WaitStatus, error) {
	var ws syscall.WaitStatus
	reaped := func() (bool, error) {
		got := 0
		err := rawio.IgnoringEINTR(func() (err error) { got, err = syscall.Wait4(pid, &ws, syscall.WNOHANG, nil); return err })
		return got == pid, err
	}
	// PIDFD_NONBLOCK would need Linux 5.10; SetNonblock works from 5.3.
	if fd, err := unix.PidfdOpen(pid, 0); err == nil {
		// Non-blocking, so os.NewFile registers it with the netpoller.
		unix.SetNonblock(fd, true)
		f := os.NewFile(uintptr(fd), "pidfd")
		defer f.Close()
		if rc, err := f.SyscallConn(); err == nil {
			var werr error
			var done bool
			rerr := rc.Read(func(uintptr) bool {
				done, werr = reaped()
				return done || werr != nil
			})
			if werr != nil || done || rerr == nil {
				return ws, werr
			}
			// rerr: not pollable after all; wait4 below.
		}
	}
	return waitBlocking(pid)
}
