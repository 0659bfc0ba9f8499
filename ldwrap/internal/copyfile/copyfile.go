// Package copyfile copies a file's content from one descriptor to another
// as cheaply as the system allows. ldwrap-install and the Go API's Install
// copy a source into the new file with it; ldwrap-run copies an output's
// old content into its staged file with it, so that a command that appends
// to or updates its output sees what it would see without ldwrap.
package copyfile

import (
	"github.com/ldwrap/ldwrap/ldwrap/internal/rawio"
	"golang.org/x/sys/unix"
)

// readWrite copies with read(2) and write(2): the way that always works.
func readWrite(out, in int) error {
	buf := make([]byte, 128<<10)
	for {
		var n int
		if err := rawio.IgnoringEINTR(func() (err error) { n, err = unix.Read(in, buf); return err }); err != nil || n == 0 {
			return err
		}
		for b := buf[:n]; len(b) > 0; {
			var w int
			if err := rawio.IgnoringEINTR(func() (err error) { w, err = unix.Write(out, b); return err }); err != nil {
				return err
			}
			b = b[w:]
		}
	}
}

// SameContent says whether the file open as fd (read from offset 0) has
// exactly the bytes of the file at path.
func SameContent(fd int, path string) (bool, error) {
	other, err := rawio.Open(path, unix.O_RDONLY|unix.O_CLOEXEC, 0)
	if err != nil {
		return false, err
	}
	defer unix.Close(other)
	a := make([]byte, 64<<10)
	b := make([]byte, 64<<10)
	for off := int64(0); ; {
		na, err := preadFull(fd, a, off)
		if err != nil {
			return false, err
		}
		nb, err := preadFull(other, b, off)
		if err != nil {
			return false, err
		}
		if na != nb || string(a[:na]) != string(b[:nb]) {
			return false, nil
		}
		if na < len(a) {
			return true, nil
		}
		off += int64(na)
	}
}

// preadFull reads from off until buf is full or the file ends.
func preadFull(fd int, buf []byte, off int64) (int, error) {
	n := 0
	for n < len(buf) {
		var m int
		err := rawio.IgnoringEINTR(func() (err error) { m, err = unix.Pread(fd, buf[n:], off+int64(n)); return err })
		if err != nil {
			return n, err
		}
		if m == 0 {
			break
		}
		n += m
	}
	return n, nil
}
