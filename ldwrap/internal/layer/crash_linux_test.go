package layer

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"syscall"
	"testing"

	"golang.org/x/sys/unix"
)

// The crash test runs this test binary as a committing process that stops
// at one point of its commit (crashAtEnv: -2 before the journal, -1 after
// it, i after operation i) until it is killed.
const (
	crashAtEnv     = "LDWRAP_LAYER_TEST_CRASH_AT"
	crashRootEnv   = "LDWRAP_LAYER_TEST_ROOT"
	crashScriptEnv = "LDWRAP_LAYER_TEST_SCRIPT"
	bindProbeEnv   = "LDWRAP_LAYER_TEST_BIND_ROOT"
	recoverEnv     = "LDWRAP_LAYER_TEST_RECOVER"
)

func TestMain(m *testing.M) {
	if at := os.Getenv(crashAtEnv); at != "" {
		os.Exit(crashChild(at))
	}
	if os.Getenv(nonRootEnv) != "" {
		os.Exit(nonRootChild())
	}
	if root := os.Getenv(bindProbeEnv); root != "" {
		// Run with root bind-mounted on itself (TestPrepareRefusesBindMount).
		if s, err := Prepare(root); err == nil {
			s.Remove()
			fmt.Println("prepared")
		} else if errors.Is(err, errMount) {
			fmt.Println("refused")
		} else {
			fmt.Println(err)
		}
		os.Exit(0)
	}
	os.Exit(m.Run())
}

// stageAndCommit prepares root, runs script in its overlay (in an
// unprivileged user namespace under userxattr), commits what it changed,
// listed on listing when set, and removes the stage, as ldwrap-run does.
func stageAndCommit(root, script string, userxattr bool, listing io.Writer) error {
	s, err := Prepare(root)
	if err != nil {
		return err
	}
	defer s.Remove()
	cmd := overlayCmd(s, script, userxattr)
	if userxattr {
		cmd = overlayCmdIn("-Urm", s, script, userxattr)
	}
	if out, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("in the overlay: %v: %s", err, out)
	}
	changes, err := s.Changes(userxattr)
	if err != nil {
		return err
	}
	if listing != nil {
		FormatChanges(listing, changes)
	}
	if err := s.Commit(changes, CommitOptions{Durable: true}); err != nil {
		return err
	}
	return s.Remove()
}

// crashChild prepares the root, runs the script in its overlay and
// commits, printing "paused" where it was told to stop, or "done" when the
// commit had no such point. With recoverAtEnv set, it recovers the root
// instead (a killed commit's), stopping where that says.
func crashChild(at string) int {
	n, err := strconv.Atoi(at)
	if err != nil {
		fmt.Println(err)
		return 2
	}
	afterOp = func(i int) {
		if i == n {
			fmt.Println("paused")
			for {
				unix.Pause() // until SIGKILL
			}
		}
	}
	root := os.Getenv(crashRootEnv)
	if os.Getenv(recoverEnv) != "" {
		if err := Recover(root); err != nil {
			fmt.Println(err)
			return 2
		}
		fmt.Println("done")
		return 0
	}
	if err := stageAndCommit(root, os.Getenv(crashScriptEnv), false, nil); err != nil {
		fmt.Println(err)
		return 2
	}
	fmt.Println("done")
	return 0
}

// crashScript changes the fixture in every way a commit has an operation
// for: adds, replaces, removes (a tree too), a new tree, a directory
// over a file and a file over a directory, a mode, an odd name.
const crashScript = `echo new > f && echo added > added && rm g && rm -rf d && mkdir -p n/a && echo x > n/a/x &&
ln -s f newlink && chmod 700 acl && rm k && mkdir k && echo y > k/y && echo z >> sparse && cp -a withx withx2 &&
mkdir sgid/sub && rm -rf ro && echo file > ro && ln h h2 && echo odd > "$(printf 'new\nline')"`

