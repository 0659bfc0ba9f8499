//go:build linux

package e2e

import (
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// interruptible are the system calls that can fail with EINTR on some
// filesystem (FUSE, SMB, NFS) or file (a fifo, a pipe), by their names in
// x/sys/unix and syscall: what the os package retries, and more.
var interruptible = map[string]bool{
	"Open": true, "Openat": true, "Stat": true, "Lstat": true, "Fstat": true, "Fstatat": true,
	"Mkdir": true, "Rename": true, "Renameat": true, "Renameat2": true, "RenameatxNp": true,
	"Link": true, "Linkat": true, "Symlink": true, "Unlink": true, "Rmdir": true,
	"Chmod": true, "Fchmod": true, "Chown": true, "Fchown": true, "Lchown": true,
	"Fsync": true, "Fdatasync": true, "FcntlInt": true, "Flock": true, "Ftruncate": true,
	"UtimesNanoAt": true, "Futimes": true, "Read": true, "Write": true, "Pread": true, "Pwrite": true,
	"CopyFileRange": true, "Wait4": true, "Getdents": true, "Readlink": true, "Access": true,
	"Llistxattr": true, "Lgetxattr": true, "Lsetxattr": true, "Flistxattr": true, "Fgetxattr": true,
	"Fsetxattr": true,
}

// Every interruptible call in ldwrap's code (the stale scan, which reads
// /proc alone, aside) is made inside a function passed to
// rawio.IgnoringEINTR: one helper, no loops of its own. (A check of the
// sources, here and not in rawio's tests: Bazel's sandbox for those holds
// rawio alone.)
func TestEveryInterruptibleCallRetried(t *testing.T) {
	var dirs []string
	for _, pattern := range []string{"ldwrap", "ldwrap/cmd/*", "ldwrap/internal/*", "ldwrap/internal/*/*"} {
		found, _ := filepath.Glob(filepath.Join(repoRoot(), pattern))
		dirs = append(dirs, found...)
	}
	fset := token.NewFileSet()
	checked := 0
	for _, dir := range dirs {
		if fi, err := os.Stat(dir); err != nil || !fi.IsDir() || strings.Contains(dir, "stale") {
			continue
		}
		files, _ := filepath.Glob(filepath.Join(dir, "*.go"))
		for _, path := range files {
			if strings.HasSuffix(path, "_test.go") {
				continue
			}
			f, err := parser.ParseFile(fset, path, nil, 0)
			if err != nil {
				t.Fatal(err)
			}
			checked++
			var retried [][2]token.Pos
			ast.Inspect(f, func(n ast.Node) bool {
				if call, ok := n.(*ast.CallExpr); ok && funcName(call) == "IgnoringEINTR" {
					for _, arg := range call.Args {
						retried = append(retried, [2]token.Pos{arg.Pos(), arg.End()})
					}
				}
				return true
			})
			ast.Inspect(f, func(n ast.Node) bool {
				call, ok := n.(*ast.CallExpr)
				if !ok {
					return true
				}
				sel, ok := call.Fun.(*ast.SelectorExpr)
				if !ok {
					return true
				}
				pkg, ok := sel.X.(*ast.Ident)
				if !ok || (pkg.Name != "unix" && pkg.Name != "syscall") || !interruptible[sel.Sel.Name] {
					return true
				}
				for _, r := range retried {
					if call.Pos() >= r[0] && call.End() <= r[1] {
						return true
					}
				}
				t.Errorf("%s: %s.%s is not retried on EINTR (rawio.%s, or inside rawio.IgnoringEINTR)",
					fset.Position(call.Pos()), pkg.Name, sel.Sel.Name, sel.Sel.Name)
				return true
			})
		}
	}
	if checked < 50 {
		t.Fatalf("only %d files checked: the walk went wrong", checked)
	}
}

func funcName(call *ast.CallExpr) string {
	switch f := call.Fun.(type) {
	case *ast.Ident:
		return f.Name
	case *ast.SelectorExpr:
		return f.Sel.Name
	}
	return ""
}
