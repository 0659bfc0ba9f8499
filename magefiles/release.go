//go:build mage

package main

import (
	"archive/tar"
	"bufio"
	"bytes"
	"compress/gzip"
	"crypto/md5"
	"crypto/sha256"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/ldwrap/ldwrap/internal/commands"
	"github.com/magefile/mage/sh"
)

// The release: archives for each platform, .debs for Linux, SHA256SUMS.
// Everything in them follows from the source and the toolchain: the
// version is VERSION's, every timestamp is the release's date in
// CHANGELOG.md, and the builds are path-independent (-trimpath) and carry
// no VCS stamp, so two checkouts of one commit at different paths give the
// same bytes (TestReleaseReproducible).

// versionFile is where the version is written, once; the commands embed it
// (ldwrap/internal/cli/version.go).
const versionFile = "ldwrap/internal/cli/VERSION"

// commandNames are the binaries every way of installing ldwrap gives,
// sorted: the table's.
func commandNames() []string {
	var names []string
	for _, c := range commands.All {
		names = append(names, c.Name)
	}
	return names
}

// releasePlatforms: Linux is where ldwrap runs and is tested; the macOS and
// FreeBSD builds are compiled, their code paths tested on Linux (README,
// Platforms).
var releasePlatforms = []struct{ goos, goarch string }{
	{"linux", "amd64"}, {"linux", "arm64"},
	{"darwin", "amd64"}, {"darwin", "arm64"},
	{"freebsd", "amd64"}, {"freebsd", "arm64"},
}

const distDir = "dist"

// Release writes dist/: ldwrap_VERSION_OS_ARCH.tar.gz for Linux, macOS and FreeBSD on amd64 and arm64, ldwrap_VERSION_ARCH.deb for Linux, and SHA256SUMS (needs Go and dpkg-deb; cold 3 min, warm 30 s).
// The same source gives the same bytes, whatever the checkout's path.
func Release() error {
	version, date, err := releaseVersion()
	if err != nil {
		return err
	}
	if _, err := exec.LookPath("dpkg-deb"); err != nil {
		return fmt.Errorf("the .deb needs dpkg-deb (Debian's dpkg): %v", err)
	}
	work, err := os.MkdirTemp("", "ldwrap-release")
	if err != nil {
		return err
	}
	defer os.RemoveAll(work)
	if err := os.RemoveAll(distDir); err != nil {
		return err
	}
	if err := os.MkdirAll(distDir, 0o755); err != nil {
		return err
	}
	bins := map[string]string{}
	for _, p := range releasePlatforms {
		dir := filepath.Join(work, p.goos+"_"+p.goarch)
		if err := releaseBuild(p.goos, p.goarch, dir); err != nil {
			return err
		}
		bins[p.goos+"/"+p.goarch] = dir
	}
	// The man pages come from the commands' --help: those built for this
	// machine answer it.
	host := bins[runtime.GOOS+"/"+runtime.GOARCH]
	if host == "" {
		host = filepath.Join(work, "host")
		if err := releaseBuild(runtime.GOOS, runtime.GOARCH, host); err != nil {
			return err
		}
	}
	pages, err := manPages(host, version, date)
	if err != nil {
		return err
	}
	docs := map[string][]byte{}
	for _, f := range []string{"LICENSE", "README.md", "CHANGELOG.md"} {
		if docs[f], err = os.ReadFile(f); err != nil {
			return err
		}
	}
	goLicense, err := goLicense()
	if err != nil {
		return err
	}
	var made []string
	for _, p := range releasePlatforms {
		name := fmt.Sprintf("ldwrap_%s_%s_%s", version, p.goos, p.goarch)
		if err := writeArchive(filepath.Join(distDir, name+".tar.gz"), name, bins[p.goos+"/"+p.goarch], pages, docs, goLicense, date); err != nil {
			return err
		}
		made = append(made, name+".tar.gz")
		if p.goos == "linux" {
			deb := fmt.Sprintf("ldwrap_%s_%s.deb", version, p.goarch)
			if err := writeDeb(filepath.Join(work, "deb_"+p.goarch), filepath.Join(distDir, deb), version, p.goarch, bins["linux/"+p.goarch], pages, goLicense, date); err != nil {
				return err
			}
			made = append(made, deb)
		}
	}
	sort.Strings(made)
	var sums strings.Builder
	for _, f := range made {
		b, err := os.ReadFile(filepath.Join(distDir, f))
		if err != nil {
			return err
		}
		fmt.Fprintf(&sums, "%x  %s\n", sha256.Sum256(b), f)
		fmt.Println("wrote", filepath.Join(distDir, f))
	}
	return os.WriteFile(filepath.Join(distDir, "SHA256SUMS"), []byte(sums.String()), 0o644)
}

