//go:build linux

package e2e

// Benchmarks of ldwrap's cost over the bare tool. Each scenario runs the
// wrapped (A) and the bare (B) command alternately, in the same process and
// directory, and reports the median of the per-pair ratios A/B and the
// median of the per-pair differences A-B. Run them with
//
//	go run mage.go bench        (table, JSON and chart in bench/)
//	go test -run '^$' -bench . -benchtime 1x ./e2e/
//
// No test asserts a time: numbers belong here.

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	api "github.com/ldwrap/ldwrap/ldwrap"
	"github.com/stretchr/testify/require"
)

// benchResult is one scenario's line in results.jsonl (see benchreport_test.go).
type benchResult struct {
	Scenario string  `json:"scenario"`
	Group    string  `json:"group"`
	SizeMiB  float64 `json:"size_mib,omitempty"`
	Pairs    int     `json:"pairs"`
	MedianA  float64 `json:"median_a_ms"`
	MedianB  float64 `json:"median_b_ms"`
	Ratio    float64 `json:"median_ratio"`
	ExtraMs  float64 `json:"median_extra_ms"`
	// CPU: user+sys of the command and of every descendant it waited for
	// (wait4's rusage), which is what the other jobs of a parallel build
	// lose.
	CPUA       float64 `json:"median_cpu_a_ms"`
	CPUB       float64 `json:"median_cpu_b_ms"`
	CPURatio   float64 `json:"median_cpu_ratio"`
	CPUExtraMs float64 `json:"median_cpu_extra_ms"`
	A          string  `json:"a"`
	B          string  `json:"b"`
}

func median(xs []float64) float64 {
	s := append([]float64(nil), xs...)
	sort.Float64s(s)
	if len(s) == 0 {
		return 0
	}
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}

type benchCmd struct {
	argv  []string
	env   []string
	reset func() // untimed, before each run
}

// sample is one run, in milliseconds: wall time, and CPU time (user+sys)
// of the command and its waited-for descendants.
type sample struct{ wall, cpu float64 }

func timeOnce(b *testing.B, dir string, c benchCmd) sample {
	if c.reset != nil {
		c.reset()
	}
	cmd := exec.Command(c.argv[0], c.argv[1:]...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), c.env...)
	start := time.Now()
	out, err := cmd.CombinedOutput()
	d := time.Since(start)
	require.NoError(b, err, "%v: %s", c.argv, out)
	cpu := cmd.ProcessState.UserTime() + cmd.ProcessState.SystemTime()
	return sample{float64(d.Microseconds()) / 1000, float64(cpu.Microseconds()) / 1000}
}

// pairs runs A and B alternately (the order flips every pair, so neither
// always goes first) and reports.
func pairs(b *testing.B, dir, scenario, group string, size float64, n int, a, bare benchCmd) {
	b.Helper()
	if testing.Short() {
		n = 3
	}
	timeOnce(b, dir, a) // warm caches
	timeOnce(b, dir, bare)
	var ta, tb, ratios, extra, ca, cb, cratios, cextra []float64
	for i := 0; i < n; i++ {
		var x, y sample
		if i%2 == 0 {
			x = timeOnce(b, dir, a)
			y = timeOnce(b, dir, bare)
		} else {
			y = timeOnce(b, dir, bare)
			x = timeOnce(b, dir, a)
		}
		ta, tb = append(ta, x.wall), append(tb, y.wall)
		ratios, extra = append(ratios, x.wall/y.wall), append(extra, x.wall-y.wall)
		ca, cb = append(ca, x.cpu), append(cb, y.cpu)
		cextra = append(cextra, x.cpu-y.cpu)
		if y.cpu > 0 {
			cratios = append(cratios, x.cpu/y.cpu)
		}
	}
	r := benchResult{Scenario: scenario, Group: group, SizeMiB: size, Pairs: n,
		MedianA: median(ta), MedianB: median(tb), Ratio: median(ratios), ExtraMs: median(extra),
		CPUA: median(ca), CPUB: median(cb), CPURatio: median(cratios), CPUExtraMs: median(cextra),
		A: strings.Join(a.argv, " "), B: strings.Join(bare.argv, " ")}
	b.ReportMetric(r.Ratio, "ratio")
	b.ReportMetric(r.ExtraMs, "extra-ms")
	b.ReportMetric(r.MedianB, "bare-ms")
	b.ReportMetric(r.CPUExtraMs, "extra-cpu-ms")
	recordBench(r)
}

