package engine

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/sys/unix"
)

func TestCommitReplacesAndKeepsOldInodeForReaders(t *testing.T) {
	dir := t.TempDir()
	target := filepath.Join(dir, "prog")
	write(t, target, "old")
	held, err := os.Open(target)
	require.NoError(t, err)
	defer held.Close()

	txn := New(Options{})
	o, err := txn.Stage(target)
	require.NoError(t, err)
	assert.Equal(t, "prog", filepath.Base(o.Temp), "the staged file keeps the basename")
	fi, err := os.Stat(filepath.Dir(o.Temp))
	require.NoError(t, err)
	assert.Equal(t, os.FileMode(0o700), fi.Mode().Perm())
	assert.Equal(t, "old", read(t, target), "staging leaves the target alone")
	write(t, o.Temp, "new")
	require.NoError(t, txn.Commit())

	assert.Equal(t, "new", read(t, target))
	b := make([]byte, 3)
	_, err = held.ReadAt(b, 0)
	require.NoError(t, err)
	assert.Equal(t, "old", string(b), "an open reader keeps the old inode")
	assert.Equal(t, []string{"prog"}, entries(t, dir), "no staging directory is left")
	require.Len(t, txn.Replaced(), 1)
	assert.Equal(t, target, txn.Replaced()[0].Path)
}

func TestSideFilesCommittedFirstAndUnwrittenOutputsSkipped(t *testing.T) {
	dir := t.TempDir()
	write(t, filepath.Join(dir, "a.d"), "old dep")
	write(t, filepath.Join(dir, "b.o"), "old b")
	txn := New(Options{})
	a, err := txn.Stage(filepath.Join(dir, "a.o"))
	require.NoError(t, err)
	d, err := txn.StageSide(filepath.Join(dir, "a.d"))
	require.NoError(t, err)
	_, err = txn.Stage(filepath.Join(dir, "b.o")) // the tool does not write it
	require.NoError(t, err)
	write(t, a.Temp, "obj")
	write(t, d.Temp, "dep")
	write(t, filepath.Join(filepath.Dir(a.Temp), "a.su"), "stack") // a side file nobody staged
	require.NoError(t, txn.Commit())
	assert.Equal(t, "obj", read(t, filepath.Join(dir, "a.o")))
	assert.Equal(t, "dep", read(t, filepath.Join(dir, "a.d")))
	assert.Equal(t, "stack", read(t, filepath.Join(dir, "a.su")))
	assert.Equal(t, "old b", read(t, filepath.Join(dir, "b.o")))
	assert.ElementsMatch(t, []string{"a.o", "a.d", "a.su", "b.o"}, entries(t, dir))
}

// The order of the renames, seen at each one: side files (named and
// unnamed) are in place before the primary output is.
func TestSideFilesRenamedBeforePrimary(t *testing.T) {
	dir := t.TempDir()
	for _, n := range []string{"a.o", "a.d", "a.su"} {
		write(t, filepath.Join(dir, n), "old")
	}
	txn := New(Options{})
	a, err := txn.Stage(filepath.Join(dir, "a.o"))
	require.NoError(t, err)
	d, err := txn.StageSide(filepath.Join(dir, "a.d"))
	require.NoError(t, err)
	write(t, a.Temp, "new")
	write(t, d.Temp, "new")
	write(t, filepath.Join(filepath.Dir(a.Temp), "a.su"), "new")
	var seen []string
	testHookBeforeRename = func(target string) {
		state := filepath.Base(target) + ":"
		for _, n := range []string{"a.o", "a.d", "a.su"} {
			state += " " + n + "=" + read(t, filepath.Join(dir, n))
		}
		seen = append(seen, state)
	}
	defer func() { testHookBeforeRename = nil }()
	require.NoError(t, txn.Commit())
	require.Len(t, seen, 3)
	assert.Equal(t, "a.o: a.o=old a.d=new a.su=new", seen[2], "the primary output is renamed last: %v", seen)
}

