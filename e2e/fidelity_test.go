//go:build linux

package e2e

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

var _ = portableToo(TestInstallManyFilesFewDescriptors)

// 1,500 files into one directory under a soft limit of 1,024 descriptors:
// durable installs commit in batches, so no file holds a descriptor long.
// GNU install, the control, does it too.
func TestInstallManyFilesFewDescriptors(t *testing.T) {
	need(t, "install")
	dir := t.TempDir()
	var names []string
	for i := 0; i < 1500; i++ {
		n := fmt.Sprintf("f%04d", i)
		writeFile(t, filepath.Join(dir, "src", n), n)
		names = append(names, filepath.Join("src", n))
	}
	for _, prog := range []string{"install", ldwrap("ldwrap-install")} {
		dst := filepath.Join(dir, "dst-"+filepath.Base(prog))
		require.NoError(t, os.Mkdir(dst, 0o755))
		code, out := exitCode(dir, nil, append([]string{"sh", "-c", `ulimit -n 1024; exec "$@"`, "sh", prog, "-m", "644", "-t", dst}, names...)...)
		require.Equal(t, 0, code, "%s: %s", prog, out)
		entries, err := os.ReadDir(dst)
		require.NoError(t, err)
		assert.Len(t, entries, 1500, prog)
	}
}

var _ = portableToo(TestInstallBackupNeverMissing)

// -b keeps the old file under its backup name, and the destination is
// never missing or partial while it does: a hard link, then the rename.
// The control: GNU install renames the destination away and copies, and a
// reader sees it missing or short.
func TestInstallBackupNeverMissing(t *testing.T) {
	need(t, "install")
	dir := t.TempDir()
	const size = 32 << 20
	big := make([]byte, size)
	for i := range big {
		big[i] = byte(i)
	}
	require.NoError(t, os.WriteFile(filepath.Join(dir, "new"), big, 0o644))
	for _, c := range []struct {
		prog    string
		missing bool // the reader may see the destination missing or short
	}{{"install", true}, {ldwrap("ldwrap-install"), false}} {
		dst := filepath.Join(dir, "dst")
		require.NoError(t, os.WriteFile(dst, big, 0o644))
		var stop atomic.Bool
		var bad atomic.Int32
		var wg sync.WaitGroup
		wg.Add(1)
		go func() {
			defer wg.Done()
			for !stop.Load() {
				if fi, err := os.Stat(dst); err != nil || fi.Size() != size {
					bad.Add(1)
				}
			}
		}()
		for i := 0; i < 10; i++ {
			run(t, dir, []string{"LDWRAP_DURABLE=0"}, c.prog, "-b", "new", "dst")
		}
		stop.Store(true)
		wg.Wait()
		if c.missing {
			assert.NotZero(t, bad.Load(), "control: GNU's destination is missing or partial for a moment")
		} else {
			assert.Zero(t, bad.Load(), "ldwrap's destination is never missing or partial")
		}
		assert.Equal(t, size, len(readFile(t, dst+"~")), "the backup is the old file")
		os.Remove(dst + "~")
	}
}

