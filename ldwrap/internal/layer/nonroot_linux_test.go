package layer

import (
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
)

// nobody is the user the non-root test runs as.
const nobody = 65534

const (
	nonRootEnv = "LDWRAP_LAYER_TEST_NONROOT"
)

// nonRootChild is the test binary run as nobody: it prepares the root,
// runs the script in an overlay mounted with userxattr in an unprivileged
// user namespace (unshare -Urm), and commits as nobody.
func nonRootChild() int {
	if err := stageAndCommit(os.Getenv(crashRootEnv), os.Getenv(crashScriptEnv), true, os.Stdout); err != nil {
		fmt.Println(err)
		return 2
	}
	return 0
}

// asNobody is an exec.Cmd of name run as nobody.
func asNobody(name string, args ...string) *exec.Cmd {
	cmd := exec.Command(name, args...)
	cmd.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: nobody, Gid: nobody}}
	return cmd
}

const nonRootScript = `echo new > f && echo added > added && rm g && rm -rf d && mkdir -p n/a && echo x > n/a/x &&
chmod 700 ro && echo y > ro/y && chmod 500 ro && rm k && mkdir k && echo y > k/y && rm -rf t && echo file > t`

// Namespace mode for a user: the overlay mounted with userxattr in an
// unprivileged user namespace, the commit as that user, equal to the same
// script run bare as that user. overlayfs's work/work (mode 000) and a
// read-only directory the command wrote into are no obstacle.
func TestNonRootUserxattr(t *testing.T) {
	needOverlay(t)
	if out, err := asNobody("unshare", "-Urm", "true").CombinedOutput(); err != nil {
		t.Skipf("no unprivileged user namespaces here: %v: %s", err, out)
	}
	base, err := os.MkdirTemp("", "layer-nonroot")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { removeAll(base) })
	bin := filepath.Join(base, "layer.test")
	copyExecutable(t, os.Args[0], bin)
	os.Chmod(base, 0o755)
	var roots []string
	for _, name := range []string{"bare", "layer"} {
		root := filepath.Join(base, name, "tree")
		roots = append(roots, root)
		os.Mkdir(filepath.Dir(root), 0o755)
		os.Chown(filepath.Dir(root), nobody, nobody)
		script := `mkdir -p "$1" && cd "$1" && echo f > f && echo g > g && echo k > k && mkdir -p d/sub t ro &&
echo 1 > d/sub/1 && echo t > t/t && ln -s f link && chmod 555 ro`
		if out, err := asNobody("sh", "-ec", script, "sh", root).CombinedOutput(); err != nil {
			t.Fatalf("%v: %s", err, out)
		}
	}
	bare := asNobody("sh", "-ec", nonRootScript)
	bare.Dir = roots[0]
	if out, err := bare.CombinedOutput(); err != nil {
		t.Fatalf("bare: %v: %s", err, out)
	}
	child := asNobody(bin, "-test.run=^$")
	child.Env = append(os.Environ(), nonRootEnv+"=1", crashRootEnv+"="+roots[1], crashScriptEnv+"="+nonRootScript)
	out, err := child.CombinedOutput()
	if err != nil {
		t.Fatalf("as nobody: %v: %s", err, out)
	}
	want := "replace R/f\nadd R/added\nremove R/d\nremove R/g\nreplace R/k\nadd R/k/y\nmkdir R/n\nmkdir R/n/a\nadd R/n/a/x\nattrs R/ro\nadd R/ro/y\nreplace R/t\n"
	if got := strings.ReplaceAll(string(out), roots[1], "R"); !sameLines(got, want) {
		t.Errorf("listing:\n%s\nwant (in any order):\n%s", got, want)
	}
	for _, d := range diffSnapshots(snapshot(t, roots[0]), snapshot(t, roots[1])) {
		t.Errorf("bare / layer: %s", d)
	}
	assertNoLeftover(t, roots[1])
}

func sameLines(a, b string) bool {
	x, y := strings.Split(a, "\n"), strings.Split(b, "\n")
	if len(x) != len(y) {
		return false
	}
	seen := map[string]int{}
	for _, l := range x {
		seen[l]++
	}
	for _, l := range y {
		seen[l]--
	}
	for _, n := range seen {
		if n != 0 {
			return false
		}
	}
	return true
}

func copyExecutable(t *testing.T, from, to string) {
	t.Helper()
	in, err := os.Open(from)
	if err != nil {
		t.Fatal(err)
	}
	defer in.Close()
	out, err := os.OpenFile(to, os.O_CREATE|os.O_WRONLY|os.O_EXCL, 0o755)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := io.Copy(out, in); err != nil {
		t.Fatal(err)
	}
	if err := out.Close(); err != nil {
		t.Fatal(err)
	}
}