func benchDir(b *testing.B) string {
	b.Helper()
	dir := b.TempDir()
	writeFile(b, filepath.Join(dir, "h.c"), hello("bench"))
	run(b, dir, nil, "gcc", "-c", "h.c")
	return dir
}

// cFloorSource is the smallest useful wrapper: vfork, execv, waitpid and a
// rename, in C. Its cost over the bare tool is the floor for any wrapper
// process on this machine; the "C floor" rows measure it in the same run.
const cFloorSource = `#include <stdio.h>
#include <sys/wait.h>
#include <unistd.h>
int main(int argc, char **argv) {
	pid_t p = vfork();
	if (p == 0) { execvp(argv[1], argv + 1); _exit(127); }
	int st;
	waitpid(p, &st, 0);
	rename(".cfloor-none", ".cfloor-none2");
	return WEXITSTATUS(st);
}
`

// floorWrapper is a floor wrapper program, built once per test binary.
type floorWrapper struct {
	once  sync.Once
	path  string
	files map[string]string // name -> source
	build []string          // run in its directory; writes ./floor
}

func (f *floorWrapper) get(b *testing.B) string {
	f.once.Do(func() {
		dir, err := os.MkdirTemp("", "ldwrap-floor")
		require.NoError(b, err)
		removeAtExit = append(removeAtExit, dir) // shared by the benchmarks: b.TempDir would go with the first
		for name, src := range f.files {
			writeFile(b, filepath.Join(dir, name), src)
		}
		run(b, dir, nil, f.build...)
		f.path = filepath.Join(dir, "floor")
	})
	return f.path
}

var cFloorWrapper = floorWrapper{
	files: map[string]string{"floor.c": cFloorSource},
	build: []string{"gcc", "-O2", "-o", "floor", "floor.c"},
}

func cFloor(b *testing.B) string { return cFloorWrapper.get(b) }

// goFloorSource is the same smallest wrapper in Go: ForkExec, Wait4 and a
// rename, no signal handling. Its cost over the C floor is the Go runtime
// (start-up, its threads); ldwrap's cost over it is ldwrap's own work.
const goFloorSource = `package main

import (
	"os"
	"os/exec"
	"syscall"
)

func main() {
	path, err := exec.LookPath(os.Args[1])
	if err != nil {
		os.Exit(127)
	}
	pid, err := syscall.ForkExec(path, os.Args[1:], &syscall.ProcAttr{Env: os.Environ(), Files: []uintptr{0, 1, 2}})
	if err != nil {
		os.Exit(126)
	}
	var ws syscall.WaitStatus
	for {
		if _, err = syscall.Wait4(pid, &ws, 0, nil); err != syscall.EINTR {
			break
		}
	}
	syscall.Rename(".gofloor-none", ".gofloor-none2")
	os.Exit(ws.ExitStatus())
}
`

var goFloorWrapper = floorWrapper{
	files: map[string]string{"main.go": goFloorSource, "go.mod": "module gofloor\n\ngo 1.19\n"},
	build: []string{"go", "build", "-o", "floor", "."},
}

func goFloor(b *testing.B) string { return goFloorWrapper.get(b) }

// goFloorSignalsSource is the Go floor with what forwarding signals costs
// through os/signal, set up after the fork as ldwrap does: Notify starts
// the runtime's signal-mask thread (LockOSThread, so the template thread
// too) and a thread blocked receiving signals.
var goFloorSignalsSource = strings.Replace(strings.Replace(goFloorSource,
	`"os/exec"`, `"os/exec"
	"os/signal"`, 1),
	`	var ws syscall.WaitStatus`, `	ch := make(chan os.Signal, 4)
	signal.Notify(ch, syscall.SIGINT, syscall.SIGTERM, syscall.SIGHUP, syscall.SIGQUIT)
	go func() {
		for s := range ch {
			syscall.Kill(pid, s.(syscall.Signal))
		}
	}()
	var ws syscall.WaitStatus`, 1)

var goFloorSignalsWrapper = floorWrapper{
	files: map[string]string{"main.go": goFloorSignalsSource, "go.mod": "module gofloor\n\ngo 1.19\n"},
	build: []string{"go", "build", "-o", "floor", "."},
}

