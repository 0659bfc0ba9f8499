//go:build linux

package e2e

import (
	"archive/tar"
	"archive/zip"
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"debug/elf"
	"debug/macho"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ldwrap/ldwrap/internal/commands"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/ldwrap/ldwrap/internal/testenv"
)

// The ways in that the README's Install section lists, each tested as a
// user takes it: go install from a module proxy (TestGoInstallFromProxy),
// a release archive (TestReleaseArchives), the .deb (TestDebianPackage),
// the Bazel registry (TestBzlmodConsumer) and mage install
// (TestMageInstallWhileRunning).

// commandNames are the binaries every way of installing ldwrap gives:
// the table's, sorted.
var commandNames = func() []string {
	var names []string
	for _, c := range commands.All {
		names = append(names, c.Name)
	}
	return names
}()

// writtenVersion is ldwrap's version as VERSION writes it ("0.1.0").
func writtenVersion(t testing.TB) string {
	return strings.TrimSpace(string(readFile(t, filepath.Join(repoRoot(), "ldwrap/internal/cli/VERSION"))))
}

// The version is written once, in VERSION; what repeats it elsewhere says
// the same: MODULE.bazel, every bazel_dep on ldwrap in the README and
// MODULE.bazel, CHANGELOG.md (which dates the release), and each
// command's --version and --ldwrap-version. The commands here are built in
// a checkout, where Go stamps "(devel)" or a pseudo-version: they say
// VERSION's.
func TestVersionInStep(t *testing.T) {
	v := writtenVersion(t)
	require.Regexp(t, `^\d+\.\d+\.\d+(-[0-9A-Za-z.-]+)?$`, v)
	module := string(readFile(t, filepath.Join(repoRoot(), "MODULE.bazel")))
	assert.Contains(t, module, fmt.Sprintf(`module(name = "ldwrap", version = %q)`, v))
	deps := regexp.MustCompile(`bazel_dep\(name = "ldwrap", version = "([^"]*)"\)`)
	for _, f := range []string{"MODULE.bazel", "README.md"} {
		found := deps.FindAllStringSubmatch(string(readFile(t, filepath.Join(repoRoot(), f))), -1)
		assert.NotEmpty(t, found, f)
		for _, m := range found {
			assert.Equal(t, v, m[1], "%s: %s", f, m[0])
		}
	}
	assert.Regexp(t, `(?m)^## \[`+regexp.QuoteMeta(v)+`\] - \d{4}-\d{2}-\d{2}$`, string(readFile(t, filepath.Join(repoRoot(), "CHANGELOG.md"))))
	for _, c := range commands.All {
		assert.Equal(t, c.Name+" "+v+"\n", run(t, bin, nil, ldwrap(c.Name), c.VersionFlag()), c.Name)
	}
	assert.Equal(t, "ldwrap "+v+"\n", run(t, bin, nil, ldwrap("ldwrap"), "--ldwrap-version"))
}

// The repository's files as a commit of them would hold them: tracked and
// untracked but not ignored, as they are in the work tree. They make the
// module zip, the registry's source archive and the release's checkouts.
func repoFiles(t testing.TB) []string {
	out, err := exec.Command("git", "-C", repoRoot(), "ls-files", "-z", "--cached", "--others", "--exclude-standard").Output()
	if err != nil {
		return treeFiles(t) // not a git checkout: a git archive of it
	}
	var files []string
	for _, f := range strings.Split(strings.TrimRight(string(out), "\x00"), "\x00") {
		if fi, err := os.Lstat(filepath.Join(repoRoot(), f)); err == nil && fi.Mode().IsRegular() {
			files = append(files, f) // not a file deleted from the work tree
		}
	}
	sort.Strings(files)
	return files
}

// treeFiles are the files under the repository's root, as repoFiles lists
// them where there is no git: all but .gitignore's (bin/, dist/, bazel-*).
func treeFiles(t testing.TB) []string {
	root := repoRoot()
	var files []string
	err := filepath.Walk(root, func(p string, fi os.FileInfo, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(root, p)
		name := fi.Name()
		if fi.IsDir() && p != root && (name == ".git" || name == "bin" || name == "dist") || strings.HasPrefix(name, "bazel-") {
			if fi.IsDir() {
				return filepath.SkipDir
			}
			return nil
		}
		if fi.Mode().IsRegular() {
			files = append(files, rel)
		}
		return nil
	})
	require.NoError(t, err)
	sort.Strings(files)
	return files
}

