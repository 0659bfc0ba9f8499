//go:build linux

// Command crashfs is a FUSE file system for the power-cut tests
// (e2e/powercut_test.go). It passes every operation through to a backing
// directory, so the programs on it see an ordinary file system, and logs
// each operation that changes the tree, in the order they completed:
// data writes; creates, links, renames and unlinks; mode, owner and size
// changes; and each fsync and fdatasync, of files and of directories. The
// log is what the power-cut model (e2e/crashmodel) replays: it decides
// what was durable at each operation and what a cut after it keeps.
//
// The kernel is kept from caching around it: entries and attributes
// expire at once, and there is no writeback cache, so each write(2)
// reaches this process before it returns. syncfs(2) and sync(2) never do:
// Linux sends FUSE_SYNCFS to virtiofs only, so no FUSE server learns of
// them, and the log cannot show them.
//
// Usage: crashfs -backing DIR -mount DIR -log FILE. It prints "ready" once
// mounted; then each line "mark" on its standard input gets the number of
// operations logged so far, after the log is flushed; end of input
// unmounts it. The log starts with the backing directory's tree as it was,
// as operations marked "init".
//
// It is its own Go module so that go-fuse (which needs Go 1.21) is not a
// dependency of ldwrap, nor built by Bazel with Go 1.19.
package main

import (
	"bufio"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/hanwen/go-fuse/v2/fs"
	"github.com/hanwen/go-fuse/v2/fuse"
	"golang.org/x/sys/unix"
)

// Op is one logged operation. The model's copy of this type is
// e2e/crashmodel.Op; the JSON is the interface between them.
type Op struct {
	Op   string `json:"op"` // create, tmpfile, link, unlink, rename, setattr, write, fsync
	Init bool   `json:"init,omitempty"`
	// Ino is the inode the operation is about (create, tmpfile, link,
	// setattr, write, fsync, and the one a rename moves); Dir and Name the
	// entry (create, link, unlink, rename), Dir2 and Name2 where a rename
	// moves it, Ino2 the inode a RENAME_EXCHANGE moves back.
	Ino   uint64 `json:"ino,omitempty"`
	Ino2  uint64 `json:"ino2,omitempty"`
	Dir   uint64 `json:"dir,omitempty"`
	Name  string `json:"name,omitempty"`
	Dir2  uint64 `json:"dir2,omitempty"`
	Name2 string `json:"name2,omitempty"`
	Flags uint32 `json:"flags,omitempty"` // rename's RENAME_NOREPLACE, RENAME_EXCHANGE
	// Type is what a create made: file, dir, symlink or other.
	Type   string  `json:"type,omitempty"`
	Target string  `json:"target,omitempty"`
	Mode   *uint32 `json:"mode,omitempty"`
	Uid    *uint32 `json:"uid,omitempty"`
	Gid    *uint32 `json:"gid,omitempty"`
	Size   *uint64 `json:"size,omitempty"`
	Off    int64   `json:"off,omitempty"`
	Data   []byte  `json:"data,omitempty"`
	// Datasync: an fdatasync, not an fsync.
	Datasync bool `json:"datasync,omitempty"`
}

// crashFS is the file system's state: the backing directory, the inode
// numbers it gives out, and the log.
type crashFS struct {
	backing string
	// mu orders the operations: each changes the backing tree and is
	// logged under it, so the log's order is the order they happened in.
	mu    sync.Mutex
	ids   map[[2]uint64]uint64 // backing (dev, ino) -> our inode number
	next  uint64
	log   *bufio.Writer
	enc   *json.Encoder
	count int
	err   error
}

func (c *crashFS) record(op Op) {
	if c.err == nil {
		c.err = c.enc.Encode(&op)
	}
	c.count++
}

