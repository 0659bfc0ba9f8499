//go:build unix

package ldwrap

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestWriteFileKeepsOldOnError(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "f")
	require.NoError(t, os.WriteFile(path, []byte("old"), 0o600))
	// The write itself fails: files of this process may not grow past
	// 1 KiB (EFBIG; Go ignores SIGXFSZ).
	var lim syscall.Rlimit
	require.NoError(t, syscall.Getrlimit(syscall.RLIMIT_FSIZE, &lim))
	small := lim
	small.Cur = 1024
	require.NoError(t, syscall.Setrlimit(syscall.RLIMIT_FSIZE, &small))
	err := WriteFile(path, make([]byte, 64<<10), 0o644)
	require.NoError(t, syscall.Setrlimit(syscall.RLIMIT_FSIZE, &lim))
	require.Error(t, err)
	assert.Equal(t, "write "+path+": file too large", err.Error())
	b, _ := os.ReadFile(path)
	assert.Equal(t, "old", string(b))
	entries, _ := os.ReadDir(dir)
	assert.Len(t, entries, 1, "no staging directory is left")

	p, err := Create(path, 0o644)
	require.NoError(t, err)
	p.Write([]byte("half"))
	require.NoError(t, p.Cleanup())
	b, _ = os.ReadFile(path)
	assert.Equal(t, "old", string(b))
	entries, _ = os.ReadDir(dir)
	assert.Len(t, entries, 1)
}

// The perm of WriteFile and Create is filtered by the umask, as with
// os.WriteFile; WithMode is exact; KeepAttrs falls back to perm (less the
// umask) when the old file is not a regular file.
func TestModesFollowOSWriteFile(t *testing.T) {
	old := syscall.Umask(0o027)
	defer syscall.Umask(old)
	dir := t.TempDir()
	mode := func(p string) os.FileMode {
		fi, err := os.Stat(p)
		require.NoError(t, err)
		return fi.Mode().Perm()
	}
	require.NoError(t, os.WriteFile(filepath.Join(dir, "control"), nil, 0o666))
	require.NoError(t, WriteFile(filepath.Join(dir, "f"), nil, 0o666))
	assert.Equal(t, mode(filepath.Join(dir, "control")), mode(filepath.Join(dir, "f")))
	assert.Equal(t, os.FileMode(0o640), mode(filepath.Join(dir, "f")))

	require.NoError(t, WriteFile(filepath.Join(dir, "exact"), nil, 0o600, WithMode(0o666)))
	assert.Equal(t, os.FileMode(0o666), mode(filepath.Join(dir, "exact")))

	require.NoError(t, os.WriteFile(filepath.Join(dir, "real"), nil, 0o751))
	require.NoError(t, os.Chmod(filepath.Join(dir, "real"), 0o751))
	require.NoError(t, WriteFile(filepath.Join(dir, "real"), []byte("x"), 0o600, KeepAttrs()))
	assert.Equal(t, os.FileMode(0o751), mode(filepath.Join(dir, "real")), "KeepAttrs keeps a regular file's mode")

	for _, dest := range []string{"real", "nowhere"} { // a link, and a dangling one
		link := filepath.Join(dir, "link-"+dest)
		require.NoError(t, os.Symlink(dest, link))
		require.NoError(t, WriteFile(link, []byte("x"), 0o644, KeepAttrs()))
		assert.Equal(t, os.FileMode(0o640), mode(link), "link to %s: the old entry is no regular file", dest)
	}
}

func TestInstallModeOwnerCompare(t *testing.T) {
	dir := t.TempDir()
	src, dst := filepath.Join(dir, "src"), filepath.Join(dir, "dst")
	require.NoError(t, os.WriteFile(src, []byte("x"), 0o600))
	require.NoError(t, Install(src, dst, WithMode(0o751), WithOwner(os.Getuid(), os.Getgid())))
	fi, err := os.Stat(dst)
	require.NoError(t, err)
	assert.Equal(t, os.FileMode(0o751), fi.Mode().Perm())
	ino := fi.Sys().(*syscall.Stat_t).Ino
	require.NoError(t, Install(src, dst, WithMode(0o751), SkipIdentical(false)))
	fi, _ = os.Stat(dst)
	assert.Equal(t, ino, fi.Sys().(*syscall.Stat_t).Ino, "identical: the inode is kept")
	require.NoError(t, Install(src, dst, WithMode(0o755), SkipIdentical(false)))
	fi, _ = os.Stat(dst)
	assert.NotEqual(t, ino, fi.Sys().(*syscall.Stat_t).Ino, "a different mode is a different file")
	assert.Error(t, Install(dir, dst))
	assert.Error(t, Install(filepath.Join(dir, "missing"), dst))
}