// releaseVersion is VERSION's version and its release date, the one
// CHANGELOG.md gives it ("## [0.1.0] - YYYY-MM-DD"): a release without its
// entry there is refused.
func releaseVersion() (string, time.Time, error) {
	b, err := os.ReadFile(versionFile)
	if err != nil {
		return "", time.Time{}, err
	}
	version := strings.TrimSpace(string(b))
	log, err := os.ReadFile("CHANGELOG.md")
	if err != nil {
		return "", time.Time{}, err
	}
	m := regexp.MustCompile(`(?m)^## \[` + regexp.QuoteMeta(version) + `\] - (\d{4}-\d{2}-\d{2})$`).FindSubmatch(log)
	if m == nil {
		return "", time.Time{}, fmt.Errorf("CHANGELOG.md has no entry \"## [%s] - YYYY-MM-DD\" for %s's version", version, versionFile)
	}
	date, err := time.Parse("2006-01-02", string(m[1]))
	return version, date, err
}

// releaseBuild builds the commands for goos/goarch into dir: static, no
// paths of this machine (-trimpath), no VCS stamp (a source archive has
// none, a checkout would), stripped of the symbol tables (a panic's trace
// keeps its function names and lines).
func releaseBuild(goos, goarch, dir string) error {
	env := map[string]string{"GOOS": goos, "GOARCH": goarch, "CGO_ENABLED": "0"}
	fmt.Printf("building for %s/%s\n", goos, goarch)
	return sh.RunWith(env, "go", "build", "-trimpath", "-buildvcs=false", "-ldflags=-s -w", "-o", dir+"/", "./ldwrap/cmd/...")
}

// goLicense is the license of the Go standard library, which the commands
// link statically; golang.org/x/sys, which they link too, has the same
// text and authors. Its notice goes with every binary.
func goLicense() ([]byte, error) {
	goroot, err := sh.Output("go", "env", "GOROOT")
	if err != nil {
		return nil, err
	}
	return os.ReadFile(filepath.Join(goroot, "LICENSE"))
}

// A manPage is generated from a command's --help, so the two cannot
// drift (TestManPagesMatchHelp compares them).
type manPage struct {
	name    string
	section int
	summary string   // NAME's line
	help    []string // how the command prints its usage text
	aliases []string // commands the same page is for
	seeAlso []string
}

// manPageList is a page for each command in the table that has one of
// its own, with the commands that share it as its aliases.
func manPageList() []manPage {
	var pages []manPage
	for _, c := range commands.All {
		if c.Page != "" {
			continue
		}
		p := manPage{c.Name, c.Section, c.Summary, []string{c.HelpFlag()}, nil, c.SeeAlso}
		for _, a := range commands.All {
			if a.Page == c.Name {
				p.aliases = append(p.aliases, a.Name)
			}
		}
		pages = append(pages, p)
	}
	return pages
}

// manPagesT are man pages by path under a man directory
// ("man1/ldwrap-run.1"), and symbolic links to them for the aliases
// (ldwrap-c++.1 to "ldwrap-cc.1").
type manPagesT struct{ pages, links map[string]string }

