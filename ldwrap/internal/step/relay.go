package step

import (
	"bytes"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"golang.org/x/sys/unix"

	"github.com/ldwrap/ldwrap/ldwrap/internal/rawio"
)

// A tool is given the staged path in place of its output, and a tool that
// names its output in a message names the staged one: ld's "warning:
// .ldwrap.prog.staging0/prog has a LOAD segment with RWX permissions",
// cat's "cat: ../.ldwrap.out.staging0/out: No such file". So the tool's
// standard error goes through ldwrap, which writes each line back with
// every staged path in it turned into the path the bare tool would have
// named: the target as the user wrote it. Where ldwrap's standard error is
// a terminal the tool writes to a pseudo-terminal (Linux), so that it
// still sees a terminal (colours, line buffering, its width); elsewhere a
// pipe.

// stagedName is one staged directory as the tool sees it, and the
// directory the user's output names.
type stagedName struct{ staged, target string }

// relay copies the tool's standard error to ldwrap's, rewriting staged
// paths line by line.
type relay struct {
	r        *os.File
	dst      *os.File
	pairs    []string // the replacer's, for a handover
	replacer *strings.Replacer
	done     chan struct{}
	// pending is what copy read but had not written when it stopped at
	// the deadline (cut): the start of a line, for the handover.
	pending []byte
	cut     bool
}

// drainAfterExit is how long the relay still reads once the tool has
// exited before it hands the pipe over (handover.go): a compiler's or a
// linker's children are gone by then and the pipe is at its end at once,
// but a process the tool left running may hold it open for good.
const drainAfterExit = 200 * time.Millisecond

// startRelay returns the file the tool must get as its standard error,
// and the relay reading it; nil, nil when there is nothing to rewrite.
func startRelay(names []stagedName) (*os.File, *relay, error) {
	pairs := replacements(names)
	if len(pairs) == 0 {
		return nil, nil, nil
	}
	r, w, err := relayPipe(os.Stderr)
	if err != nil || r == nil {
		return nil, nil, err
	}
	rl := &relay{r: r, dst: os.Stderr, pairs: pairs, replacer: strings.NewReplacer(pairs...), done: make(chan struct{})}
	go rl.copy()
	return w, rl, nil
}

// sameStream says whether descriptors a and b write one stream, as
// standard output and error do after 2>&1: the same open file description,
// or where kcmp(2) cannot say, the same file at the same offset with the
// same flags. The tool then gets one relay for both, as its output and
// messages keep their order only in one stream.
func sameStream(a, b int) bool {
	if same, known := sameOpenFile(a, b); known {
		return same
	}
	var sa, sb unix.Stat_t
	if rawio.Fstat(a, &sa) != nil || rawio.Fstat(b, &sb) != nil || sa.Dev != sb.Dev || sa.Ino != sb.Ino {
		return false
	}
	var flagsA, flagsB int
	errA := rawio.IgnoringEINTR(func() (err error) { flagsA, err = unix.FcntlInt(uintptr(a), unix.F_GETFL, 0); return err })
	errB := rawio.IgnoringEINTR(func() (err error) { flagsB, err = unix.FcntlInt(uintptr(b), unix.F_GETFL, 0); return err })
	if errA != nil || errB != nil || flagsA != flagsB {
		return false
	}
	offA, errA := unix.Seek(a, 0, io.SeekCurrent)
	offB, errB := unix.Seek(b, 0, io.SeekCurrent)
	return (errA == nil) == (errB == nil) && offA == offB // a pipe or a terminal has no offset
}

// replacements are the strings.Replacer pairs for names: each staged
// directory, as written and absolute, followed by a slash, becomes the
// target's directory as the user wrote it. Longer first: the absolute
// form contains the relative one.
func replacements(names []stagedName) []string {
	var pairs []string
	seen := map[string]bool{}
	add := func(old, new string) {
		if old != "" && !seen[old] {
			seen[old] = true
			pairs = append(pairs, old, new)
		}
	}
	for _, n := range names {
		if abs, err := filepath.Abs(n.staged); err == nil {
			targetAbs, _ := filepath.Abs(n.target)
			add(abs+"/", strings.TrimSuffix(targetAbs, "/")+"/")
		}
	}
	for _, n := range names {
		add(n.staged+"/", n.target)
	}
	return pairs
}

// copy relays until the end of the stream (EOF, or EIO at a
// pseudo-terminal's end), or until the read deadline, where what it holds
// is left in rl.pending for the handover.
func (rl *relay) copy() {
	defer close(rl.done)
	buf := make([]byte, 32<<10)
	pending := rl.pending
	for {
		n, err := rl.r.Read(buf)
		pending = append(pending, buf[:n]...)
		if i := bytes.LastIndexByte(pending, '\n'); i >= 0 {
			rl.write(pending[:i+1])
			pending = append(pending[:0], pending[i+1:]...)
		} else if len(pending) > 64<<10 {
			rl.write(pending)
			pending = pending[:0]
		}
		if errors.Is(err, os.ErrDeadlineExceeded) {
			rl.pending, rl.cut = pending, true
			return
		}
		if err != nil {
			break
		}
	}
	rl.write(pending)
}

func (rl *relay) write(b []byte) {
	if len(b) > 0 {
		io.WriteString(rl.dst, rl.replacer.Replace(string(b)))
	}
}

// finish waits for the relay once the tool has exited: to the end of what
// the tool's processes wrote. If a process the tool left running still
// holds the pipe after drainAfterExit, a detached copy of ldwrap takes the
// relay over (handover.go) and relays until that process closes it, as it
// would write to ldwrap's standard error bare: ldwrap goes on to commit
// and exit, and the process keeps its stream instead of dying of SIGPIPE
// at its next message. Only where that copy cannot be started does the
// relay end here, as it did before.
func (rl *relay) finish() {
	if rl == nil {
		return
	}
	select {
	case <-rl.done:
	default:
		// A deadline on the pipe, not a timer: the first time.NewTimer
		// of a process registers a GODEBUG setting, and with it every
		// runtime metric (90,000 instructions, a tenth of a compile's,
		// by callgrind).
		rl.r.SetReadDeadline(time.Now().Add(drainAfterExit))
		<-rl.done
		if rl.cut && handOver(rl) != nil {
			rl.write(rl.pending)
		}
	}
	rl.r.Close()
}