func TestRunStdoutAndMissingOutput(t *testing.T) {
	dir := t.TempDir()
	out := filepath.Join(dir, "out")
	require.NoError(t, Run(nil, []string{"echo", "hello"}, Stdout(out)))
	b, _ := os.ReadFile(out)
	assert.Equal(t, "hello\n", string(b))
	assert.Error(t, Run([]string{filepath.Join(dir, "x")}, []string{"true"}))
	err := Run(nil, []string{"sh", "-c", "echo bad; exit 2"}, Stdout(out))
	var ee *ExitError
	require.ErrorAs(t, err, &ee)
	assert.Equal(t, 2, ee.Code)
	b, _ = os.ReadFile(out)
	assert.Equal(t, "hello\n", string(b))
}

// An output whose directory is missing: the command runs as it would
// without ldwrap, and makes the directory or fails as it does bare.
func TestRunMissingDirectory(t *testing.T) {
	dir := t.TempDir()
	out := filepath.Join(dir, "bin", "app")
	require.NoError(t, Run([]string{out}, []string{"sh", "-c", `mkdir -p "$(dirname "$0")" && echo app > "$0"`, out}))
	b, err := os.ReadFile(out)
	require.NoError(t, err)
	assert.Equal(t, "app\n", string(b))
	other := filepath.Join(dir, "missing", "x")
	err = Run([]string{other}, []string{"cp", out, other})
	var ee *ExitError
	require.ErrorAs(t, err, &ee, "cp fails as it does bare")
	assert.Equal(t, 1, ee.Code)
	assert.NoDirExists(t, filepath.Join(dir, "missing"))
}

// StaleUsers names a process that still runs a program Install replaced.
func TestStaleUsersAfterInstall(t *testing.T) {
	dir := t.TempDir()
	sleep, err := exec.LookPath("sleep")
	require.NoError(t, err)
	prog := filepath.Join(dir, "prog")
	require.NoError(t, Install(sleep, prog, WithMode(0o755), Durable(false)))
	cmd := exec.Command(prog, "30")
	require.NoError(t, cmd.Start())
	defer func() { cmd.Process.Kill(); cmd.Wait() }()
	time.Sleep(100 * time.Millisecond)

	uses, _, err := StaleUsers(dir)
	require.NoError(t, err)
	assert.Empty(t, uses, "not replaced yet")
	require.NoError(t, Install(sleep, prog, WithMode(0o755), Durable(false)))
	uses, _, err = StaleUsers(dir)
	require.NoError(t, err)
	require.Len(t, uses, 1)
	assert.Equal(t, StaleUse{PID: cmd.Process.Pid, Comm: "prog", Kind: "executable", Path: prog}, uses[0])
}

// Install copies with copy_file_range, which copies nothing from /proc
// files (they report size 0) and refuses pipes: those take read/write.
func TestInstallFromProcFileAndPipe(t *testing.T) {
	dir := t.TempDir()
	want, err := os.ReadFile("/proc/version")
	require.NoError(t, err)
	require.NoError(t, Install("/proc/version", filepath.Join(dir, "version"), Durable(false)))
	got, err := os.ReadFile(filepath.Join(dir, "version"))
	require.NoError(t, err)
	assert.Equal(t, string(want), string(got))

	r, w, err := os.Pipe()
	require.NoError(t, err)
	go func() { w.Write([]byte("through a pipe\n")); w.Close() }()
	require.NoError(t, Install(fmt.Sprintf("/proc/self/fd/%d", r.Fd()), filepath.Join(dir, "piped"), Durable(false)))
	r.Close()
	got, err = os.ReadFile(filepath.Join(dir, "piped"))
	require.NoError(t, err)
	assert.Equal(t, "through a pipe\n", string(got))
}