// A file the tool made a directory of, beside its output, is moved into
// place only where nothing is.
func TestNewDirectoryNeverReplaces(t *testing.T) {
	dir := t.TempDir()
	write(t, filepath.Join(dir, "taken"), "precious")
	txn := New(Options{})
	o, err := txn.Stage(filepath.Join(dir, "out"))
	require.NoError(t, err)
	write(t, o.Temp, "new")
	require.NoError(t, os.Mkdir(filepath.Join(filepath.Dir(o.Temp), "taken"), 0o755))
	require.Error(t, txn.Commit())
	assert.Equal(t, "precious", read(t, filepath.Join(dir, "taken")))

	txn = New(Options{})
	o, err = txn.Stage(filepath.Join(dir, "out"))
	require.NoError(t, err)
	require.NoError(t, os.Mkdir(filepath.Join(filepath.Dir(o.Temp), "free"), 0o755))
	write(t, filepath.Join(filepath.Dir(o.Temp), "free", "f"), "f")
	require.NoError(t, txn.Commit())
	assert.Equal(t, "f", read(t, filepath.Join(dir, "free", "f")))
}

// A directory the tool makes beside its output where one of that name
// exists (dsymutil's prog.dSYM after a -g link on macOS) is committed into
// it, file by file, as the bare tool writes into it: the old tree's files
// get their new versions by rename (a reader keeps the old one), files
// this run did not write stay, new subdirectories move in whole. The next
// build does it again.
func TestSideDirectoryCommittedIntoOldOne(t *testing.T) {
	dir := t.TempDir()
	bundle := filepath.Join(dir, "prog.dSYM")
	dwarf := filepath.Join(bundle, "Contents", "Resources", "DWARF", "prog")
	plist := filepath.Join(bundle, "Contents", "Info.plist")
	extra := filepath.Join(bundle, "Contents", "extra")
	require.NoError(t, os.MkdirAll(filepath.Dir(dwarf), 0o755))
	write(t, dwarf, "old dwarf")
	write(t, plist, "old plist")
	write(t, extra, "kept")
	held, err := os.Open(dwarf)
	require.NoError(t, err)
	defer held.Close()

	for round, content := range []string{"new", "newer"} {
		txn := New(Options{Durable: true})
		o, err := txn.Stage(filepath.Join(dir, "prog"))
		require.NoError(t, err)
		write(t, o.Temp, content+" prog")
		staged := filepath.Join(filepath.Dir(o.Temp), "prog.dSYM")
		require.NoError(t, os.MkdirAll(filepath.Join(staged, "Contents", "Resources", "DWARF"), 0o755))
		require.NoError(t, os.MkdirAll(filepath.Join(staged, "Contents", "Resources", "Relocations", "aarch64"), 0o755))
		write(t, filepath.Join(staged, "Contents", "Resources", "DWARF", "prog"), content+" dwarf")
		write(t, filepath.Join(staged, "Contents", "Info.plist"), content+" plist")
		write(t, filepath.Join(staged, "Contents", "Resources", "Relocations", "aarch64", "prog.yml"), content+" yml")
		require.NoError(t, txn.Commit(), "round %d", round)
		assert.Equal(t, content+" prog", read(t, filepath.Join(dir, "prog")))
		assert.Equal(t, content+" dwarf", read(t, dwarf))
		assert.Equal(t, content+" plist", read(t, plist))
		assert.Equal(t, content+" yml", read(t, filepath.Join(bundle, "Contents", "Resources", "Relocations", "aarch64", "prog.yml")))
		assert.Equal(t, "kept", read(t, extra), "a file this run did not write stays, as with the bare tool")
		assert.ElementsMatch(t, []string{"prog", "prog.dSYM"}, entries(t, dir), "nothing left behind")
	}
	b := make([]byte, 9)
	_, err = held.ReadAt(b, 0)
	require.NoError(t, err)
	assert.Equal(t, "old dwarf", string(b), "a reader keeps the old file")
}