// moduleFiles are the files of the root module's zip: not those of a
// module nested in it (a directory with a go.mod of its own, such as
// e2e/crashfs), which the go command refuses in a zip and a module proxy
// leaves out.
func moduleFiles(files []string) []string {
	var nested []string
	for _, f := range files {
		if strings.HasSuffix(f, "/go.mod") {
			nested = append(nested, strings.TrimSuffix(f, "go.mod"))
		}
	}
	var out []string
outer:
	for _, f := range files {
		for _, n := range nested {
			if strings.HasPrefix(f, n) {
				continue outer
			}
		}
		out = append(out, f)
	}
	return out
}

// exportRepo copies the repository's files into dir, a new checkout.
func exportRepo(t testing.TB, dir string) {
	for _, f := range repoFiles(t) {
		src := filepath.Join(repoRoot(), f)
		fi, err := os.Stat(src)
		require.NoError(t, err)
		require.NoError(t, os.MkdirAll(filepath.Join(dir, filepath.Dir(f)), 0o755))
		require.NoError(t, os.WriteFile(filepath.Join(dir, f), readFile(t, src), fi.Mode().Perm()))
	}
}

// The README's install line, run as a user runs it: from a module proxy
// (a file-based one, made here from the repository as version VERSION,
// with the modules the build needs from the local module cache) into an
// empty GOPATH, with nothing else reachable, with the C compiler present
// and so cgo on, as on most machines. The static binaries come out, and
// say the module's version. A control: a program importing os/user links
// dynamically with cgo on.
func TestGoInstallFromProxy(t *testing.T) {
	t.Parallel() // see "Parallel tests" in helpers_test.go
	need(t, "gcc", "git")
	readme := string(readFile(t, filepath.Join(repoRoot(), "README.md")))
	line := regexp.MustCompile("(?m)^go install github.com/ldwrap/ldwrap/ldwrap/cmd/\\.\\.\\.@\\S+").FindString(readme)
	require.NotEmpty(t, line, "the README's go install line")
	v := "v" + writtenVersion(t)

	proxy := t.TempDir()
	modFile := readFile(t, filepath.Join(repoRoot(), "go.mod"))
	var zbuf bytes.Buffer
	zw := zip.NewWriter(&zbuf)
	for _, f := range moduleFiles(repoFiles(t)) {
		w, err := zw.Create("github.com/ldwrap/ldwrap@" + v + "/" + f)
		require.NoError(t, err)
		_, err = w.Write(readFile(t, filepath.Join(repoRoot(), f)))
		require.NoError(t, err)
	}
	require.NoError(t, zw.Close())
	at := filepath.Join(proxy, "github.com/ldwrap/ldwrap/@v")
	writeFile(t, filepath.Join(at, "list"), v+"\n")
	writeFile(t, filepath.Join(at, v+".info"), fmt.Sprintf(`{"Version":%q,"Time":"2026-12-07T00:00:00Z"}`, v))
	writeFile(t, filepath.Join(at, v+".mod"), string(modFile))
	writeFile(t, filepath.Join(at, v+".zip"), zbuf.String())
	// The modules go.mod requires, from this machine's module cache.
	var gomod struct {
		Require []struct{ Path, Version string }
	}
	require.NoError(t, json.Unmarshal([]byte(run(t, repoRoot(), nil, "go", "mod", "edit", "-json")), &gomod))
	args := []string{"go", "mod", "download", "-json"}
	for _, r := range gomod.Require {
		args = append(args, r.Path+"@"+r.Version)
	}
	out, err := exec.Command(args[0], args[1:]...).Output()
	require.NoError(t, err, "%v", args)
	dec := json.NewDecoder(bytes.NewReader(out))
	for dec.More() {
		var m struct{ Path, Version, Info, GoMod, Zip string }
		require.NoError(t, dec.Decode(&m))
		at := filepath.Join(proxy, escapeModulePath(m.Path), "@v")
		writeFile(t, filepath.Join(at, "list"), m.Version+"\n")
		for src, ext := range map[string]string{m.Info: ".info", m.GoMod: ".mod", m.Zip: ".zip"} {
			writeFile(t, filepath.Join(at, m.Version+ext), string(readFile(t, src)))
		}
	}

	// GOFLAGS is the test's: check's -trimpath, which every go command in
	// check shares, keeps the standard library's compiled packages shared
	// too. Without -trimpath, as most users build, Go's build cache keys a
	// module's packages on their directory: GOPATH's path is fixed so that
	// a next run finds them compiled.
	work, err := testenv.OwnHostWorkDir()
	require.NoError(t, err)
	gopath := filepath.Join(work, "go-install", "gopath")
	removeModCache(t, gopath)
	t.Cleanup(func() { removeModCache(t, gopath) })
	cache := strings.TrimSpace(run(t, repoRoot(), nil, "go", "env", "GOCACHE"))
	env := []string{"GOENV=off", "GOPATH=" + gopath, "GOMODCACHE=" + filepath.Join(gopath, "pkg/mod"),
		"GOBIN=", "GOCACHE=" + cache, "GOPROXY=file://" + proxy, "GOSUMDB=off", "GONOSUMDB=", "GOPRIVATE=",
		"GONOPROXY=", "GOINSECURE=", "GOTOOLCHAIN=local", "CGO_ENABLED=1", "GOWORK=off",
		// The go command indexes a module cache directory once, by its
		// path and version, in GOCACHE: the same v0.1.0 with other files,
		// at the same fixed path, would be read with the last run's list
		// of files ("undefined: Open" for a file added since).
		"GODEBUG=goindex=0"}
	empty := t.TempDir()
	argv := strings.Fields(line)
	// Control: with the proxy off, nothing else gives the module.
	code, msg := exitCode(empty, append(append([]string{}, env...), "GOPROXY=off"), argv...)
	assert.NotEqual(t, 0, code, "GOPROXY=off: %s", msg)
	t.Log(line)
	run(t, empty, env, argv...)
	entries, err := os.ReadDir(filepath.Join(gopath, "bin"))
	require.NoError(t, err)
	var got []string
	for _, e := range entries {
		got = append(got, e.Name())
	}
	assert.Equal(t, commandNames, got)
	for _, c := range commands.All {
		p := filepath.Join(gopath, "bin", c.Name)
		assert.Empty(t, dynamicLoader(t, p), "%s: static with cgo on", c.Name)
		assert.Equal(t, c.Name+" "+strings.TrimPrefix(v, "v")+"\n", run(t, empty, nil, p, c.VersionFlag()))
	}
	assert.Regexp(t, `(?m)^\s+mod\s+github.com/ldwrap/ldwrap\s+`+regexp.QuoteMeta(v)+`\s`,
		run(t, empty, nil, "go", "version", "-m", filepath.Join(gopath, "bin", "ldwrap-run")))

	// The control: a program that imports os/user is dynamic with cgo on.
	dir := t.TempDir()
	writeFile(t, dir+"/go.mod", "module u\n\ngo 1.19\n")
	writeFile(t, dir+"/main.go", "package main\n\nimport \"os/user\"\n\nfunc main() { user.Current() }\n")
	run(t, dir, []string{"CGO_ENABLED=1"}, "go", "build", "-o", "u", ".")
	assert.NotEmpty(t, dynamicLoader(t, dir+"/u"), "control: os/user with cgo links dynamically")
}

