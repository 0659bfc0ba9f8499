package layer

import (
	"bufio"
	"errors"
	"fmt"
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

// crashChild prepares the root, runs the script in its overlay and
// commits, printing "paused" where it was told to stop, or "done" when the
// commit had no such point.
func crashChild(at string) int {
	n, err := strconv.Atoi(at)
	if err != nil {
		fmt.Println(err)
		return 2
	}
	s, err := Prepare(os.Getenv(crashRootEnv))
	if err != nil {
		fmt.Println(err)
		return 2
	}
	if out, err := overlayCmd(s, os.Getenv(crashScriptEnv), false).CombinedOutput(); err != nil {
		fmt.Printf("in the overlay: %v: %s\n", err, out)
		return 2
	}
	changes, err := s.Changes(false)
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
	if err := s.Commit(changes, CommitOptions{Durable: true}); err != nil {
		fmt.Println(err)
		return 2
	}
	if err := s.Remove(); err != nil {
		fmt.Println(err)
		return 2
	}
	fmt.Println("done")
	return 0
}

// crashScript changes the fixture in every way a commit has an operation
// for: adds, replaces, removes (a tree too), a new tree, a directory
// over a file and a file over a directory, a mode.
const crashScript = `echo new > f && echo added > added && rm g && rm -rf d && mkdir -p n/a && echo x > n/a/x &&
ln -s f newlink && chmod 700 acl && rm k && mkdir k && echo y > k/y && echo z >> sparse && cp -a withx withx2 &&
mkdir sgid/sub && rm -rf ro && echo file > ro && ln h h2 && echo odd > "$(printf 'new\nline')"`

// A commit killed (SIGKILL) at each point between its operations: while it
// is stopped there, every path is old or new, none missing; after the
// kill, Recover finishes the commit (or, killed before its journal was
// written, leaves the old tree), and leaves nothing behind.
func TestCrashMidCommit(t *testing.T) {
	needOverlay(t)
	bare, _ := twoTrees(t)
	oldTree := snapshot(t, bare)
	runBare(t, bare, crashScript)
	newTree := snapshot(t, bare)
	points := 0
	for at := -2; ; at++ {
		root := filepath.Join(t.TempDir(), "tree")
		if err := os.Mkdir(root, 0o755); err != nil {
			t.Fatal(err)
		}
		fixture(t, root)
		cmd := exec.Command(os.Args[0], "-test.run=^$")
		cmd.Env = append(os.Environ(), crashAtEnv+"="+strconv.Itoa(at), crashRootEnv+"="+root, crashScriptEnv+"="+crashScript)
		out, err := cmd.StdoutPipe()
		if err != nil {
			t.Fatal(err)
		}
		cmd.Stderr = os.Stderr
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		line, _ := bufio.NewReader(out).ReadString('\n')
		if line == "done\n" {
			if err := cmd.Wait(); err != nil {
				t.Fatal(err)
			}
			for _, d := range diffSnapshots(newTree, snapshot(t, root)) {
				t.Errorf("uninterrupted: bare / layer: %s", d)
			}
			break
		}
		if line != "paused\n" {
			cmd.Process.Kill()
			cmd.Wait()
			t.Fatalf("at %d: the committing process says %q", at, line)
		}
		points++
		now := snapshot(t, root)
		for p := range union(oldTree, newTree, now) {
			if now[p] != oldTree[p] && now[p] != newTree[p] {
				t.Errorf("at %d: %s is neither old nor new: %q (old %q, new %q)", at, p, now[p], oldTree[p], newTree[p])
			}
		}
		cmd.Process.Signal(syscall.SIGKILL)
		cmd.Wait()
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