// HFS+ stores names decomposed (NFD) and lists them so, whatever form
// they were made with; a lookup by either form finds the file. Here the
// listing gives "e\u0301.o" for the output the tool wrote as "\u00e9.o"
// (composed), and both names lead to it. The output is committed once,
// to its own target, and the backup holds the old file.
func TestOutputListedDecomposed(t *testing.T) {
	nfd := func(s string) string { return strings.ReplaceAll(s, "\u00e9", "e\u0301") }
	withSys(t, func(s *sysCalls) {
		list := s.dirNames
		s.dirNames = func(fd int) ([]string, error) {
			names, err := list(fd)
			seen := map[string]bool{}
			var out []string
			for _, n := range names {
				if !seen[nfd(n)] {
					seen[nfd(n)] = true
					out = append(out, nfd(n))
				}
			}
			return out, err
		}
	})
	dir := t.TempDir()
	target := filepath.Join(dir, "\u00e9.o")
	write(t, target, "old")
	txn := New(Options{})
	o, err := txn.Stage(target)
	require.NoError(t, err)
	o.Backup = target + "~"
	write(t, o.Temp, "new")
	require.NoError(t, os.Link(o.Temp, filepath.Join(filepath.Dir(o.Temp), nfd("\u00e9.o"))), "the decomposed name leads to the same file")
	require.NoError(t, txn.Commit())
	assert.Equal(t, "new", read(t, target))
	assert.Equal(t, "old", read(t, target+"~"), "the backup holds the old file")
	assert.ElementsMatch(t, []string{"\u00e9.o", "\u00e9.o~"}, entries(t, dir), "committed once, as itself")
}

// A backup is the old entry itself, under its backup name, and the target
// is never missing: a hard link, or where the kernel refuses one (another
// user's file) an exchange of names; with neither, a copy of its kind (a
// symlink stays a symlink). No name is left behind.
func TestBackupKeepsTheOldEntry(t *testing.T) {
	for _, how := range []string{"link", "exchange", "copy"} {
		t.Run(how, func(t *testing.T) {
			if how != "link" {
				saved := backupLink
				backupLink = func(string, string) error { return unix.EPERM }
				t.Cleanup(func() { backupLink = saved })
			}
			dir := t.TempDir()
			switch how {
			case "copy":
				withSys(t, func(s *sysCalls) { s.exchange = noExchange })
			case "exchange":
				write(t, filepath.Join(dir, "x"), "")
				write(t, filepath.Join(dir, "y"), "")
				if sys.exchange(filepath.Join(dir, "x"), filepath.Join(dir, "y")) == errNotSupported {
					t.Skip("no exchange of names here (the POSIX fallback): the copy covers it")
				}
				require.NoError(t, os.Remove(filepath.Join(dir, "x")))
				require.NoError(t, os.Remove(filepath.Join(dir, "y")))
			}
			target, link := filepath.Join(dir, "prog"), filepath.Join(dir, "lnk")
			write(t, target, "old")
			require.NoError(t, os.Symlink("prog", link))
			ino := inodeOf(t, target)
			txn := New(Options{ReplaceSpecial: true})
			for _, p := range []string{target, link} {
				o, fd, err := txn.Create(p, 0o644)
				require.NoError(t, err)
				writeFD(t, fd, "new")
				o.Backup = p + "~"
			}
			require.NoError(t, txn.Commit())
			assert.Equal(t, "new", read(t, target))
			assert.Equal(t, "new", read(t, link))
			assert.Equal(t, "old", read(t, target+"~"))
			if how != "copy" {
				assert.Equal(t, ino, inodeOf(t, target+"~"), "the backup is the old file")
			}
			dest, err := os.Readlink(link + "~")
			require.NoError(t, err, "the backup of a symlink is a symlink")
			assert.Equal(t, "prog", dest)
			assert.Equal(t, []string{"lnk", "lnk~", "prog", "prog~"}, entries(t, dir))
		})
	}
}
