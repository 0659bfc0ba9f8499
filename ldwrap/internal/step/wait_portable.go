//go:build unix && (!linux || ldwrap_portable)

package step

import "syscall"

// waitTool reaps the tool with wait4: there is no pidfd outside Linux.
func waitTool(pid int) (syscall.WaitStatus, error) { return waitBlocking(pid) }
