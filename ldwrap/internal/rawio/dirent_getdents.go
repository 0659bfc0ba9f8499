//go:build linux && !ldwrap_portable

package rawio

import "golang.org/x/sys/unix"

// DirentNames lists the directory open as fd, from its current offset,
// with getdents(2) into one buffer.
func DirentNames(fd int) ([]string, error) {
	var names []string
	buf := make([]byte, 8192)
	for {
		var n int
		err := IgnoringEINTR(func() (err error) { n, err = unix.Getdents(fd, buf); return err })
		if err != nil {
			return names, err
		}
		if n <= 0 {
			return names, nil
		}
		_, _, names = unix.ParseDirent(buf[:n], -1, names)
	}
}