// -s strips the staged copy before the commit: the bytes GNU install -s
// gives. STRIPPROG names the strip program (as automake's install-sh reads
// it); --strip-program wins over it.
func TestInstallStrip(t *testing.T) {
	need(t, "gcc", "install", "strip")
	dir := t.TempDir()
	writeFile(t, filepath.Join(dir, "p.c"), hello("v1"))
	run(t, dir, nil, "gcc", "-g", "-o", "prog", "p.c")
	run(t, dir, nil, "install", "-s", "prog", "gnu")
	run(t, dir, nil, ldwrap("ldwrap-install"), "-s", "prog", "ours")
	assert.Equal(t, readFile(t, filepath.Join(dir, "gnu")), readFile(t, filepath.Join(dir, "ours")))
	assert.Less(t, len(readFile(t, filepath.Join(dir, "ours"))), len(readFile(t, filepath.Join(dir, "prog"))))

	writeFile(t, filepath.Join(dir, "mystrip"), "#!/bin/sh\necho \"$@\" > \"$(dirname \"$0\")/stripped-by-env\"\nexec strip \"$@\"\n")
	require.NoError(t, os.Chmod(filepath.Join(dir, "mystrip"), 0o755))
	run(t, dir, []string{"STRIPPROG=" + filepath.Join(dir, "mystrip")}, ldwrap("ldwrap-install"), "-s", "prog", "viaenv")
	assert.FileExists(t, filepath.Join(dir, "stripped-by-env"))
	assert.Equal(t, readFile(t, filepath.Join(dir, "gnu")), readFile(t, filepath.Join(dir, "viaenv")))
	run(t, dir, []string{"STRIPPROG=/nonexistent"}, ldwrap("ldwrap-install"), "-s", "--strip-program=strip", "prog", "viaopt")

	// A strip that fails leaves the old destination as it was (GNU removes it).
	writeFile(t, filepath.Join(dir, "text"), "not a program\n")
	code, _ := exitCode(dir, nil, ldwrap("ldwrap-install"), "-s", "text", "ours")
	assert.Equal(t, 1, code)
	assert.Equal(t, readFile(t, filepath.Join(dir, "gnu")), readFile(t, filepath.Join(dir, "ours")))
	assert.Empty(t, leftovers(t, dir))
}

// ldwrap-install takes the policies every command takes from the
// environment, and says under LDWRAP_VERBOSE that a destination has other
// hard links.
func TestInstallEnvironmentPolicies(t *testing.T) {
	dir := t.TempDir()
	writeFile(t, filepath.Join(dir, "a"), "content\n")
	inst := ldwrap("ldwrap-install")
	run(t, dir, nil, inst, "-m", "644", "a", "b")
	ino := inode(t, filepath.Join(dir, "b"))
	run(t, dir, []string{"LDWRAP_SKIP_IDENTICAL=restat"}, inst, "-m", "644", "a", "b")
	assert.Equal(t, ino, inode(t, filepath.Join(dir, "b")), "identical: the old inode stays")

	require.NoError(t, os.Symlink("real", filepath.Join(dir, "link")))
	writeFile(t, filepath.Join(dir, "real"), "old\n")
	run(t, dir, []string{"LDWRAP_SYMLINKS=follow"}, inst, "-m", "644", "a", "link")
	fi, err := os.Lstat(filepath.Join(dir, "link"))
	require.NoError(t, err)
	assert.True(t, fi.Mode()&os.ModeSymlink != 0, "the link stays")
	assert.Equal(t, "content\n", string(readFile(t, filepath.Join(dir, "real"))))

	// Other hard links of a destination keep the old content: GNU install
	// says nothing of it, and neither does ldwrap-install unless asked.
	require.NoError(t, os.Link(filepath.Join(dir, "b"), filepath.Join(dir, "b2")))
	assert.Empty(t, run(t, dir, nil, inst, "-m", "644", "a", "b"))
	require.NoError(t, os.Link(filepath.Join(dir, "b"), filepath.Join(dir, "b3")))
	out := run(t, dir, []string{"LDWRAP_VERBOSE=1"}, inst, "-m", "644", "a", "b")
	assert.Contains(t, out, "ldwrap: b has 2 hard links; the others keep the old content")

	if syscall.Setxattr(filepath.Join(dir, "b"), "user.kept", []byte("yes"), 0) == nil {
		run(t, dir, []string{"LDWRAP_KEEP_ATTRS=1"}, inst, "-m", "644", "a", "b")
		buf := make([]byte, 8)
		n, err := syscall.Getxattr(filepath.Join(dir, "b"), "user.kept", buf)
		require.NoError(t, err, "the xattr is carried over")
		assert.Equal(t, "yes", string(buf[:n]))
	}
}

