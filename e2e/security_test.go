//go:build linux

package e2e

import (
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// attacker runs as nobody in a sticky world-writable directory and races
// to plant symlinks and files at every name ldwrap uses, and to read or
// write inside its staging directories. It logs every success.
const attacker = `d=$1; outside=$2; log=$3; n=0
while [ -e "$d/.run" ]; do
  n=$((n+1))
  ln -s "$outside" "$d/prog" 2>/dev/null
  ln -s "$outside" "$d/.ldwrap.prog.$(printf %08d $n)" 2>/dev/null
  ln -s "$outside" "$d/.ldwrap.prog.staging0" 2>/dev/null
  ln -s "$outside" "$d/.ldwrap.installed.staging0" 2>/dev/null
  for s in "$d"/.ldwrap.*; do
    [ -d "$s" ] || continue
    [ -O "$s" ] && continue
    if ln -s "$outside" "$s/prog" 2>/dev/null; then echo "planted in $s" >> "$log"; fi
    if echo pwned 2>/dev/null > "$s/x"; then echo "wrote in $s" >> "$log"; fi
    if ls "$s" >/dev/null 2>&1; then echo "listed $s" >> "$log"; fi
  done
done
`

var _ = portableToo(TestStickyDirAttacker)

func TestStickyDirAttacker(t *testing.T) {
	need(t, "root", "setpriv", "gcc")
	requireRoot(t)
	base := publicDir(t)
	d := filepath.Join(base, "shared")
	require.NoError(t, os.Mkdir(d, 0o777))
	require.NoError(t, os.Chmod(d, 0o1777))
	outside := filepath.Join(base, "outside")
	writeFile(t, outside, "precious\n")
	log := filepath.Join(base, "attack.log")
	writeFile(t, log, "")
	require.NoError(t, os.Chmod(log, 0o666))
	writeFile(t, filepath.Join(base, "attacker.sh"), attacker)
	writeFile(t, filepath.Join(base, "a.c"), hello("victim"))
	run(t, base, nil, "gcc", "-c", "a.c")

	// A fake staging directory of the attacker's, with bait in it.
	fake := filepath.Join(d, ".ldwrap.prog.fake0001")
	run(t, base, nil, asNobody("sh", "-c", "mkdir "+fake+" && echo bait > "+fake+"/prog")...)
	writeFile(t, filepath.Join(d, ".run"), "")
	att := exec.Command(asNobody("sh", filepath.Join(base, "attacker.sh"), d, outside, log)[0], asNobody("sh", filepath.Join(base, "attacker.sh"), d, outside, log)[1:]...)
	require.NoError(t, att.Start())
	time.Sleep(50 * time.Millisecond) // the attacker plants a symlink at prog first
	const links = 30
	for i := 0; i < links; i++ {
		run(t, base, nil, ldwrap("ldwrap-cc"), "-o", filepath.Join(d, "prog"), "a.o")
		run(t, base, nil, ldwrap("ldwrap-install"), "-m", "755", "a.o", filepath.Join(d, "installed"))
	}
	os.Remove(filepath.Join(d, ".run"))
	att.Wait()

	assert.Equal(t, "precious\n", string(readFile(t, outside)), "nothing outside the directory was written")
	assert.Empty(t, string(readFile(t, log)), "the attacker never got into a staging directory")
	assert.Equal(t, "bait\n", string(readFile(t, filepath.Join(fake, "prog"))), "another user's directory is neither followed nor swept")
	fi, err := os.Lstat(filepath.Join(d, "prog"))
	require.NoError(t, err)
	assert.True(t, fi.Mode().IsRegular())
	assert.Equal(t, uint32(0), fi.Sys().(*syscall.Stat_t).Uid)
	assert.Equal(t, "victim\n", run(t, base, nil, filepath.Join(d, "prog")))
	fi, err = os.Lstat(filepath.Join(d, "installed"))
	require.NoError(t, err)
	assert.True(t, fi.Mode().IsRegular())
	assert.Equal(t, uint32(0), fi.Sys().(*syscall.Stat_t).Uid)
	assert.Equal(t, readFile(t, filepath.Join(base, "a.o")), readFile(t, filepath.Join(d, "installed")))
	for _, l := range leftovers(t, d) {
		st, _ := os.Lstat(l)
		assert.NotEqual(t, uint32(0), st.Sys().(*syscall.Stat_t).Uid, "only the attacker's plants remain: %s", l)
	}
}

var _ = portableToo(TestStagedFilesPrivate)

// While a step runs, its staged file is not readable or writable by
// others: the staging directory is 0700.
func TestStagedFilesPrivate(t *testing.T) {
	need(t, "root", "setpriv", "gcc")
	requireRoot(t)
	dir := publicDir(t)
	bigObject(t, dir, 64)
	writeFile(t, filepath.Join(dir, "m.c"), strings.Replace(bigMain, "VERSION", "v1", 1))
	run(t, dir, nil, "gcc", "-c", "m.c")
	cmd := exec.Command(ldwrap("ldwrap-cc"), "-o", "prog", "m.o", "big.o")
	cmd.Dir = dir
	require.NoError(t, cmd.Start())
	waitFor(t, "the staged output", 20*time.Second, func() bool { return stagedFile(dir, "prog") > 0 })
	staged, _ := filepath.Glob(filepath.Join(dir, ".ldwrap.prog.*"))
	require.Len(t, staged, 1)
	fi, err := os.Stat(staged[0])
	require.NoError(t, err)
	assert.Equal(t, os.FileMode(0o700), fi.Mode().Perm())
	_, err = runErr(dir, nil, asNobody("cat", filepath.Join(staged[0], "prog"))...)
	assert.Error(t, err, "nobody cannot read the staged file")
	_, err = runErr(dir, nil, asNobody("sh", "-c", "echo x > "+filepath.Join(staged[0], "prog"))...)
	assert.Error(t, err, "nobody cannot write it")
	require.NoError(t, cmd.Wait())
}

var pipeNumber = regexp.MustCompile(`pipe:\[\d+\]`)

var stagingDirFd = regexp.MustCompile(`\.ldwrap\.[^/]+\.[a-z0-9]{8}$`)

// fdTargets lists what a /proc/PID/fd listing points at.
func fdTargets(listing string) []string {
	var out []string
	for _, line := range strings.Split(listing, "\n") {
		if i := strings.Index(line, " -> "); i >= 0 {
			// Each run gets new pipes for its output; their numbers differ.
			out = append(out, pipeNumber.ReplaceAllString(line[i+4:], "pipe"))
		}
	}
	sort.Strings(out)
	return out
}

var _ = portableToo(TestNoDescriptorsLeakToTool)

// The wrapped tool inherits no descriptor of ldwrap's (the staging lock,
// golang/go#22315's writable descriptors): it sees exactly the descriptors
// it sees when run bare.
func TestNoDescriptorsLeakToTool(t *testing.T) {
	need(t, "gcc")
	dir := t.TempDir()
	writeFile(t, filepath.Join(dir, "a.c"), hello("v1"))
	writeFile(t, filepath.Join(dir, "fdcc"), "#!/bin/sh\nls -l /proc/$$/fd > fds.txt\nexec gcc \"$@\"\n")
	require.NoError(t, os.Chmod(filepath.Join(dir, "fdcc"), 0o755))
	script := `ls -l /proc/$$/fd > fds.txt; echo > "$0"`
	cases := []struct{ bare, wrapped []string }{
		{[]string{"./fdcc", "-c", "a.c", "-o", "a.o"}, []string{ldwrap("ldwrap-cc"), "-c", "a.c", "-o", "a.o"}},
		{[]string{"sh", "-c", script, "out"}, []string{ldwrap("ldwrap-run"), "-o", "out", "--", "sh", "-c", script, "out"}},
	}
	for _, c := range cases {
		run(t, dir, nil, c.bare...)
		bare := fdTargets(string(readFile(t, filepath.Join(dir, "fds.txt"))))
		run(t, dir, []string{"LDWRAP_CC=./fdcc"}, c.wrapped...)
		wrapped := fdTargets(string(readFile(t, filepath.Join(dir, "fds.txt"))))
		assert.Equal(t, bare, wrapped, "%v", c.wrapped)
		for _, w := range wrapped {
			assert.False(t, stagingDirFd.MatchString(w), "a staging descriptor leaked: %s", w)
		}
	}
}