// idFor is the inode number of a backing file. A backing inode number
// the backing file system gives out again is a new file here: fresh
// makes a new number for it.
func (c *crashFS) idFor(st *syscall.Stat_t, fresh bool) uint64 {
	key := [2]uint64{uint64(st.Dev), st.Ino}
	if id, ok := c.ids[key]; ok && !fresh {
		return id
	}
	c.next++
	c.ids[key] = c.next
	return c.next
}

func u32(v uint32) *uint32 { return &v }
func u64(v uint64) *uint64 { return &v }

func typeOf(mode uint32) string {
	switch mode & syscall.S_IFMT {
	case syscall.S_IFREG:
		return "file"
	case syscall.S_IFDIR:
		return "dir"
	case syscall.S_IFLNK:
		return "symlink"
	}
	return "other"
}

// node is one inode of the mount.
type node struct {
	fs.Inode
	c  *crashFS
	id uint64
	// tmpfd holds an O_TMPFILE file open: it has no path in the backing
	// directory until it is linked.
	tmpfd int
}

var (
	_ fs.NodeLookuper    = (*node)(nil)
	_ fs.NodeGetattrer   = (*node)(nil)
	_ fs.NodeSetattrer   = (*node)(nil)
	_ fs.NodeOpener      = (*node)(nil)
	_ fs.NodeCreater     = (*node)(nil)
	_ fs.NodeTmpfiler    = (*node)(nil)
	_ fs.NodeMkdirer     = (*node)(nil)
	_ fs.NodeMknoder     = (*node)(nil)
	_ fs.NodeSymlinker   = (*node)(nil)
	_ fs.NodeLinker      = (*node)(nil)
	_ fs.NodeRenamer     = (*node)(nil)
	_ fs.NodeUnlinker    = (*node)(nil)
	_ fs.NodeRmdirer     = (*node)(nil)
	_ fs.NodeReaddirer   = (*node)(nil)
	_ fs.NodeReadlinker  = (*node)(nil)
	_ fs.NodeFsyncer     = (*node)(nil)
	_ fs.NodeStatfser    = (*node)(nil)
	_ fs.NodeOnForgetter = (*node)(nil)
)

// path is the node's backing path: through its first parent, or its open
// descriptor while it has none.
func (n *node) path() string {
	if n.IsRoot() {
		return n.c.backing
	}
	name, parent := n.Parent()
	if parent == nil {
		if n.tmpfd >= 0 {
			return "/proc/self/fd/" + strconv.Itoa(n.tmpfd)
		}
		return "/nonexistent-unlinked-node"
	}
	return filepath.Join(parent.Operations().(*node).path(), name)
}

func (n *node) child(name string) string { return filepath.Join(n.path(), name) }

func (n *node) newChild(ctx context.Context, st *syscall.Stat_t, id uint64) *fs.Inode {
	return n.NewInode(ctx, &node{c: n.c, id: id, tmpfd: -1}, fs.StableAttr{Mode: st.Mode & syscall.S_IFMT, Ino: id})
}

func fill(out *fuse.Attr, st *syscall.Stat_t, id uint64) {
	out.FromStat(st)
	out.Ino = id
}

func (n *node) Lookup(ctx context.Context, name string, out *fuse.EntryOut) (*fs.Inode, syscall.Errno) {
	n.c.mu.Lock()
	defer n.c.mu.Unlock()
	var st syscall.Stat_t
	if err := syscall.Lstat(n.child(name), &st); err != nil {
		return nil, fs.ToErrno(err)
	}
	id := n.c.idFor(&st, false)
	fill(&out.Attr, &st, id)
	return n.newChild(ctx, &st, id), 0
}

func (n *node) stat(f fs.FileHandle, st *syscall.Stat_t) error {
	if h, ok := f.(*handle); ok {
		return syscall.Fstat(h.fd, st)
	}
	if n.tmpfd >= 0 {
		if _, parent := n.Parent(); parent == nil {
			return syscall.Fstat(n.tmpfd, st)
		}
	}
	return syscall.Lstat(n.path(), st)
}

