// Package crashmodel says what a power cut leaves of a file system, from
// the log of operations that e2e/crashfs records.
//
// Durability follows the POSIX minimum, as LazyFS models it: fsync of a
// file makes its data and its inode (mode, owner, size) durable, and
// fdatasync its data and size; fsync of a directory makes its entries
// durable (creates, links, unlinks and renames in it; a rename between two
// directories with either). Making an entry durable brings the inode it
// names along, empty unless its data was made durable too. syncfs(2) and
// sync(2) cannot be seen through FUSE (Linux tells only virtiofs of them),
// so the model has no use for them.
//
// What was durable at a cut survives it. Of the rest, POSIX promises
// nothing either way, and a real file system keeps some: ext4 commits its
// journal every few seconds, with or without the data. A cut after
// operation N is therefore tried four ways (Keep), each a state a file
// system could be left in: none of the rest; every metadata operation
// (names, modes, owners, sizes) but no data, as a journal committed
// without the data blocks; the metadata and the first half of the pending
// data writes; everything. The states are replays of the log onto the
// tree as it was, in memory: one run of a step gives its log, and each cut
// costs a replay.
package crashmodel

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path"
	"sort"
	"strings"
)

// Op is one logged operation (see e2e/crashfs, which writes them).
type Op struct {
	Op       string  `json:"op"`
	Init     bool    `json:"init,omitempty"`
	Ino      uint64  `json:"ino,omitempty"`
	Ino2     uint64  `json:"ino2,omitempty"`
	Dir      uint64  `json:"dir,omitempty"`
	Name     string  `json:"name,omitempty"`
	Dir2     uint64  `json:"dir2,omitempty"`
	Name2    string  `json:"name2,omitempty"`
	Flags    uint32  `json:"flags,omitempty"`
	Type     string  `json:"type,omitempty"`
	Target   string  `json:"target,omitempty"`
	Mode     *uint32 `json:"mode,omitempty"`
	Uid      *uint32 `json:"uid,omitempty"`
	Gid      *uint32 `json:"gid,omitempty"`
	Size     *uint64 `json:"size,omitempty"`
	Off      int64   `json:"off,omitempty"`
	Data     []byte  `json:"data,omitempty"`
	Datasync bool    `json:"datasync,omitempty"`
}

// rename(2) flags.
const (
	renameNoReplace = 1
	renameExchange  = 2
)

// RootIno is the inode number of the mount's root.
const RootIno = 1

func (o Op) String() string {
	switch o.Op {
	case "create", "tmpfile":
		return fmt.Sprintf("%s %s ino %d in %d %q", o.Op, o.Type, o.Ino, o.Dir, o.Name)
	case "link":
		return fmt.Sprintf("link ino %d as %d %q", o.Ino, o.Dir, o.Name)
	case "unlink":
		return fmt.Sprintf("unlink %d %q", o.Dir, o.Name)
	case "rename":
		return fmt.Sprintf("rename %d %q to %d %q (flags %d)", o.Dir, o.Name, o.Dir2, o.Name2, o.Flags)
	case "write":
		return fmt.Sprintf("write ino %d [%d, %d)", o.Ino, o.Off, o.Off+int64(len(o.Data)))
	case "fsync":
		if o.Datasync {
			return fmt.Sprintf("fdatasync ino %d", o.Ino)
		}
		return fmt.Sprintf("fsync ino %d", o.Ino)
	}
	var parts []string
	if o.Mode != nil {
		parts = append(parts, fmt.Sprintf("mode %o", *o.Mode))
	}
	if o.Uid != nil || o.Gid != nil {
		parts = append(parts, "owner")
	}
	if o.Size != nil {
		parts = append(parts, fmt.Sprintf("size %d", *o.Size))
	}
	return fmt.Sprintf("setattr ino %d %s", o.Ino, strings.Join(parts, " "))
}

// ReadLog reads a log that crashfs wrote.
func ReadLog(r io.Reader) ([]Op, error) {
	var ops []Op
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 1<<20), 1<<30)
	for sc.Scan() {
		var o Op
		if err := json.Unmarshal(sc.Bytes(), &o); err != nil {
			return nil, fmt.Errorf("log line %d: %v", len(ops)+1, err)
		}
		ops = append(ops, o)
	}
	return ops, sc.Err()
}

// ReadLogFile reads the log at path.
func ReadLogFile(path string) ([]Op, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return ReadLog(f)
}

// isData: the operation writes file contents. Everything else but fsync
// is metadata, a truncation included (ext4 and xfs journal a new size).
func (o Op) isData() bool { return o.Op == "write" }

// entryDirs are the directories whose entries o changes.
func (o Op) entryDirs() []uint64 {
	switch o.Op {
	case "create", "link", "unlink":
		return []uint64{o.Dir}
	case "rename":
		return []uint64{o.Dir, o.Dir2}
	}
	return nil
}

// Log is a log of operations, with when each became durable.
type Log struct {
	Ops []Op
	// durableAt[i] is the index of the first operation by which ops[i]
	// was durable (-1: from the start); sizeAt[i] the same for a
	// setattr's size alone, which an fdatasync makes durable without the
	// mode and owner. len(Ops): never.
	durableAt, sizeAt []int
}

