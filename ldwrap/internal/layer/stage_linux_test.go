package layer

import (
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// Changes reads an upper directory made by hand the way overlayfs writes
// one: whiteouts are character devices 0:0, an opaque directory has
// trusted.overlay.opaque=y (user.overlay.opaque=y under userxattr), and a
// copy-up keeps the mtime and adds overlay.origin.
func TestChangesSynthetic(t *testing.T) {
	needRoot(t)
	root := filepath.Join(t.TempDir(), "tree")
	write := func(p, content string) {
		t.Helper()
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	for _, f := range []string{"f", "gone", "keep", "d/a", "d/b", "u/x"} {
		write(filepath.Join(root, f), "old "+f+"\n")
	}
	s, err := Prepare(root)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Remove()
	up := func(p string) string { return filepath.Join(s.Upper, p) }
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(unix.Mknod(up("gone"), unix.S_IFCHR, 0))
	must(unix.Mknod(up("never"), unix.S_IFCHR, 0)) // hides nothing: no change
	must(os.Mkdir(up("d"), 0o755))
	must(unix.Lsetxattr(up("d"), "trusted.overlay.opaque", []byte("y"), 0))
	write(up("d/a"), "new a\n")
	must(os.Mkdir(up("u"), 0o755))
	must(unix.Lsetxattr(up("u"), "user.overlay.opaque", []byte("y"), 0))
	write(up("new"), "new\n")
	copyUp(t, filepath.Join(root, "keep"), up("keep"), "trusted.overlay.origin")

	changes, err := s.Changes(true)
	if err != nil {
		t.Fatal(err)
	}
	// trusted.overlay.* are then xattrs of the command's.
	want := "attrs R/d\nreplace R/d/a\nremove R/gone\nreplace R/keep\nadd R/new\nremove R/u/x\n"
	if got := strings.ReplaceAll(listing(changes), root, "R"); got != want {
		t.Errorf("under userxattr:\n%s\nwant:\n%s", got, want)
	}
	changes, err = s.Changes(false)
	if err != nil {
		t.Fatal(err)
	}
	want = "replace R/d/a\nremove R/d/b\nremove R/gone\nadd R/new\nattrs R/u\n"
	if got := strings.ReplaceAll(listing(changes), root, "R"); got != want {
		t.Errorf("as root:\n%s\nwant:\n%s", got, want)
	}
	if err := s.Commit(changes, CommitOptions{}); err != nil {
		t.Fatal(err)
	}
	names := func(dir string) string {
		n, _ := os.ReadDir(dir)
		var s []string
		for _, e := range n {
			s = append(s, e.Name())
		}
		return strings.Join(s, " ")
	}
	if got := names(root); got != "d f keep new u" {
		t.Errorf("root holds %s", got)
	}
	if got := names(filepath.Join(root, "d")); got != "a" {
		t.Errorf("d holds %s", got)
	}
	if got := names(filepath.Join(root, "u")); got != "x" {
		t.Errorf("u holds %s", got)
	}
	// Not overlayfs's under trusted.*: a user's xattr, committed.
	if v, err := getXattr(filepath.Join(root, "u"), "user.overlay.opaque"); err != nil || string(v) != "y" {
		t.Errorf("u's user.overlay.opaque: %q, %v", v, err)
	}
	if _, err := getXattr(filepath.Join(root, "d"), "trusted.overlay.opaque"); err != unix.ENODATA {
		t.Errorf("d's trusted.overlay.opaque reached the real tree: %v", err)
	}
}

// copyUp copies the file from to to as overlayfs copies up: content, mode,
// owner, mtime, plus the xattr origin.
func copyUp(t *testing.T, from, to, origin string) {
	t.Helper()
	data, err := os.ReadFile(from)
	if err != nil {
		t.Fatal(err)
	}
	fi, err := os.Stat(from)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(to, data, fi.Mode()); err != nil {
		t.Fatal(err)
	}
	if err := os.Chtimes(to, time.Now(), fi.ModTime()); err != nil {
		t.Fatal(err)
	}
	if err := unix.Lsetxattr(to, origin, []byte{0, 1, 2}, 0); err != nil {
		t.Fatal(err)
	}
}

// Two runs on one root take turns: the second Prepare waits until the
// first run's stage is removed.
func TestRunsOnOneRootTakeTurns(t *testing.T) {
	root := filepath.Join(t.TempDir(), "tree")
	if err := os.Mkdir(root, 0o755); err != nil {
		t.Fatal(err)
	}
	first, err := Prepare(root)
	if err != nil {
		t.Fatal(err)
	}
	var removed int32
	waiting, done := make(chan bool), make(chan error)
	go func() {
		second, err := PrepareWith(root, func(string, ...interface{}) { waiting <- true })
		if err == nil {
			if atomic.LoadInt32(&removed) == 0 {
				t.Errorf("the second Prepare returned while the first stage lived")
			}
			if names, _ := os.ReadDir(second.Upper); len(names) != 0 {
				t.Errorf("the second stage starts with %d entries", len(names))
			}
			err = second.Remove()
		}
		done <- err
	}()
	<-waiting
	if err := os.WriteFile(filepath.Join(first.Upper, "f"), []byte("first\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	changes, err := first.Changes(false)
	if err != nil {
		t.Fatal(err)
	}
	if err := first.Commit(changes, CommitOptions{}); err != nil {
		t.Fatal(err)
	}
	atomic.StoreInt32(&removed, 1)
	if err := first.Remove(); err != nil {
		t.Fatal(err)
	}
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	assertNoLeftover(t, root)
}

// A journal the killed run did not finish writing means no operation was
// applied: Recover removes the stage and touches nothing.
func TestRecoverIgnoresIncompleteJournal(t *testing.T) {
	root := filepath.Join(t.TempDir(), "tree")
	if err := os.Mkdir(root, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(root, "f"), []byte("old\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	s, err := Prepare(root)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(s.Upper, "f"), []byte("new\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	var st unix.Stat_t
	if err := unix.Lstat(filepath.Join(s.Upper, "f"), &st); err != nil {
		t.Fatal(err)
	}
	j := &journal{root: s.Root, prefix: "trusted.overlay.", ops: []op{{opRename, st.Ino, 0, "f"}}}
	full := j.encode()
	if _, ok := parseJournal(full); !ok {
		t.Fatalf("a complete journal does not parse:\n%s", full)
	}
	cut := full[:len(full)-3] // "end 1\n" cut short
	if err := os.WriteFile(filepath.Join(s.Dir, journalName), cut, 0o600); err != nil {
		t.Fatal(err)
	}
	s.release() // as a kill would
	if err := Recover(root); err != nil {
		t.Fatal(err)
	}
	if data, _ := os.ReadFile(filepath.Join(root, "f")); string(data) != "old\n" {
		t.Errorf("f reads %q", data)
	}
	assertNoLeftover(t, root)
}

func TestJournalRoundTrip(t *testing.T) {
	j := &journal{root: "/r o\not", prefix: "user.overlay.", durable: true, ops: []op{
		{opWiden, 1, 0, ""}, {opRename, 2, 0, "a\nb"}, {opTrash, 3, 0, "sp ace/\xff"}, {opMeta, 4, 0o2755, "d"}, {opTouch, 5, 0, "t"},
	}}
	got, ok := parseJournal(j.encode())
	if !ok || got.root != j.root || got.prefix != j.prefix || !got.durable || len(got.ops) != len(j.ops) {
		t.Fatalf("parsed %+v, %v", got, ok)
	}
	for i := range j.ops {
		if got.ops[i] != j.ops[i] {
			t.Errorf("op %d: %+v, want %+v", i, got.ops[i], j.ops[i])
		}
	}
	bad := strings.Replace(string(j.encode()), `"d"`, `"../d"`, 1)
	if _, ok := parseJournal([]byte(bad)); ok {
		t.Errorf("a journal naming ../d parses")
	}
}

// A staging directory's name taken by another user's entry is refused,
// and named; the entry is left alone.
func TestPrepareRefusesAnotherUsersStage(t *testing.T) {
	needRoot(t)
	root := filepath.Join(t.TempDir(), "tree")
	if err := os.Mkdir(root, 0o755); err != nil {
		t.Fatal(err)
	}
	planted := stageDir(root)
	if err := os.Mkdir(planted, 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.Chown(planted, 65534, 65534); err != nil {
		t.Fatal(err)
	}
	_, err := Prepare(root)
	if err == nil || err.Error() != "stage "+root+": "+planted+" is not this user's staging directory" {
		t.Errorf("Prepare: %v", err)
	}
	if _, err := os.Stat(planted); err != nil {
		t.Errorf("the planted directory: %v", err)
	}
}