func (n *node) Getattr(ctx context.Context, f fs.FileHandle, out *fuse.AttrOut) syscall.Errno {
	n.c.mu.Lock()
	defer n.c.mu.Unlock()
	var st syscall.Stat_t
	if err := n.stat(f, &st); err != nil {
		return fs.ToErrno(err)
	}
	fill(&out.Attr, &st, n.id)
	return 0
}

func (n *node) Setattr(ctx context.Context, f fs.FileHandle, in *fuse.SetAttrIn, out *fuse.AttrOut) syscall.Errno {
	n.c.mu.Lock()
	defer n.c.mu.Unlock()
	fd := -1
	if h, ok := f.(*handle); ok {
		fd = h.fd
	} else if _, parent := n.Parent(); parent == nil && n.tmpfd >= 0 {
		fd = n.tmpfd
	}
	p := n.path()
	op := Op{Op: "setattr", Ino: n.id}
	if m, ok := in.GetMode(); ok {
		var err error
		if fd >= 0 {
			err = syscall.Fchmod(fd, m&07777)
		} else {
			err = syscall.Chmod(p, m&07777)
		}
		if err != nil {
			return fs.ToErrno(err)
		}
		op.Mode = u32(m & 07777)
	}
	uid, uok := in.GetUID()
	gid, gok := in.GetGID()
	if uok || gok {
		u, g := -1, -1
		if uok {
			u = int(uid)
			op.Uid = u32(uid)
		}
		if gok {
			g = int(gid)
			op.Gid = u32(gid)
		}
		var err error
		if fd >= 0 {
			err = syscall.Fchown(fd, u, g)
		} else {
			err = syscall.Lchown(p, u, g)
		}
		if err != nil {
			return fs.ToErrno(err)
		}
	}
	if sz, ok := in.GetSize(); ok {
		var err error
		if fd >= 0 {
			err = syscall.Ftruncate(fd, int64(sz))
		} else {
			err = syscall.Truncate(p, int64(sz))
		}
		if err != nil {
			return fs.ToErrno(err)
		}
		op.Size = u64(sz)
	}
	mtime, mok := in.GetMTime()
	atime, aok := in.GetATime()
	if mok || aok {
		ts := []unix.Timespec{{Nsec: unix.UTIME_OMIT}, {Nsec: unix.UTIME_OMIT}}
		if aok {
			ts[0] = unix.NsecToTimespec(atime.UnixNano())
		}
		if mok {
			ts[1] = unix.NsecToTimespec(mtime.UnixNano())
		}
		var err error
		if fd >= 0 {
			err = unix.UtimesNanoAt(unix.AT_FDCWD, "/proc/self/fd/"+strconv.Itoa(fd), ts, 0)
		} else {
			err = unix.UtimesNanoAt(unix.AT_FDCWD, p, ts, unix.AT_SYMLINK_NOFOLLOW)
		}
		if err != nil {
			return fs.ToErrno(err)
		}
	}
	if op.Mode != nil || op.Uid != nil || op.Gid != nil || op.Size != nil {
		n.c.record(op)
	}
	var st syscall.Stat_t
	if err := n.stat(f, &st); err != nil {
		return fs.ToErrno(err)
	}
	fill(&out.Attr, &st, n.id)
	return 0
}

func (n *node) Open(ctx context.Context, flags uint32) (fs.FileHandle, uint32, syscall.Errno) {
	n.c.mu.Lock()
	defer n.c.mu.Unlock()
	flags &^= syscall.O_APPEND | syscall.O_CREAT | syscall.O_EXCL | fuse.FMODE_EXEC
	p := n.path()
	if !strings.HasPrefix(p, "/proc/") { // a magic link to an O_TMPFILE file must be followed
		flags |= syscall.O_NOFOLLOW
	}
	fd, err := syscall.Open(p, int(flags)|syscall.O_CLOEXEC, 0)
	if err != nil {
		return nil, 0, fs.ToErrno(err)
	}
	if flags&syscall.O_TRUNC != 0 {
		n.c.record(Op{Op: "setattr", Ino: n.id, Size: u64(0)})
	}
	return &handle{n: n, fd: fd}, 0, 0
}