// NewLog works out when each operation of ops became durable.
func NewLog(ops []Op) *Log {
	never := len(ops)
	l := &Log{Ops: ops, durableAt: make([]int, len(ops)), sizeAt: make([]int, len(ops))}
	isDir := map[uint64]bool{RootIno: true}
	for i, o := range ops {
		l.durableAt[i], l.sizeAt[i] = never, never
		if o.Init {
			l.durableAt[i], l.sizeAt[i] = -1, -1
		}
		if o.Op == "create" && o.Type == "dir" {
			isDir[o.Ino] = true
		}
		if o.Op != "fsync" {
			continue
		}
		l.durableAt[i] = i
		for j := 0; j < i; j++ {
			p := ops[j]
			if l.durableAt[j] < never {
				continue
			}
			covered := false
			if isDir[o.Ino] {
				for _, d := range p.entryDirs() {
					covered = covered || d == o.Ino
				}
			} else if p.Ino == o.Ino {
				switch p.Op {
				case "write":
					covered = true
				case "setattr", "tmpfile":
					covered = !o.Datasync
					if p.Op == "setattr" && p.Size != nil && o.Datasync && l.sizeAt[j] == never {
						l.sizeAt[j] = i
					}
				}
			}
			if covered {
				l.durableAt[j] = i
				if l.sizeAt[j] == never {
					l.sizeAt[j] = i
				}
			}
		}
	}
	return l
}

// Durable reports whether ops[i] was durable at a cut after the first n
// operations.
func (l *Log) Durable(i, n int) bool { return l.durableAt[i] < n }

// Keep is which operations that were not durable reach the disk anyway.
type Keep int

const (
	KeepNone     Keep = iota // only what was durable
	KeepMetadata             // and every metadata operation, no data
	KeepHalfData             // and the first half of the pending data writes
	KeepAll                  // everything: the cut came after a full writeback
)

// Keeps are the four ways a cut is tried, in order.
var Keeps = []Keep{KeepNone, KeepMetadata, KeepHalfData, KeepAll}

func (k Keep) String() string {
	return [...]string{"durable only", "metadata, no data", "metadata, half the data", "everything"}[k]
}

// Cut is the tree a power cut after the first n operations leaves, when
// what reaches the disk beyond the durable is keep.
func (l *Log) Cut(n int, keep Keep) *Tree {
	pendingData := 0
	for i := 0; i < n; i++ {
		if !l.Durable(i, n) && l.Ops[i].isData() {
			pendingData++
		}
	}
	t := newTree()
	dataSeen := 0
	for i := 0; i < n; i++ {
		o := l.Ops[i]
		apply := l.Durable(i, n)
		if !apply {
			switch keep {
			case KeepMetadata:
				apply = !o.isData()
			case KeepHalfData:
				if o.isData() {
					dataSeen++
					apply = dataSeen <= pendingData/2
				} else {
					apply = true
				}
			case KeepAll:
				apply = true
			}
		}
		if !apply && l.sizeAt[i] < n {
			o, apply = Op{Op: "setattr", Ino: o.Ino, Size: o.Size}, true
		}
		if apply {
			t.apply(o, l.Ops)
		}
	}
	return t
}

// Inode is a file, directory, symlink or other node of a Tree.
type Inode struct {
	Type     string // file, dir, symlink, other
	Data     []byte
	Mode     uint32
	Uid, Gid uint32
	Target   string            // symlink
	Entries  map[string]uint64 // dir
}

// Tree is a file system as a cut left it.
type Tree struct {
	Inodes map[uint64]*Inode
}

func newTree() *Tree {
	return &Tree{Inodes: map[uint64]*Inode{RootIno: {Type: "dir", Mode: 0o755, Entries: map[string]uint64{}}}}
}

// inode returns ino, brought into existence as its creation op made it
// if the state lacks it: a durable entry or write names an inode whose
// creation was not itself kept.
func (t *Tree) inode(ino uint64, ops []Op) *Inode {
	if in := t.Inodes[ino]; in != nil {
		return in
	}
	in := &Inode{Type: "file"}
	for _, o := range ops {
		if (o.Op == "create" || o.Op == "tmpfile") && o.Ino == ino {
			in = newInode(o)
			break
		}
	}
	t.Inodes[ino] = in
	return in
}

func newInode(o Op) *Inode {
	in := &Inode{Type: o.Type, Target: o.Target, Data: append([]byte(nil), o.Data...)}
	if o.Mode != nil {
		in.Mode = *o.Mode
	}
	if o.Uid != nil {
		in.Uid = *o.Uid
	}
	if o.Gid != nil {
		in.Gid = *o.Gid
	}
	if in.Type == "dir" {
		in.Entries = map[string]uint64{}
	}
	return in
}

func (t *Tree) dir(ino uint64, ops []Op) *Inode {
	d := t.inode(ino, ops)
	if d.Entries == nil {
		d.Type, d.Entries = "dir", map[string]uint64{}
	}
	return d
}