// escapeModulePath is a module path as the module proxy protocol spells
// it: an upper-case letter as "!" and the lower-case one.
func escapeModulePath(p string) string {
	var b strings.Builder
	for _, r := range p {
		if 'A' <= r && r <= 'Z' {
			b.WriteString("!" + string(r+'a'-'A'))
		} else {
			b.WriteRune(r)
		}
	}
	return b.String()
}

// removeModCache removes a GOPATH whose module cache Go made read-only.
func removeModCache(t *testing.T, dir string) {
	filepath.Walk(dir, func(p string, fi os.FileInfo, err error) error {
		if err == nil && fi.IsDir() {
			os.Chmod(p, 0o755)
		}
		return nil
	})
	require.NoError(t, os.RemoveAll(dir))
}

// release is dist/ as go run mage.go release wrote it in a checkout of the
// repository, made once per go test process for the tests below.
var release struct {
	once sync.Once
	dist string
	err  error
}

func releaseDist(t *testing.T) string {
	t.Helper()
	need(t, "git", "dpkg-deb")
	release.once.Do(func() {
		dir, err := os.MkdirTemp("", "ldwrap-e2e-release")
		if err != nil {
			release.err = err
			return
		}
		removeAtExit = append(removeAtExit, dir)
		// Stays if the build stops the test that runs it.
		release.err = fmt.Errorf("the release build failed: see the first test that needed it")
		release.dist, release.err = buildRelease(t, filepath.Join(dir, "a"))
	})
	require.NoError(t, release.err)
	return release.dist
}