// created logs a new inode made at dir/name (name "" for O_TMPFILE).
func (n *node) created(st *syscall.Stat_t, name, target string) uint64 {
	id := n.c.idFor(st, true)
	op := Op{Op: "create", Ino: id, Dir: n.id, Name: name, Type: typeOf(st.Mode), Target: target,
		Mode: u32(st.Mode & 07777), Uid: u32(st.Uid), Gid: u32(st.Gid)}
	if name == "" {
		op.Op, op.Dir = "tmpfile", 0
	}
	n.c.record(op)
	return id
}

func (n *node) Create(ctx context.Context, name string, flags uint32, mode uint32, out *fuse.EntryOut) (*fs.Inode, fs.FileHandle, uint32, syscall.Errno) {
	n.c.mu.Lock()
	defer n.c.mu.Unlock()
	flags &^= syscall.O_APPEND | fuse.FMODE_EXEC
	fd, err := syscall.Open(n.child(name), int(flags)|syscall.O_CREAT|syscall.O_EXCL|syscall.O_CLOEXEC, mode)
	if err != nil {
		return nil, nil, 0, fs.ToErrno(err)
	}
	var st syscall.Stat_t
	if err := syscall.Fstat(fd, &st); err != nil {
		syscall.Close(fd)
		return nil, nil, 0, fs.ToErrno(err)
	}
	id := n.created(&st, name, "")
	fill(&out.Attr, &st, id)
	ch := n.newChild(ctx, &st, id)
	return ch, &handle{n: ch.Operations().(*node), fd: fd}, 0, 0
}

func (n *node) Tmpfile(ctx context.Context, flags uint32, mode uint32, out *fuse.EntryOut) (*fs.Inode, fs.FileHandle, uint32, syscall.Errno) {
	n.c.mu.Lock()
	defer n.c.mu.Unlock()
	flags &^= syscall.O_APPEND | syscall.O_CREAT | fuse.FMODE_EXEC
	fd, err := syscall.Open(n.path(), int(flags)|unix.O_TMPFILE|syscall.O_CLOEXEC, mode)
	if err != nil {
		return nil, nil, 0, fs.ToErrno(err)
	}
	var st syscall.Stat_t
	if err := syscall.Fstat(fd, &st); err != nil {
		syscall.Close(fd)
		return nil, nil, 0, fs.ToErrno(err)
	}
	keep, err := unix.FcntlInt(uintptr(fd), unix.F_DUPFD_CLOEXEC, 0)
	if err != nil {
		syscall.Close(fd)
		return nil, nil, 0, fs.ToErrno(err)
	}
	id := n.created(&st, "", "")
	fill(&out.Attr, &st, id)
	// The kernel's d_tmpfile drops the link count it is given: a new
	// file has one.
	out.Attr.Nlink = 1
	child := &node{c: n.c, id: id, tmpfd: keep}
	ch := n.NewInode(ctx, child, fs.StableAttr{Mode: syscall.S_IFREG, Ino: id})
	return ch, &handle{n: ch.Operations().(*node), fd: fd}, 0, 0
}

func (n *node) OnForget() {
	n.c.mu.Lock()
	defer n.c.mu.Unlock()
	if n.tmpfd >= 0 {
		syscall.Close(n.tmpfd)
		n.tmpfd = -1
	}
}

func (n *node) made(ctx context.Context, name, target string, out *fuse.EntryOut) (*fs.Inode, syscall.Errno) {
	var st syscall.Stat_t
	if err := syscall.Lstat(n.child(name), &st); err != nil {
		return nil, fs.ToErrno(err)
	}
	id := n.created(&st, name, target)
	fill(&out.Attr, &st, id)
	return n.newChild(ctx, &st, id), 0
}