var _ = portableToo(TestIgnoredSignalsStayIgnored)

// A signal ldwrap's parent left ignored stays ignored, for ldwrap and for
// the tool, staged or run untouched: sent to ldwrap, it changes nothing,
// and the tool's SigIgn has it, as the bare tool's does. Off Linux (the
// portable build), only SIGHUP and SIGINT: Go's runtime installs its own
// handler for the others before ldwrap runs, and the inherited SIG_IGN
// can be read back only from a Linux ELF binary; the tool starts with the
// default action for them.
func TestIgnoredSignalsStayIgnored(t *testing.T) {
	for _, sig := range []syscall.Signal{syscall.SIGTERM, syscall.SIGQUIT, syscall.SIGPIPE, syscall.SIGUSR1, syscall.SIGINT} {
		t.Run(sig.String(), func(t *testing.T) {
			dir := t.TempDir()
			name := strings.TrimPrefix(sigName(sig), "SIG")
			bit := uint64(1) << (uint(sig) - 1)
			if portable && sig != syscall.SIGINT {
				got := run(t, dir, nil, "sh", "-c", `trap "" `+name+`; exec "$0" -o out -- sh -c 'grep SigIgn /proc/self/status > "$1"' sh out`, ldwrap("ldwrap-run"))
				assert.Zero(t, sigIgn(t, string(readFile(t, filepath.Join(dir, "out"))))&bit, "off Linux the tool gets %s back: %s", name, got)
				return
			}
			// The tool records its SigIgn, then waits for ldwrap to be sent
			// the signal, then finishes.
			// (The go file is outside the output's directory: in namespace
			// mode the tool sees that directory as it was when it looked.)
			goFile := filepath.Join(t.TempDir(), "go")
			script := `grep SigIgn /proc/self/status > "$1"; echo started; while [ ! -e "$2" ]; do sleep 0.05; done; echo done >> "$1"`
			cmd := exec.Command("sh", "-c", `trap "" `+name+`; exec "$@"`, "sh", ldwrap("ldwrap-run"), "-o", "out", "--", "sh", "-c", script, "sh", "out", goFile)
			cmd.Dir = dir
			stdout, err := cmd.StdoutPipe()
			require.NoError(t, err)
			require.NoError(t, cmd.Start())
			buf := make([]byte, 64)
			n, _ := stdout.Read(buf)
			require.Contains(t, string(buf[:n]), "started")
			require.NoError(t, cmd.Process.Signal(sig))
			time.Sleep(100 * time.Millisecond)
			writeFile(t, goFile, "")
			require.NoError(t, cmd.Wait(), "the ignored signal did not stop ldwrap")
			out := string(readFile(t, filepath.Join(dir, "out")))
			assert.Contains(t, out, "done")
			assert.NotZero(t, sigIgn(t, out)&bit, "the tool ignores %s: %s", name, out)

			// Run untouched (an informational call is passed through).
			writeFile(t, filepath.Join(dir, "cc.sh"), "#!/bin/sh\ngrep SigIgn /proc/self/status\n")
			require.NoError(t, os.Chmod(filepath.Join(dir, "cc.sh"), 0o755))
			got := run(t, dir, []string{"LDWRAP_CC=" + filepath.Join(dir, "cc.sh")}, "sh", "-c", `trap "" `+name+`; exec "$0" --version`, ldwrap("ldwrap-cc"))
			assert.NotZero(t, sigIgn(t, got)&bit, "passed through, the tool ignores %s: %s", name, got)
		})
	}
}

func sigName(s syscall.Signal) string {
	return map[syscall.Signal]string{syscall.SIGTERM: "TERM", syscall.SIGQUIT: "QUIT", syscall.SIGPIPE: "PIPE", syscall.SIGUSR1: "USR1", syscall.SIGINT: "INT"}[s]
}