// buildRelease runs go run mage.go release in a new checkout at dir.
func buildRelease(t *testing.T, dir string) (string, error) {
	exportRepo(t, dir)
	start := time.Now()
	out, err := runErr(dir, nil, "go", "run", "mage.go", "release")
	if err != nil {
		return "", fmt.Errorf("go run mage.go release in %s: %v\n%s", dir, err, out)
	}
	t.Logf("go run mage.go release in %s: %s", dir, time.Since(start).Round(time.Second))
	return filepath.Join(dir, "dist"), nil
}

// Two checkouts of the same files at paths of different lengths give the
// same release, byte for byte.
func TestReleaseReproducible(t *testing.T) {
	t.Parallel() // see "Parallel tests" in helpers_test.go
	a := releaseDist(t)
	b, err := buildRelease(t, filepath.Join(t.TempDir(), "another", "checkout"))
	require.NoError(t, err)
	da, db := snapshot(t, a), snapshot(t, b)
	require.Equal(t, names(da), names(db))
	for _, n := range names(da) {
		assert.True(t, bytes.Equal(da[n], db[n]), "%s differs between the two checkouts", n)
	}
}

// The archives: one per platform, each with the six commands built for it,
// LICENSE, README.md, CHANGELOG.md, the Go authors' license and the man
// pages, owned by root and dated as CHANGELOG.md dates the release;
// SHA256SUMS checks. Installed as the README says, the commands run and
// man finds their pages.
func TestReleaseArchives(t *testing.T) {
	t.Parallel() // see "Parallel tests" in helpers_test.go
	need(t, "man", "sha256sum")
	dist := releaseDist(t)
	v := writtenVersion(t)
	date := regexp.MustCompile(`(?m)^## \[` + regexp.QuoteMeta(v) + `\] - (\S+)$`).FindStringSubmatch(string(readFile(t, filepath.Join(repoRoot(), "CHANGELOG.md"))))
	require.NotNil(t, date)
	released, err := time.Parse("2006-01-02", date[1])
	require.NoError(t, err)
	run(t, dist, nil, "sha256sum", "--check", "--strict", "SHA256SUMS")
	var want []string
	for _, arch := range []string{"amd64", "arm64"} {
		want = append(want, fmt.Sprintf("ldwrap_%s_%s.deb", v, arch))
		for _, goos := range []string{"darwin", "freebsd", "linux"} {
			want = append(want, fmt.Sprintf("ldwrap_%s_%s_%s.tar.gz", v, goos, arch))
		}
	}
	sort.Strings(want)
	var listed []string
	for _, l := range strings.Split(strings.TrimSpace(string(readFile(t, filepath.Join(dist, "SHA256SUMS")))), "\n") {
		listed = append(listed, strings.Fields(l)[1])
	}
	assert.Equal(t, want, listed)
	all := append(append([]string{}, want...), "SHA256SUMS")
	sort.Strings(all)
	assert.Equal(t, all, names(snapshot(t, dist)))

	machines := map[string]elf.Machine{"amd64": elf.EM_X86_64, "arm64": elf.EM_AARCH64}
	cpus := map[string]macho.Cpu{"amd64": macho.CpuAmd64, "arm64": macho.CpuArm64}
	for _, goos := range []string{"linux", "darwin", "freebsd"} {
		for _, arch := range []string{"amd64", "arm64"} {
			top := fmt.Sprintf("ldwrap_%s_%s_%s", v, goos, arch)
			files := readArchive(t, filepath.Join(dist, top+".tar.gz"))
			var got []string
			for name, f := range files {
				got = append(got, name)
				assert.Equal(t, 0, f.Uid, name)
				assert.Equal(t, 0, f.Gid, name)
				assert.True(t, f.ModTime.Equal(released), "%s: %s", name, f.ModTime)
				switch {
				case f.Typeflag == tar.TypeDir:
					assert.Equal(t, int64(0o755), f.Mode, name)
				case strings.HasPrefix(name, top+"/bin/"):
					assert.Equal(t, int64(0o755), f.Mode, name)
					if goos == "darwin" {
						m, err := macho.NewFile(bytes.NewReader(f.data))
						require.NoError(t, err, name)
						assert.Equal(t, cpus[arch], m.Cpu, name)
						continue
					}
					e, err := elf.NewFile(bytes.NewReader(f.data))
					require.NoError(t, err, name)
					assert.Equal(t, machines[arch], e.Machine, name)
					abi := elf.ELFOSABI_NONE
					if goos == "freebsd" {
						abi = elf.ELFOSABI_FREEBSD
					}
					assert.Equal(t, abi, e.OSABI, name)
					for _, p := range e.Progs {
						assert.NotEqual(t, elf.PT_INTERP, p.Type, "%s: static", name)
					}
				case f.Typeflag == tar.TypeReg:
					assert.Equal(t, int64(0o644), f.Mode, name)
				}
			}
			sort.Strings(got)
			wantFiles := []string{top + "/", top + "/CHANGELOG.md", top + "/LICENSE", top + "/README.md", top + "/bin/"}
			sections := map[string]bool{}
			for _, c := range commands.All {
				wantFiles = append(wantFiles, top+"/bin/"+c.Name, top+"/share/man/"+c.ManPage())
				sections[top+"/share/man/"+filepath.Dir(c.ManPage())+"/"] = true
			}
			for s := range sections {
				wantFiles = append(wantFiles, s)
			}
			wantFiles = append(wantFiles, top+"/share/", top+"/share/man/", top+"/third_party/", top+"/third_party/go/", top+"/third_party/go/LICENSE")
			sort.Strings(wantFiles)
			assert.Equal(t, wantFiles, got, top)
			for _, f := range []string{"LICENSE", "README.md", "CHANGELOG.md"} {
				assert.Equal(t, string(readFile(t, filepath.Join(repoRoot(), f))), string(files[top+"/"+f].data), f)
			}
			assert.Equal(t, "ldwrap-cc.1", files[top+"/share/man/man1/ldwrap-c++.1"].Linkname)
		}
	}
	// The license is the standard text, as license checkers know it.
	assert.Equal(t, "cfc7749b96f63bd31c3c42b5c471bf756814053e847c10f3eb003417bc523d30",
		fmt.Sprintf("%x", sha256.Sum256(readFile(t, filepath.Join(repoRoot(), "LICENSE")))))

	// Installed as the README says, into a HOME of its own.
	readme := string(readFile(t, filepath.Join(repoRoot(), "README.md")))
	top := "ldwrap_" + v + "_linux_amd64"
	lines := regexp.MustCompile(`(?m)^(tar -xzf `+top+`\.tar\.gz|cp -R `+top+`/bin `+top+`/share ~/\.local/)(\s.*)?$`).FindAllString(readme, -1)
	require.Len(t, lines, 2, "the README's lines that install an archive")
	home := t.TempDir()
	require.NoError(t, os.MkdirAll(filepath.Join(home, ".local"), 0o755))
	writeFile(t, filepath.Join(home, "dl", fmt.Sprintf("ldwrap_%s_linux_amd64.tar.gz", v)),
		string(readFile(t, filepath.Join(dist, fmt.Sprintf("ldwrap_%s_linux_amd64.tar.gz", v)))))
	env := []string{"HOME=" + home, "PATH=" + filepath.Join(home, ".local/bin") + ":" + os.Getenv("PATH")}
	for _, l := range lines {
		t.Log(l)
		run(t, filepath.Join(home, "dl"), env, "sh", "-c", l)
	}
	if runtime.GOARCH == "amd64" {
		assert.Equal(t, "ldwrap-run "+v+"\n", run(t, home, env, "sh", "-c", "ldwrap-run --version"))
	}
	assert.Equal(t, filepath.Join(home, ".local/share/man/man1/ldwrap-run.1")+"\n", run(t, home, env, "man", "-w", "ldwrap-run"))
	assert.Equal(t, filepath.Join(home, ".local/share/man/man8/ldwrap-stale.8")+"\n", run(t, home, env, "man", "-w", "ldwrap-stale"))
	assertManPagesMatchHelp(t, env)
}

