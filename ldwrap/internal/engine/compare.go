package engine

import (
	"golang.org/x/sys/unix"

	"github.com/ldwrap/ldwrap/ldwrap/internal/copyfile"
	"github.com/ldwrap/ldwrap/ldwrap/internal/rawio"
)

// sameFile says whether the new file f has exactly the bytes, mode and
// owner of the file at path.
func sameFile(f fileRef, path string) (bool, error) {
	fd, closeIt, err := f.open()
	if err != nil {
		return false, err
	}
	if closeIt {
		defer unix.Close(fd)
	}
	var a, b unix.Stat_t
	if err := rawio.Fstat(fd, &a); err != nil {
		return false, err
	}
	if err := rawio.Stat(path, &b); err != nil {
		return false, err
	}
	if a.Size != b.Size || a.Mode != b.Mode || a.Uid != b.Uid || a.Gid != b.Gid {
		return false, nil
	}
	return copyfile.SameContent(fd, path)
}