// stopAt runs the committing (or, with recover, recovering) process on
// root, stopped at point at. It returns the process while it is stopped,
// or nil when it finished without reaching that point.
func stopAt(t *testing.T, root string, at int, recover bool) *exec.Cmd {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), crashAtEnv+"="+strconv.Itoa(at), crashRootEnv+"="+root, crashScriptEnv+"="+crashScript)
	if recover {
		cmd.Env = append(cmd.Env, recoverEnv+"=1")
	}
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	switch line, _ := bufio.NewReader(out).ReadString('\n'); line {
	case "paused\n":
		return cmd
	case "done\n":
		if err := cmd.Wait(); err != nil {
			t.Fatal(err)
		}
		return nil
	default:
		cmd.Process.Kill()
		cmd.Wait()
		t.Fatalf("at %d: the process says %q", at, line)
		return nil
	}
}

// assertOldOrNew checks that every path under root is as in oldTree or as
// in newTree (absent in one of them counts).
func assertOldOrNew(t *testing.T, root, when string, oldTree, newTree map[string]string) {
	t.Helper()
	now := snapshot(t, root)
	for p := range union(oldTree, newTree, now) {
		if now[p] != oldTree[p] && now[p] != newTree[p] {
			t.Errorf("%s: %s is neither old nor new: %q (old %q, new %q)", when, p, now[p], oldTree[p], newTree[p])
		}
	}
}

func kill(cmd *exec.Cmd) {
	cmd.Process.Signal(syscall.SIGKILL)
	cmd.Wait()
}

// A commit killed (SIGKILL) at each point between its operations: while it
// is stopped there, every path is old or new, none missing; after the
// kill, Recover finishes the commit (or, killed before its journal was
// written, leaves the old tree), and leaves nothing behind. Then the
// recovery itself is killed at each point of its replay: the next
// recovery finishes the commit still.
func TestCrashMidCommit(t *testing.T) {
	needOverlay(t)
	bare, _ := twoTrees(t)
	oldTree := snapshot(t, bare)
	runBare(t, bare, crashScript)
	newTree := snapshot(t, bare)
	fresh := func() string {
		root := filepath.Join(t.TempDir(), "tree")
		if err := os.Mkdir(root, 0o755); err != nil {
			t.Fatal(err)
		}
		fixture(t, root)
		return root
	}
	points := 0
	for at := -2; ; at++ {
		root := fresh()
		cmd := stopAt(t, root, at, false)
		if cmd == nil {
			for _, d := range diffSnapshots(newTree, snapshot(t, root)) {
				t.Errorf("uninterrupted: bare / layer: %s", d)
			}
			break
		}
		points++
		assertOldOrNew(t, root, fmt.Sprintf("commit stopped at %d", at), oldTree, newTree)
		kill(cmd)
		if err := Recover(root); err != nil {
			t.Fatalf("at %d: %v", at, err)
		}
		want := newTree
		if at == -2 {
			want = oldTree
		}
		for _, d := range diffSnapshots(want, snapshot(t, root)) {
			t.Errorf("killed at %d, recovered: want / got: %s", at, d)
		}
		assertNoLeftover(t, root)
	}
	t.Logf("stopped and killed at %d points", points)
	if points < 15 {
		t.Errorf("only %d points to stop at: the script changes less than it should", points)
	}
	if testing.Short() {
		return
	}
	for at := 0; at < points-2; at++ { // -2 and -1 are not operations
		root := fresh()
		kill(stopAt(t, root, -1, false)) // the journal written, nothing applied
		cmd := stopAt(t, root, at, true)
		if cmd == nil {
			t.Fatalf("the recovery finished before its point %d", at)
		}
		assertOldOrNew(t, root, fmt.Sprintf("recovery stopped at %d", at), oldTree, newTree)
		kill(cmd)
		if err := Recover(root); err != nil {
			t.Fatalf("recovery killed at %d: %v", at, err)
		}
		for _, d := range diffSnapshots(newTree, snapshot(t, root)) {
			t.Errorf("recovery killed at %d, recovered: want / got: %s", at, d)
		}
		assertNoLeftover(t, root)
	}
}

func union(maps ...map[string]string) map[string]bool {
	u := map[string]bool{}
	for _, m := range maps {
		for k := range m {
			u[k] = true
		}
	}
	return u
}
