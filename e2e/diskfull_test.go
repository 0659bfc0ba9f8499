//go:build linux

package e2e

import (
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/sys/unix"

	api "github.com/ldwrap/ldwrap/ldwrap"
)

// A full disk at the two moments a step writes outside the tool: the
// staging copy (ldwrap-install's copy of its source, ldwrap-run's copy of
// the old output, the Go API's write; for the compilers and linkers the
// tool's own write) and the commit (the disk filled by the step itself
// just before ldwrap commits: by the tool, by install's strip program, by
// the Go API's caller). On a small tmpfs and on a loop-mounted ext4. The
// step fails with one line and the old file byte-identical, or (at the
// commit, which needs no new space) succeeds with the new file; nothing is
// left behind, and once the filler is gone the space is back.

// mountLoopExt4 makes an ext4 of size bytes in a file and mounts it on dir.
func mountLoopExt4(t *testing.T, dir string, size int64) {
	t.Helper()
	need(t, "mkfs.ext4", "losetup")
	img := filepath.Join(t.TempDir(), "ext4.img")
	f, err := os.Create(img)
	require.NoError(t, err)
	require.NoError(t, f.Truncate(size))
	f.Close()
	run(t, "/", nil, "mkfs.ext4", "-q", "-F", "-b", "1024", "-m", "0", img)
	require.NoError(t, os.MkdirAll(dir, 0o755))
	run(t, "/", nil, "mount", "-o", "loop", img, dir)
	t.Cleanup(func() { runErr("/", nil, "umount", dir) }) // -o loop detaches the device at umount
}

// freeBytes is what dir's file system has free, once written back.
func freeBytes(t *testing.T, dir string) int64 {
	t.Helper()
	d, err := os.Open(dir)
	require.NoError(t, err)
	require.NoError(t, unix.Syncfs(int(d.Fd())))
	d.Close()
	var st syscall.Statfs_t
	require.NoError(t, syscall.Statfs(dir, &st))
	return int64(st.Bfree) * int64(st.Bsize)
}

// fillScript fills the directory named by $FILLDIR until the file system
// refuses, and exits 0.
const fillScript = `#!/bin/sh
dd if=/dev/zero of="$FILLDIR/fill" bs=64k 2>/dev/null
i=0
while dd if=/dev/zero of="$FILLDIR/fill$i" bs=512 count=1 2>/dev/null; do i=$((i+1)); done
exit 0
`

type fullMoment struct {
	name string
	// step runs the step on out (in work, the test's directory off the
	// small file system); it returns the exit code (0: success) and the
	// message.
	step func(t *testing.T, work, out string) (int, string)
	// fillFirst: fill the disk before the step (the staging copy); else
	// the step fills it itself.
	fillFirst bool
}

