//go:build unix && (!(linux || freebsd) || ldwrap_portable)

package step

import "syscall"

// procAttr: darwin cannot ask for a signal when the parent dies, so a tool
// whose ldwrap is killed outright runs to its end; its output is never
// committed, and the next run sweeps it.
func procAttr() *syscall.SysProcAttr { return nil }