func BenchmarkLinkDriver(b *testing.B) {
	need(b, "gcc", "clang")
	dir := benchDir(b)
	pairs(b, dir, "link via ldwrap-cc vs gcc", "per call", 0, 60,
		benchCmd{argv: []string{ldwrap("ldwrap-cc"), "-o", "prog", "h.o"}, env: []string{"LDWRAP_CC=gcc"}},
		benchCmd{argv: []string{"gcc", "-o", "prog", "h.o"}})
	// The other ways to call it (README, "Use it like ccache") must cost
	// no more than CC=ldwrap-cc.
	pairs(b, dir, "link via ldwrap-cc gcc (prefix form) vs gcc", "per call", 0, 60,
		benchCmd{argv: []string{ldwrap("ldwrap-cc"), "gcc", "-o", "prog", "h.o"}},
		benchCmd{argv: []string{"gcc", "-o", "prog", "h.o"}})
	links := filepath.Join(b.TempDir(), "links")
	run(b, "/", nil, ldwrap("ldwrap"), "--install-links", links)
	pairs(b, dir, "link via a masquerade link named gcc vs gcc", "per call", 0, 60,
		benchCmd{argv: []string{filepath.Join(links, "gcc"), "-o", "prog", "h.o"}},
		benchCmd{argv: []string{"gcc", "-o", "prog", "h.o"}})
	pairs(b, dir, "C floor: link via a C wrapper vs gcc", "floor", 0, 60,
		benchCmd{argv: []string{cFloor(b), "gcc", "-o", "prog", "h.o"}},
		benchCmd{argv: []string{"gcc", "-o", "prog", "h.o"}})
	pairs(b, dir, "Go floor: link via a minimal Go wrapper vs gcc", "floor", 0, 60,
		benchCmd{argv: []string{goFloor(b), "gcc", "-o", "prog", "h.o"}},
		benchCmd{argv: []string{"gcc", "-o", "prog", "h.o"}})
	pairs(b, dir, "Go floor + os/signal forwarding: link via the minimal Go wrapper with signal.Notify vs gcc", "floor", 0, 60,
		benchCmd{argv: []string{goFloorSignalsWrapper.get(b), "gcc", "-o", "prog", "h.o"}},
		benchCmd{argv: []string{"gcc", "-o", "prog", "h.o"}})
	// A build directory as CMake and Meson make them: many entries and
	// subdirectories. ldwrap must not list it on every call.
	require.NoError(b, os.Mkdir(filepath.Join(dir, "sub"), 0o755))
	for i := 0; i < 2000; i++ {
		writeFile(b, filepath.Join(dir, fmt.Sprintf("entry%d.o", i)), "")
	}
	pairs(b, dir, "link via ldwrap-cc vs gcc, in a directory of 2,000 entries and a subdirectory", "per call", 0, 60,
		benchCmd{argv: []string{ldwrap("ldwrap-cc"), "-o", "prog", "h.o"}, env: []string{"LDWRAP_CC=gcc"}},
		benchCmd{argv: []string{"gcc", "-o", "prog", "h.o"}})
}

// ldArgs is the ld command line clang would run for a hello world.
func ldArgs(b *testing.B, dir string) []string {
	cmd := exec.Command("clang", "-###", "-o", "prog", "h.o")
	cmd.Dir = dir
	out, err := cmd.CombinedOutput()
	require.NoError(b, err)
	lines := strings.Split(strings.TrimSpace(string(out)), "\n")
	var argv []string
	for _, w := range strings.Split(lines[len(lines)-1], "\" \"") {
		argv = append(argv, strings.Trim(strings.TrimSpace(w), "\""))
	}
	return argv[1:]
}

func BenchmarkLinkLinker(b *testing.B) {
	need(b, "gcc", "ld")
	dir := benchDir(b)
	args := ldArgs(b, dir)
	pairs(b, dir, "link via ldwrap vs ld", "per call", 0, 60,
		benchCmd{argv: append([]string{ldwrap("ldwrap")}, args...), env: []string{"LDWRAP_LD=ld"}},
		benchCmd{argv: append([]string{"ld"}, args...)})
	pairs(b, dir, "C floor: link via a C wrapper vs ld", "floor", 0, 60,
		benchCmd{argv: append([]string{cFloor(b), "ld"}, args...)},
		benchCmd{argv: append([]string{"ld"}, args...)})
	pairs(b, dir, "Go floor: link via a minimal Go wrapper vs ld", "floor", 0, 60,
		benchCmd{argv: append([]string{goFloor(b), "ld"}, args...)},
		benchCmd{argv: append([]string{"ld"}, args...)})
}

