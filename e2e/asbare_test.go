//go:build linux

package e2e

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// shellCase is one shell command line run bare and through ldwrap, each in
// a fresh directory that setup (run as root, in it) prepares beside the
// members a.o b.o c.o and a.c.
type shellCase struct {
	name, setup, cmd string
	// wrapped are other forms of cmd through ldwrap ($W is ldwrap's
	// directory); cmd itself always runs through the masquerade links too.
	wrapped []string
	nobody  bool // run cmd as nobody (setup runs as root, then chowns the directory to nobody)
	env     []string
}

// shellAsBare runs each case bare and through ldwrap and compares status, both
// streams and the tree: the bare tool is the oracle.
func shellAsBare(t *testing.T, cases []shellCase) {
	t.Helper()
	objects := t.TempDir()
	arObjects(t, objects)
	links := publicDir(t) // nobody runs them too
	for _, n := range []string{"ar", "gcc-ar", "llvm-ar", "cc", "gcc", "ld", "install"} {
		target := ldwrap("ldwrap")
		if n == "install" {
			target = ldwrap("ldwrap-install")
		}
		require.NoError(t, os.Symlink(target, filepath.Join(links, n)))
	}
	for _, c := range cases {
		c := c
		t.Run(c.name, func(t *testing.T) {
			if c.nobody {
				requireRoot(t)
			}
			forms := append([]string{c.cmd, "PATH=" + links + ":$PATH; " + c.cmd}, c.wrapped...)
			var outs []arOutcome
			for _, cmd := range forms {
				dir := filepath.Join(publicDir(t), "w")
				require.NoError(t, os.Mkdir(dir, 0o755))
				for _, o := range []string{"a.o", "b.o", "c.o"} {
					writeFile(t, filepath.Join(dir, o), string(readFile(t, filepath.Join(objects, o))))
				}
				writeFile(t, filepath.Join(dir, "a.c"), "int main(void) { return 0; }\n")
				setup := c.setup
				if c.nobody {
					setup = "chown -R 65534:65534 . && " + setup
				}
				run(t, dir, nil, "sh", "-ec", setup)
				argv := []string{"sh", "-c", cmd}
				if c.nobody {
					argv = asNobody(argv...)
				}
				o := runAr(t, dir, append([]string{"W=" + bin}, c.env...), argv...)
				o.stdout, o.stderr = strings.ReplaceAll(o.stdout, dir, "$D"), strings.ReplaceAll(o.stderr, dir, "$D")
				for k, v := range o.tree {
					o.tree[k] = strings.ReplaceAll(v, dir, "$D")
				}
				outs = append(outs, o)
			}
			bare := outs[0]
			for i, o := range outs[1:] {
				what := forms[i+1]
				assert.Equal(t, bare.code, o.code, "%s: status\n%s", what, o.stderr)
				assert.Equal(t, bare.stdout, o.stdout, "%s: standard output", what)
				assert.Equal(t, bare.stderr, o.stderr, "%s: standard error", what)
				assert.Empty(t, diffTrees(bare.tree, o.tree), "%s: the tree", what)
			}
		})
	}
}

