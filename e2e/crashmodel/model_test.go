package crashmodel

import (
	"strings"
	"testing"
)

func u32(v uint32) *uint32 { return &v }
func u64(v uint64) *uint64 { return &v }

// The tree every sequence starts from: a directory "d" (ino 2) holding
// "t" (ino 3), "old" at mode 0644.
var initTree = []Op{
	{Op: "create", Init: true, Ino: 2, Dir: RootIno, Name: "d", Type: "dir", Mode: u32(0o755)},
	{Op: "create", Init: true, Ino: 3, Dir: 2, Name: "t", Type: "file", Mode: u32(0o644), Data: []byte("old")},
}

var (
	oldFile = &Inode{Type: "file", Data: []byte("old"), Mode: 0o644}
	newFile = &Inode{Type: "file", Data: []byte("new!"), Mode: 0o644}
)

// classes gives, for each cut after 1..len(seq) operations of seq, what
// each Keep leaves at d/t, as one string per cut: "old old empty new".
func classes(seq []Op) []string {
	l := NewLog(append(append([]Op{}, initTree...), seq...))
	var got []string
	for n := len(initTree) + 1; n <= len(l.Ops); n++ {
		var cs []string
		for _, k := range Keeps {
			cs = append(cs, Classify(l.Cut(n, k), "d/t", oldFile, newFile).String())
		}
		got = append(got, strings.Join(cs, " "))
	}
	return got
}

func check(t *testing.T, seq []Op, want []string) {
	t.Helper()
	got := classes(seq)
	if len(got) != len(want) {
		t.Fatalf("%d cuts, want %d", len(got), len(want))
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("cut after %s: got %q, want %q (none, metadata, half the data, all)", seq[i], got[i], want[i])
		}
	}
}

// Write a new file, rename it over the target, sync nothing: the rename
// can reach the disk without the data (Ts'o's zero-length file).
func TestRenameWithoutSyncCanLeaveEmpty(t *testing.T) {
	check(t, []Op{
		{Op: "create", Ino: 4, Dir: 2, Name: "t.tmp", Type: "file", Mode: u32(0o644)},
		{Op: "write", Ino: 4, Data: []byte("ne")},
		{Op: "write", Ino: 4, Off: 2, Data: []byte("w!")},
		{Op: "rename", Dir: 2, Name: "t.tmp", Dir2: 2, Name2: "t"},
	}, []string{
		"old old old old",
		"old old old old",
		"old old old old",
		"old empty partial new",
	})
}

// fsync the file before the rename, the directory after: old until the
// rename, new in every state once the directory is synced.
func TestFsyncFileThenDirIsOldOrNew(t *testing.T) {
	check(t, []Op{
		{Op: "tmpfile", Ino: 4, Type: "file", Mode: u32(0o600)},
		{Op: "write", Ino: 4, Data: []byte("new!")},
		{Op: "setattr", Ino: 4, Mode: u32(0o644)},
		{Op: "fsync", Ino: 4},
		{Op: "link", Ino: 4, Dir: 2, Name: ".stage"},
		{Op: "rename", Dir: 2, Name: ".stage", Dir2: 2, Name2: "t"},
		{Op: "fsync", Ino: 2},
	}, []string{
		"old old old old",
		"old old old old",
		"old old old old",
		"old old old old",
		"old old old old",
		"old new new new",
		"new new new new",
	})
}

// fdatasync makes the data durable but not the mode: with the rename
// made durable, the file has its bytes and its first mode.
func TestFdatasyncKeepsDataNotMode(t *testing.T) {
	check(t, []Op{
		{Op: "tmpfile", Ino: 4, Type: "file", Mode: u32(0o600)},
		{Op: "write", Ino: 4, Data: []byte("new!")},
		{Op: "setattr", Ino: 4, Mode: u32(0o644)},
		{Op: "fsync", Ino: 4, Datasync: true},
		{Op: "link", Ino: 4, Dir: 2, Name: ".stage"},
		{Op: "rename", Dir: 2, Name: ".stage", Dir2: 2, Name2: "t"},
		{Op: "fsync", Ino: 2},
	}, []string{
		"old old old old",
		"old old old old",
		"old old old old",
		"old old old old",
		"old old old old",
		"old new new new",
		"partial new new new",
	})
}

