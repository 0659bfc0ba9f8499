//go:build linux

package e2e

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// frontEnd is one ldwrap command producing out from the inputs in src.
type frontEnd struct {
	name string
	// argv is the command through ldwrap, bare the same without it ("" for
	// ldwrap-install, which is its own tool).
	argv, bare func(src, out string) []string
	env        []string
	own        int // exit code of ldwrap's own failures
	// writeFails is ldwrap's message when the tool's write fails for want
	// of space, where ldwrap writes the file itself; nil: the tool's.
	writeFails func(out string) string
}

var frontEnds = []frontEnd{
	{"ldwrap", func(src, out string) []string { return []string{ldwrap("ldwrap"), "-r", "-o", out, src + "/a.o"} },
		func(src, out string) []string { return []string{"ld", "-r", "-o", out, src + "/a.o"} }, []string{"LDWRAP_LD=ld"}, 126, nil},
	{"ldwrap-cc", func(src, out string) []string { return []string{ldwrap("ldwrap-cc"), "-c", src + "/a.c", "-o", out} },
		func(src, out string) []string { return []string{"cc", "-c", src + "/a.c", "-o", out} }, nil, 126, nil},
	{"ldwrap-install", func(src, out string) []string {
		return []string{ldwrap("ldwrap-install"), "-m", "644", src + "/a.c", out}
	}, nil, nil, 1, func(out string) string {
		return ldwrap("ldwrap-install") + ": error writing '" + out + "': No space left on device\n"
	}},
	{"ldwrap-run", func(src, out string) []string {
		return []string{ldwrap("ldwrap-run"), "-o", out, "--", "cp", src + "/a.c", out}
	}, func(src, out string) []string { return []string{"cp", src + "/a.c", out} }, []string{"LDWRAP_RUN_MODE=args"}, 126, nil},
	// The default: namespace mode, or argument mode where a fault keeps
	// namespace mode from running (a read-only filesystem, a directory
	// nobody may not stage beside), and in the portable build.
	{"ldwrap-run-namespace", func(src, out string) []string {
		return []string{ldwrap("ldwrap-run"), "-o", out, "--", "cp", src + "/a.c", out}
	}, func(src, out string) []string { return []string{"cp", src + "/a.c", out} }, nil, 126, nil},
}

func mountTmpfs(t testing.TB, dir, opts string) {
	t.Helper()
	require.NoError(t, os.MkdirAll(dir, 0o755))
	run(t, "/", nil, "mount", "-t", "tmpfs", "-o", opts, "tmpfs", dir)
	t.Cleanup(func() { runErr("/", nil, "umount", "-l", dir) })
}

// fill writes files into dir until the filesystem refuses with ENOSPC.
func fill(t *testing.T, dir string, size int) {
	t.Helper()
	buf := make([]byte, size)
	for i := 0; ; i++ {
		err := os.WriteFile(filepath.Join(dir, fmt.Sprintf("fill%d", i)), buf, 0o644)
		if err != nil {
			require.Contains(t, err.Error(), "no space left on device")
			return
		}
		require.Less(t, i, 100000)
	}
}

const oldOutput = "the old output\n"

var _ = portableToo(TestFaults)