// An output named with a trailing "/" or "/." names a directory to the
// system: the tool fails on a file there (or, for ar, on a new name) and
// so must ldwrap's, for ar, the compiler, the linker, ldwrap-run -o and
// ldwrap-install. Before, ldwrap cleaned the text to lib.a and replaced
// the file: ar rD lib.a/ c.o exited 0 and updated lib.a, ar rD new.a/
// made new.a.
func TestOutputNamesDirectoryAsBare(t *testing.T) {
	need(t, "gcc", "ar", "ld")
	ar := func(args string) []string { return []string{"LDWRAP_AR=ar $W/ldwrap-ar " + args} }
	shellAsBare(t, []shellCase{
		{name: "ar existing", setup: "ar rcD lib.a a.o b.o", cmd: "ar rD lib.a/ c.o", wrapped: ar("rD lib.a/ c.o")},
		{name: "ar dot", setup: "ar rcD lib.a a.o b.o", cmd: "ar rD lib.a/. c.o", wrapped: ar("rD lib.a/. c.o")},
		{name: "ar new", setup: "true", cmd: "ar rD new.a/ a.o", wrapped: ar("rD new.a/ a.o")},
		{name: "run -o", setup: "echo old > g", cmd: `sh -c 'echo new >> "$1"' sh g/`,
			wrapped: []string{`$W/ldwrap-run -o g/ -- sh -c 'echo new >> "$1"' sh g/`}},
		{name: "cc -o", setup: "echo old > a.out", cmd: "cc -o a.out/ a.c", wrapped: []string{"$W/ldwrap-cc cc -o a.out/ a.c"}},
		{name: "cc -c -o", setup: "echo old > a.o", cmd: "cc -c -o a.o/. a.c", wrapped: []string{"$W/ldwrap-cc cc -c -o a.o/. a.c"}},
		{name: "ld -o", setup: "echo old > p", cmd: "ld -o p/ a.o", wrapped: []string{"LDWRAP_LD=ld $W/ldwrap -o p/ a.o"}},
		{name: "install", setup: "echo old > b", cmd: "install a.o b/"},
		{name: "install -T", setup: "echo old > b", cmd: "install -T a.o b/."},
	})
}

// arCases is one ar command line as each ar runs it bare, through
// ldwrap-ar and through a link named after it.
func arCases(name, setup, args string, tools []string, nobody bool, env ...string) []shellCase {
	var cases []shellCase
	for _, tool := range tools {
		cases = append(cases, shellCase{
			name: name + " " + tool, setup: strings.ReplaceAll(setup, "$T", tool), cmd: tool + " " + args,
			wrapped: []string{"LDWRAP_AR=" + tool + " $W/ldwrap-ar " + args}, nobody: nobody, env: env,
		})
	}
	return cases
}

// ar's archive where it cannot be staged as it is, each ar as bare: GNU
// ar and gcc-ar write through a symlink to the file it leads to (a
// dangling one: they create it, and say "creating lib.a"), and fail on an
// archive they may not write; every ar fails with its own message on a
// directory at the archive's name or in a directory it may not write;
// a call that names no archive prints ar's usage even under
// LDWRAP_STRICT=1. Before, ldwrap-ar replaced the link with a file,
// replaced another user's archive, exited 126 with its own message, and
// under LDWRAP_STRICT=1 refused ar's usage.
func TestArStateAsBare(t *testing.T) {
	need(t, "gcc", "ar", "gcc-ar", "llvm-ar")
	all := []string{"ar", "gcc-ar", "llvm-ar"}
	lib := "$T rcD lib.a a.o b.o; "
	var cases []shellCase
	for _, c := range [][]shellCase{
		arCases("symlink", "mkdir real; $T rcD real/lib.a a.o b.o; ln -s real/lib.a lib.a", "rD lib.a c.o", all, false),
		arCases("symlink absolute", "mkdir real; $T rcD real/lib.a a.o b.o; ln -s \"$PWD/real/lib.a\" lib.a", "rD lib.a c.o", all, false),
		arCases("dangling symlink", "ln -s nowhere.a lib.a", "rD lib.a c.o", all, false),
		arCases("directory", "mkdir lib.a", "rD lib.a c.o", all, false),
		arCases("another's archive, directory not writable", lib+"chown 0:0 lib.a; chmod 555 .", "rD lib.a c.o", all, true),
		arCases("another's archive", lib+"chown 0:0 lib.a", "rD lib.a c.o", all, true),
		arCases("write-only archive", lib+"chown 65534 lib.a; chmod 200 lib.a", "rD lib.a c.o", all, true),
		arCases("directory not writable, new archive", "chmod 555 .", "rD new.a c.o", all, true),
		arCases("no arguments strict", "true", "", all, false, "LDWRAP_STRICT=1"),
		arCases("no archive strict", "true", "rc", all, false, "LDWRAP_STRICT=1"),
		arCases("s no archive strict", "true", "s", all, false, "LDWRAP_STRICT=1"),
	} {
		cases = append(cases, c...)
	}
	shellAsBare(t, cases)
}