// manPages runs each command in bin for its usage text and renders it.
func manPages(bin, version string, date time.Time) (manPagesT, error) {
	pages, links := map[string]string{}, map[string]string{}
	for _, p := range manPageList() {
		cmd := exec.Command(filepath.Join(bin, p.name), p.help...)
		cmd.Env = append(os.Environ(), "LDWRAP_VERBOSE=", "LC_ALL=C")
		help, err := cmd.Output()
		if err != nil {
			return manPagesT{}, fmt.Errorf("%s %s: %v", p.name, strings.Join(p.help, " "), err)
		}
		page, err := renderManPage(p, string(help), version, date)
		if err != nil {
			return manPagesT{}, err
		}
		file := fmt.Sprintf("man%d/%s.%d", p.section, p.name, p.section)
		pages[file] = page
		for _, a := range p.aliases {
			links[fmt.Sprintf("man%d/%s.%d", p.section, a, p.section)] = filepath.Base(file)
		}
	}
	return manPagesT{pages, links}, nil
}

// renderManPage turns a usage text into roff: its "usage:" lines are the
// SYNOPSIS, the rest the DESCRIPTION, where lines at the margin are filled
// into paragraphs and indented ones (option lists, examples) kept as they
// are. Every word is the usage text's.
func renderManPage(p manPage, help, version string, date time.Time) (string, error) {
	lines := strings.Split(strings.TrimRight(help, "\n"), "\n")
	if len(lines) == 0 || !strings.HasPrefix(lines[0], "usage: ") {
		return "", fmt.Errorf("%s: the usage text does not start with \"usage: \"", p.name)
	}
	var b strings.Builder
	sectionName := map[int]string{1: "User Commands", 8: "System Administration"}[p.section]
	fmt.Fprintf(&b, ".\\\" Generated from %s %s by magefiles/release.go: edit the usage text, not this page.\n", p.name, strings.Join(p.help, " "))
	fmt.Fprintf(&b, ".TH %s %d %s \"ldwrap %s\" %q\n", roffEscape(strings.ToUpper(p.name)), p.section, date.Format("2006-01-02"), version, sectionName)
	// No hyphenation and a ragged right margin: option names and paths
	// stay whole, as in the usage text.
	b.WriteString(".nh\n.ad l\n.SH NAME\n")
	names := append([]string{p.name}, p.aliases...)
	fmt.Fprintf(&b, "%s \\- %s\n", roffEscape(strings.Join(names, ", ")), roffEscape(p.summary))
	b.WriteString(".SH SYNOPSIS\n.nf\n")
	i := 0
	for ; i < len(lines) && (i == 0 || strings.HasPrefix(lines[i], "       ")); i++ {
		b.WriteString(roffLine(strings.TrimSpace(strings.TrimPrefix(lines[i], "usage: "))) + "\n")
	}
	b.WriteString(".fi\n.SH DESCRIPTION\n")
	var prose, verbatim []string
	flush := func() {
		if len(prose) > 0 {
			b.WriteString(".PP\n")
			for _, l := range prose {
				b.WriteString(roffLine(l) + "\n")
			}
			prose = nil
		}
		if len(verbatim) > 0 {
			indent := -1
			for _, l := range verbatim {
				if n := len(l) - len(strings.TrimLeft(l, " ")); l != "" && (indent < 0 || n < indent) {
					indent = n
				}
			}
			fmt.Fprintf(&b, ".RS %d\n.nf\n", indent)
			for _, l := range verbatim {
				if len(l) >= indent {
					l = l[indent:]
				}
				b.WriteString(roffLine(l) + "\n")
			}
			b.WriteString(".fi\n.RE\n")
			verbatim = nil
		}
	}
	for _, l := range lines[i:] {
		switch {
		case strings.TrimSpace(l) == "":
			flush()
		case strings.HasPrefix(l, " "):
			if len(prose) > 0 {
				flush()
			}
			verbatim = append(verbatim, l)
		default:
			if len(verbatim) > 0 {
				flush()
			}
			prose = append(prose, l)
		}
	}
	flush()
	b.WriteString(".SH SEE ALSO\n")
	var refs []string
	for _, r := range p.seeAlso {
		i := strings.IndexByte(r, '(')
		refs = append(refs, fmt.Sprintf(".BR %s %s", roffEscape(r[:i]), r[i:]))
	}
	b.WriteString(strings.Join(refs, " ,\n") + "\n")
	return b.String(), nil
}