func BenchmarkCompile(b *testing.B) {
	need(b, "gcc")
	dir := benchDir(b)
	args := []string{"-c", "-MD", "-O2", "-o", "obj.o", "h.c"}
	pairs(b, dir, "compile -c -MD via ldwrap-cc vs gcc", "per call", 0, 60,
		benchCmd{argv: append([]string{ldwrap("ldwrap-cc")}, args...), env: []string{"LDWRAP_CC=gcc"}},
		benchCmd{argv: append([]string{"gcc"}, args...)})
	pairs(b, dir, "C floor: compile via a C wrapper vs gcc", "floor", 0, 60,
		benchCmd{argv: append([]string{cFloor(b), "gcc"}, args...)},
		benchCmd{argv: append([]string{"gcc"}, args...)})
	pairs(b, dir, "Go floor: compile via a minimal Go wrapper vs gcc", "floor", 0, 60,
		benchCmd{argv: append([]string{goFloor(b), "gcc"}, args...)},
		benchCmd{argv: append([]string{"gcc"}, args...)})
}

func BenchmarkMakeTree(b *testing.B) {
	need(b, "gcc", "make")
	dir := b.TempDir()
	const files = 120
	var objs []string
	var main strings.Builder
	for i := 0; i < files; i++ {
		writeFile(b, filepath.Join(dir, fmt.Sprintf("src/f%d.c", i)), fmt.Sprintf("#include <stdio.h>\nint f%d(void) { return printf(\"%d\"); }\n", i, i))
		objs = append(objs, fmt.Sprintf("obj/f%d.o", i))
		fmt.Fprintf(&main, "int f%d(void);\n", i)
	}
	main.WriteString("int main(void) { return f0(); }\n")
	writeFile(b, filepath.Join(dir, "src/main.c"), main.String())
	objs = append(objs, "obj/main.o")
	writeFile(b, filepath.Join(dir, "Makefile"), "OBJS = "+strings.Join(objs, " ")+"\n"+
		"prog: $(OBJS)\n\t$(CC) -o $@ $(OBJS)\n"+
		"obj/%.o: src/%.c\n\t@mkdir -p obj\n\t$(CC) -c -MMD -O2 -o $@ $<\n"+
		"-include $(OBJS:.o=.d)\n")
	clean := func() { os.RemoveAll(filepath.Join(dir, "obj")); os.Remove(filepath.Join(dir, "prog")) }
	pairs(b, dir, fmt.Sprintf("make -j2, %d files, CC=ldwrap-cc vs gcc", files+1), "build", 0, 8,
		benchCmd{argv: []string{"make", "-s", "-j2", "CC=" + ldwrap("ldwrap-cc")}, env: []string{"LDWRAP_CC=gcc"}, reset: clean},
		benchCmd{argv: []string{"make", "-s", "-j2", "CC=gcc"}, reset: clean})
	pairs(b, dir, fmt.Sprintf("C floor: make -j2, %d files, CC=C wrapper vs gcc", files+1), "floor", 0, 8,
		benchCmd{argv: []string{"make", "-s", "-j2", "CC=" + cFloor(b) + " gcc"}, reset: clean},
		benchCmd{argv: []string{"make", "-s", "-j2", "CC=gcc"}, reset: clean})
	pairs(b, dir, fmt.Sprintf("Go floor: make -j2, %d files, CC=minimal Go wrapper vs gcc", files+1), "floor", 0, 8,
		benchCmd{argv: []string{"make", "-s", "-j2", "CC=" + goFloor(b) + " gcc"}, reset: clean},
		benchCmd{argv: []string{"make", "-s", "-j2", "CC=gcc"}, reset: clean})
}

