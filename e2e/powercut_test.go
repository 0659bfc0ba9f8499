//go:build linux

package e2e

import (
	"bufio"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/sys/unix"

	"github.com/ldwrap/ldwrap/e2e/crashmodel"
	"github.com/ldwrap/ldwrap/internal/testenv"
	api "github.com/ldwrap/ldwrap/ldwrap"
)

// The power-cut suite. Each step runs once on crashfs (e2e/crashfs), a
// FUSE file system that logs every operation that reaches it; the model
// (e2e/crashmodel) then cuts the power after each operation of the step in
// turn, four ways (what was durable only; the metadata too; half the
// data too; everything), and says what each target became: old, new,
// empty, partial or missing. go run mage.go crash prints the table.

var crashfsBuild struct {
	once sync.Once
	path string
	err  error
	out  []byte
}

// crashfsBinary builds e2e/crashfs, its own Go module, once per run.
func crashfsBinary(t *testing.T) string {
	t.Helper()
	crashfsBuild.once.Do(func() {
		crashfsBuild.path = filepath.Join(bin, "crashfs")
		cmd := exec.Command("go", "build", "-o", crashfsBuild.path, ".")
		cmd.Dir = filepath.Join(repoRoot(), "e2e", "crashfs")
		cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
		crashfsBuild.out, crashfsBuild.err = cmd.CombinedOutput()
	})
	require.NoError(t, crashfsBuild.err, "building e2e/crashfs: %s", crashfsBuild.out)
	return crashfsBuild.path
}

// needFUSE: root (crashfs mounts with mount(2) itself) and /dev/fuse.
func needFUSE(t *testing.T) {
	t.Helper()
	need(t, "root")
	if _, err := os.Stat("/dev/fuse"); err != nil {
		if strict {
			t.Fatalf("missing /dev/fuse: load the kernel's fuse module")
		}
		t.Skip("needs /dev/fuse")
	}
}

// crashMount is a running crashfs.
type crashMount struct {
	dir, log string
	cmd      *exec.Cmd
	in       io.WriteCloser
	out      *bufio.Reader
	stderr   strings.Builder
	done     bool
}

// mountCrashfs mounts crashfs over backing, whose tree as it is now is
// the log's start.
func mountCrashfs(t *testing.T, backing string) *crashMount {
	t.Helper()
	base := t.TempDir()
	m := &crashMount{dir: filepath.Join(base, "mnt"), log: filepath.Join(base, "log")}
	require.NoError(t, os.Mkdir(m.dir, 0o755))
	m.cmd = exec.Command(crashfsBinary(t), "-backing", backing, "-mount", m.dir, "-log", m.log)
	m.cmd.Stderr = &m.stderr
	var err error
	m.in, err = m.cmd.StdinPipe()
	require.NoError(t, err)
	stdout, err := m.cmd.StdoutPipe()
	require.NoError(t, err)
	m.out = bufio.NewReader(stdout)
	require.NoError(t, m.cmd.Start())
	t.Cleanup(func() {
		if !m.done {
			m.in.Close()
			runErr("/", nil, "umount", "-l", m.dir)
			m.cmd.Wait()
		}
	})
	line, err := m.out.ReadString('\n')
	require.Equal(t, "ready\n", line, "crashfs: %v %s", err, m.stderr.String())
	return m
}

// mark is the number of operations logged so far.
func (m *crashMount) mark(t *testing.T) int {
	t.Helper()
	fmt.Fprintln(m.in, "mark")
	line, err := m.out.ReadString('\n')
	require.NoError(t, err, m.stderr.String())
	n, err := strconv.Atoi(strings.TrimSpace(line))
	require.NoError(t, err, "crashfs: %s", line)
	return n
}

// unmount stops crashfs and returns its log.
func (m *crashMount) unmount(t *testing.T) *crashmodel.Log {
	t.Helper()
	m.in.Close()
	err := m.cmd.Wait()
	m.done = true
	require.NoError(t, err, "crashfs: %s", m.stderr.String())
	ops, err := crashmodel.ReadLogFile(m.log)
	require.NoError(t, err)
	return crashmodel.NewLog(ops)
}

