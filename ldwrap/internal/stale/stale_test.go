package stale

import (
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func copyFile(t *testing.T, src, dst string, mode os.FileMode) {
	t.Helper()
	in, err := os.Open(src)
	require.NoError(t, err)
	defer in.Close()
	out, err := os.OpenFile(dst, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, mode)
	require.NoError(t, err)
	_, err = io.Copy(out, in)
	require.NoError(t, err)
	require.NoError(t, out.Close())
}

func inode(t *testing.T, path string) Inode {
	t.Helper()
	var st syscall.Stat_t
	require.NoError(t, syscall.Stat(path, &st))
	return Inode{Path: path, Dev: uint64(st.Dev), Ino: st.Ino}
}

// A program running an old executable, and one holding an old file open,
// are found by inode and by path; an unrelated deleted file is not; after
// they exit, nothing is.
func TestFindsOldExecutableAndDescriptor(t *testing.T) {
	dir := t.TempDir()
	prog := filepath.Join(dir, "prog")
	sleep, err := exec.LookPath("sleep")
	require.NoError(t, err)
	copyFile(t, sleep, prog, 0o755)
	data := filepath.Join(dir, "data")
	require.NoError(t, os.WriteFile(data, []byte("old"), 0o644))
	oldProg, oldData := inode(t, prog), inode(t, data)

	runner := exec.Command(prog, "30")
	require.NoError(t, runner.Start())
	holder := exec.Command("sh", "-c", "exec 3<\"$0\"; exec sleep 30", data)
	require.NoError(t, holder.Start())
	defer func() {
		runner.Process.Kill()
		holder.Process.Kill()
		runner.Wait()
		holder.Wait()
	}()
	time.Sleep(200 * time.Millisecond)

	// Replace both by rename, as ldwrap does; and delete an unrelated file
	// that the holder does not use.
	copyFile(t, sleep, prog+".new", 0o755)
	require.NoError(t, os.Rename(prog+".new", prog))
	require.NoError(t, os.WriteFile(data+".new", []byte("new"), 0o644))
	require.NoError(t, os.Rename(data+".new", data))

	res, err := ByInode([]Inode{oldProg, oldData})
	require.NoError(t, err)
	require.Len(t, res.Uses, 2, "%+v", res.Uses)
	got := map[Kind]Use{}
	for _, u := range res.Uses {
		got[u.Kind] = u
	}
	assert.Equal(t, runner.Process.Pid, got[Executable].PID)
	assert.Equal(t, prog, got[Executable].Path)
	assert.Equal(t, "prog", got[Executable].Comm)
	assert.Equal(t, holder.Process.Pid, got[Descriptor].PID)
	assert.Equal(t, data, got[Descriptor].Path)

	res, err = UnderPaths([]string{dir})
	require.NoError(t, err)
	assert.Len(t, res.Uses, 2, "%+v", res.Uses)
	res, err = UnderPaths([]string{filepath.Join(dir, "elsewhere")})
	require.NoError(t, err)
	assert.Empty(t, res.Uses, "another directory")

	// Deleted without a replacement: not an old version of anything.
	require.NoError(t, os.Remove(prog))
	res, err = UnderPaths([]string{dir})
	require.NoError(t, err)
	assert.Len(t, res.Uses, 1)
	res, err = ByInode([]Inode{oldProg})
	require.NoError(t, err)
	assert.Len(t, res.Uses, 1, "by inode it is still the replaced file")

	runner.Process.Kill()
	holder.Process.Kill()
	runner.Wait()
	holder.Wait()
	res, err = ByInode([]Inode{oldProg, oldData})
	require.NoError(t, err)
	assert.Empty(t, res.Uses, "after they exit")
}

func TestUnitAndFormats(t *testing.T) {
	assert.Equal(t, "nginx.service", unitOf("0::/system.slice/nginx.service\n"))
	assert.Equal(t, "foo.service", unitOf("0::/user.slice/user-1000.slice/user@1000.service/app.slice/foo.service\n"))
	assert.Equal(t, "", unitOf("0::/\n"))
	assert.Equal(t, "x.service", unitOf("12:cpu:/other\n1:name=systemd:/system.slice/x.service\n"))
	dev, ok := parseDev("fd:01")
	assert.True(t, ok)
	assert.Equal(t, uint64(0xfd01), dev)
	u := Use{PID: 7, Comm: "my server", Kind: Mapping, Path: "/lib/libx.so", Unit: "x.service"}
	assert.Equal(t, "7 (my server) mapping /lib/libx.so unit=x.service", u.Format())
	assert.Equal(t, []string{"ldwrap: /a: old version still in use by 7 (p), 9 (q)", "ldwrap: /b: old version still in use by 7 (p)"},
		Report([]Use{{PID: 7, Comm: "p", Path: "/a"}, {PID: 7, Comm: "p", Path: "/a", Kind: Mapping}, {PID: 9, Comm: "q", Path: "/a"}, {PID: 7, Comm: "p", Path: "/b"}}))
}

func BenchmarkUnderPaths(b *testing.B) {
	for i := 0; i < b.N; i++ {
		if _, err := UnderPaths([]string{"/tmp"}); err != nil {
			b.Fatal(err)
		}
	}
}

// A deleted file shows under its last name: ldwrap's staging names map back
// to the target's.
func TestUnstaged(t *testing.T) {
	assert.Equal(t, "/d/prog", unstaged("/d/.ldwrap.prog.ab12cd34/prog"), "exchanged into a staging directory")
	assert.Equal(t, "/d/prog", unstaged("/d/.ldwrap.prog.staging0"), "exchanged to a linked unnamed file's name")
	assert.Equal(t, "/d/a.b", unstaged("/d/.ldwrap.a.b.ab12cd34"))
	assert.Equal(t, "/d/prog", unstaged("/d/prog"))
	assert.Equal(t, "/d/.ldwrap.x", unstaged("/d/.ldwrap.x"))
}