type archived struct {
	*tar.Header
	data []byte
}

func readArchive(t *testing.T, path string) map[string]archived {
	f, err := os.Open(path)
	require.NoError(t, err)
	defer f.Close()
	zr, err := gzip.NewReader(f)
	require.NoError(t, err)
	tr := tar.NewReader(zr)
	files := map[string]archived{}
	for {
		h, err := tr.Next()
		if err == io.EOF {
			break
		}
		require.NoError(t, err)
		b, err := io.ReadAll(tr)
		require.NoError(t, err)
		files[h.Name] = archived{h, b}
	}
	return files
}

// assertManPagesMatchHelp: the page man finds (under env) for each
// command says, word for word, what the command's usage text says; the
// control compares two pages that differ.
func assertManPagesMatchHelp(t *testing.T, env []string) {
	t.Helper()
	for _, c := range commands.All {
		help := strings.Fields(run(t, bin, nil, ldwrap(c.Name), c.HelpFlag()))
		require.Equal(t, "usage:", help[0])
		assert.Equal(t, help[1:], manWords(t, env, c.Name), "man %s against %s %s", c.Name, c.Name, c.HelpFlag())
	}
	assert.NotEqual(t, manWords(t, env, "ldwrap-run"), strings.Fields(run(t, bin, nil, ldwrap("ldwrap-stale"), "--help"))[1:],
		"control: the comparison tells two pages apart")
}

