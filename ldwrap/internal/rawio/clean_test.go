package rawio

import (
	"os"
	"path/filepath"
	"testing"
)

func TestCleanResolvesDotDotAfterLinks(t *testing.T) {
	dir := t.TempDir()
	if err := os.MkdirAll(filepath.Join(dir, "real/sub"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink("real/sub", filepath.Join(dir, "link")); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct{ in, want string }{
		{"a.o", "a.o"},
		{"./x//a.o", "x/a.o"},
		{"../a.o", "../a.o"},
		{"../../a.o", "../../a.o"},
		{dir + "/link/../a.o", dir + "/real/a.o"},
		{dir + "/link/../sub/../a.o", dir + "/real/a.o"},
		{dir + "/real/sub/../a.o", dir + "/real/a.o"},
		{dir + "/link/../sub/../x/a.o", dir + "/real/x/a.o"}, // only the part up to the last .. is resolved
		{dir + "/link", dir + "/link"},                       // the last component is never followed
	} {
		got, err := Clean(c.in)
		if err != nil || got != c.want {
			t.Errorf("Clean(%q) = %q, %v; want %q", c.in, got, err, c.want)
		}
	}
	if _, err := Clean(dir + "/missing/../a.o"); !os.IsNotExist(err) {
		t.Errorf("Clean of a missing directory before ..: %v, want ENOENT", err)
	}
}