// The extra time of a link must not grow with the output: rename is O(1),
// and ldwrap neither copies nor reads back. The old output exists, as in a
// rebuild (the case where ext4 starts writeback on a replacing rename).
//
// Before each timed run the page cache is flushed (sync, untimed): in a
// rebuild the old output was written long before. The "dirty" variant
// skips that: there the old output is the previous run's, still in dirty
// pages, and it must stay until the new one is complete, so the kernel
// throttles the writer for twice the dirty data; a bare link unlinks the
// old output first and its dirty pages vanish.
func BenchmarkOutputSize(b *testing.B) {
	need(b, "gcc")
	for _, c := range []struct {
		mb    int
		dirty bool
	}{{1, false}, {16, false}, {64, false}, {256, false}, {256, true}} {
		mb := c.mb
		name, label, reset := fmt.Sprintf("%dMiB", mb), fmt.Sprintf("link of a %d MiB output", mb), func() { syscall.Sync() }
		if c.dirty {
			name, label, reset = name+"-dirty", label+", old output still dirty", nil
		}
		b.Run(name, func(b *testing.B) {
			dir := benchDir(b)
			bigObject(b, dir, mb)
			writeFile(b, filepath.Join(dir, "m.c"), strings.Replace(bigMain, "VERSION", "v", 1))
			run(b, dir, nil, "gcc", "-c", "m.c")
			n := 12 // big links on this VM's disk vary by hundreds of ms: more pairs
			group := "size"
			if c.dirty {
				group = "size-dirty"
			}
			wrapped := benchCmd{argv: []string{ldwrap("ldwrap-cc"), "-o", "prog", "m.o", "big.o"}, env: []string{"LDWRAP_CC=gcc"}, reset: reset}
			pairs(b, dir, label, group, float64(mb), n, wrapped,
				benchCmd{argv: []string{"gcc", "-o", "prog", "m.o", "big.o"}, reset: reset})
			// Any atomic replacement keeps the old output alive while the
			// new one is written: twice the page cache of a bare link, which
			// unlinks first. This control isolates ldwrap's own cost from
			// that: the same link into a temp file, then mv.
			if !c.dirty && (mb == 1 || mb == 256) {
				pairs(b, dir, fmt.Sprintf("link of a %d MiB output vs temp file + mv (no ldwrap)", mb), "size-vs-mv", float64(mb), n, wrapped,
					benchCmd{argv: []string{"sh", "-c", "gcc -o .prog.tmp m.o big.o && mv -f .prog.tmp prog"}, reset: reset})
			}
		})
	}
}

// The durable switch: fsync of the file and the directory.
func BenchmarkDurable(b *testing.B) {
	need(b, "gcc")
	for _, mb := range []int{0, 64} {
		b.Run(fmt.Sprintf("%dMiB", mb), func(b *testing.B) {
			dir := benchDir(b)
			objs := []string{"h.o"}
			if mb > 0 {
				bigObject(b, dir, mb)
				writeFile(b, filepath.Join(dir, "m.c"), strings.Replace(bigMain, "VERSION", "v", 1))
				run(b, dir, nil, "gcc", "-c", "m.c")
				objs = []string{"m.o", "big.o"}
			}
			argv := append([]string{ldwrap("ldwrap-cc"), "-o", "prog"}, objs...)
			pairs(b, dir, fmt.Sprintf("LDWRAP_DURABLE=1 vs 0, %d MiB link", mb), "durable", float64(mb), 8,
				benchCmd{argv: argv, env: []string{"LDWRAP_CC=gcc", "LDWRAP_DURABLE=1"}},
				benchCmd{argv: argv, env: []string{"LDWRAP_CC=gcc", "LDWRAP_DURABLE=0"}})
		})
	}
}

// BenchmarkDurabilityModes: what each LDWRAP_DURABLE mode costs a call,
// beside the bare tool, on the machine's disk (ext4 here): fast (0), order
// (the file synced before the rename) and durable (1: the directory
// too). What each leaves after a power cut is the power-cut suite's table
// (go run mage.go crash, GUARANTEES.md).
func BenchmarkDurabilityModes(b *testing.B) {
	need(b, "gcc", "install")
	dir := benchDir(b)
	var fs syscall.Statfs_t
	if syscall.Statfs(dir, &fs) == nil && fs.Type != 0xef53 {
		b.Logf("%s is not on ext4 (f_type %#x): the modes' costs differ by file system", dir, fs.Type)
	}
	writeFile(b, filepath.Join(dir, "data"), strings.Repeat("x", 4096))
	for _, mode := range []string{"0", "order", "1"} {
		pairs(b, dir, "ldwrap-cc link vs gcc, LDWRAP_DURABLE="+mode, "durable", 0, 10,
			benchCmd{argv: []string{ldwrap("ldwrap-cc"), "-o", "prog", "h.o"}, env: []string{"LDWRAP_CC=gcc", "LDWRAP_DURABLE=" + mode}},
			benchCmd{argv: []string{"gcc", "-o", "prog", "h.o"}})
		pairs(b, dir, "ldwrap-install vs install, one 4 KiB file, LDWRAP_DURABLE="+mode, "durable", 0, 10,
			benchCmd{argv: []string{ldwrap("ldwrap-install"), "-m", "644", "data", "dest"}, env: []string{"LDWRAP_DURABLE=" + mode}},
			benchCmd{argv: []string{"install", "-m", "644", "data", "dest"}})
	}
}

