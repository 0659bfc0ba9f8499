package engine

import (
	"golang.org/x/sys/unix"

	"github.com/ldwrap/ldwrap/ldwrap/internal/rawio"
)

// sync makes the prepared files durable before any rename: with several
// files, one syncfs(2) per filesystem where the system has it (ext4 then
// commits its journal once, not once per file); else an fsync per file.
func (t *Txn) sync(todo []*pending) error {
	var regular []*pending
	for _, p := range todo {
		if p.regular {
			regular = append(regular, p)
		}
	}
	if len(regular) > 1 {
		synced := map[string]bool{}
		err := error(nil)
		for _, p := range regular {
			dir, fd := p.o.dirFD()
			if !synced[dir] {
				synced[dir] = true
				if err = sys.syncFS(fd); err == errNotSupported {
					break
				}
				if err != nil {
					return &Error{"sync", dir, err}
				}
			}
		}
		if err == nil {
			return nil
		}
	}
	for _, p := range regular {
		if err := p.o.syncFile(); err != nil {
			return &Error{"sync", p.o.Target, err}
		}
	}
	return nil
}

// syncDirs makes the renames durable.
func (t *Txn) syncDirs() error {
	for _, dir := range t.dirs() {
		if err := syncDir(dir); err != nil {
			return &Error{"sync", dir, err}
		}
	}
	return nil
}

// dirFD is o's target directory and a descriptor on its filesystem.
func (o *Output) dirFD() (string, int) {
	if u := o.unnamed; u != nil {
		return u.dir, u.fd
	}
	return o.stage.dir, o.stage.lock
}

// syncFile makes o's new file durable.
func (o *Output) syncFile() error {
	fd, closeIt, err := o.file().open()
	if err != nil {
		return err
	}
	if closeIt {
		defer unix.Close(fd)
	}
	return sys.syncFile(fd)
}

// syncDir makes a rename in dir durable. Some filesystems refuse fsync on a
// directory with EINVAL; there is nothing more to do on them.
func syncDir(dir string) error {
	fd, err := rawio.Open(dir, unix.O_RDONLY|unix.O_CLOEXEC, 0)
	if err != nil {
		return err
	}
	defer unix.Close(fd)
	if err := sys.syncFile(fd); err != unix.EINVAL {
		return err
	}
	return nil
}