// Each option has the type of the calls that take it, so that passing it
// to another call does not compile; a type assertion cannot get round
// that either.
func TestOptionsTypedByCall(t *testing.T) {
	calls := func(o interface{}) string {
		var takes []string
		if _, ok := o.(FileOption); ok {
			takes = append(takes, "WriteFile", "Create")
		}
		if _, ok := o.(InstallOption); ok {
			takes = append(takes, "Install")
		}
		if _, ok := o.(RunOption); ok {
			takes = append(takes, "Run")
		}
		return strings.Join(takes, " ")
	}
	const all = "WriteFile Create Install Run"
	for name, want := range map[string]struct {
		o     interface{}
		calls string
	}{
		"Durable": {Durable(true), all}, "KeepAttrs": {KeepAttrs(), all}, "SkipIdentical": {SkipIdentical(true), all},
		"FollowSymlinks": {FollowSymlinks(), all}, "Verbose": {Verbose(t.Logf), all},
		"WithMode": {WithMode(0o644), "WriteFile Create Install"}, "WithOwner": {WithOwner(-1, -1), "WriteFile Create Install"},
		"PreserveTimes": {PreserveTimes(), "Install"},
		"Stdout":        {Stdout("x"), "Run"}, "Fresh": {Fresh(), "Run"},
	} {
		assert.Equal(t, want.calls, calls(want.o), name)
	}
}

// A nil option is no option, in every call (it panicked while options
// were funcs).
func TestNilOptionIsNone(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "f")
	var none Option
	require.NoError(t, WriteFile(path, []byte("a"), 0o644, nil, none))
	p, err := Create(path, 0o644, nil)
	require.NoError(t, err)
	p.Write([]byte("b"))
	require.NoError(t, p.CloseAtomicallyReplace())
	require.NoError(t, Install(path, filepath.Join(dir, "g"), nil, WithMode(0o600), none))
	require.NoError(t, Run([]string{path}, []string{"sh", "-c", `echo c >> "$0"`, path}, nil, none))
	b, _ := os.ReadFile(path)
	assert.Equal(t, "bc\n", string(b))
	fi, err := os.Stat(filepath.Join(dir, "g"))
	require.NoError(t, err)
	assert.Equal(t, os.FileMode(0o600), fi.Mode().Perm())
}

// Close, like Cleanup, discards the pending file: the destination stays as
// it was, nothing is left beside it, and CloseAtomicallyReplace then fails
// (with renameio too: its file was closed).
func TestPendingFileCloseDiscards(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "f")
	require.NoError(t, os.WriteFile(path, []byte("old"), 0o644))
	p, err := Create(path, 0o644)
	require.NoError(t, err)
	p.Write([]byte("new"))
	require.NoError(t, p.Close())
	err = p.CloseAtomicallyReplace()
	assert.ErrorIs(t, err, os.ErrClosed)
	assert.EqualError(t, err, "replace "+path+": file already closed")
	assert.NoError(t, p.Cleanup(), "a no-op after Close")
	b, _ := os.ReadFile(path)
	assert.Equal(t, "old", string(b))
	entries, _ := os.ReadDir(dir)
	assert.Len(t, entries, 1, "nothing left beside the destination")

	p, err = Create(path, 0o644)
	require.NoError(t, err)
	p.Write([]byte("new"))
	require.NoError(t, p.CloseAtomicallyReplace())
	assert.NoError(t, p.Close(), "a no-op after the replace")
	assert.ErrorIs(t, p.CloseAtomicallyReplace(), os.ErrClosed, "once only")
	b, _ = os.ReadFile(path)
	assert.Equal(t, "new", string(b))
}

// A command that appends to its output sees the old content; with Fresh it
// starts from nothing.
func TestRunStartsFromOldOutput(t *testing.T) {
	dir := t.TempDir()
	log := filepath.Join(dir, "log.txt")
	require.NoError(t, os.WriteFile(log, []byte("line1\n"), 0o644))
	require.NoError(t, Run([]string{log}, []string{"sh", "-c", `echo line2 >> "$0"`, log}))
	b, _ := os.ReadFile(log)
	assert.Equal(t, "line1\nline2\n", string(b))
	require.NoError(t, Run([]string{log}, []string{"sh", "-c", `echo line3 >> "$0"`, log}, Fresh()))
	b, _ = os.ReadFile(log)
	assert.Equal(t, "line3\n", string(b))
}