func (n *node) Mkdir(ctx context.Context, name string, mode uint32, out *fuse.EntryOut) (*fs.Inode, syscall.Errno) {
	n.c.mu.Lock()
	defer n.c.mu.Unlock()
	if err := syscall.Mkdir(n.child(name), mode); err != nil {
		return nil, fs.ToErrno(err)
	}
	return n.made(ctx, name, "", out)
}

func (n *node) Mknod(ctx context.Context, name string, mode uint32, dev uint32, out *fuse.EntryOut) (*fs.Inode, syscall.Errno) {
	n.c.mu.Lock()
	defer n.c.mu.Unlock()
	if err := syscall.Mknod(n.child(name), mode, int(dev)); err != nil {
		return nil, fs.ToErrno(err)
	}
	return n.made(ctx, name, "", out)
}

func (n *node) Symlink(ctx context.Context, target, name string, out *fuse.EntryOut) (*fs.Inode, syscall.Errno) {
	n.c.mu.Lock()
	defer n.c.mu.Unlock()
	if err := syscall.Symlink(target, n.child(name)); err != nil {
		return nil, fs.ToErrno(err)
	}
	return n.made(ctx, name, target, out)
}

func (n *node) Link(ctx context.Context, target fs.InodeEmbedder, name string, out *fuse.EntryOut) (*fs.Inode, syscall.Errno) {
	n.c.mu.Lock()
	defer n.c.mu.Unlock()
	t, ok := target.(*node)
	if !ok {
		return nil, syscall.EXDEV
	}
	var err error
	if _, parent := t.Parent(); parent == nil && t.tmpfd >= 0 {
		err = unix.Linkat(unix.AT_FDCWD, t.path(), unix.AT_FDCWD, n.child(name), unix.AT_SYMLINK_FOLLOW)
	} else {
		err = syscall.Link(t.path(), n.child(name))
	}
	if err != nil {
		return nil, fs.ToErrno(err)
	}
	var st syscall.Stat_t
	if err := syscall.Lstat(n.child(name), &st); err != nil {
		return nil, fs.ToErrno(err)
	}
	n.c.record(Op{Op: "link", Ino: t.id, Dir: n.id, Name: name})
	fill(&out.Attr, &st, t.id)
	return t.EmbeddedInode(), 0
}

func (n *node) Rename(ctx context.Context, name string, newParent fs.InodeEmbedder, newName string, flags uint32) syscall.Errno {
	n.c.mu.Lock()
	defer n.c.mu.Unlock()
	np := newParent.(*node)
	op := Op{Op: "rename", Dir: n.id, Name: name, Dir2: np.id, Name2: newName, Flags: flags}
	var st syscall.Stat_t
	if err := syscall.Lstat(n.child(name), &st); err != nil {
		return fs.ToErrno(err)
	}
	op.Ino = n.c.idFor(&st, false)
	if flags&unix.RENAME_EXCHANGE != 0 {
		if err := syscall.Lstat(np.child(newName), &st); err != nil {
			return fs.ToErrno(err)
		}
		op.Ino2 = n.c.idFor(&st, false)
	}
	if err := unix.Renameat2(unix.AT_FDCWD, n.child(name), unix.AT_FDCWD, np.child(newName), uint(flags)); err != nil {
		return fs.ToErrno(err)
	}
	n.c.record(op)
	return 0
}

func (n *node) Unlink(ctx context.Context, name string) syscall.Errno {
	n.c.mu.Lock()
	defer n.c.mu.Unlock()
	if err := syscall.Unlink(n.child(name)); err != nil {
		return fs.ToErrno(err)
	}
	n.c.record(Op{Op: "unlink", Dir: n.id, Name: name})
	return 0
}

