package cli

import (
	"os"
	"path/filepath"
	"sort"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/ldwrap/ldwrap/ldwrap/internal/toolpath"
	"github.com/ldwrap/ldwrap/ldwrap/internal/toolpath/toolpathtest"
)

// Two --install-links runs at once into one directory (two shells'
// start-up scripts) both succeed and leave each link whole, and nothing
// else: each stages its links in a staging directory of its own. With
// one fixed temporary name for both, one run's symlink or rename met the
// other's, and failed with "file exists" or "no such file".
func TestInstallLinksConcurrently(t *testing.T) {
	root, self := toolpathtest.Tree(t, map[string]string{"bin/gcc": "exe", "bin/clang-14": "exe", "bin/cc": "exe", "bin/date": "exe"})
	f := toolpath.Finder{PATH: filepath.Join(root, "bin"), Self: self, Stat: os.Stat}
	exe, err := os.Executable()
	require.NoError(t, err)
	want := append([]string{"cc", "clang-14", "gcc"}, gccLinkerNames()...)
	sort.Strings(want)
	for round := 0; round < 100; round++ {
		dir := filepath.Join(t.TempDir(), "links")
		var wg sync.WaitGroup
		errs := make([]error, 2)
		for i := range errs {
			wg.Add(1)
			go func(i int) {
				defer wg.Done()
				_, _, _, errs[i] = installLinks(dir, f)
			}(i)
		}
		wg.Wait()
		for _, err := range errs {
			require.NoError(t, err, "round %d", round)
		}
		require.Equal(t, want, entries(t, dir), "round %d", round)
		for _, n := range want {
			dest, err := os.Readlink(filepath.Join(dir, n))
			require.NoError(t, err)
			assert.Equal(t, exe, dest, n)
		}
	}
}
