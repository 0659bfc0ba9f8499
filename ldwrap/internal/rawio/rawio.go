// Package rawio reads directories, files and links with plain system calls.
// os.Open would set each descriptor non-blocking and try to register it with
// Go's network poller (epoll): two more system calls per file, which is more
// than the read itself on the hot path of a wrapped link, and thousands per
// scan of /proc.
package rawio

import "golang.org/x/sys/unix"

// ReadDirNames lists dir.
func ReadDirNames(dir string) ([]string, error) {
	fd, err := unix.Open(dir, unix.O_RDONLY|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
	if err != nil {
		return nil, err
	}
	defer unix.Close(fd)
	return DirentNames(fd)
}

// DirentNames lists the directory open as fd, from its current offset.
func DirentNames(fd int) ([]string, error) {
	var names []string
	buf := make([]byte, 8192)
	for {
		n, err := unix.Getdents(fd, buf)
		if err == unix.EINTR {
			continue
		}
		if err != nil {
			return names, err
		}
		if n <= 0 {
			return names, nil
		}
		_, _, names = unix.ParseDirent(buf[:n], -1, names)
	}
}

// ReadFile reads path whole (a /proc file reports size 0, so it reads to EOF).
func ReadFile(path string) ([]byte, error) {
	fd, err := unix.Open(path, unix.O_RDONLY|unix.O_CLOEXEC, 0)
	if err != nil {
		return nil, err
	}
	defer unix.Close(fd)
	var out []byte
	buf := make([]byte, 16<<10)
	for {
		n, err := unix.Read(fd, buf)
		if err == unix.EINTR {
			continue
		}
		if err != nil {
			return out, err
		}
		if n <= 0 {
			return out, nil
		}
		out = append(out, buf[:n]...)
	}
}

// Readlink reads the symbolic link at path.
func Readlink(path string) (string, error) {
	var buf [unix.PathMax]byte
	for {
		n, err := unix.Readlink(path, buf[:])
		if err == unix.EINTR {
			continue
		}
		if err != nil {
			return "", err
		}
		return string(buf[:n]), nil
	}
}
