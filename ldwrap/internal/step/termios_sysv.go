//go:build solaris || aix

package step

import "golang.org/x/sys/unix"

const ioctlGetTermios = unix.TCGETS