// Unlink, create, write in place, as GNU install does: every loss.
func TestInstallInPlaceLosesEverything(t *testing.T) {
	check(t, []Op{
		{Op: "unlink", Dir: 2, Name: "t"},
		{Op: "create", Ino: 4, Dir: 2, Name: "t", Type: "file", Mode: u32(0o644)},
		{Op: "write", Ino: 4, Data: []byte("ne")},
		{Op: "write", Ino: 4, Off: 2, Data: []byte("w!")},
	}, []string{
		"old missing missing missing",
		"old empty empty empty",
		"old empty empty partial",
		"old empty partial new",
	})
}

// Truncation is metadata: O_TRUNC and rewrite leave an empty file when
// the data has not followed.
func TestTruncateThenRewrite(t *testing.T) {
	check(t, []Op{
		{Op: "setattr", Ino: 3, Size: u64(0)},
		{Op: "write", Ino: 3, Data: []byte("new!")},
		{Op: "fsync", Ino: 3},
	}, []string{
		"old empty empty empty",
		"old empty empty new",
		"new new new new",
	})
}

// An fsync of another directory makes nothing in this one durable; an
// fsync of this one makes an earlier unlink durable too.
func TestDirectoryFsyncIsPerDirectory(t *testing.T) {
	check(t, []Op{
		{Op: "unlink", Dir: 2, Name: "t"},
		{Op: "fsync", Ino: RootIno},
		{Op: "fsync", Ino: 2},
	}, []string{
		"old missing missing missing",
		"old missing missing missing",
		"missing missing missing missing",
	})
}

// RENAME_EXCHANGE swaps; a rename whose source was not kept does nothing.
func TestExchangeAndLostSource(t *testing.T) {
	check(t, []Op{
		{Op: "create", Ino: 4, Dir: 2, Name: "u", Type: "file", Mode: u32(0o644)},
		{Op: "write", Ino: 4, Data: []byte("new!")},
		{Op: "fsync", Ino: 4},
		{Op: "rename", Dir: 2, Name: "u", Dir2: 2, Name2: "t", Flags: renameExchange},
		{Op: "fsync", Ino: 2},
	}, []string{
		"old old old old",
		"old old old old",
		"old old old old",
		"old new new new",
		"new new new new",
	})
	l := NewLog(append(append([]Op{}, initTree...), Op{Op: "rename", Dir: 2, Name: "gone", Dir2: 2, Name2: "t"}))
	if c := Classify(l.Cut(len(l.Ops), KeepAll), "d/t", oldFile, newFile); c != Old {
		t.Errorf("a rename of a missing source: %s, want old", c)
	}
}

// A file made in a staging directory and renamed out of it: the fsync of
// the target's directory keeps the rename, and with it the file, though
// its entry in the staging directory was never made durable.
func TestRenameOutOfStagingDirectory(t *testing.T) {
	check(t, []Op{
		{Op: "create", Ino: 5, Dir: 2, Name: ".stage", Type: "dir", Mode: u32(0o700)},
		{Op: "create", Ino: 4, Dir: 5, Name: "t", Type: "file", Mode: u32(0o644)},
		{Op: "write", Ino: 4, Data: []byte("new!")},
		{Op: "fsync", Ino: 4},
		{Op: "rename", Ino: 4, Dir: 5, Name: "t", Dir2: 2, Name2: "t"},
		{Op: "fsync", Ino: 2},
	}, []string{
		"old old old old",
		"old old old old",
		"old old old old",
		"old old old old",
		"old new new new",
		"new new new new",
	})
}

func TestReadLogAndCounts(t *testing.T) {
	ops, err := ReadLog(strings.NewReader(`{"op":"create","init":true,"ino":2,"dir":1,"name":"t","type":"file","mode":420,"data":"b2xk"}
{"op":"write","ino":2,"off":1,"data":"eA=="}
`))
	if err != nil {
		t.Fatal(err)
	}
	l := NewLog(ops)
	if got := string(l.Cut(2, KeepAll).Lookup("t").Data); got != "oxd" {
		t.Errorf("replayed %q, want oxd", got)
	}
	var c Counts
	c[Old] += 2
	c[Missing]++
	if got, want := c.String(), "cuts 3, old 2, new 0, empty 0, partial 0, missing 1"; got != want {
		t.Errorf("%q, want %q", got, want)
	}
}