// manWords is the words of a man page's SYNOPSIS and DESCRIPTION as man
// shows them, in the C locale.
func manWords(t *testing.T, env []string, page string) []string {
	t.Helper()
	// man-db keeps formatted pages in /var/cache/man and takes one as
	// current while its source's mtime is the same: every build of one
	// version has the same mtime (the release date), so an earlier run's
	// page, with an older text, would be read instead.
	stale, _ := filepath.Glob("/var/cache/man/cat*/ldwrap*")
	for _, f := range stale {
		os.Remove(f)
	}
	out := run(t, bin, append(append([]string{}, env...), "LC_ALL=C", "LANG=C", "MANWIDTH=80", "MANPAGER=cat", "PAGER=cat"), "man", page)
	var words []string
	in := false
	for _, l := range strings.Split(out, "\n") {
		switch strings.TrimSpace(l) {
		case "SYNOPSIS":
			in = true
			continue
		case "DESCRIPTION":
			continue
		case "SEE ALSO":
			in = false
		}
		if in {
			words = append(words, strings.Fields(l)...)
		}
	}
	return words
}

// The .deb: lintian finds no error (its only override, for static
// binaries, is checked); apt-get installs it; the demo runs on the
// installed commands; man shows each page, word for word the command's
// usage text; apt-get removes it and nothing of it stays. The control: a
// copy of the package without its copyright file makes lintian fail.
func TestDebianPackage(t *testing.T) {
	t.Parallel() // see "Parallel tests" in helpers_test.go
	need(t, "root", "lintian", "apt-get", "dpkg", "man", "cc")
	dist := releaseDist(t)
	v := writtenVersion(t)
	arch := strings.TrimSpace(run(t, dist, nil, "dpkg", "--print-architecture"))
	deb := fmt.Sprintf("ldwrap_%s_%s.deb", v, arch)

	// Both packages. Overridden tags are shown, and make lintian exit 2:
	// its output says what it found.
	debs, err := filepath.Glob(filepath.Join(dist, "*.deb"))
	require.NoError(t, err)
	require.Len(t, debs, 2)
	out, _ := runErr(dist, nil, append([]string{"lintian", "--show-overrides"}, debs...)...)
	assert.NotRegexp(t, `(?m)^[EW]: `, out, "lintian finds errors or warnings")
	assert.Contains(t, out, "O: ldwrap: statically-linked-binary [usr/bin/ldwrap-run]")
	for _, l := range strings.Split(out, "\n") {
		if strings.HasPrefix(l, "O: ") {
			assert.Regexp(t, `^O: ldwrap( \(binary\))?: statically-linked-binary \[usr/bin/ldwrap[-a-z+]*\]$`, l)
		}
	}
	control := t.TempDir()
	run(t, control, nil, "dpkg-deb", "--raw-extract", filepath.Join(dist, deb), "tree")
	require.NoError(t, os.Remove(filepath.Join(control, "tree/usr/share/doc/ldwrap/copyright")))
	run(t, control, nil, "dpkg-deb", "--root-owner-group", "-Zgzip", "-z1", "--build", "tree", "bad.deb")
	out, err = runErr(control, nil, "lintian", "bad.deb")
	assert.Error(t, err, "control: lintian fails a package without copyright")
	assert.Contains(t, out, "E: ldwrap: no-copyright-file")

	readme := string(readFile(t, filepath.Join(repoRoot(), "README.md")))
	require.Contains(t, readme, "apt-get install ./"+strings.Replace(deb, arch, "amd64", 1), "the README's install line")
	// NEEDRESTART_SUSPEND: apt runs needrestart after every install, which
	// here would restart the nginx another test drives.
	apt := []string{"DEBIAN_FRONTEND=noninteractive", "NEEDRESTART_SUSPEND=1"}
	t.Cleanup(func() { runErr(dist, apt, "dpkg", "--purge", "ldwrap") })
	run(t, dist, apt, "apt-get", "install", "-y", "-q", "./"+deb)
	assert.Contains(t, run(t, dist, nil, "dpkg-query", "-W", "-f=${Status} ${Version}", "ldwrap"), "install ok installed "+v)
	for _, c := range commandNames {
		fi, err := os.Stat("/usr/bin/" + c)
		require.NoError(t, err)
		assert.Equal(t, os.FileMode(0o755), fi.Mode().Perm(), c)
	}
	assert.Equal(t, "ldwrap-run "+v+"\n", run(t, dist, nil, "/usr/bin/ldwrap-run", "--version"))
	assert.Equal(t, "/usr/share/man/man1/ldwrap-run.1.gz\n", run(t, dist, nil, "man", "-w", "ldwrap-run"))
	assertManPagesMatchHelp(t, nil)

	// The demo, with /usr/bin/ldwrap-cc.
	out = run(t, repoRoot(), []string{"PATH=/usr/bin:" + os.Getenv("PATH")}, "go", "run", "mage.go", "demoInstalled")
	for _, s := range []string{"$ /usr/bin/ldwrap-cc -o prog prog.c", "Text file busy", "old program finished normally", "new program"} {
		assert.Contains(t, out, s)
	}

	var paths []string
	for _, l := range strings.Split(run(t, dist, nil, "dpkg-deb", "--contents", deb), "\n") {
		if f := strings.Fields(l); len(f) >= 6 && !strings.HasSuffix(f[5], "/") {
			paths = append(paths, strings.TrimPrefix(f[5], "."))
		}
	}
	require.Contains(t, paths, "/usr/bin/ldwrap-run")
	run(t, dist, apt, "apt-get", "remove", "-y", "-q", "ldwrap")
	st, _ := runErr(dist, nil, "dpkg-query", "-W", "-f=${Status}", "ldwrap")
	assert.NotContains(t, st, "ok installed")
	assert.NotContains(t, st, "config-files")
	for _, p := range paths {
		_, err := os.Lstat(p)
		assert.True(t, os.IsNotExist(err), "%s is left after apt-get remove", p)
	}
	_, err = os.Stat("/usr/share/doc/ldwrap")
	assert.True(t, os.IsNotExist(err), "/usr/share/doc/ldwrap is left")
	code, _ := exitCode(dist, nil, "man", "-w", "ldwrap-run")
	assert.NotEqual(t, 0, code, "man still finds ldwrap-run")
}

