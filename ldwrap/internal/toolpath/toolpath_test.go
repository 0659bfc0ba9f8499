package toolpath

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/ldwrap/ldwrap/ldwrap/internal/toolpath/toolpathtest"
)

// finder is a Finder over a toolpathtest tree, with PATH's directories
// under its root.
func finder(t *testing.T, path string, files map[string]string) Finder {
	t.Helper()
	root, self := toolpathtest.Tree(t, files)
	var dirs []string
	for _, d := range filepath.SplitList(path) {
		dirs = append(dirs, filepath.Join(root, d))
	}
	return Finder{PATH: joinList(dirs), Self: self, Stat: os.Stat}
}

func joinList(dirs []string) string {
	s := ""
	for i, d := range dirs {
		if i > 0 {
			s += string(filepath.ListSeparator)
		}
		s += d
	}
	return s
}

func rel(f Finder, p string) string {
	dirs := filepath.SplitList(f.PATH)
	root := filepath.Dir(dirs[0])
	r, _ := filepath.Rel(root, p)
	return r
}

func TestCommandSkipsSelf(t *testing.T) {
	f := finder(t, "links:data:bin", map[string]string{
		"links/gcc": "self", "data/gcc": "file", "bin/gcc": "exe", "bin/sub": "dir",
	})
	tool, err := f.Command("gcc")
	require.NoError(t, err)
	assert.Equal(t, "bin/gcc", rel(f, tool.Path), "not ldwrap, not a file that cannot run")
	_, err = f.Command("sub")
	assert.Error(t, err, "a directory is no command")
	_, err = f.Command("missing")
	assert.True(t, IsNotFound(err))

	g := finder(t, "links", map[string]string{"links/gcc": "self"})
	_, err = g.Command("gcc")
	assert.True(t, IsNotFound(err))
	assert.EqualError(t, err, "run gcc: file does not exist in PATH other than ldwrap")
}

// Masquerade links: the next gcc after ldwrap's own directory, whichever
// side of ccache's directory that is, and a PATH for the tool without
// ldwrap's directory.
func TestAfter(t *testing.T) {
	files := map[string]string{"ldw/gcc": "self", "ccache/gcc": "exe", "bin/gcc": "exe"}
	f := finder(t, "ldw:ccache:bin", files)
	tool, childPATH, err := f.After("gcc", "gcc")
	require.NoError(t, err)
	assert.Equal(t, "ccache/gcc", rel(f, tool.Path), "ldwrap first: ccache next")
	assert.NotContains(t, childPATH, "ldw", "ccache must not find ldwrap again")
	assert.Contains(t, childPATH, "ccache")

	f = finder(t, "ccache:ldw:bin", files)
	tool, _, err = f.After("gcc", "gcc")
	require.NoError(t, err)
	assert.Equal(t, "bin/gcc", rel(f, tool.Path), "ccache first (it ran us): the compiler after us, never ccache again")

	// argv0 with a directory names which of two copies ran.
	f = finder(t, "a:ldw:bin", map[string]string{"a/gcc": "self", "ldw/gcc": "self", "bin/gcc": "exe"})
	dirs := filepath.SplitList(f.PATH)
	tool, _, err = f.After("gcc", filepath.Join(dirs[1], "gcc"))
	require.NoError(t, err)
	assert.Equal(t, "bin/gcc", rel(f, tool.Path))

	f = finder(t, "ldw:bin", map[string]string{"ldw/clang-99": "self"})
	_, _, err = f.After("clang-99", "clang-99")
	assert.True(t, IsNotFound(err))
	assert.Contains(t, err.Error(), "run clang-99: file does not exist in PATH after ")
}