func (t *Tree) apply(o Op, ops []Op) {
	switch o.Op {
	case "create", "tmpfile":
		t.Inodes[o.Ino] = newInode(o)
		if o.Op == "create" {
			t.dir(o.Dir, ops).Entries[o.Name] = o.Ino
		}
	case "link":
		t.inode(o.Ino, ops)
		t.dir(o.Dir, ops).Entries[o.Name] = o.Ino
	case "unlink":
		delete(t.dir(o.Dir, ops).Entries, o.Name)
	case "rename":
		// A rename is atomic: kept, it names the inode it moved at its
		// destination, whether or not the source's own entry was kept (a
		// file created in a staging directory and renamed out of it).
		from, to := t.dir(o.Dir, ops), t.dir(o.Dir2, ops)
		ino, ok := o.Ino, o.Ino != 0
		if !ok {
			if ino, ok = from.Entries[o.Name]; !ok {
				return // a log without inode numbers, and the source not kept
			}
		}
		t.inode(ino, ops)
		if o.Flags&renameExchange != 0 {
			other := o.Ino2
			if other == 0 {
				if other, ok = to.Entries[o.Name2]; !ok {
					return
				}
			}
			t.inode(other, ops)
			from.Entries[o.Name], to.Entries[o.Name2] = other, ino
			return
		}
		if from.Entries[o.Name] == ino {
			delete(from.Entries, o.Name)
		}
		to.Entries[o.Name2] = ino
	case "setattr":
		in := t.inode(o.Ino, ops)
		if o.Mode != nil {
			in.Mode = *o.Mode
		}
		if o.Uid != nil {
			in.Uid = *o.Uid
		}
		if o.Gid != nil {
			in.Gid = *o.Gid
		}
		if o.Size != nil {
			in.Data = resize(in.Data, int(*o.Size))
		}
	case "write":
		in := t.inode(o.Ino, ops)
		end := int(o.Off) + len(o.Data)
		if end > len(in.Data) {
			in.Data = resize(in.Data, end)
		}
		copy(in.Data[o.Off:], o.Data)
	}
}

func resize(b []byte, n int) []byte {
	if n <= len(b) {
		return b[:n:n]
	}
	return append(b, make([]byte, n-len(b))...)
}

// Lookup finds the inode at the slash-separated path p, relative to the
// root, without following symlinks; nil if there is none.
func (t *Tree) Lookup(p string) *Inode {
	ino := uint64(RootIno)
	for _, name := range strings.Split(path.Clean(p), "/") {
		if name == "." || name == "" {
			continue
		}
		d := t.Inodes[ino]
		if d == nil || d.Entries == nil {
			return nil
		}
		next, ok := d.Entries[name]
		if !ok {
			return nil
		}
		ino = next
	}
	return t.Inodes[ino]
}

// Walk calls fn for every path in the tree (relative, slash-separated,
// sorted), parents before their entries.
func (t *Tree) Walk(fn func(p string, in *Inode)) {
	var walk func(dir uint64, prefix string, depth int)
	walk = func(dir uint64, prefix string, depth int) {
		d := t.Inodes[dir]
		if d == nil || d.Entries == nil || depth > 64 {
			return
		}
		names := make([]string, 0, len(d.Entries))
		for name := range d.Entries {
			names = append(names, name)
		}
		sort.Strings(names)
		for _, name := range names {
			p := path.Join(prefix, name)
			in := t.Inodes[d.Entries[name]]
			if in == nil {
				continue
			}
			fn(p, in)
			if in.Type == "dir" {
				walk(d.Entries[name], p, depth+1)
			}
		}
	}
	walk(RootIno, "", 0)
}

// Class is what a cut left at a target.
type Class int

const (
	Old     Class = iota // the old file, whole, with its mode
	New                  // the new file, whole, with its mode
	Empty                // a file of no bytes
	Partial              // anything else: a prefix, holes, a mix, the right bytes with the wrong mode
	Missing              // no file at the path
)

var classNames = [...]string{"old", "new", "empty", "partial", "missing"}

func (c Class) String() string { return classNames[c] }

// Classify says what t holds at p, given the old and new file (nil: none).
func Classify(t *Tree, p string, old, new *Inode) Class {
	in := t.Lookup(p)
	switch {
	case in == nil || in.Type != "file":
		return Missing
	case new != nil && bytes.Equal(in.Data, new.Data) && in.Mode == new.Mode:
		return New
	case old != nil && bytes.Equal(in.Data, old.Data) && in.Mode == old.Mode:
		return Old
	case len(in.Data) == 0:
		return Empty
	}
	return Partial
}

// Counts are how many cuts left each class.
type Counts [5]int

func (c Counts) Total() int {
	n := 0
	for _, v := range c {
		n += v
	}
	return n
}

// String is the suite's line: "cuts N, old A, new B, empty C, partial D,
// missing E".
func (c Counts) String() string {
	return fmt.Sprintf("cuts %d, old %d, new %d, empty %d, partial %d, missing %d", c.Total(), c[Old], c[New], c[Empty], c[Partial], c[Missing])
}
