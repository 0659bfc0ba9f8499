//go:build unix && (!linux || ldwrap_portable)

package copyfile

// Contents copies everything from in, from its current offset, to out.
// Elsewhere than Linux, with read and write: darwin's clonefile(2) and
// FreeBSD's copy_file_range(2) work on paths or need newer x/sys, and an
// install copies little.
func Contents(out, in int) error { return readWrite(out, in) }
