//go:build linux

package e2e

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// A Mac's toolchain, driven here through its Linux build: clang with an
// Apple target runs ld64.lld and, after a one-step -g link, dsymutil, as
// Apple's clang does on a Mac. The objects and programs are Mach-O; no
// system library is needed (-nostdlib, undefined symbols left to dyld).

var machoFlags = []string{"-target", "arm64-apple-macos11", "-fuse-ld=lld", "-nostdlib", "-Wl,-undefined,dynamic_lookup"}

// needMachO skips (strict: fails) without clang's Mach-O linker and the
// DWARF tools.
func needMachO(t *testing.T) {
	t.Helper()
	need(t, "clang", "dsymutil", "llvm-dwarfdump")
	if _, err := os.Stat(ld64Path(t)); err != nil {
		need(t, "ld64.lld")
	}
}

// ld64Path is the ld64.lld clang runs for an Apple target.
func ld64Path(t *testing.T) string {
	t.Helper()
	out, err := exec.Command("clang", "-print-prog-name=ld64.lld").Output()
	require.NoError(t, err)
	return strings.TrimSpace(string(out))
}

// machoUUID is the LC_UUID of a Mach-O file, or of a dSYM's DWARF file.
func machoUUID(t *testing.T, path string) string {
	t.Helper()
	out, err := exec.Command("llvm-dwarfdump", "--uuid", path).CombinedOutput()
	require.NoError(t, err, "%s", out)
	f := strings.Fields(string(out))
	require.True(t, len(f) >= 2 && f[0] == "UUID:", "%s", out)
	return f[1]
}

var _ = portableToo(TestDsymBundleRebuilt)

// clang -g on macOS links, then runs dsymutil, which writes prog.dSYM, a
// directory, beside the program. Each rebuild must update both, as bare
// clang does: the bundle's DWARF carries the new program's UUID.
func TestDsymBundleRebuilt(t *testing.T) {
	needMachO(t)
	argv := append(append([]string{"clang"}, machoFlags...), "-g", "-o", "prog", "p.c")
	for _, wrapped := range []bool{false, true} {
		dir := t.TempDir()
		cmd := argv
		if wrapped {
			cmd = append([]string{ldwrap("ldwrap-cc")}, argv...)
		}
		var uuids []string
		for round, body := range []string{"int main(void) { return 1; }\n", "int main(void) { return 2; }\n"} {
			writeFile(t, filepath.Join(dir, "p.c"), body)
			code, out := exitCode(dir, nil, cmd...)
			require.Equal(t, 0, code, "wrapped %v, round %d: %s", wrapped, round, out)
			prog := machoUUID(t, filepath.Join(dir, "prog"))
			assert.Equal(t, prog, machoUUID(t, filepath.Join(dir, "prog.dSYM", "Contents", "Resources", "DWARF", "prog")),
				"wrapped %v, round %d: the bundle describes the program", wrapped, round)
			uuids = append(uuids, prog)
		}
		assert.NotEqual(t, uuids[0], uuids[1], "wrapped %v: the rebuild made a new program", wrapped)
		assert.Equal(t, []string{"p.c", "prog", "prog.dSYM/Contents/Info.plist", "prog.dSYM/Contents/Resources/DWARF/prog"},
			names(snapshot(t, dir)), "wrapped %v", wrapped)
		assert.Empty(t, leftovers(t, dir))
	}
}

var _ = portableToo(TestLD64Options)

// ld64 reads -order_file, -object_path_lto and the like as options of
// their own, not as -o followed by a path; a dylib with no install name is
// named after its output. Each command, through ldwrap and bare, in fresh
// directories over an old output: the same status and the same bytes.
// LDWRAP_STRICT=1 makes a pass-through (not atomic) fail.
func TestLD64Options(t *testing.T) {
	needMachO(t)
	ld64 := ld64Path(t)
	src := t.TempDir()
	writeFile(t, filepath.Join(src, "x.c"), "int a(void) { return 1; }\nint b(void) { return 2; }\nint main(void) { return a() + b(); }\n")
	run(t, src, nil, "clang", "-target", "arm64-apple-macos11", "-c", "x.c")
	writeFile(t, filepath.Join(src, "order.txt"), "_b\n_a\n")
	ldFlags := []string{"-arch", "arm64", "-platform_version", "macos", "11.0", "11.0", "-undefined", "dynamic_lookup"}
	clang := append([]string{"clang"}, machoFlags...)
	cases := []struct {
		name    string
		wrapper string
		argv    []string
		out     string
	}{
		{"ld64.lld -order_file", "ldwrap", append([]string{ld64, "-o", "app", "x.o", "-order_file", "order.txt"}, ldFlags...), "app"},
		{"ld64.lld -dylib", "ldwrap", append([]string{ld64, "-dylib", "-o", "sub/libx.dylib", "x.o"}, ldFlags...), "sub/libx.dylib"},
		{"clang -Wl,-order_file", "ldwrap-cc", append(clang, "x.o", "-Wl,-order_file,order.txt", "-o", "app"), "app"},
		{"clang -Xlinker -object_path_lto", "ldwrap-cc", append(clang, "x.o", "-o", "app", "-Xlinker", "-object_path_lto", "-Xlinker", "lto.o"), "app"},
		{"clang -object", "ldwrap-cc", append(clang, "x.o", "-o", "app", "-object"), "app"},
		{"clang -dynamiclib", "ldwrap-cc", append(clang, "-dynamiclib", "x.o", "-o", "sub/libx.dylib"), "sub/libx.dylib"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var outs [2][]byte
			for i, wrapped := range []bool{false, true} {
				dir := t.TempDir()
				for _, f := range []string{"x.o", "order.txt"} {
					writeFile(t, filepath.Join(dir, f), string(readFile(t, filepath.Join(src, f))))
				}
				writeFile(t, filepath.Join(dir, c.out), "old")
				argv, env := c.argv, []string{"LDWRAP_STRICT=1"}
				if wrapped {
					if c.wrapper == "ldwrap" {
						argv, env = argv[1:], append(env, "LDWRAP_LD="+argv[0])
					}
					argv = append([]string{ldwrap(c.wrapper)}, argv...)
				}
				code, msg := exitCode(dir, env, argv...)
				require.Equal(t, 0, code, "wrapped %v: %s", wrapped, msg)
				outs[i] = readFile(t, filepath.Join(dir, c.out))
				assert.Empty(t, leftovers(t, dir))
			}
			assert.True(t, string(outs[0]) == string(outs[1]), "the output differs from the bare tool's")
		})
	}
}
