package engine

import "golang.org/x/sys/unix"

// NetBSD refuses a symlink under O_NOFOLLOW with EFTYPE, not ELOOP.
func init() { symlinkRefused = append(symlinkRefused, unix.EFTYPE) }
