package layer

import (
	"bytes"
	"fmt"
	"path/filepath"
	"strconv"
	"strings"

	"golang.org/x/sys/unix"

	"github.com/ldwrap/ldwrap/ldwrap/internal/rawio"
)

// The journal is the list of a commit's operations, written in the stage
// before the first of them touches the real tree. Each operation names the
// inode it expects, so that replaying it after a crash does only what is
// left: a rename whose new inode is already at the real path is done; a
// removal, a chmod or a touch applies only to the inode it was planned
// for. A journal is complete when it ends with "end N", N its count of
// operations; an incomplete one (the run died while writing it) means no
// operation was applied.
const (
	journalName  = "journal"
	journalMagic = "ldwrap layer journal 1"
)

type journal struct {
	root    string
	prefix  string // the overlay's xattr namespace, never copied to the real tree
	durable bool   // the commit was durable: so is its replay
	ops     []op
}

// op is one operation of a commit, on the path rel below the root.
type op struct {
	kind string // one of the op* constants
	ino  uint64 // the new inode (opRename), or the real one it applies to
	mode uint32 // opMeta: the mode to set
	rel  string
}

const (
	opWiden  = "widen"  // give root/rel's owner write and search permission (a user's commit renames there)
	opRename = "rename" // upper/rel over root/rel (exchanged when one is a directory and the other not)
	opTouch  = "touch"  // keep root/rel, mtime now (LDWRAP_SKIP_IDENTICAL=touch)
	opTrash  = "trash"  // move root/rel into the stage's trash/ (a removal)
	opMeta   = "meta"   // give root/rel upper/rel's mode, owner and xattrs
)

func (j *journal) encode() []byte {
	var b bytes.Buffer
	fmt.Fprintf(&b, "%s\nroot %s\nprefix %s\ndurable %t\n", journalMagic, strconv.Quote(j.root), strconv.Quote(j.prefix), j.durable)
	for _, o := range j.ops {
		fmt.Fprintf(&b, "%s %d %o %s\n", o.kind, o.ino, o.mode, strconv.Quote(o.rel))
	}
	fmt.Fprintf(&b, "end %d\n", len(j.ops))
	return b.Bytes()
}

// parseJournal reads a journal; ok is false for an incomplete one.
func parseJournal(data []byte) (j *journal, ok bool) {
	lines := strings.Split(string(data), "\n")
	if len(lines) < 6 || lines[len(lines)-1] != "" || lines[0] != journalMagic {
		return nil, false
	}
	lines = lines[:len(lines)-1]
	j = &journal{}
	var err error
	if j.root, err = unquoteField(lines[1], "root "); err != nil {
		return nil, false
	}
	if j.prefix, err = unquoteField(lines[2], "prefix "); err != nil {
		return nil, false
	}
	switch lines[3] {
	case "durable true":
		j.durable = true
	case "durable false":
	default:
		return nil, false
	}
	body, last := lines[4:len(lines)-1], lines[len(lines)-1]
	if last != "end "+strconv.Itoa(len(body)) {
		return nil, false
	}
	for _, line := range body {
		f := strings.SplitN(line, " ", 4)
		if len(f) != 4 {
			return nil, false
		}
		switch f[0] {
		case opWiden, opRename, opTouch, opTrash, opMeta:
		default:
			return nil, false
		}
		ino, err := strconv.ParseUint(f[1], 10, 64)
		if err != nil {
			return nil, false
		}
		mode, err := strconv.ParseUint(f[2], 8, 32)
		if err != nil {
			return nil, false
		}
		rel, err := strconv.Unquote(f[3])
		if err != nil || rel != "" && filepath.Clean("/" + rel)[1:] != rel {
			return nil, false
		}
		j.ops = append(j.ops, op{f[0], ino, uint32(mode), rel})
	}
	return j, true
}

func unquoteField(line, prefix string) (string, error) {
	if !strings.HasPrefix(line, prefix) {
		return "", strconv.ErrSyntax
	}
	return strconv.Unquote(line[len(prefix):])
}

// readJournal reads the journal in the stage dir: nil when there is none,
// or it is incomplete.
func readJournal(dir string) (*journal, error) {
	data, err := rawio.ReadFile(filepath.Join(dir, journalName))
	if err == unix.ENOENT {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	j, ok := parseJournal(data)
	if !ok {
		return nil, nil
	}
	return j, nil
}

// writeJournal writes j into the stage dir under a temporary name, then
// renames it: the name "journal" is never a partial file after a kill.
// It is not synced here: with a durable commit, the sync of the new files
// that precedes the first rename covers it too.
func writeJournal(dir string, j *journal) error {
	tmp := filepath.Join(dir, journalName+".tmp")
	fd, err := rawio.Open(tmp, unix.O_WRONLY|unix.O_CREAT|unix.O_TRUNC|unix.O_NOFOLLOW|unix.O_CLOEXEC, 0o600)
	if err != nil {
		return err
	}
	data := j.encode()
	for len(data) > 0 {
		var n int
		err = rawio.IgnoringEINTR(func() (err error) { n, err = unix.Write(fd, data); return err })
		if err != nil {
			break
		}
		data = data[n:]
	}
	if cerr := unix.Close(fd); err == nil {
		err = cerr
	}
	if err != nil {
		return err
	}
	return rawio.Rename(tmp, filepath.Join(dir, journalName))
}