func TestFaultsDiskFullMoments(t *testing.T) {
	need(t, "root", "gcc", "ld")
	requireRoot(t)
	src := t.TempDir()
	// Outputs of 100 KiB and more: a staged file left behind would show in
	// the free space.
	big := "static char big[100000] = {1};\nint main(void) { return big[0] - 1; }\n"
	writeFile(t, filepath.Join(src, "a.c"), big)
	run(t, src, nil, "gcc", "-c", "a.c")
	writeFile(t, filepath.Join(src, "data"), strings.Repeat("new data\n", 30000))
	writeFile(t, filepath.Join(src, "fill"), fillScript)
	require.NoError(t, os.Chmod(filepath.Join(src, "fill"), 0o755))
	for name, script := range map[string]string{"cc-then-fill": "gcc \"$@\" && exec " + src + "/fill", "ld-then-fill": "ld \"$@\" && exec " + src + "/fill"} {
		writeFile(t, filepath.Join(src, name), "#!/bin/sh\n"+script+"\n")
		require.NoError(t, os.Chmod(filepath.Join(src, name), 0o755))
	}
	data := readFile(t, filepath.Join(src, "data"))
	code := func(out string, err error) (int, string) {
		if err == nil {
			return 0, out
		}
		c, _ := exitCode("/", nil, "false")
		if ee, ok := err.(interface{ ExitCode() int }); ok {
			c = ee.ExitCode()
		}
		return c, out
	}
	apiCode := func(err error) (int, string) {
		if err == nil {
			return 0, ""
		}
		return 1, "ldwrap: " + err.Error() + "\n"
	}
	// The filler goes into a directory of its own, removed whole after:
	// ext4 keeps a directory's blocks when its entries go.
	fillEnv := func(out string) []string {
		return []string{"FILLDIR=" + filepath.Join(filepath.Dir(filepath.Dir(out)), "filler")}
	}
	moments := []fullMoment{
		{name: "ldwrap-install/copy", fillFirst: true, step: func(t *testing.T, work, out string) (int, string) {
			return code(runErr(work, nil, ldwrap("ldwrap-install"), "-m", "644", src+"/data", out))
		}},
		{name: "ldwrap-install/commit", step: func(t *testing.T, work, out string) (int, string) {
			return code(runErr(work, fillEnv(out), ldwrap("ldwrap-install"), "-m", "644", "-s", "--strip-program="+src+"/fill", src+"/data", out))
		}},
		{name: "ldwrap-run/copy", fillFirst: true, step: func(t *testing.T, work, out string) (int, string) {
			return code(runErr(work, nil, ldwrap("ldwrap-run"), "-o", out, "--", "cp", src+"/data", out))
		}},
		{name: "ldwrap-run/commit", step: func(t *testing.T, work, out string) (int, string) {
			return code(runErr(work, fillEnv(out), ldwrap("ldwrap-run"), "-o", out, "--", "sh", "-c", `cp "$1" "$2" && exec "$3"`, "sh", src+"/data", out, src+"/fill"))
		}},
		{name: "ldwrap-cc/copy", fillFirst: true, step: func(t *testing.T, work, out string) (int, string) {
			return code(runErr(work, nil, ldwrap("ldwrap-cc"), "-o", out, src+"/a.o"))
		}},
		{name: "ldwrap-cc/commit", step: func(t *testing.T, work, out string) (int, string) {
			return code(runErr(work, append(fillEnv(out), "LDWRAP_CC="+src+"/cc-then-fill", "LDWRAP_DURABLE=1"), ldwrap("ldwrap-cc"), "-o", out, src+"/a.o"))
		}},
		{name: "ldwrap/copy", fillFirst: true, step: func(t *testing.T, work, out string) (int, string) {
			return code(runErr(work, []string{"LDWRAP_LD=ld"}, ldwrap("ldwrap"), "-r", "-o", out, src+"/a.o"))
		}},
		{name: "ldwrap/commit", step: func(t *testing.T, work, out string) (int, string) {
			return code(runErr(work, append(fillEnv(out), "LDWRAP_LD="+src+"/ld-then-fill"), ldwrap("ldwrap"), "-r", "-o", out, src+"/a.o"))
		}},
		{name: "WriteFile/copy", fillFirst: true, step: func(t *testing.T, work, out string) (int, string) {
			return apiCode(api.WriteFile(out, data, 0o644))
		}},
		{name: "Install/copy", fillFirst: true, step: func(t *testing.T, work, out string) (int, string) {
			return apiCode(api.Install(src+"/data", out))
		}},
		{name: "Create/commit", step: func(t *testing.T, work, out string) (int, string) {
			f, err := api.Create(out, 0o644)
			require.NoError(t, err)
			defer f.Cleanup()
			_, err = f.Write(data)
			require.NoError(t, err)
			_, err = runErr(work, fillEnv(out), src+"/fill")
			require.NoError(t, err)
			return apiCode(f.CloseAtomicallyReplace())
		}},
	}
	filesystems := []struct {
		name  string
		mount func(t *testing.T, dir string)
	}{
		{"tmpfs", func(t *testing.T, dir string) { mountTmpfs(t, dir, "size=1m") }},
		{"ext4", func(t *testing.T, dir string) { mountLoopExt4(t, dir, 4<<20) }},
	}
	for _, fsys := range filesystems {
		for _, m := range moments {
			t.Run(fsys.name+"/"+m.name, func(t *testing.T) {
				base := t.TempDir()
				dir := filepath.Join(base, "small")
				fsys.mount(t, dir)
				out := filepath.Join(dir, "out", "target")
				writeFile(t, out, oldOutput)
				require.NoError(t, os.Mkdir(filepath.Join(dir, "filler"), 0o755))
				free := freeBytes(t, dir)
				if m.fillFirst {
					_, err := runErr(base, fillEnv(out), src+"/fill")
					require.NoError(t, err)
				}
				got, msg := m.step(t, base, out)
				after, err := os.ReadFile(out)
				require.NoError(t, err, "the target is there")
				if got == 0 {
					assert.False(t, m.fillFirst, "a step that cannot write its output fails: %s", msg)
					assert.NotEqual(t, oldOutput, string(after), "the step succeeded: the new file is in place")
				} else {
					assert.Equal(t, oldOutput, string(after), "the old file is byte-identical: %s", msg)
					if strings.Contains(msg, "ldwrap:") {
						assert.Equal(t, 1, strings.Count(msg, "\n"), "one line: %q", msg)
						// The Go API's Install words its errors as install(1)
						// does: "error writing 'OUT': No space left on device".
						named := strings.Contains(msg, out+": ") || strings.Contains(msg, "'"+out+"': ")
						assert.True(t, strings.HasPrefix(msg, "ldwrap: ") && named && strings.Contains(strings.ToLower(msg), "no space left on device"), "%q", msg)
					}
				}
				assert.Empty(t, leftovers(t, filepath.Dir(out)), msg)
				require.NoError(t, os.RemoveAll(filepath.Join(dir, "filler")))
				require.NoError(t, os.Mkdir(filepath.Join(dir, "filler"), 0o755))
				grew := int64(len(after)) - int64(len(oldOutput))
				back := freeBytes(t, dir) + grew
				// A directory keeps the blocks its entries once needed (ext4):
				// a few KiB of slack; a staged output left would be 100 KiB.
				assert.InDelta(t, free, back, 8<<10, "the space comes back (free %d before, %d after, the target grew %d)", free, back-grew, grew)
				t.Logf("exit %d: %s", got, strings.TrimSpace(msg))
			})
		}
		// The control: GNU install on the same full disk loses the old file.
		t.Run(fsys.name+"/control", func(t *testing.T) {
			base := t.TempDir()
			dir := filepath.Join(base, "small")
			fsys.mount(t, dir)
			out := filepath.Join(dir, "out", "target")
			writeFile(t, out, oldOutput)
			require.NoError(t, os.Mkdir(filepath.Join(dir, "filler"), 0o755))
			_, err := runErr(base, fillEnv(out), src+"/fill")
			require.NoError(t, err)
			got, msg := code(runErr(base, nil, "install", "-m", "644", src+"/data", out))
			assert.NotEqual(t, 0, got, msg)
			after, _ := os.ReadFile(out)
			assert.NotEqual(t, oldOutput, string(after), "GNU install removed the old file before its copy failed")
		})
	}
}
