package step

import (
	"bytes"
	"io"
	"os"
	"strconv"
	"strings"
	"syscall"

	"golang.org/x/sys/unix"
)

// A process the tool leaves running (a daemon, a background job of a
// script) may keep writing to its standard error long after the tool has
// exited. Bare, that is ldwrap's standard error, and whoever reads it (a
// terminal, ninja, a log) gets its messages until it closes it. Through
// the relay it is a pipe that ldwrap reads, and ldwrap must exit when the
// tool does, for make and for the caller. So when the pipe is not at its
// end shortly after the tool's exit, ldwrap starts a copy of itself that
// relays from where it stopped, in its own session (a Ctrl-C or a kill of
// the job's process group ends the writer, not the relay it writes
// through), and exits. A reader that waits for the end of the stream, as
// ninja does, sees it when the writer closes it, as bare; the relay ends
// then too, or at the writer's next message once the reader has gone,
// where the writer then gets SIGPIPE as bare.
//
// The common case pays nothing: a compiler's and a linker's children are
// gone when it exits, the pipe is at its end at once, and no copy starts.

const (
	// relayArg and relayEnv together make a process the relay's copy; a
	// command line of a compiler cannot start with the one and also set
	// the other by chance.
	relayArg = "--ldwrap-relay-stderr"
	relayEnv = "LDWRAP_RELAY_STDERR"
)

// handOver starts the copy that relays rl.r to rl.dst after this process
// has gone: its standard output is rl.r, its standard error rl.dst, and
// its standard input holds the replacements, then what rl read but had not
// written yet. Not its arguments: ps would show every staged path, and
// pgrep -f take the copy for the tool.
func handOver(rl *relay) error {
	exe, err := selfExe()
	if err != nil {
		return err
	}
	pr, pw, err := os.Pipe()
	if err != nil {
		return err
	}
	defer pw.Close()
	// No descriptor but those three: one inherited from the caller (a
	// pipe whose reader waits for its end) would otherwise stay open as
	// long as the writer runs.
	closeInheritedOnExec()
	argv := []string{"ldwrap-relay", relayArg}
	attr := &syscall.ProcAttr{
		Dir:   "/", // holds no directory busy
		Env:   append(os.Environ(), relayEnv+"=1"),
		Files: []uintptr{pr.Fd(), rl.r.Fd(), rl.dst.Fd()},
		Sys:   &syscall.SysProcAttr{Setsid: true},
	}
	_, err = syscall.ForkExec(exe, argv, attr)
	pr.Close()
	if err != nil {
		return err
	}
	// The copy reads while it comes: no limit on the size.
	pw.Write(encodeHandover(rl.pairs, rl.pending))
	return nil
}

// encodeHandover writes the replacement pairs, each string ended by a NUL
// (no path holds one), after their count, then the pending bytes.
func encodeHandover(pairs []string, pending []byte) []byte {
	b := append([]byte(strconv.Itoa(len(pairs))), 0)
	for _, p := range pairs {
		b = append(append(b, p...), 0)
	}
	return append(b, pending...)
}

func decodeHandover(b []byte) (pairs []string, pending []byte, ok bool) {
	next := func() (string, bool) {
		i := bytes.IndexByte(b, 0)
		if i < 0 {
			return "", false
		}
		s := string(b[:i])
		b = b[i+1:]
		return s, true
	}
	count, ok := next()
	n, err := strconv.Atoi(count)
	if !ok || err != nil || n < 0 || n%2 != 0 {
		return nil, nil, false
	}
	for i := 0; i < n; i++ {
		p, ok := next()
		if !ok {
			return nil, nil, false
		}
		pairs = append(pairs, p)
	}
	return pairs, b, true
}

// ServeRelay returns at once unless this process is the copy handOver
// starts; the copy relays and exits. The commands that relay call it
// first thing.
func ServeRelay() {
	if len(os.Args) < 2 || os.Args[1] != relayArg || os.Getenv(relayEnv) != "1" {
		return
	}
	in, _ := io.ReadAll(os.Stdin)
	os.Stdin.Close()
	pairs, pending, ok := decodeHandover(in)
	if !ok {
		os.Exit(126)
	}
	rl := &relay{r: os.Stdout, dst: os.Stderr, replacer: strings.NewReplacer(pairs...), done: make(chan struct{}), pending: pending}
	rl.copy()
	os.Exit(0)
}

// closeInheritedOnExec marks close-on-exec every descriptor above 2 this
// process has: its own are already, those it inherited are not.
func closeInheritedOnExec() {
	d, err := os.Open("/dev/fd")
	if err != nil {
		return
	}
	names, _ := d.Readdirnames(-1)
	d.Close()
	for _, n := range names {
		if fd, err := strconv.Atoi(n); err == nil && fd > 2 {
			unix.CloseOnExec(fd)
		}
	}
}