// roffEscape makes s print as it is: a backslash, and the characters
// groff would otherwise print as a hyphen or typographic quotes.
func roffEscape(s string) string {
	return strings.NewReplacer(`\`, `\e`, "-", `\-`, "'", `\(aq`, "`", `\(ga`).Replace(s)
}

// roffLine is a line of text that must not be read as a request.
func roffLine(s string) string {
	s = roffEscape(s)
	if strings.HasPrefix(s, ".") {
		s = `\&` + s
	}
	return s
}

// tarEntry is one file of an archive: a regular file unless link is set.
type tarEntry struct {
	name string
	mode int64
	data []byte
	link string
}

// writeArchive writes a .tar.gz whose every byte follows from its entries:
// sorted names, root's owner, the release's date.
func writeArchive(path, top, bin string, pages manPagesT, docs map[string][]byte, goLicense []byte, date time.Time) error {
	var entries []tarEntry
	for _, c := range commandNames() {
		b, err := os.ReadFile(filepath.Join(bin, c))
		if err != nil {
			return err
		}
		entries = append(entries, tarEntry{name: "bin/" + c, mode: 0o755, data: b})
	}
	for f, b := range docs {
		entries = append(entries, tarEntry{name: f, mode: 0o644, data: b})
	}
	entries = append(entries, tarEntry{name: "third_party/go/LICENSE", mode: 0o644, data: goLicense})
	for f, s := range pages.pages {
		entries = append(entries, tarEntry{name: "share/man/" + f, mode: 0o644, data: []byte(s)})
	}
	for f, target := range pages.links {
		entries = append(entries, tarEntry{name: "share/man/" + f, mode: 0o777, link: target})
	}
	dirs := map[string]bool{}
	for _, e := range entries {
		for d := filepath.Dir(e.name); d != "."; d = filepath.Dir(d) {
			dirs[d] = true
		}
	}
	for d := range dirs {
		entries = append(entries, tarEntry{name: d + "/", mode: 0o755})
	}
	entries = append(entries, tarEntry{name: "", mode: 0o755})
	sort.Slice(entries, func(i, j int) bool { return entries[i].name < entries[j].name })

	// gzip's default level: -9 takes much longer for next to nothing
	// (docs/tests.md, "Timings").
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	tw := tar.NewWriter(zw)
	for _, e := range entries {
		h := &tar.Header{
			Name: top + "/" + e.name, Mode: e.mode, ModTime: date, Format: tar.FormatPAX,
			Uname: "root", Gname: "root", Typeflag: tar.TypeReg, Size: int64(len(e.data)),
		}
		switch {
		case e.link != "":
			h.Typeflag, h.Linkname, h.Size = tar.TypeSymlink, e.link, 0
		case strings.HasSuffix(h.Name, "/"):
			h.Typeflag, h.Size = tar.TypeDir, 0
		}
		if err := tw.WriteHeader(h); err != nil {
			return err
		}
		if _, err := tw.Write(e.data); err != nil {
			return err
		}
	}
	if err := tw.Close(); err != nil {
		return err
	}
	if err := zw.Close(); err != nil {
		return err
	}
	return os.WriteFile(path, buf.Bytes(), 0o644)
}

// debMaintainer is the .deb's Maintainer: who answers for the package.
const debMaintainer = "ldwrap maintainers <maintainers@ldwrap.invalid>"

const debDescription = `atomic outputs for linkers, compilers, install and build steps
 Linkers, compilers and install(1) write in place: a running program is
 overwritten under its users ("Text file busy", a crash), and a killed
 step leaves a truncated file that make takes for up to date. ldwrap lets
 those tools write beside the target and renames the result over it only
 when the step succeeds: every reader sees the old file or the new one,
 and the old output survives any failure byte-identical.
 .
 The commands: ldwrap, in front of ld.bfd, gold, lld or mold; ldwrap-cc
 and ldwrap-c++, in front of a compiler driver, the ways ccache is used
 (CC=ldwrap-cc); ldwrap-ar, in front of ar; ldwrap-install, a drop-in for
 GNU install; ldwrap-run, for any other step; ldwrap-stale, which lists
 the processes that still use an old version of a replaced file.`

// debLintianOverrides: lintian takes a static executable for a mistake
// unless the package's source build-depends on golang-go, which it cannot
// see here: this .deb is made from the Go module by Release, without a
// Debian source package. The commands are static on purpose (no dynamic
// loader on each call, see magefile.go). TestDebianPackage fails on any
// other override.
const debLintianOverrides = `# Go programs, static on purpose; lintian exempts them when it sees a
# source package that build-depends on golang-go, and this one has none.
ldwrap: statically-linked-binary [usr/bin/*]
`

// writeDeb builds the .deb for arch in tree with dpkg-deb: the commands in
// /usr/bin, the man pages, the copyright in Debian's machine-readable
// format and a changelog made from CHANGELOG.md.
func writeDeb(tree, out, version, arch, bin string, pages manPagesT, goLicense []byte, date time.Time) error {
	if err := os.RemoveAll(tree); err != nil {
		return err
	}
	files := map[string][]byte{}
	modes := map[string]os.FileMode{}
	for _, c := range commandNames() {
		b, err := os.ReadFile(filepath.Join(bin, c))
		if err != nil {
			return err
		}
		files["usr/bin/"+c], modes["usr/bin/"+c] = b, 0o755
	}
	for f, s := range pages.pages {
		files["usr/share/man/"+f+".gz"] = gzipBytes([]byte(s))
	}
	log, err := debChangelog(version, date)
	if err != nil {
		return err
	}
	files["usr/share/doc/ldwrap/changelog.gz"] = gzipBytes(log)
	files["usr/share/doc/ldwrap/copyright"] = debCopyright(goLicense, date)
	files["usr/share/lintian/overrides/ldwrap"] = []byte(debLintianOverrides)
	var md5sums strings.Builder
	var paths []string
	for p := range files {
		paths = append(paths, p)
	}
	sort.Strings(paths)
	size := int64(0)
	for _, p := range paths {
		full := filepath.Join(tree, p)
		if err := os.MkdirAll(filepath.Dir(full), 0o755); err != nil {
			return err
		}
		mode := modes[p]
		if mode == 0 {
			mode = 0o644
		}
		if err := os.WriteFile(full, files[p], mode); err != nil {
			return err
		}
		if err := os.Chmod(full, mode); err != nil { // whatever the umask
			return err
		}
		fmt.Fprintf(&md5sums, "%x  %s\n", md5.Sum(files[p]), p)
		size += (int64(len(files[p])) + 1023) / 1024
	}
	for f, target := range pages.links {
		if err := os.Symlink(target+".gz", filepath.Join(tree, "usr/share/man", f+".gz")); err != nil {
			return err
		}
		size++
	}
	control := fmt.Sprintf(`Package: ldwrap
Version: %s
Architecture: %s
Maintainer: %s
Installed-Size: %d
Section: devel
Priority: optional
Homepage: https://github.com/ldwrap/ldwrap
Description: %s
`, version, arch, debMaintainer, size, debDescription)
	if err := os.MkdirAll(filepath.Join(tree, "DEBIAN"), 0o755); err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(tree, "DEBIAN/control"), []byte(control), 0o644); err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(tree, "DEBIAN/md5sums"), []byte(md5sums.String()), 0o644); err != nil {
		return err
	}
	// Directories are made with the umask's mode; a package's are 0755.
	err = filepath.Walk(tree, func(p string, fi os.FileInfo, err error) error {
		if err == nil && fi.IsDir() {
			err = os.Chmod(p, 0o755)
		}
		return err
	})
	if err != nil {
		return err
	}
	// dpkg-deb takes SOURCE_DATE_EPOCH for the ar members' dates and as the
	// latest mtime in its tar members; it sorts the names itself. xz -3,
	// not dpkg's -6: a fraction of the CPU for a somewhat larger package
	// (docs/tests.md, "Timings"; the three wrappers, nearly the same bytes,
	// fit -6's larger window).
	env := map[string]string{"SOURCE_DATE_EPOCH": strconv.FormatInt(date.Unix(), 10)}
	return sh.RunWith(env, "dpkg-deb", "--root-owner-group", "-Zxz", "-z3", "--build", tree, out)
}

