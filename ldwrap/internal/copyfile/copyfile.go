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

// preadPwrite copies n bytes at off in in to the same offset in out, with
// pread and pwrite.
func preadPwrite(out, in int, off, n int64) error {
	buf := make([]byte, minInt64(n, 128<<10))
	for n > 0 {
		m, err := preadFull(in, buf[:minInt64(n, int64(len(buf)))], off)
		if err != nil || m == 0 {
			return err // m == 0: the file ended early, it shrank while being copied
		}
		for b, at := buf[:m], off; len(b) > 0; {
			var w int
			if err := rawio.IgnoringEINTR(func() (err error) { w, err = unix.Pwrite(out, b, at); return err }); err != nil {
				return err
			}
			b, at = b[w:], at+int64(w)
		}
		off, n = off+int64(m), n-int64(m)
	}
	return nil
}

// hasHoles says whether the file of stat st has fewer blocks than its
// size takes: where it does not, it has no holes worth finding.
func hasHoles(st *unix.Stat_t) bool {
	return st != nil && st.Mode&unix.S_IFMT == unix.S_IFREG && int64(st.Blocks)*512 < int64(st.Size)
}

func minInt64(a, b int64) int64 {
	if a < b {
		return a
	}
	return b
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