// BenchmarkInstall: ldwrap-install against GNU install, each into its own
// directory over the files its previous run installed. Two states of those
// old files, because ext4 treats them differently: still dirty in the page
// cache (a loop of installs, the files never reached the disk), and on disk
// (sync, untimed, before each run: a reinstall seconds later, once the
// kernel has written them back). In the first, install(1) unlinks dirty
// files the disk never sees, while ldwrap's rename over them makes ext4
// write the new ones out (auto_da_alloc: the new file's data reaches the
// disk before the rename's journal commit, so a crash leaves the old file
// or the new one, not an empty one); in the second both pay for the disk.
func BenchmarkInstall(b *testing.B) {
	need(b, "install")
	b.Run("200x4KiB", func(b *testing.B) {
		dir := b.TempDir()
		var files []string
		for i := 0; i < 200; i++ {
			name := fmt.Sprintf("f%03d", i)
			writeFile(b, filepath.Join(dir, name), strings.Repeat("x", 4096))
			files = append(files, name)
		}
		os.Mkdir(filepath.Join(dir, "dest-ldwrap"), 0o755)
		os.Mkdir(filepath.Join(dir, "dest-install"), 0o755)
		for _, c := range []struct {
			durable, state string
			reset          func()
		}{{"0", "old files dirty", nil}, {"0", "old files on disk", func() { syscall.Sync() }}, {"1", "old files on disk", func() { syscall.Sync() }}} {
			pairs(b, dir, "ldwrap-install vs install, 200 files of 4 KiB, "+c.state+", LDWRAP_DURABLE="+c.durable, "install", 0, 8,
				benchCmd{argv: append(append([]string{ldwrap("ldwrap-install"), "-m", "644"}, files...), "dest-ldwrap"), env: []string{"LDWRAP_DURABLE=" + c.durable}, reset: c.reset},
				benchCmd{argv: append(append([]string{"install", "-m", "644"}, files...), "dest-install"), reset: c.reset})
		}
	})
	b.Run("256MiB", func(b *testing.B) {
		dir := b.TempDir()
		f, err := os.Create(filepath.Join(dir, "big"))
		require.NoError(b, err)
		require.NoError(b, f.Truncate(256<<20))
		f.Close()
		run(b, dir, nil, "sh", "-c", "head -c 268435456 /dev/urandom > big")
		for _, durable := range []string{"0", "1"} {
			pairs(b, dir, "ldwrap-install vs install, one 256 MiB file, LDWRAP_DURABLE="+durable, "install", 256, 5,
				benchCmd{argv: []string{ldwrap("ldwrap-install"), "-m", "644", "big", "dest"}, env: []string{"LDWRAP_DURABLE=" + durable}},
				benchCmd{argv: []string{"install", "-m", "644", "big", "dest"}})
		}
	})
}

// BenchmarkRunSeed: what ldwrap-run's staged copy of the old output costs
// (a reflink where the filesystem has them, else a copy), with and without
// --fresh, for a step that writes 256 MiB over an existing 256 MiB output.
// The bare cp writes in place.
func BenchmarkRunSeed(b *testing.B) {
	need(b, "cp")
	dir := b.TempDir()
	run(b, dir, nil, "sh", "-c", "head -c 268435456 /dev/urandom > new && cp new out")
	for _, fresh := range []bool{false, true} {
		argv, label := []string{ldwrap("ldwrap-run"), "-o", "out", "--", "cp", "new", "out"}, "ldwrap-run vs bare, cp of 256 MiB over a 256 MiB output (staged as a copy of it)"
		if fresh {
			argv, label = append([]string{ldwrap("ldwrap-run"), "--fresh"}, argv[1:]...), "ldwrap-run --fresh vs bare, cp of 256 MiB over a 256 MiB output"
		}
		pairs(b, dir, label, "size", 256, 6, benchCmd{argv: argv}, benchCmd{argv: []string{"cp", "new", "out"}})
	}
}