func (n *node) Rmdir(ctx context.Context, name string) syscall.Errno {
	n.c.mu.Lock()
	defer n.c.mu.Unlock()
	if err := syscall.Rmdir(n.child(name)); err != nil {
		return fs.ToErrno(err)
	}
	n.c.record(Op{Op: "unlink", Dir: n.id, Name: name})
	return 0
}

func (n *node) Readdir(ctx context.Context) (fs.DirStream, syscall.Errno) {
	n.c.mu.Lock()
	defer n.c.mu.Unlock()
	f, err := os.Open(n.path())
	if err != nil {
		return nil, fs.ToErrno(err)
	}
	names, err := f.Readdirnames(-1)
	f.Close()
	if err != nil {
		return nil, fs.ToErrno(err)
	}
	sort.Strings(names)
	var entries []fuse.DirEntry
	for _, name := range names {
		var st syscall.Stat_t
		if syscall.Lstat(n.child(name), &st) != nil {
			continue
		}
		entries = append(entries, fuse.DirEntry{Name: name, Mode: st.Mode & syscall.S_IFMT, Ino: n.c.idFor(&st, false)})
	}
	return fs.NewListDirStream(entries), 0
}

func (n *node) Readlink(ctx context.Context) ([]byte, syscall.Errno) {
	n.c.mu.Lock()
	defer n.c.mu.Unlock()
	target, err := os.Readlink(n.path())
	if err != nil {
		return nil, fs.ToErrno(err)
	}
	return []byte(target), 0
}

// Fsync of a file or of a directory (FUSE_FSYNCDIR comes here too).
func (n *node) Fsync(ctx context.Context, f fs.FileHandle, flags uint32) syscall.Errno {
	n.c.mu.Lock()
	defer n.c.mu.Unlock()
	n.c.record(Op{Op: "fsync", Ino: n.id, Datasync: flags&1 != 0})
	return 0
}

func (n *node) Statfs(ctx context.Context, out *fuse.StatfsOut) syscall.Errno {
	var st syscall.Statfs_t
	if err := syscall.Statfs(n.c.backing, &st); err != nil {
		return fs.ToErrno(err)
	}
	out.FromStatfsT(&st)
	return 0
}

// handle is an open file.
type handle struct {
	n  *node
	fd int
}

var (
	_ fs.FileReader    = (*handle)(nil)
	_ fs.FileWriter    = (*handle)(nil)
	_ fs.FileReleaser  = (*handle)(nil)
	_ fs.FileGetattrer = (*handle)(nil)
	_ fs.FileFlusher   = (*handle)(nil)
)

func (h *handle) Read(ctx context.Context, dest []byte, off int64) (fuse.ReadResult, syscall.Errno) {
	n, err := syscall.Pread(h.fd, dest, off)
	if err != nil {
		return nil, fs.ToErrno(err)
	}
	return fuse.ReadResultData(dest[:n]), 0
}

func (h *handle) Write(ctx context.Context, data []byte, off int64) (uint32, syscall.Errno) {
	h.n.c.mu.Lock()
	defer h.n.c.mu.Unlock()
	n, err := syscall.Pwrite(h.fd, data, off)
	if err != nil {
		return 0, fs.ToErrno(err)
	}
	h.n.c.record(Op{Op: "write", Ino: h.n.id, Off: off, Data: append([]byte(nil), data[:n]...)})
	return uint32(n), 0
}

func (h *handle) Flush(ctx context.Context) syscall.Errno { return 0 }

func (h *handle) Release(ctx context.Context) syscall.Errno {
	syscall.Close(h.fd)
	return 0
}

func (h *handle) Getattr(ctx context.Context, out *fuse.AttrOut) syscall.Errno {
	var st syscall.Stat_t
	if err := syscall.Fstat(h.fd, &st); err != nil {
		return fs.ToErrno(err)
	}
	fill(&out.Attr, &st, h.n.id)
	return 0
}

