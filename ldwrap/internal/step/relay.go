package step

import (
	"bytes"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"
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
	dst      io.Writer
	replacer *strings.Replacer
	done     chan struct{}
}

// drainAfterExit is how long the relay still reads once the tool has
// exited: a compiler's or a linker's children are gone by then and the
// pipe is at its end at once, but a daemon the tool started may hold it
// open for good.
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
	rl := &relay{r: r, dst: os.Stderr, replacer: strings.NewReplacer(pairs...), done: make(chan struct{})}
	go rl.copy()
	return w, rl, nil
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

func (rl *relay) copy() {
	defer close(rl.done)
	buf := make([]byte, 32<<10)
	var pending []byte
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
		if err != nil {
			break // EOF, EIO (the pseudo-terminal's end), or the deadline
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
// the tool's processes wrote, or drainAfterExit if something still holds
// the pipe.
func (rl *relay) finish() {
	if rl == nil {
		return
	}
	select {
	case <-rl.done:
	case <-time.After(drainAfterExit):
		rl.r.SetReadDeadline(time.Now())
		<-rl.done
	}
	rl.r.Close()
}