// BenchmarkRunModes: what ldwrap-run's namespace mode costs per call
// against its argument mode (issue 32: at most 1 ms more), for a cp of
// 1 MiB over a 1 MiB output: each mode against bare cp, and the two modes
// against each other in one pair.
func BenchmarkRunModes(b *testing.B) {
	need(b, "cp", "root")
	dir := b.TempDir()
	run(b, dir, nil, "sh", "-c", "head -c 1048576 /dev/urandom > src && cp src f")
	argv := []string{ldwrap("ldwrap-run"), "-o", "f", "--", "cp", "src", "f"}
	ns := benchCmd{argv: argv, env: []string{"LDWRAP_RUN_MODE=namespace"}}
	args := benchCmd{argv: argv, env: []string{"LDWRAP_RUN_MODE=args"}}
	bare := benchCmd{argv: []string{"cp", "src", "f"}}
	pairs(b, dir, "ldwrap-run -o f -- cp src f (1 MiB), namespace mode vs bare", "per call", 1, 60, ns, bare)
	pairs(b, dir, "ldwrap-run -o f -- cp src f (1 MiB), argument mode vs bare", "per call", 1, 60, args, bare)
	pairs(b, dir, "ldwrap-run -o f -- cp src f (1 MiB), namespace mode vs argument mode", "per call", 1, 60, ns, args)
}

// startSleepers starts n processes of prog sleeping for an hour, killed
// when the benchmark ends.
func startSleepers(b *testing.B, prog string, n int) {
	for i := 0; i < n; i++ {
		c := exec.Command(prog, "3600")
		require.NoError(b, c.Start())
		b.Cleanup(func() {
			c.Process.Kill()
			c.Wait()
		})
	}
}

// BenchmarkStaleScan: what LDWRAP_STALE=1 adds to a replacement (one /proc
// scan) as the number of processes grows: ldwrap-install of one file with
// and without it, beside N sleeping processes.
func BenchmarkStaleScan(b *testing.B) {
	counts := []int{50, 500, 2000}
	if testing.Short() {
		counts = counts[:1]
	}
	for _, n := range counts {
		b.Run(fmt.Sprintf("%dprocs", n), func(b *testing.B) {
			startSleepers(b, "sleep", n)
			dir := b.TempDir()
			writeFile(b, filepath.Join(dir, "f"), "content\n")
			argv := []string{ldwrap("ldwrap-install"), "-m", "644", "f", "dest"}
			pairs(b, dir, fmt.Sprintf("LDWRAP_STALE=1 vs off, ldwrap-install of one file, %d sleeping processes", n), "stale", 0, 10,
				benchCmd{argv: argv, env: []string{"LDWRAP_STALE=1", "LDWRAP_DURABLE=0"}},
				benchCmd{argv: argv, env: []string{"LDWRAP_DURABLE=0"}})
		})
	}
}

// debianSource is a pinned source tarball from Debian's archive (one of the
// package registries CI may reach), cached across runs.
type debianSource struct{ url, sha256, cache string }

// luaSource is Lua 5.4.4 as Debian bookworm ships it (lua5.4_5.4.4-3+deb12u1).
var luaSource = debianSource{
	url:    "http://deb.debian.org/debian/pool/main/l/lua5.4/lua5.4_5.4.4.orig.tar.gz",
	sha256: "164c7849653b80ae67bec4b7473b884bf5cc8d2dca05653475ec2ed27b9ebf61",
	cache:  "/var/cache/ldwrap-bench/lua5.4_5.4.4.orig.tar.gz",
}

// unpack fetches the tarball (once; the hash is checked every time) and
// unpacks it into dir.
func (s debianSource) unpack(b testing.TB, dir string) {
	b.Helper()
	data, err := os.ReadFile(s.cache)
	if err != nil {
		resp, err := http.Get(s.url)
		require.NoError(b, err)
		defer resp.Body.Close()
		require.Equal(b, http.StatusOK, resp.StatusCode, s.url)
		data, err = io.ReadAll(resp.Body)
		require.NoError(b, err)
		require.NoError(b, os.MkdirAll(filepath.Dir(s.cache), 0o755))
		require.NoError(b, api.WriteFile(s.cache, data, 0o644))
	}
	sum := sha256.Sum256(data)
	require.Equal(b, s.sha256, hex.EncodeToString(sum[:]), "%s: checksum", s.cache)
	cmd := exec.Command("tar", "-xzf", "-", "-C", dir, "--strip-components=1")
	cmd.Stdin = bytes.NewReader(data)
	out, err := cmd.CombinedOutput()
	require.NoError(b, err, "%s", out)
}

