//go:build linux

package e2e

import (
	"bytes"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// LDWRAP_SKIP_IDENTICAL=touch gives a new mtime to an output the command
// rewrote with the same bytes, as bare, and leaves alone the mtime of one
// the command never wrote, as bare: a staged output starts as a copy of
// the old one, and an untouched copy is no new file.
func TestSkipIdenticalAsBare(t *testing.T) {
	stamp := time.Date(2020, 1, 2, 3, 4, 5, 0, time.UTC)
	for _, c := range []struct {
		name string
		argv []string
	}{
		{"untouched", []string{"sh", "-c", `test -f "$1"`, "sh", "out"}},
		{"rewritten", []string{"sh", "-c", `cat same > "$1"`, "sh", "out"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			tw := newTwin(t, map[string]string{"out": "data\n", "same": "data\n"})
			bare := runIn(t, tw.bare, c.argv...)
			require.Equal(t, 0, bare.code, bare.stderr)
			argv := append([]string{"env", "LDWRAP_SKIP_IDENTICAL=touch", ldwrap("ldwrap-run"), "-o", "out", "--"}, c.argv...)
			wrapped := runIn(t, tw.wrapped, argv...)
			require.Equal(t, 0, wrapped.code, wrapped.stderr)
			bareTime := mtime(t, filepath.Join(tw.bare, "out"))
			wrappedTime := mtime(t, filepath.Join(tw.wrapped, "out"))
			assert.Equal(t, bareTime.Equal(stamp), wrappedTime.Equal(stamp), "bare: %v, ldwrap: %v", bareTime, wrappedTime)
			assert.Empty(t, diffSnapshots(bare.tree, wrapped.tree))
		})
	}
}

func mtime(t *testing.T, path string) time.Time {
	t.Helper()
	fi, err := os.Stat(path)
	require.NoError(t, err)
	return fi.ModTime()
}

// A compiler, for ldwrap-cc's prefix form: it writes its -o output, then
// what STEP says.
const scriptCompiler = `#!/bin/SHELL
while [ $# -gt 0 ]; do case $1 in -o) out=$2; shift;; esac; shift; done
echo obj > "$out"
STEP
`

// tool is a step to run bare and wrapped: the compiler script through
// ldwrap-cc, or a shell script through ldwrap-run.
type tool struct {
	name          string
	bare, wrapped []string
	files         map[string]string
}

// tools gives a shell script step, which sees its output as "$out", both
// ways.
func tools(shell, step string) []tool {
	cc := strings.NewReplacer("SHELL", shell, "STEP", step).Replace(scriptCompiler)
	run := `out=$1
echo obj > "$out"
` + step
	return []tool{
		{"ldwrap-cc", []string{"./mycc", "-c", "a.c", "-o", "a.o"}, []string{ldwrap("ldwrap-cc"), "./mycc", "-c", "a.c", "-o", "a.o"},
			map[string]string{"mycc": cc, "a.c": "int a;\n"}},
		// Argument mode's relay of the streams: in namespace mode they are
		// the tool's own, a process it leaves is ended with it, and what it
		// writes shows only once committed (TestNamespaceSignals).
		{"ldwrap-run", []string{shell, "step.sh", "a.o"}, []string{"env", "LDWRAP_RUN_MODE=args", ldwrap("ldwrap-run"), "-o", "a.o", "--", shell, "step.sh", "a.o"},
			map[string]string{"step.sh": run}},
	}
}

// twin gives tl's files to a bare and a wrapped directory; the compiler
// script, where there is one, is executable.
func (tl tool) twin(t *testing.T) twin {
	tw := newTwin(t, tl.files)
	if _, ok := tl.files["mycc"]; ok {
		for _, d := range []string{tw.bare, tw.wrapped} {
			require.NoError(t, os.Chmod(filepath.Join(d, "mycc"), 0o755))
		}
	}
	return tw
}

// A process the tool leaves running keeps its standard error after the
// tool, and ldwrap, have exited: its message arrives, its staged path
// turned into the output's, and it lives on, as bare, where it used to
// die of SIGPIPE at that message. A reader that waits for the end of the
// stream, as ninja does, sees it when that process closes it. The process
// writes only once ldwrap has exited (it waits for the file go), so that
// ldwrap hands its relay over every time.
func TestBackgroundWriterKeepsStream(t *testing.T) {
	step := `( while [ ! -e go ]; do sleep 0.01; done; echo "late: $out" >&2 && echo alive > alive ) &
echo "wrote $out" >&2`
	for _, tl := range tools("sh", step) {
		t.Run(tl.name, func(t *testing.T) {
			tw := tl.twin(t)
			bare := runReadingToEnd(t, tw.bare, tl.bare)
			wrapped := runReadingToEnd(t, tw.wrapped, tl.wrapped)
			require.Equal(t, 0, bare.code, bare.stderr)
			require.Equal(t, "wrote a.o\nlate: a.o\n", bare.stderr, "the oracle")
			require.FileExists(t, filepath.Join(tw.bare, "alive"), "the oracle: the writer lived on")
			assert.Equal(t, bare.code, wrapped.code, wrapped.stderr)
			assert.Equal(t, bare.stderr, wrapped.stderr)
			assert.FileExists(t, filepath.Join(tw.wrapped, "alive"), "the writer did not die of SIGPIPE")
			assert.Empty(t, diffSnapshots(bare.tree, wrapped.tree))
			assert.Empty(t, leftovers(t, filepath.Dir(tw.wrapped)))
		})
	}
	// On a terminal, where the tool writes to a pseudo-terminal: the
	// process keeps it as it would keep the terminal.
	need(t, "script")
	tl := tools("sh", step)[0]
	tw := tl.twin(t)
	sh := strings.Join(tl.wrapped, " ") + `; touch go; i=0; while [ ! -e alive ] && [ $i -lt 2000 ]; do sleep 0.01; i=$((i+1)); done; sleep 0.1`
	out, err := runErr(tw.wrapped, nil, "script", "-qec", sh, "/dev/null")
	require.NoError(t, err, out)
	assert.FileExists(t, filepath.Join(tw.wrapped, "alive"))
	if portable {
		// No pseudo-terminal off Linux: the tool writes to the terminal
		// itself, staged names and all (TestLinkerMessagesNameTheOutput).
		assert.Contains(t, out, "late: .ldwrap.a.o.")
		return
	}
	assert.Equal(t, "wrote a.o\r\nlate: a.o\r\n", out)
}

var _ = portableToo(TestBackgroundWriterKeepsStream)

// runReadingToEnd runs argv with its standard error on a pipe, waits for
// it to exit, creates the file go, then reads the pipe to its end, as
// ninja does.
func runReadingToEnd(t *testing.T, dir string, argv []string) outcome {
	r, w, err := os.Pipe()
	require.NoError(t, err)
	defer r.Close()
	cmd := exec.Command(argv[0], argv[1:]...)
	cmd.Dir = dir
	cmd.Stderr = w
	require.NoError(t, cmd.Start())
	w.Close()
	err = cmd.Wait()
	code := 0
	if ee, ok := err.(*exec.ExitError); ok {
		code = ee.ExitCode()
	}
	writeFile(t, filepath.Join(dir, "go"), "")
	b, _ := io.ReadAll(r)
	return outcome{code: code, stderr: string(b), tree: snapshot(t, dir)}
}

// With 2>&1 the tool's output and messages come in the order it wrote
// them, as bare: one relay for both (before, every message came after all
// of the output). On a pipe, in a file and on a terminal; and where the
// streams are apart, each is as bare.
func TestMergedStreamsKeepOrder(t *testing.T) {
	step := `for i in 1 2 3; do echo "out$i"; echo "err$i $out" >&2; done`
	for _, tl := range tools("sh", step) {
		t.Run(tl.name, func(t *testing.T) {
			tw := tl.twin(t)
			want := "out1\nerr1 a.o\nout2\nerr2 a.o\nout3\nerr3 a.o\n"
			for name, d := range map[string]string{"bare": tw.bare, "ldwrap": tw.wrapped} {
				argv := tl.bare
				if name == "ldwrap" {
					argv = tl.wrapped
				}
				// One pipe for both, as exec gives for one writer.
				var both bytes.Buffer
				cmd := exec.Command(argv[0], argv[1:]...)
				cmd.Dir, cmd.Stdout, cmd.Stderr = d, &both, &both
				require.NoError(t, cmd.Run(), both.String())
				assert.Equal(t, want, both.String(), "%s, a pipe", name)
				// A file, through the shell.
				sh := exec.Command("sh", "-c", `"$@" > log 2>&1`, "sh")
				sh.Args = append(sh.Args, argv...)
				sh.Dir = d
				out, err := sh.CombinedOutput()
				require.NoError(t, err, string(out))
				assert.Equal(t, want, string(readFile(t, filepath.Join(d, "log"))), "%s, a file", name)
				// Apart: each stream as bare.
				o := runIn(t, d, argv...)
				assert.Equal(t, "out1\nout2\nout3\n", o.stdout, name)
				assert.Equal(t, "err1 a.o\nerr2 a.o\nerr3 a.o\n", o.stderr, name)
			}
			assert.Empty(t, leftovers(t, filepath.Dir(tw.wrapped)))
		})
	}
	if portable {
		return // no pseudo-terminal off Linux: the staged names show on a terminal
	}
	need(t, "script")
	tl := tools("sh", step)[0]
	tw := tl.twin(t)
	bare, err := runErr(tw.bare, nil, "script", "-qec", strings.Join(tl.bare, " "), "/dev/null")
	require.NoError(t, err, bare)
	wrapped, err := runErr(tw.wrapped, nil, "script", "-qec", strings.Join(tl.wrapped, " "), "/dev/null")
	require.NoError(t, err, wrapped)
	assert.Equal(t, "out1\r\nerr1 a.o\r\nout2\r\nerr2 a.o\r\nout3\r\nerr3 a.o\r\n", bare, "the oracle, on a terminal")
	assert.Equal(t, bare, wrapped, "on a terminal")
}

var _ = portableToo(TestMergedStreamsKeepOrder)

// A SIGINT to the process group (a Ctrl-C, ninja stopping a job) reaches
// the tool once, as bare: ldwrap gets it too and does not forward it. A
// tool that handles it and exits 0 has succeeded, its output committed
// and ldwrap's status 0, as bare. One sent to ldwrap alone reaches the
// tool once, forwarded, as one sent to the bare tool does, before ldwrap's
// witness of its group starts and after. A tool that dies of it takes
// ldwrap with it, and nothing is committed.
func TestGroupSignalReachesToolOnce(t *testing.T) {
	need(t, "bash", "pgrep")
	// Off Linux, or where ptrace is refused, ldwrap has no witness and
	// forwards a group signal too: the tool may count two.
	witness := !portable && witnessPossible()
	// bash: its wait returns at once for a trapped signal, and runs the
	// trap for each one.
	handles := `trap 'n=$((n+1)); echo > handled' INT
n=0
echo ready > ready
while [ ! -e go ]; do sleep 0.01 & wait $!; done
echo "$n SIGINT" >&2
echo "obj $n" > "$out"`
	// Not a loop of sleeps: bash, waiting for a child that exits 0 as the
	// SIGINT comes, takes it that the child handled it and goes on (its
	// "wait and cooperative exit"), bare as wrapped, and the step would
	// then succeed. sleep dies of it.
	dies := `echo ready > ready
exec sleep 60`
	for _, c := range []struct {
		name, step            string
		group, waitForWitness bool
	}{
		{"handled, to the group", handles, true, witness},
		{"handled, to ldwrap alone", handles, false, false},
		{"handled, to ldwrap alone, with its witness", handles, false, witness},
		{"fatal, to the group", dies, true, witness},
	} {
		for _, tl := range tools("bash", c.step) {
			t.Run(c.name+", "+tl.name, func(t *testing.T) {
				tw := tl.twin(t)
				bare := interrupt(t, tw.bare, tl.bare, c.group, false, c.step == handles)
				wrapped := interrupt(t, tw.wrapped, tl.wrapped, c.group, c.waitForWitness, c.step == handles)
				if c.step == handles {
					require.Equal(t, 0, bare.code, "the oracle: %s", bare.stderr)
					require.Equal(t, "1 SIGINT\n", bare.stderr, "the oracle")
				} else {
					require.Equal(t, -int(syscall.SIGINT), bare.code, "the oracle")
				}
				assert.Equal(t, bare.code, wrapped.code, wrapped.stderr)
				switch {
				case bare.code != 0:
					assert.Contains(t, bare.tree, "a.o", "the oracle wrote its output before it died")
					assert.NotContains(t, wrapped.tree, "a.o", "a killed step commits nothing")
				case c.group && !witness:
					assert.Contains(t, []string{"1 SIGINT\n", "2 SIGINT\n"}, wrapped.stderr)
					assert.Contains(t, string(wrapped.tree["a.o"]), "obj ", "committed")
				default:
					assert.Equal(t, bare.stderr, wrapped.stderr)
					assert.Empty(t, diffSnapshots(bare.tree, wrapped.tree), "committed")
				}
				assert.Empty(t, leftovers(t, filepath.Dir(tw.wrapped)))
			})
		}
	}
}

// Not in the portable run: without a witness, a group signal that ldwrap's
// handler takes up only after the tool has ended makes it die of it, and
// the test cannot order the two.

// interrupt starts argv in a process group of its own, waits until the
// tool is ready (and, if asked, for ldwrap's witness of its group), sends
// SIGINT to the group or to the process alone, then lets the tool finish.
func interrupt(t *testing.T, dir string, argv []string, group, waitForWitness, handles bool) outcome {
	cmd := exec.Command(argv[0], argv[1:]...)
	cmd.Dir = dir
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	require.NoError(t, cmd.Start())
	pid := cmd.Process.Pid
	waitFor(t, "the tool to be ready", 20*time.Second, func() bool {
		_, err := os.Stat(filepath.Join(dir, "ready"))
		return err == nil
	})
	if waitForWitness {
		waitFor(t, "ldwrap's witness", 20*time.Second, func() bool {
			return exec.Command("pgrep", "-P", fmt.Sprint(pid), "-f", "^signal-witness$").Run() == nil
		})
	}
	target := pid
	if group {
		target = -pid
	}
	require.NoError(t, syscall.Kill(target, syscall.SIGINT))
	// A tool that handles it says so first: let go before ldwrap has
	// forwarded it, and the tool would end without it.
	if handles {
		waitFor(t, "the tool to handle the signal", 20*time.Second, func() bool {
			_, err := os.Stat(filepath.Join(dir, "handled"))
			return err == nil
		})
	}
	writeFile(t, filepath.Join(dir, "go"), "")
	err := cmd.Wait()
	code := 0
	if ee, ok := err.(*exec.ExitError); ok {
		ws := ee.Sys().(syscall.WaitStatus)
		code = ws.ExitStatus()
		if ws.Signaled() {
			code = -int(ws.Signal())
		}
	}
	os.Remove(filepath.Join(dir, "ready"))
	os.Remove(filepath.Join(dir, "go"))
	os.Remove(filepath.Join(dir, "handled"))
	return outcome{code: code, stderr: stderr.String(), tree: snapshot(t, dir)}
}

// witnessPossible says whether this process's children may trace
// themselves: Yama's ptrace_scope 3 forbids it, 2 to all but root.
func witnessPossible() bool {
	b, err := os.ReadFile("/proc/sys/kernel/yama/ptrace_scope")
	if err != nil {
		return true
	}
	scope := strings.TrimSpace(string(b))
	return scope == "0" || scope == "1" || (scope == "2" && os.Geteuid() == 0)
}