// bcrRegistry makes a Bazel registry in generation g from the Bazel
// Central Registry templates in .bcr/, as the BCR's publishing app does for
// a release, with an archive of the repository as GitHub makes one for the
// tag (ldwrap-VERSION/...), and returns its URL and the targets the
// presubmit builds. The app would point at GitHub; the registry points at
// the archive beside it.
func bcrRegistry(t *testing.T, g generation) (string, []string) {
	v := writtenVersion(t)
	reg := g.workDir(t, "registry")
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	tw := tar.NewWriter(zw)
	prefix := "ldwrap-" + v + "/"
	dirs := map[string]bool{}
	for _, f := range repoFiles(t) {
		for d := filepath.Dir(f); d != "." && !dirs[d]; d = filepath.Dir(d) {
			dirs[d] = true
		}
	}
	var dirList []string
	for d := range dirs {
		dirList = append(dirList, d)
	}
	sort.Strings(dirList)
	require.NoError(t, tw.WriteHeader(&tar.Header{Name: prefix, Typeflag: tar.TypeDir, Mode: 0o755}))
	for _, d := range dirList {
		require.NoError(t, tw.WriteHeader(&tar.Header{Name: prefix + d + "/", Typeflag: tar.TypeDir, Mode: 0o755}))
	}
	for _, f := range repoFiles(t) {
		b := readFile(t, filepath.Join(repoRoot(), f))
		fi, err := os.Stat(filepath.Join(repoRoot(), f))
		require.NoError(t, err)
		require.NoError(t, tw.WriteHeader(&tar.Header{Name: prefix + f, Mode: int64(fi.Mode().Perm()), Size: int64(len(b)), Typeflag: tar.TypeReg}))
		_, err = tw.Write(b)
		require.NoError(t, err)
	}
	require.NoError(t, tw.Close())
	require.NoError(t, zw.Close())
	archive := reg + "/ldwrap-" + v + ".tar.gz"
	writeFile(t, g.host(archive), buf.String())

	fill := strings.NewReplacer("{OWNER}", "ldwrap", "{REPO}", "ldwrap", "{VERSION}", v, "{TAG}", "v"+v)
	var source map[string]interface{}
	require.NoError(t, json.Unmarshal([]byte(fill.Replace(string(readFile(t, filepath.Join(repoRoot(), ".bcr/source.template.json"))))), &source))
	assert.Equal(t, "https://github.com/ldwrap/ldwrap/archive/refs/tags/v"+v+".tar.gz", source["url"], "GitHub's archive of the tag")
	assert.Equal(t, prefix, source["strip_prefix"].(string)+"/")
	sum := sha256.Sum256(buf.Bytes())
	source["url"] = "file://" + archive
	source["integrity"] = "sha256-" + base64.StdEncoding.EncodeToString(sum[:])
	var metadata map[string]interface{}
	require.NoError(t, json.Unmarshal(readFile(t, filepath.Join(repoRoot(), ".bcr/metadata.template.json")), &metadata))
	metadata["versions"] = []string{v}
	for name, content := range map[string]interface{}{"modules/ldwrap/metadata.json": metadata, "modules/ldwrap/" + v + "/source.json": source} {
		b, err := json.MarshalIndent(content, "", "  ")
		require.NoError(t, err)
		writeFile(t, g.host(reg+"/"+name), string(b)+"\n")
	}
	writeFile(t, g.host(reg+"/bazel_registry.json"), "{\"mirrors\": []}\n")
	writeFile(t, g.host(reg+"/modules/ldwrap/"+v+"/MODULE.bazel"), string(readFile(t, filepath.Join(repoRoot(), "MODULE.bazel"))))
	presubmit := string(readFile(t, filepath.Join(repoRoot(), ".bcr/presubmit.yml")))
	writeFile(t, g.host(reg+"/modules/ldwrap/"+v+"/presubmit.yml"), presubmit)
	var targets []string
	for _, m := range regexp.MustCompile(`(?m)^\s+- "(@ldwrap//[^"]+)"$`).FindAllStringSubmatch(presubmit, -1) {
		targets = append(targets, m[1])
	}
	require.NotEmpty(t, targets, "the presubmit's build_targets")
	return "file://" + reg, targets
}
