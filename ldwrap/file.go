//go:build unix

package ldwrap

import (
	"os"
	"syscall"

	"github.com/ldwrap/ldwrap/ldwrap/internal/engine"
	"github.com/ldwrap/ldwrap/ldwrap/internal/rawio"
)

// engineOptions are c's engine policies.
func (c *config) engineOptions() engine.Options {
	o := engine.Options{Durable: c.durable, KeepAttrs: c.keepAttrs, Logf: c.verbose}
	switch c.skip {
	case 1:
		o.Skip = engine.KeepUntouched
	case 2:
		o.Skip = engine.KeepAndTouch
	}
	if c.follow {
		o.Symlinks = engine.FollowLink
	}
	return o
}

// PendingFile is a file being written that replaces its destination only
// when CloseAtomicallyReplace succeeds. Close and Cleanup discard it: the
// destination stays as it was, nothing is left beside it, and
// CloseAtomicallyReplace then fails, as renameio's does after a Close.
type PendingFile struct {
	*os.File
	txn  *engine.Txn
	out  *engine.Output
	done bool
}

// Create starts writing path. perm, less the umask, is the new file's mode
// (as with os.WriteFile and renameio's WithPermissions) unless WithMode
// (exact bits, no umask) or KeepAttrs (the old file's, where the old file
// is a regular file) says otherwise. Call Cleanup in a defer; it does
// nothing after a successful CloseAtomicallyReplace.
func Create(path string, perm os.FileMode, opts ...FileOption) (*PendingFile, error) {
	c := newConfig(true, opts)
	txn := engine.New(c.engineOptions())
	out, fd, err := txn.Create(path, rawio.UnixMode(perm))
	if err != nil {
		txn.Abort()
		return nil, err
	}
	out.Mode, out.Uid, out.Gid = c.mode, c.uid, c.gid
	return &PendingFile{File: os.NewFile(uintptr(fd), path), txn: txn, out: out}, nil
}

// CloseAtomicallyReplace closes the file and renames it over the
// destination. This is the promise of every call of this package and of
// the ldwrap commands, stated the way google/renameio states its own:
//
//   - Atomicity: the new file is renamed over the destination with
//     rename(2). A reader that opens the destination sees the old file or
//     the new one, never a partial file, and never a missing path if the
//     destination existed. Processes that have the old file open, mapped
//     or running keep the old inode (no ETXTBSY, no crash of a library's
//     users, no "Killed: 9" on macOS), and the kernel shows it as
//     "<destination> (deleted)", as after install(1).
//   - Nothing lost: until the rename, the destination is not unlinked,
//     truncated or moved. An error, a crash or a kill leaves it
//     byte-identical. Only a regular file or a symlink is ever replaced
//     (ldwrap-install, as install(1), also replaces a fifo or a socket),
//     never a directory. A killed WriteFile, Create or Install leaves
//     nothing behind on Linux, where the file has no name until just
//     before the rename; what else a kill leaves (of Run, of a command, of
//     a write elsewhere) is a staging entry that the next write of the
//     same destination removes. GUARANTEES.md names the tests behind each
//     promise, and the one leftover no write removes.
//   - Durability, by mode. Durable (the default of WriteFile, Create,
//     Install and ldwrap-install; Durable(true) for Run; LDWRAP_DURABLE=1
//     for the commands): the new file is made durable before the rename
//     and its directory after it, so once the call has returned the new
//     file survives a power cut. Ordered (LDWRAP_DURABLE=order, the
//     commands only): the file is made durable before the rename but its
//     directory is not, so a power cut leaves the old file or the new one,
//     never an empty one, but may revert a step that returned. Fast
//     (Durable(false); the default of Run and of the other commands): the
//     rename is atomic for running processes, but a power cut may revert
//     it or, where the file system does not write a file's data before a
//     rename over another, leave the destination empty or partial.
//   - Several files (InstallFiles, Run's outputs, a compile's object and
//     depfile): each rename is atomic on its own; the set is not. Side
//     files are renamed before the primary outputs, so a crash between
//     them leaves the primary output old, and so out of date for make.
func (p *PendingFile) CloseAtomicallyReplace() error {
	if p.done {
		return &engine.Error{Op: "replace", Path: p.out.Target, Err: os.ErrClosed}
	}
	return p.commit(p.File.Close())
}

// commit ends the pending write: the file is closed, and unless err (of
// writing or closing it) says otherwise, renamed over the destination.
func (p *PendingFile) commit(err error) error {
	p.done = true
	if err != nil {
		p.txn.Abort()
		return &engine.Error{Op: "write", Path: p.out.Target, Err: err}
	}
	return p.txn.Commit()
}

// Cleanup closes and removes the pending file, leaving the destination as
// it was. It is a no-op after CloseAtomicallyReplace or Close. Its error
// is the first of closing the file and removing what was staged.
func (p *PendingFile) Cleanup() error {
	if p.done {
		return nil
	}
	p.done = true
	err := p.File.Close()
	if aerr := p.txn.Abort(); err == nil {
		err = aerr
	}
	return err
}

// Close discards the pending file, as Cleanup does: only
// CloseAtomicallyReplace replaces the destination.
func (p *PendingFile) Close() error { return p.Cleanup() }

// WriteFile replaces path with data, atomically and (by default) durably.
// It holds syscall.ForkLock (read side) while its descriptor is open, as
// the standard library's own writers do, so that a program that forks
// concurrently never gets ETXTBSY executing the new file
// (golang/go#22315). Create cannot: do not execute the file of a
// PendingFile while another goroutine may fork.
func WriteFile(path string, data []byte, perm os.FileMode, opts ...FileOption) error {
	syscall.ForkLock.RLock()
	p, err := Create(path, perm, opts...)
	if err != nil {
		syscall.ForkLock.RUnlock()
		return err
	}
	_, err = p.Write(data)
	if cerr := p.File.Close(); err == nil {
		err = cerr
	}
	syscall.ForkLock.RUnlock()
	return p.commit(err)
}