// logTree logs the backing tree as it is, before the mount, as durable
// "init" operations.
func (c *crashFS) logTree(dir string, dirID uint64) error {
	f, err := os.Open(dir)
	if err != nil {
		return err
	}
	names, err := f.Readdirnames(-1)
	f.Close()
	if err != nil {
		return err
	}
	sort.Strings(names)
	for _, name := range names {
		p := filepath.Join(dir, name)
		var st syscall.Stat_t
		if err := syscall.Lstat(p, &st); err != nil {
			return err
		}
		key := [2]uint64{uint64(st.Dev), st.Ino}
		if id, ok := c.ids[key]; ok {
			c.record(Op{Op: "link", Init: true, Ino: id, Dir: dirID, Name: name})
			continue
		}
		id := c.idFor(&st, true)
		op := Op{Op: "create", Init: true, Ino: id, Dir: dirID, Name: name, Type: typeOf(st.Mode),
			Mode: u32(st.Mode & 07777), Uid: u32(st.Uid), Gid: u32(st.Gid)}
		switch op.Type {
		case "symlink":
			op.Target, _ = os.Readlink(p)
		case "file":
			if op.Data, err = os.ReadFile(p); err != nil {
				return err
			}
		}
		c.record(op)
		if op.Type == "dir" {
			if err := c.logTree(p, id); err != nil {
				return err
			}
		}
	}
	return nil
}

func main() {
	backing := flag.String("backing", "", "the directory the mount passes through to")
	mnt := flag.String("mount", "", "where to mount")
	logPath := flag.String("log", "", "where to write the log of operations")
	debug := flag.Bool("debug", false, "print FUSE requests")
	flag.Parse()
	if *backing == "" || *mnt == "" || *logPath == "" {
		fmt.Fprintln(os.Stderr, "usage: crashfs -backing DIR -mount DIR -log FILE")
		os.Exit(2)
	}
	if err := serve(*backing, *mnt, *logPath, *debug); err != nil {
		fmt.Fprintln(os.Stderr, "crashfs:", err)
		os.Exit(1)
	}
}

func serve(backing, mnt, logPath string, debug bool) error {
	// Modes arrive with the caller's umask applied already.
	syscall.Umask(0)
	lf, err := os.Create(logPath)
	if err != nil {
		return err
	}
	defer lf.Close()
	c := &crashFS{backing: backing, ids: map[[2]uint64]uint64{}, next: 1}
	c.log = bufio.NewWriterSize(lf, 1<<20)
	c.enc = json.NewEncoder(c.log)
	var st syscall.Stat_t
	if err := syscall.Stat(backing, &st); err != nil {
		return err
	}
	c.ids[[2]uint64{uint64(st.Dev), st.Ino}] = 1
	if err := c.logTree(backing, 1); err != nil {
		return err
	}
	zero := time.Duration(0)
	opts := &fs.Options{
		EntryTimeout: &zero, AttrTimeout: &zero, NegativeTimeout: &zero,
		RootStableAttr: &fs.StableAttr{Ino: 1},
		MountOptions: fuse.MountOptions{
			FsName: "crashfs", Name: "crashfs", AllowOther: true,
			DirectMountStrict: true, // as root: no fusermount needed
			DisableXAttrs:     true,
			Debug:             debug,
		},
	}
	root := &node{c: c, id: 1, tmpfd: -1}
	server, err := fs.Mount(mnt, root, opts)
	if err != nil {
		return err
	}
	fmt.Println("ready")
	in := bufio.NewScanner(os.Stdin)
	for in.Scan() {
		if in.Text() != "mark" {
			continue
		}
		c.mu.Lock()
		if c.err == nil {
			c.err = c.log.Flush()
		}
		count, err := c.count, c.err
		c.mu.Unlock()
		if err != nil {
			fmt.Println("error", err)
			continue
		}
		fmt.Println(count)
	}
	if err := server.Unmount(); err != nil {
		return err
	}
	server.Wait()
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.err == nil {
		c.err = c.log.Flush()
	}
	return c.err
}