// The fault-injection suite: every front end, every fault. Each case
// checks the exit code, the one-line "ldwrap: <what> <path>: <cause>"
// message where ldwrap itself fails, that the old output is byte-identical
// and that nothing is left behind.
func TestFaults(t *testing.T) {
	need(t, "root", "gcc")
	requireRoot(t)
	type fault struct {
		name string
		// prepare makes the fault around out (in dir) and returns the
		// expected exit code (0: use the front end's own code) and the
		// expected cause in ldwrap's message ("" if the tool reports).
		prepare func(t *testing.T, dir, out string) (code int, cause string)
		user    []string // run as another user
		noOld   bool
		// outDir is where the output goes, under the test's directory.
		outDir string
		// succeeds names front ends for which the "fault" is a documented
		// behaviour: install(1) installs into an existing directory, and
		// so does cp, which namespace mode runs as bare.
		succeeds []string
		// asBare: there is nothing old to protect, and the wrapped tools
		// run untouched: the exit status is the bare tool's, and the
		// message the tool's own.
		asBare bool
		// after checks what else the fault must leave as it was.
		after func(t *testing.T, out string)
	}
	faults := []fault{
		{name: "disk-full-tool-write", prepare: func(t *testing.T, dir, out string) (int, string) {
			mountTmpfs(t, dir, "size=64k")
			writeFile(t, out, oldOutput)
			fill(t, dir, 4096)
			return -1, "" // the tool's (or install's) write fails
		}},
		{name: "disk-full-no-inodes", prepare: func(t *testing.T, dir, out string) (int, string) {
			mountTmpfs(t, dir, "size=1m,nr_inodes=8")
			writeFile(t, out, oldOutput)
			fill(t, dir, 1)
			return 0, "no space left on device"
		}},
		{name: "read-only-fs", prepare: func(t *testing.T, dir, out string) (int, string) {
			mountTmpfs(t, dir, "size=1m")
			writeFile(t, out, oldOutput)
			run(t, "/", nil, "mount", "-o", "remount,ro", dir)
			return 0, "read-only file system"
		}},
		{name: "directory-at-output", noOld: true, succeeds: []string{"ldwrap-install", "ldwrap-run-namespace"}, prepare: func(t *testing.T, dir, out string) (int, string) {
			require.NoError(t, os.MkdirAll(out, 0o755))
			writeFile(t, filepath.Join(out, "keep"), oldOutput)
			return 0, "is a directory"
		}, after: func(t *testing.T, out string) {
			assert.Equal(t, oldOutput, string(readFile(t, filepath.Join(out, "keep"))), "the directory's contents survive")
		}},
		{name: "missing-output-dir", noOld: true, outDir: "missing/out", asBare: true, prepare: func(t *testing.T, dir, out string) (int, string) {
			return 0, "no such file or directory"
		}, after: func(t *testing.T, out string) {
			assert.NoDirExists(t, filepath.Dir(out), "no directory made where the bare tool makes none")
		}},
		{name: "file-in-output-path", noOld: true, outDir: "file/out", asBare: true, prepare: func(t *testing.T, dir, out string) (int, string) {
			writeFile(t, filepath.Dir(dir), oldOutput)
			return 0, "not a directory"
		}, after: func(t *testing.T, out string) {
			assert.Equal(t, oldOutput, string(readFile(t, filepath.Dir(filepath.Dir(out)))), "the file in the way is untouched")
		}},
		{name: "unwritable-output-dir", user: asNobody(), prepare: func(t *testing.T, dir, out string) (int, string) {
			require.NoError(t, os.MkdirAll(dir, 0o755))
			writeFile(t, out, oldOutput)
			return 0, "permission denied"
		}},
	}
	for _, fe := range frontEnds {
		for _, f := range faults {
			t.Run(fe.name+"/"+f.name, func(t *testing.T) {
				base := publicDir(t)
				src := filepath.Join(base, "src")
				writeFile(t, filepath.Join(src, "a.c"), hello("v1"))
				run(t, src, nil, "gcc", "-c", "a.c")
				outDir := f.outDir
				if outDir == "" {
					outDir = "out"
				}
				dir := filepath.Join(base, outDir)
				out := filepath.Join(dir, "a.out")
				code, cause := f.prepare(t, dir, out)
				argv := append(append([]string{}, f.user...), fe.argv(src, out)...)
				got, msg := exitCode(base, fe.env, argv...)
				switch {
				case strings.Contains(" "+strings.Join(f.succeeds, " ")+" ", " "+fe.name+" ") && !(portable && fe.name == "ldwrap-run-namespace"):
					assert.Equal(t, 0, got, msg)
				case f.asBare && fe.bare != nil:
					bareCode, bareMsg := exitCode(base, nil, append(append([]string{}, f.user...), fe.bare(src, out)...)...)
					assert.Equal(t, bareCode, got, "the bare tool's status; bare: %s, wrapped: %s", bareMsg, msg)
					assert.NotContains(t, msg, "ldwrap:", "the tool's own message")
				case code == -1:
					assert.NotEqual(t, 0, got, msg)
					if fe.writeFails != nil {
						assert.Equal(t, fe.own, got, msg)
						assert.Equal(t, fe.writeFails(out), msg)
					}
				default:
					assert.Equal(t, fe.own, got, msg)
					lines := strings.Split(strings.TrimSuffix(msg, "\n"), "\n")
					assert.Len(t, lines, 1, "one line: %q", msg)
					if fe.name == "ldwrap-install" { // install(1)'s words: "install: cannot remove 'OUT': Permission denied"
						cause = strings.ToUpper(cause[:1]) + cause[1:]
						assert.True(t, strings.HasPrefix(msg, ldwrap("ldwrap-install")+": ") && strings.Contains(msg, " '"+out+"': "+cause), "%q should name %s and %q", msg, out, cause)
						break
					}
					assert.True(t, strings.HasPrefix(msg, "ldwrap: ") && strings.Contains(msg, " "+out+": "+cause), "%q should name %s and %q", msg, out, cause)
				}
				if !f.noOld {
					assert.Equal(t, oldOutput, string(readFile(t, out)), "the old output is byte-identical")
				}
				if f.after != nil {
					f.after(t, out)
				}
				if _, err := os.Stat(dir); err == nil {
					assert.Empty(t, leftovers(t, dir))
				}
			})
		}
	}
}