// gzipBytes is b compressed as gzip -9n does: no name, no date.
func gzipBytes(b []byte) []byte {
	var buf bytes.Buffer
	zw, _ := gzip.NewWriterLevel(&buf, gzip.BestCompression)
	zw.Write(b)
	zw.Close()
	return buf.Bytes()
}

// debChangelog is CHANGELOG.md in the format of debian/changelog, newest
// first, which dpkg and lintian read: one entry per released version,
// each item of its lists a "*" line.
func debChangelog(version string, date time.Time) ([]byte, error) {
	f, err := os.Open("CHANGELOG.md")
	if err != nil {
		return nil, err
	}
	defer f.Close()
	heading := regexp.MustCompile(`^## \[([^\]]+)\] - (\d{4}-\d{2}-\d{2})$`)
	var b strings.Builder
	var item []string
	open, released := false, false
	endItem := func() {
		if len(item) > 0 {
			b.WriteString(wrapText(strings.Join(item, " "), "  * ", "    ", 78))
			item = nil
		}
	}
	closeEntry := func(day time.Time) {
		endItem()
		fmt.Fprintf(&b, "\n -- %s  %s\n\n", debMaintainer, day.Format("Mon, 02 Jan 2006 15:04:05 -0700"))
	}
	var day time.Time
	s := bufio.NewScanner(f)
	for s.Scan() {
		l := s.Text()
		if strings.HasPrefix(l, "## ") {
			if open {
				closeEntry(day)
			}
			m := heading.FindStringSubmatch(l)
			open = m != nil
			if !open {
				continue // Unreleased
			}
			if day, err = time.Parse("2006-01-02", m[2]); err != nil {
				return nil, err
			}
			released = released || m[1] == version
			fmt.Fprintf(&b, "ldwrap (%s) unstable; urgency=medium\n\n", m[1])
			continue
		}
		if !open {
			continue
		}
		switch {
		case strings.HasPrefix(l, "- "):
			endItem()
			item = []string{strings.TrimSpace(l[2:])}
		case strings.HasPrefix(l, "  ") && len(item) > 0:
			item = append(item, strings.TrimSpace(l))
		case strings.HasPrefix(l, "### "):
			endItem()
			fmt.Fprintf(&b, "  [ %s ]\n", strings.TrimSpace(l[4:]))
		case strings.HasPrefix(l, "["): // the link references at the end
			endItem()
		}
	}
	if open {
		closeEntry(day)
	}
	if !released {
		return nil, fmt.Errorf("CHANGELOG.md: no entry for %s", version)
	}
	return []byte(strings.TrimRight(b.String(), "\n") + "\n"), s.Err()
}