func sigIgn(t *testing.T, status string) uint64 {
	for _, line := range strings.Split(status, "\n") {
		if strings.HasPrefix(line, "SigIgn:") {
			v, err := strconv.ParseUint(strings.TrimSpace(line[len("SigIgn:"):]), 16, 64)
			require.NoError(t, err)
			return v
		}
	}
	t.Fatalf("no SigIgn in %q", status)
	return 0
}

var _ = portableToo(TestTwoWritersOneTargetBothSucceed)

// Two steps writing one target at once both succeed, 400 times; the last
// one's file is the target, whole.
func TestTwoWritersOneTargetBothSucceed(t *testing.T) {
	dir := t.TempDir()
	writeFile(t, filepath.Join(dir, "one"), strings.Repeat("1", 4096))
	writeFile(t, filepath.Join(dir, "two"), strings.Repeat("2", 4096))
	rounds := 400
	if testing.Short() {
		rounds = 50
	}
	for i := 0; i < rounds; i++ {
		var wg sync.WaitGroup
		codes := make([]int, 2)
		outs := make([]string, 2)
		for w, src := range []string{"one", "two"} {
			wg.Add(1)
			go func(w int, src string) {
				defer wg.Done()
				codes[w], outs[w] = exitCode(dir, nil, ldwrap("ldwrap-run"), "--fresh", "-o", "out", "--", "cp", src, "out")
			}(w, src)
		}
		wg.Wait()
		require.Equal(t, []int{0, 0}, codes, "round %d: %q", i, outs)
		got := string(readFile(t, filepath.Join(dir, "out")))
		require.Contains(t, []string{strings.Repeat("1", 4096), strings.Repeat("2", 4096)}, got)
	}
	assert.Empty(t, leftovers(t, filepath.Dir(dir)))
}

var _ = portableToo(TestOldVersionNeverReachable)

// While a setuid program is installed again and again, no other name in
// the directory ever leads to an old version of it: the old file goes
// with the rename, and is never left at a name another user could run.
func TestOldVersionNeverReachable(t *testing.T) {
	need(t, "gcc")
	dir := t.TempDir()
	writeFile(t, filepath.Join(dir, "p.c"), hello("v1"))
	run(t, dir, nil, "gcc", "-o", "new", "p.c")
	dst := filepath.Join(dir, "dst")
	require.NoError(t, os.Mkdir(dst, 0o755))
	target := filepath.Join(dst, "prog")
	// old holds the inodes already replaced; the watcher takes its copy
	// before it looks, so whatever it then finds under another name was
	// an old version at that moment.
	var mu sync.Mutex
	old := map[uint64]bool{}
	var stop atomic.Bool
	var seen []string
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		for !stop.Load() {
			mu.Lock()
			snapshot := map[uint64]bool{}
			for k := range old {
				snapshot[k] = true
			}
			mu.Unlock()
			entries, _ := os.ReadDir(dst)
			for _, e := range entries {
				var st syscall.Stat_t
				if e.Name() != "prog" && syscall.Lstat(filepath.Join(dst, e.Name()), &st) == nil && snapshot[st.Ino] {
					seen = append(seen, e.Name())
				}
			}
		}
	}()
	var current uint64
	for i := 0; i < 100; i++ {
		run(t, dir, []string{"LDWRAP_DURABLE=0"}, ldwrap("ldwrap-install"), "-m", "4755", "new", target)
		// Held open, an old version keeps its inode number: a number seen
		// again is that file, not a new one given a freed number.
		f, err := os.Open(target)
		require.NoError(t, err)
		defer f.Close()
		var st syscall.Stat_t
		require.NoError(t, syscall.Fstat(int(f.Fd()), &st))
		mu.Lock()
		if current != 0 {
			old[current] = true
		}
		current = st.Ino
		mu.Unlock()
	}
	stop.Store(true)
	wg.Wait()
	assert.Empty(t, seen, "an old version was reachable under another name")
	assert.Empty(t, leftovers(t, dst))
}

