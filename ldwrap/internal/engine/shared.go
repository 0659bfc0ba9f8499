package engine

// What the staging layer of ldwrap-run's namespace mode (package layer)
// shares with the engine, so that both keep one durability policy and one
// naming of ldwrap's entries.

// SyncFS makes everything written to fd's filesystem durable with one
// syncfs(2). ok is false where that would not do it (no such call, or
// FUSE): the caller then syncs each file with SyncFile.
func SyncFS(fd int) (ok bool, err error) {
	if err := sys.syncFS(fd); err != errNotSupported {
		return true, err
	}
	return false, nil
}

// SyncFile makes the file open as fd durable, as far as the system can
// promise it (darwin: F_FULLFSYNC).
func SyncFile(fd int) error { return sys.syncFile(fd) }

// SyncDir makes the renames into or out of dir durable.
func SyncDir(dir string) error { return syncDir(dir) }

// StagingKey is the part of an ldwrap entry's name that comes from the
// target's basename: the basename, shortened with a hash past 200 bytes.
func StagingKey(base string) string { return stagingKey(base) }

// XattrNames lists the extended attributes of the file at path, not
// following a symlink, by their full names ("user.x").
func XattrNames(path string) ([]string, error) { return sys.xattrNames(path) }
