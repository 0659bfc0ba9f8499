//go:build unix && (!linux || ldwrap_portable)

package copyfile

import "golang.org/x/sys/unix"

// Contents copies everything from in, from its current offset, to out.
// Elsewhere than Linux, with read and write: darwin's clonefile(2) and
// FreeBSD's copy_file_range(2) work on paths or need newer x/sys, and an
// install copies little. st is in's stat, or nil: a file it shows to have
// holes is copied around them where the system can find them (sparse.go).
func Contents(out, in int, st *unix.Stat_t) error {
	if hasHoles(st) {
		if off, err := unix.Seek(in, 0, 1); err == nil && off == 0 {
			if done, err := copySparse(out, in, st.Size, preadPwrite); done || err != nil {
				return err
			}
		}
	}
	return readWrite(out, in)
}
