//go:build (linux || freebsd) && !ldwrap_portable

package step

import "syscall"

// procAttr makes the tool get SIGTERM if ldwrap is killed outright
// (PR_SET_PDEATHSIG, procctl(PROC_PDEATHSIG_CTL)): its output is never
// committed then, and it should not run on unseen.
func procAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Pdeathsig: syscall.SIGTERM}
}