// ldwrap-stale beside the restart checkers Debian ships, finding the same
// thing: N running copies of a program that ldwrap-install replaced.
// needrestart (-b -r l: list only) and checkrestart scan every process as
// ldwrap-stale does; lsof +L1 lists every deleted open file. Each runs
// through sh so that its exit status (1: something found) is not a
// failure; the CPU columns are what a machine pays.
func BenchmarkStaleTools(b *testing.B) {
	need(b, "root", "needrestart", "checkrestart", "lsof")
	counts := []int{100, 2000, 10000}
	if testing.Short() {
		counts = counts[:1]
	}
	for _, n := range counts {
		b.Run(fmt.Sprintf("%dprocs", n), func(b *testing.B) {
			dir := b.TempDir()
			prog := filepath.Join(dir, "server")
			run(b, dir, nil, "cp", "/bin/sleep", prog)
			startSleepers(b, prog, n)
			run(b, dir, nil, ldwrap("ldwrap-install"), "-m", "755", "/bin/sleep", prog)
			out, _ := runErr(dir, nil, ldwrap("ldwrap-stale"), dir)
			require.Equal(b, n, strings.Count(out, "(server) executable"), "ldwrap-stale finds every old copy")
			quiet := func(cmd string) benchCmd {
				return benchCmd{argv: []string{"sh", "-c", cmd + " >/dev/null 2>&1; exit 0"}, env: []string{"NEEDRESTART_MODE=l"}}
			}
			pairsN := 10
			if n >= 10000 {
				pairsN = 4
			}
			stale := quiet(ldwrap("ldwrap-stale") + " " + dir)
			for _, other := range []struct{ name, cmd string }{
				{"needrestart", "needrestart -b -r l"},
				{"checkrestart", "checkrestart"},
				{"lsof +L1", "lsof +L1"},
			} {
				pairs(b, dir, fmt.Sprintf("ldwrap-stale vs %s, %d processes running a replaced program", other.name, n), "stale tools", 0, pairsN,
					stale, quiet(other.cmd))
			}
		})
	}
}

// A real package: Lua 5.4.4 from Debian's sources, built by its own
// Makefile (make linux: -O2, 34 C files, two programs and a static
// library) with make -j2, through ldwrap-cc against the bare gcc.
func BenchmarkRealPackage(b *testing.B) {
	need(b, "gcc", "make")
	dir := b.TempDir()
	luaSource.unpack(b, dir)
	clean := func() { run(b, dir, nil, "make", "-s", "clean") }
	build := func(cc string, env ...string) benchCmd {
		return benchCmd{argv: []string{"make", "-s", "-j2", "linux", "CC=" + cc + " -std=gnu99"}, env: env, reset: clean}
	}
	pairs(b, dir, "real package: Lua 5.4.4 (Debian source), make -j2 linux, CC=ldwrap-cc vs gcc", "build", 0, 8,
		build(ldwrap("ldwrap-cc"), "LDWRAP_CC=gcc"), build("gcc"))
	pairs(b, dir, "Go floor: Lua 5.4.4, make -j2 linux, CC=minimal Go wrapper vs gcc", "floor", 0, 8,
		build(goFloor(b)+" gcc"), build("gcc"))
}

// Lua's make install into a prefix under ldwrap-run --stage (namespace
// mode) against the same make install bare; issue 32 bounds it at 1.10×.
// Each run first puts the other build there (untimed), so that every
// timed install replaces the programs and the library.
func BenchmarkStageMakeInstall(b *testing.B) {
	need(b, "gcc", "make", "root")
	builds := [2]string{b.TempDir(), b.TempDir()}
	for i, dir := range builds {
		luaSource.unpack(b, dir)
		run(b, dir, nil, "make", "-s", "-j2", "linux", fmt.Sprintf("MYCFLAGS=-DLDWRAP_BUILD=%d", i))
	}
	base := b.TempDir()
	install := func(prefix, from string) []string {
		return []string{"make", "-s", "-C", from, "install", "INSTALL_TOP=" + prefix}
	}
	cmd := func(prefix string, staged bool) benchCmd {
		argv := install(prefix, builds[1])
		if staged {
			argv = append([]string{ldwrap("ldwrap-run"), "--stage", prefix, "--"}, argv...)
		}
		return benchCmd{argv: argv, reset: func() { run(b, "/", nil, install(prefix, builds[0])...) }}
	}
	pairs(b, "/", "make install of Lua 5.4.4 under ldwrap-run --stage vs bare", "install", 0, 10,
		cmd(filepath.Join(base, "staged"), true), cmd(filepath.Join(base, "bare"), false))
}
