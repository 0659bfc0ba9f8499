package engine

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// A staging directory whose owner died (no lock held) is swept by the next
// stage of the same target that finds the first name taken; a live one
// (lock held) is not; nor is a staging directory of another target. A
// live run keeps the first name; the others use random ones.
func TestSweep(t *testing.T) {
	dir := t.TempDir()
	target := filepath.Join(dir, "a")
	first := filepath.Join(dir, ".ldwrap.a."+firstSuffix)
	dead := filepath.Join(dir, ".ldwrap.a.deadbeef")
	for _, d := range []string{first, dead} {
		require.NoError(t, os.Mkdir(d, 0o700))
		write(t, filepath.Join(d, "a"), "partial")
	}
	other := filepath.Join(dir, ".ldwrap.a.b.deadbeef")
	require.NoError(t, os.Mkdir(other, 0o700))

	live := New(Options{})
	lo, err := live.Stage(target)
	require.NoError(t, err)
	if firstNames(t) {
		assert.Equal(t, first, filepath.Dir(lo.Temp), "the first name, once its dead owner's directory is swept")
	} else {
		assert.True(t, IsStagingName(filepath.Base(filepath.Dir(lo.Temp)), "a"), "the fallback keeps a random name")
	}
	for _, d := range []string{first, dead} {
		if d != filepath.Dir(lo.Temp) {
			_, err = os.Stat(d)
			assert.True(t, os.IsNotExist(err), "every dead run's directory is swept: %s", d)
		}
	}

	txn := New(Options{})
	o, err := txn.Stage(target)
	require.NoError(t, err)
	assert.NotEqual(t, filepath.Dir(lo.Temp), filepath.Dir(o.Temp), "a live run's directory is left to it")
	assert.True(t, IsStagingName(filepath.Base(filepath.Dir(o.Temp)), "a"))
	_, err = os.Stat(filepath.Dir(lo.Temp))
	assert.NoError(t, err, "a live run's directory is not swept")
	_, err = os.Stat(other)
	assert.NoError(t, err, "another target's directory is not")
	txn.Abort()
	live.Abort()
	assert.ElementsMatch(t, []string{".ldwrap.a.b.deadbeef"}, entries(t, dir))
}

func TestStagingNames(t *testing.T) {
	assert.True(t, IsStagingName(".ldwrap.a.o.abcd1234", "a.o"))
	assert.False(t, IsStagingName(".ldwrap.a.o.abcd1234", "a"))
	assert.False(t, IsStagingName(".ldwrap.a.o.ABCD1234", "a.o"))
	key := stagingKey(string(bytesOf('x', 250)))
	assert.LessOrEqual(t, len(stagingPrefix+key+".")+suffixLen, 255)
	assert.Len(t, key, maxKeyLen, "a long name is cut and hashed to exactly maxKeyLen")
	assert.Equal(t, string(bytesOf('x', maxKeyLen-17))+"~", key[:maxKeyLen-16])
	assert.NotEqual(t, key, stagingKey(string(bytesOf('x', 251))), "the hash tells long names apart")
	exact := string(bytesOf('y', maxKeyLen))
	assert.Equal(t, exact, stagingKey(exact), "a name of maxKeyLen is kept as it is")
}

func bytesOf(c byte, n int) []byte {
	b := make([]byte, n)
	for i := range b {
		b[i] = c
	}
	return b
}

// StageAbove stages in the parent of the targets' directory, so a command
// that lists that directory does not see the staging; side files still
// land beside the target.
func TestStageAbove(t *testing.T) {
	parent := t.TempDir()
	dir := filepath.Join(parent, "out")
	require.NoError(t, os.Mkdir(dir, 0o755))
	write(t, filepath.Join(dir, "dist.tar"), "old")
	txn := New(Options{StageAbove: true})
	o, err := txn.Stage(filepath.Join(dir, "dist.tar"))
	require.NoError(t, err)
	assert.Equal(t, parent, filepath.Dir(filepath.Dir(o.Temp)), "staged in the parent")
	assert.Equal(t, []string{"dist.tar"}, entries(t, dir), "nothing in the target's directory")
	write(t, o.Temp, "new")
	write(t, filepath.Join(filepath.Dir(o.Temp), "dist.d"), "dep")
	require.NoError(t, txn.Commit())
	assert.Equal(t, "new", read(t, filepath.Join(dir, "dist.tar")))
	assert.Equal(t, "dep", read(t, filepath.Join(dir, "dist.d")))
	assert.Equal(t, []string{"out"}, entries(t, parent))

	// It takes what the target's directory gives what is made in it (here
	// a setgid directory's bit; its group and default ACL come the same
	// way), not what the parent gives.
	require.NoError(t, os.Chmod(dir, 0o755|os.ModeSetgid))
	txn = New(Options{StageAbove: true})
	o, err = txn.Stage(filepath.Join(dir, "new"))
	require.NoError(t, err)
	assert.Equal(t, parent, filepath.Dir(filepath.Dir(o.Temp)), "staged in the parent")
	fi, err := os.Stat(filepath.Dir(o.Temp))
	require.NoError(t, err)
	assert.NotZero(t, fi.Mode()&os.ModeSetgid, "the staging directory is setgid, as its target's")
	txn.Abort()

	// The root has no parent: staged beside the target, as usual.
	txn = New(Options{StageAbove: true})
	_, _, ok := txn.aboveDir("/")
	assert.False(t, ok)
}

// HFS+ lists names decomposed (NFD): the leftover of a killed run on
// "\u00e9.o" is listed as ".ldwrap.e\u0301.o.<suffix>", which a lookup of
// the composed name finds. It is swept all the same. (A directory cannot
// have two names here, so the leftover is a file, as an unnamed output
// linked just before its rename leaves; the sweep is the same.)
func TestSweepDecomposedNames(t *testing.T) {
	nfd := func(s string) string { return strings.ReplaceAll(s, "\u00e9", "e\u0301") }
	withSys(t, func(s *sysCalls) {
		list := s.dirNames
		s.dirNames = func(fd int) ([]string, error) {
			names, err := list(fd)
			var out []string
			for _, n := range names {
				if n == nfd(n) {
					out = append(out, n)
				}
			}
			return out, err
		}
	})
	dir := t.TempDir()
	leftover := filepath.Join(dir, ".ldwrap.\u00e9.o.deadbeef")
	write(t, leftover, "partial")
	require.NoError(t, os.Link(leftover, nfd(leftover)))
	other := filepath.Join(dir, ".ldwrap.e\u0301.o.x.deadbeef") // another target's
	write(t, other, "other")
	sweep(dir, "\u00e9.o", func(string, ...interface{}) {})
	_, err := os.Lstat(nfd(leftover))
	assert.True(t, os.IsNotExist(err), "the leftover is swept under the name the listing gave")
	assert.Equal(t, "other", read(t, other))
}
