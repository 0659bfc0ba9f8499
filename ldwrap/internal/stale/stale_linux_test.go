package stale

import (
	"bytes"
	"io"
	"math/rand"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
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

func start(t *testing.T, cmd *exec.Cmd) *exec.Cmd {
	t.Helper()
	require.NoError(t, cmd.Start())
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	return cmd
}

// A program running an old executable, and one holding an old file open,
// are found; an unrelated deleted file is not; a root given through a
// symlink finds them too; after they exit, nothing is.
func TestFindsOldExecutableAndDescriptor(t *testing.T) {
	dir := t.TempDir()
	prog := filepath.Join(dir, "prog")
	sleep, err := exec.LookPath("sleep")
	require.NoError(t, err)
	copyFile(t, sleep, prog, 0o755)
	data := filepath.Join(dir, "data")
	require.NoError(t, os.WriteFile(data, []byte("old"), 0o644))

	runner := start(t, exec.Command(prog, "30"))
	holder := start(t, exec.Command("sh", "-c", "exec 3<\"$0\"; exec sleep 30", data))
	time.Sleep(200 * time.Millisecond)

	// Replace both by rename, as ldwrap does.
	copyFile(t, sleep, prog+".new", 0o755)
	require.NoError(t, os.Rename(prog+".new", prog))
	require.NoError(t, os.WriteFile(data+".new", []byte("new"), 0o644))
	require.NoError(t, os.Rename(data+".new", data))

	res, err := Scan([]string{dir})
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

	link := filepath.Join(t.TempDir(), "link")
	require.NoError(t, os.Symlink(dir, link))
	res, err = Scan([]string{link})
	require.NoError(t, err)
	assert.Len(t, res.Uses, 2, "a root through a symlink (/bin on merged /usr)")
	res, err = Scan([]string{filepath.Join(dir, "elsewhere")})
	require.NoError(t, err)
	assert.Empty(t, res.Uses, "another directory")

	// Deleted without a replacement: not an old version of anything.
	require.NoError(t, os.Remove(prog))
	res, err = Scan([]string{dir})
	require.NoError(t, err)
	assert.Len(t, res.Uses, 1)

	runner.Process.Kill()
	holder.Process.Kill()
	runner.Wait()
	holder.Wait()
	res, err = Scan([]string{dir})
	require.NoError(t, err)
	assert.Empty(t, res.Uses, "after they exit")
}

// A replaced file whose name is longer than ldwrap's staging names allow
// is found like any other.
func TestLongName(t *testing.T) {
	dir := t.TempDir()
	long := filepath.Join(dir, strings.Repeat("n", 240))
	require.NoError(t, os.WriteFile(long, []byte("old"), 0o644))
	start(t, exec.Command("sh", "-c", "exec 3<\"$0\"; exec sleep 30", long))
	time.Sleep(100 * time.Millisecond)
	require.NoError(t, os.WriteFile(long+"~", []byte("new"), 0o644))
	require.NoError(t, os.Rename(long+"~", long))
	res, err := Scan([]string{dir})
	require.NoError(t, err)
	require.Len(t, res.Uses, 1)
	assert.Equal(t, long, res.Uses[0].Path)
}

// An interpreter whose script was replaced after it started is a user of
// the old version (perl, like python, reads its script and closes it); one
// started after the replacement is not.
func TestReplacedScript(t *testing.T) {
	perl, err := exec.LookPath("perl")
	require.NoError(t, err)
	dir := t.TempDir()
	script := filepath.Join(dir, "app.pl")
	require.NoError(t, os.WriteFile(script, []byte("sleep 30;\n"), 0o644))
	old := start(t, exec.Command(perl, "-w", script))
	time.Sleep(1100 * time.Millisecond)
	require.NoError(t, os.WriteFile(script+".new", []byte("sleep 31;\n"), 0o644))
	require.NoError(t, os.Rename(script+".new", script))
	time.Sleep(1100 * time.Millisecond)
	fresh := start(t, exec.Command(perl, script))
	time.Sleep(200 * time.Millisecond)
	res, err := Scan([]string{dir})
	require.NoError(t, err)
	require.Len(t, res.Uses, 1, "%+v", res.Uses)
	assert.Equal(t, old.Process.Pid, res.Uses[0].PID)
	assert.Equal(t, Script, res.Uses[0].Kind)
	assert.Equal(t, script, res.Uses[0].Path)
	assert.NotEqual(t, fresh.Process.Pid, res.Uses[0].PID)
}

func TestScriptArg(t *testing.T) {
	for _, c := range []struct {
		name string
		argv []string
		want string
	}{
		{"python3", []string{"python3", "-u", "-W", "ignore", "app.py", "x"}, "app.py"},
		{"python3.11", []string{"python3", "-m", "http.server"}, ""},
		{"perl", []string{"perl", "-e", "print 1"}, ""},
		{"perl", []string{"perl", "-w", "x.pl"}, "x.pl"},
		{"bash", []string{"bash", "-c", "x"}, ""},
		{"node", []string{"node", "--require", "m", "s.js"}, "s.js"},
		{"php", []string{"php", "-f", "i.php"}, "i.php"},
		{"sh", []string{"sh", "--", "-odd"}, "-odd"},
	} {
		assert.Equal(t, c.want, scriptArg(c.name, c.argv), "%q", c.argv)
	}
	assert.True(t, isInterpreterName("python3.11"))
	assert.False(t, isInterpreterName("pythonista"))
	// The expression isInterpreterName replaces is the oracle.
	re := regexp.MustCompile(`^(python|perl|ruby|node|nodejs|php|tclsh|wish|lua)[0-9.]*$|^(ba|da|z|k|mk)?sh$`)
	pieces := []string{"python", "perl", "ruby", "node", "nodejs", "js", "php", "tclsh", "wish", "lua", "sh", "ba", "da", "z", "k", "mk", "3", "11", ".", "-", "x", ""}
	r := rand.New(rand.NewSource(1))
	for i := 0; i < 50000; i++ {
		s := ""
		for j := r.Intn(4); j >= 0; j-- {
			s += pieces[r.Intn(len(pieces))]
		}
		if isInterpreterName(s) != re.MatchString(s) {
			t.Fatalf("%q: isInterpreterName %v, the expression %v", s, isInterpreterName(s), re.MatchString(s))
		}
	}
}

func TestDeletedMappings(t *testing.T) {
	for line, want := range map[string]bool{
		"7f00-7f01 r-xp 00000000 fd:01 1234 /usr/lib/libx.so (deleted)":    true,
		"7f00-7f01 rw-s 00000000 00:01 5678 /dev/zero (deleted)":           false,
		"7f00-7f01 rw-s 00000000 00:01 9 /SYSV00000000 (deleted)":          false,
		"7f00-7f01 rw-s 00000000 00:01 9 /memfd:jit (deleted)":             false,
		"7f00-7f01 r-xp 00000000 fd:01 1234 /usr/lib/libx.so":              false,
		"7f00-7f01 r-xp 00000000 fd:01 1234 /a path/with spaces (deleted)": true,
	} {
		_, path, _, _, ok := deletedMapping(line)
		assert.Equal(t, want, ok, line)
		if ok {
			assert.False(t, strings.HasSuffix(path, deleted))
		}
	}
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
	assert.Equal(t, "7 (my server) mapping unit=x.service /lib/libx.so", u.Format())
	u = Use{PID: 8, Comm: "a)b", Kind: Executable, Path: "/srv/new\nline x unit=fake.service", Service: "nginx"}
	assert.Equal(t, `8 (a\x29b) executable service=nginx /srv/new\x0aline\x20x\x20unit=fake.service`, u.Format())
	assert.Equal(t, []string{"a.service", "b.scope"}, Units([]Use{{Unit: "b.scope"}, {Unit: "a.service"}, {Unit: "a.service"}, {Service: "n"}}))
	assert.Equal(t, []string{"a", "n"}, Services([]Use{{Unit: "b.scope"}, {Unit: "a.service"}, {Service: "n"}}))
	var b bytes.Buffer
	denied := Result{Denied: 2, Uninspected: []Process{{1, "init"}, {9, "a)b"}}}
	denied.Uses = []Use{{PID: 1, Comm: "c", Path: "/p\n"}}
	require.NoError(t, WriteJSON(&b, denied))
	assert.Equal(t, `{"uses":[{"pid":1,"comm":"c","kind":"executable","path":"/p\n"}],"uninspected":2,"uninspected_processes":[{"pid":1,"comm":"init"},{"pid":9,"comm":"a)b"}]}`+"\n", b.String())
	assert.Equal(t, `2 processes could not be inspected (permission denied): 1 (init), 9 (a\x29b)`, UninspectedMessage(denied))
	assert.Equal(t, "1 process could not be inspected (permission denied): 1 (init)", UninspectedMessage(Result{Denied: 1, Uninspected: denied.Uninspected[:1]}))
	many := Result{Denied: namedMax + 2}
	for i := 0; i < namedMax+2; i++ {
		many.Uninspected = append(many.Uninspected, Process{i + 1, "p"})
	}
	assert.True(t, strings.HasSuffix(UninspectedMessage(many), ": 1 (p), 2 (p), 3 (p), 4 (p), 5 (p), 6 (p), 7 (p), 8 (p), 9 (p), 10 (p), and 2 more"), UninspectedMessage(many))
	assert.Equal(t, "", UninspectedMessage(Result{}))
	assert.Equal(t, "/a b", unescapeOctal(`/a\040b`))
}

func BenchmarkScan(b *testing.B) {
	for i := 0; i < b.N; i++ {
		if _, err := Scan([]string{"/usr"}); err != nil {
			b.Fatal(err)
		}
	}
}