var _ = portableToo(TestFaultsTool)

// A missing or non-executable real tool: 127 or 126, one line, nothing
// staged, the old output untouched.
func TestFaultsTool(t *testing.T) {
	need(t, "gcc")
	dir := t.TempDir()
	writeFile(t, filepath.Join(dir, "a.c"), hello("v1"))
	writeFile(t, filepath.Join(dir, "notexec"), "#!/bin/sh\n")
	writeFile(t, filepath.Join(dir, "out"), oldOutput)
	cases := []struct {
		argv []string
		env  []string
		code int
	}{
		{[]string{ldwrap("ldwrap"), "a.o", "-o", "out"}, []string{"LDWRAP_LD=/nonexistent/ld"}, 127},
		{[]string{ldwrap("ldwrap"), "a.o", "-o", "out"}, []string{"LDWRAP_LD=./notexec"}, 126},
		{[]string{ldwrap("ldwrap-cc"), "-c", "a.c", "-o", "out"}, []string{"LDWRAP_CC=nonexistent-cc"}, 127},
		{[]string{ldwrap("ldwrap-c++"), "-c", "a.c", "-o", "out"}, []string{"LDWRAP_CXX=./notexec"}, 126},
		{[]string{ldwrap("ldwrap-run"), "-o", "out", "--", "nonexistent-tool", "out"}, nil, 127},
		{[]string{ldwrap("ldwrap-run"), "-o", "out", "--", "./notexec", "out"}, nil, 126},
	}
	for _, c := range cases {
		code, msg := exitCode(dir, c.env, c.argv...)
		assert.Equal(t, c.code, code, "%v %v: %s", c.env, c.argv, msg)
		assert.True(t, strings.HasPrefix(msg, "ldwrap: run ") && strings.Count(msg, "\n") == 1, "%q", msg)
		assert.Equal(t, oldOutput, string(readFile(t, filepath.Join(dir, "out"))))
		assert.Empty(t, leftovers(t, dir))
	}
}

var _ = portableToo(TestFaultsCrossMount)

// Inputs on one filesystem, the output on another: staging happens beside
// the output, so the commit is still a rename, and the result is right.
func TestFaultsCrossMount(t *testing.T) {
	need(t, "root", "gcc")
	requireRoot(t)
	base := t.TempDir()
	src := filepath.Join(base, "src")
	writeFile(t, filepath.Join(src, "a.c"), hello("v1"))
	run(t, src, nil, "gcc", "-c", "a.c")
	for _, fe := range frontEnds {
		dir := filepath.Join(base, "mnt-"+fe.name)
		mountTmpfs(t, dir, "size=8m")
		out := filepath.Join(dir, "a.out")
		writeFile(t, out, oldOutput)
		run(t, base, fe.env, fe.argv(src, out)...)
		assert.NotEqual(t, oldOutput, string(readFile(t, out)), fe.name)
		assert.Empty(t, leftovers(t, dir))
	}
}