// The assembler's --MD depfile and an -o inside a response file with -MD
// name the object in what they write: those compiles run untouched, and
// give exactly the bare compiler's files.
func TestAssemblerDepfileAndResponseFileAsBare(t *testing.T) {
	need(t, "gcc")
	files := map[string]string{
		"x.s":   ".include \"inc.s\"\n.text\nnop\n",
		"inc.s": "nop\n",
		"a.c":   "int a;\n",
		"rsp":   "-c a.c -o out4.o\n",
	}
	for _, argv := range [][]string{
		{"-c", "x.s", "-o", "x.o", "-Wa,--MD,x.dep"},
		{"-c", "x.s", "-o", "x.o", "-Xassembler", "--MD", "-Xassembler", "x.dep"},
		{"@rsp", "-MMD"},
	} {
		tw := newTwin(t, files)
		bare := runIn(t, tw.bare, append([]string{"gcc"}, argv...)...)
		wrapped := runIn(t, tw.wrapped, append([]string{ldwrap("ldwrap-cc")}, argv...)...)
		assert.Equal(t, 0, bare.code, bare.stderr)
		assert.Equal(t, bare.code, wrapped.code, "%q: %s", argv, wrapped.stderr)
		assert.Empty(t, diffSnapshots(bare.tree, wrapped.tree), "%q", argv)
	}
}

var _ = portableToo(TestLinkerMessagesNameTheOutput)

// A linker that names its output in a warning names the output, not the
// staged file: the bare linker's words, on a pipe and on a terminal.
func TestLinkerMessagesNameTheOutput(t *testing.T) {
	need(t, "gcc", "script")
	tw := newTwin(t, map[string]string{"p.c": "int main(void){return 0;}\n"})
	argv := []string{"-static", "-Wl,-N", "-o", "p", "p.c"}
	bare := runIn(t, tw.bare, append([]string{"gcc"}, argv...)...)
	require.Contains(t, bare.stderr, "p has a LOAD segment with RWX permissions", "the bare linker's warning")
	wrapped := runIn(t, tw.wrapped, append([]string{ldwrap("ldwrap-cc")}, argv...)...)
	assert.Equal(t, bare.stderr, wrapped.stderr)
	// On a terminal (script(1) gives one), through a pseudo-terminal.
	cmdline := ldwrap("ldwrap-cc") + " " + strings.Join(argv, " ")
	out, _ := runErr(tw.wrapped, nil, "script", "-qec", cmdline, "/dev/null") // the link fails either way
	if portable {
		// The weaker promise off Linux: no pseudo-terminal, so on a
		// terminal the tool writes to it directly, staged names and all.
		assert.Contains(t, out, ".ldwrap.p.")
		return
	}
	assert.Contains(t, out, " p has a LOAD segment")
	assert.NotContains(t, out, ".ldwrap.")
}

var _ = portableToo(TestWriteFileWriteOnlyAsUser)

// WriteFile with a mode that does not let its owner read (0200) works for
// an unprivileged user, as os.WriteFile does: the engine adds the read bit
// it needs only while the file has no name.
func TestWriteFileWriteOnlyAsUser(t *testing.T) {
	need(t, "root", "setpriv")
	dir := publicDir(t)
	prog := filepath.Join(dir, "writeonly")
	run(t, repoRoot(), []string{"CGO_ENABLED=0"}, "go", "build", "-o", prog, "./e2e/testdata/writeonly")
	work := filepath.Join(dir, "work")
	require.NoError(t, os.Mkdir(work, 0o777))
	require.NoError(t, os.Chmod(work, 0o777))
	out := run(t, work, nil, asNobody(prog, "a", "b")...)
	assert.Equal(t, "ldwrap: <nil>\nos: <nil>\n", out)
	for _, n := range []string{"a", "b"} {
		fi, err := os.Stat(filepath.Join(work, n))
		require.NoError(t, err)
		assert.Equal(t, os.FileMode(0o200), fi.Mode().Perm(), n)
	}
}
