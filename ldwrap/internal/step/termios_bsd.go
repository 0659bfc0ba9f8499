//go:build darwin || freebsd || netbsd || openbsd || dragonfly

package step

import "golang.org/x/sys/unix"

const ioctlGetTermios = unix.TIOCGETA