// The model, through the real file system: a hand-written sequence of
// calls on crashfs is logged operation for operation, and the cuts lose
// what they should and keep what they should.
func TestPowerCutModel(t *testing.T) {
	needFUSE(t)
	backing := t.TempDir()
	writeFile(t, filepath.Join(backing, "t"), "old")
	writeFile(t, filepath.Join(backing, "u"), "old")
	m := mountCrashfs(t, backing)
	start := m.mark(t)

	// Written and renamed over t, nothing synced.
	f, err := os.OpenFile(filepath.Join(m.dir, "t.tmp"), os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
	require.NoError(t, err)
	_, err = f.Write([]byte("ne"))
	require.NoError(t, err)
	_, err = f.Write([]byte("w!"))
	require.NoError(t, err)
	require.NoError(t, f.Close())
	require.NoError(t, os.Rename(filepath.Join(m.dir, "t.tmp"), filepath.Join(m.dir, "t")))
	renamedT := m.mark(t)

	// Written, fsynced, renamed over u, the directory fsynced; then a
	// syncfs, which FUSE does not pass on.
	require.NoError(t, api.WriteFile(filepath.Join(m.dir, "u"), []byte("new!"), 0o644))
	syncedU := m.mark(t)
	d, err := os.Open(m.dir)
	require.NoError(t, err)
	require.NoError(t, unix.Syncfs(int(d.Fd())))
	d.Close()
	end := m.mark(t)
	l := m.unmount(t)

	var kinds []string
	for _, o := range l.Ops[start:end] {
		kinds = append(kinds, o.Op)
	}
	assert.Equal(t, []string{"create", "write", "write", "rename", // t
		"tmpfile", "write", "fsync", "link", "rename", "fsync"}, // u: ldwrap.WriteFile
		kinds, "every operation reaches the log, in order; syncfs does not")

	old := &crashmodel.Inode{Type: "file", Data: []byte("old"), Mode: 0o644}
	newer := &crashmodel.Inode{Type: "file", Data: []byte("new!"), Mode: 0o644}
	at := func(n int, p string) string {
		var cs []string
		for _, k := range crashmodel.Keeps {
			cs = append(cs, crashmodel.Classify(l.Cut(n, k), p, old, newer).String())
		}
		return strings.Join(cs, " ")
	}
	assert.Equal(t, "old old old old", at(renamedT-1, "t"), "before the rename")
	assert.Equal(t, "old empty partial new", at(renamedT, "t"), "the rename without the data: empty")
	assert.Equal(t, "old new new new", at(syncedU-1, "u"), "renamed, the directory not yet synced")
	assert.Equal(t, "new new new new", at(syncedU, "u"), "the directory synced")
	for n := start + 1; n <= syncedU; n++ {
		for _, k := range crashmodel.Keeps {
			c := crashmodel.Classify(l.Cut(n, k), "u", old, newer)
			assert.Contains(t, []crashmodel.Class{crashmodel.Old, crashmodel.New}, c, "u after %s, %s", l.Ops[n-1], k)
		}
	}
}

// cutCase is one command in one mode.
type cutCase struct {
	command, mode string
	env           []string
	// prepare writes the inputs into dir, and old outputs where each
	// step's first target is.
	prepare func(t *testing.T, dir string)
	// run makes out (relative to dir, with cwd dir), with the case's env.
	run func(dir, out string, env []string) (string, error)
	// outputs are the files run makes for out.
	outputs func(out string) []string
}

func argvCase(argv func(out string) []string) func(dir, out string, env []string) (string, error) {
	return func(dir, out string, env []string) (string, error) { return runErr(dir, env, argv(out)...) }
}

func apiCase(call func(dir, out string) error) func(dir, out string, env []string) (string, error) {
	return func(dir, out string, env []string) (string, error) { return "", call(dir, out) }
}

const newOutput = "the new output, written by the step\n"

func prepareSource(t *testing.T, dir string) {
	writeFile(t, filepath.Join(dir, "src/new"), newOutput)
	writeFile(t, filepath.Join(dir, "out/t1"), oldOutput)
}

func prepareObject(t *testing.T, dir string) {
	writeFile(t, filepath.Join(dir, "src/a.c"), hello("v2"))
	run(t, filepath.Join(dir, "src"), nil, "gcc", "-c", "a.c")
	writeFile(t, filepath.Join(dir, "out/t1"), oldOutput)
	require.NoError(t, os.Chmod(filepath.Join(dir, "out/t1"), 0o755))
}

func prepareCompile(t *testing.T, dir string) {
	writeFile(t, filepath.Join(dir, "src/a.c"), hello("v2"))
	writeFile(t, filepath.Join(dir, "out/t1.o"), oldOutput)
	writeFile(t, filepath.Join(dir, "out/t1.d"), "the old depfile\n")
}

func one(out string) []string { return []string{out} }

// cutCases are the commands and modes of the suite, and the controls.
func cutCases() []cutCase {
	install := func(out string) []string {
		return []string{ldwrap("ldwrap-install"), "-m", "644", "src/new", out}
	}
	compile := func(out string) []string {
		return []string{ldwrap("ldwrap-cc"), "-c", "src/a.c", "-MD", "-o", out + ".o"}
	}
	compileOutputs := func(out string) []string { return []string{out + ".o", out + ".d"} }
	link := func(out string) []string { return []string{ldwrap("ldwrap-cc"), "-o", out, "src/a.o"} }
	ld := func(out string) []string { return []string{ldwrap("ldwrap"), "-r", "-o", out, "src/a.o"} }
	runStep := func(out string) []string {
		return []string{ldwrap("ldwrap-run"), "-o", out, "--", "cp", "src/new", out}
	}
	modes := []struct {
		mode string
		env  []string
	}{{"fast", []string{"LDWRAP_DURABLE=0"}}, {"durable", []string{"LDWRAP_DURABLE=1"}}, {"order", []string{"LDWRAP_DURABLE=order"}}}
	var cases []cutCase
	for _, c := range []cutCase{
		{command: "ldwrap-install", prepare: prepareSource, run: argvCase(install), outputs: one},
		{command: "ldwrap-cc-compile", prepare: prepareCompile, run: argvCase(compile), outputs: compileOutputs},
		{command: "ldwrap-cc-link", prepare: prepareObject, run: argvCase(link), outputs: one},
		{command: "ldwrap", env: []string{"LDWRAP_LD=ld"}, prepare: prepareObject, run: argvCase(ld), outputs: one},
		// Argument mode's: namespace mode does not run on FUSE, and the
		// next step, on a local filesystem, would run in it.
		{command: "ldwrap-run", env: []string{"LDWRAP_RUN_MODE=args"}, prepare: prepareSource, run: argvCase(runStep), outputs: one},
	} {
		for _, m := range modes {
			c := c
			c.mode, c.env = m.mode, append(append([]string{}, c.env...), m.env...)
			cases = append(cases, c)
		}
	}
	apiCalls := []struct {
		name string
		call func(dir, out string, opt api.Option) error // opt nil: the defaults
	}{
		{"WriteFile", func(dir, out string, opt api.Option) error {
			return api.WriteFile(filepath.Join(dir, out), []byte(newOutput), 0o644, opt)
		}},
		{"Create", func(dir, out string, opt api.Option) error {
			f, err := api.Create(filepath.Join(dir, out), 0o644, opt)
			if err != nil {
				return err
			}
			defer f.Cleanup()
			for _, part := range strings.SplitAfter(newOutput, " ") {
				if _, err := f.Write([]byte(part)); err != nil {
					return err
				}
			}
			return f.CloseAtomicallyReplace()
		}},
		{"Install", func(dir, out string, opt api.Option) error {
			return api.Install(filepath.Join(dir, "src/new"), filepath.Join(dir, out), api.WithMode(0o644), opt)
		}},
	}
	for _, a := range apiCalls {
		a := a
		cases = append(cases,
			cutCase{command: a.name, mode: "durable", prepare: prepareSource, outputs: one,
				run: apiCase(func(dir, out string) error { return a.call(dir, out, nil) })},
			cutCase{command: a.name, mode: "fast", prepare: prepareSource, outputs: one,
				run: apiCase(func(dir, out string) error { return a.call(dir, out, api.Durable(false)) })})
	}
	return append(cases,
		cutCase{command: "install", mode: "control", prepare: prepareSource, outputs: one,
			run: argvCase(func(out string) []string { return []string{"install", "-m", "644", "src/new", out} })},
		cutCase{command: "gcc", mode: "control", prepare: prepareObject, outputs: one,
			run: argvCase(func(out string) []string { return []string{"gcc", "-o", out, "src/a.o"} })})
}

// cutResult is what the cuts of one case left.
type cutResult struct {
	during, after crashmodel.Counts // cuts during the step; cuts after it returned
	swept         int               // distinct leftovers the next step swept
	unswept       []string          // and those it did not
	lostSync      bool              // a durable mode's step made nothing durable
}

// TestPowerCut cuts the power after every operation of each command's
// step, in each mode, and checks the guarantee: durable modes leave old
// or new and, after success, new; order leaves old or new; the controls
// (GNU install, a bare gcc link) lose the target. A second step (another
// output in the same directory) follows, so that "after success" covers
// cuts after the step returned; and each staging leftover a cut can
// leave is given to the next run of the step, which must sweep it.
func TestPowerCut(t *testing.T) {
	needFUSE(t)
	need(t, "gcc", "install", "ld")
	start := time.Now()
	var table []string
	for _, c := range cutCases() {
		c := c
		t.Run(c.command+"/"+c.mode, func(t *testing.T) {
			r := cutOne(t, c)
			line := fmt.Sprintf("%s %s: %s", c.command, c.mode, r.during)
			table = append(table, line)
			t.Logf("%s; after success: %s; leftovers swept: %d, not: %q", line, r.after, r.swept, r.unswept)
			if c.mode != "control" {
				for _, key := range r.unswept {
					assert.True(t, emptyRandomStaging(key), "the next step sweeps every staging leftover a cut can leave but an empty directory under a random name: %s", key)
				}
			}
			switch c.mode {
			case "durable":
				assert.Equal(t, r.during.Total(), r.during[crashmodel.Old]+r.during[crashmodel.New], "durable: old or new at every cut: %s", r.during)
				assert.Equal(t, r.after.Total(), r.after[crashmodel.New], "durable: new at every cut after success: %s", r.after)
			case "order":
				assert.Equal(t, r.during.Total(), r.during[crashmodel.Old]+r.during[crashmodel.New], "order: old or new at every cut: %s", r.during)
				assert.Equal(t, r.after.Total(), r.after[crashmodel.Old]+r.after[crashmodel.New], "order: old or new after success: %s", r.after)
				assert.NotZero(t, r.after[crashmodel.Old], "order is not durable: a cut after success can revert the rename")
			case "fast":
				assert.Zero(t, r.during[crashmodel.Missing], "fast: never missing: %s", r.during)
				assert.NotZero(t, r.during[crashmodel.Empty], "fast: a rename can reach the disk before the data: %s", r.during)
			case "control":
				assert.NotZero(t, r.during[crashmodel.Empty]+r.during[crashmodel.Partial], "the control loses the target: %s", r.during)
			}
		})
	}
	t.Logf("power-cut suite: %d cases in %s", len(table), time.Since(start).Round(time.Millisecond))
	if path := os.Getenv(testenv.CrashTableVar); path != "" {
		require.NoError(t, os.WriteFile(path, []byte(strings.Join(table, "\n")+"\n"), 0o644))
	}
}

func cutOne(t *testing.T, c cutCase) cutResult {
	backing := t.TempDir()
	c.prepare(t, backing)
	first, second := "out/t1", "out/t2"
	m := mountCrashfs(t, backing)
	m0 := m.mark(t)
	out, err := c.run(m.dir, first, c.env)
	require.NoError(t, err, "the step: %s", out)
	m1 := m.mark(t)
	out, err = c.run(m.dir, second, c.env)
	require.NoError(t, err, "the second step: %s", out)
	m2 := m.mark(t)
	l := m.unmount(t)
	require.Greater(t, m1, m0, "the step reached the file system")

	targets := c.outputs(first)
	before, after := l.Cut(m0, crashmodel.KeepNone), l.Cut(m1, crashmodel.KeepAll)
	var r cutResult
	leftovers := map[string]*crashmodel.Tree{}
	for n := m0 + 1; n <= m2; n++ {
		for _, k := range crashmodel.Keeps {
			tree := l.Cut(n, k)
			for _, p := range targets {
				cls := crashmodel.Classify(tree, p, before.Lookup(p), after.Lookup(p))
				if n <= m1 {
					r.during[cls]++
				}
				if n >= m1 {
					r.after[cls]++
				}
			}
			if key := stagingLeftovers(tree); key != "" && leftovers[key] == nil {
				leftovers[key] = tree
			}
		}
	}
	if c.mode == "control" {
		return r
	}
	// The next step sweeps what a cut left of the staging: run the step
	// again on each distinct surviving tree with leftovers.
	keys := make([]string, 0, len(leftovers))
	for k := range leftovers {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	final := l.Cut(m2, crashmodel.KeepAll)
	for _, key := range keys {
		dir := t.TempDir()
		materialize(t, leftovers[key], dir)
		// Each step sweeps its own target's leftovers (a step on another
		// target does not: GUARANTEES.md, Not promised).
		for _, step := range []string{first, second} {
			if !strings.Contains(key, ".ldwrap."+filepath.Base(step)) {
				continue
			}
			out, err := c.run(dir, step, c.env)
			require.NoError(t, err, "the next step over leftovers %s: %s", key, out)
			for _, p := range c.outputs(step) {
				assert.Equal(t, string(final.Lookup(p).Data), string(readFile(t, filepath.Join(dir, p))), "the next step's %s", p)
			}
		}
		if left := leftovers2(t, dir); len(left) > 0 {
			r.unswept = append(r.unswept, key)
		} else {
			r.swept++
		}
	}
	return r
}

// emptyRandomStaging: every leftover of key is an empty staging
// directory under a random name, not the first one. A cut between its
// mkdir and its rename to the first name leaves one; no run lists the
// directory to find it (GUARANTEES.md, Durability).
func emptyRandomStaging(key string) bool {
	for _, entry := range strings.Fields(key) {
		if !strings.HasSuffix(entry, "(dir,0)") || strings.Contains(entry, ".staging0(") {
			return false
		}
	}
	return true
}

// stagingLeftovers lists the staging names in tree, as a key: "" if none.
func stagingLeftovers(tree *crashmodel.Tree) string {
	var found []string
	tree.Walk(func(p string, in *crashmodel.Inode) {
		if strings.Contains(p, ".ldwrap.") {
			found = append(found, fmt.Sprintf("%s(%s,%d)", p, in.Type, len(in.Data)))
		}
	})
	return strings.Join(found, " ")
}

// leftovers2 is leftovers for a directory that is the whole tree: the
// staging names anywhere under it.
func leftovers2(t *testing.T, dir string) []string {
	var found []string
	filepath.Walk(dir, func(p string, fi os.FileInfo, err error) error {
		if err == nil && strings.HasPrefix(fi.Name(), ".ldwrap.") {
			found = append(found, p)
		}
		return nil
	})
	return found
}

// materialize writes tree into dir.
func materialize(t *testing.T, tree *crashmodel.Tree, dir string) {
	tree.Walk(func(p string, in *crashmodel.Inode) {
		full := filepath.Join(dir, p)
		switch in.Type {
		case "dir":
			require.NoError(t, os.Mkdir(full, 0o755))
			require.NoError(t, os.Chmod(full, os.FileMode(in.Mode&0o7777)|0o700))
		case "file":
			require.NoError(t, os.WriteFile(full, in.Data, 0o600))
			require.NoError(t, os.Chmod(full, os.FileMode(in.Mode&0o777)))
		case "symlink":
			require.NoError(t, os.Symlink(in.Target, full))
		}
	})
}