// wrapText fills words into lines of at most width, the first starting with
// first and the others with rest.
func wrapText(s, first, rest string, width int) string {
	var b strings.Builder
	line := first
	empty := true
	for _, w := range strings.Fields(s) {
		if !empty && len(line)+1+len(w) > width {
			b.WriteString(line + "\n")
			line, empty = rest, true
		}
		if !empty {
			line += " "
		}
		line += w
		empty = false
	}
	b.WriteString(line + "\n")
	return b.String()
}

// debCopyright is the copyright file in Debian's machine-readable format:
// ldwrap's license, and the notice of the Go standard library and
// golang.org/x/sys, which the commands link statically.
func debCopyright(goLicense []byte, date time.Time) []byte {
	var notice strings.Builder
	for _, l := range strings.Split(strings.TrimRight(string(goLicense), "\n"), "\n") {
		if strings.TrimSpace(l) == "" {
			notice.WriteString(" .\n")
		} else {
			notice.WriteString(" " + l + "\n")
		}
	}
	return []byte(fmt.Sprintf(`Format: https://www.debian.org/doc/packaging-manuals/copyright-format/1.0/
Upstream-Name: ldwrap
Source: https://github.com/ldwrap/ldwrap

Files: *
Copyright: %d The ldwrap authors
License: Apache-2.0
 On Debian systems, the complete text of the Apache License, Version 2.0,
 is in /usr/share/common-licenses/Apache-2.0.

Files: go/* golang.org/x/sys/*
Copyright: 2009 The Go Authors
Comment: The commands are linked statically with the Go standard library
 and golang.org/x/sys.
License: BSD-3-Clause
%s`, date.Year(), notice.String()))
}
