//go:build mage

package main

import (
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/ldwrap/ldwrap/internal/commands"
	"github.com/ldwrap/ldwrap/ldwrap"
)

// The BUILD.bazel files of the Go packages follow from the Go sources, and
// the root one from the table of commands: Gen writes them (what gazelle
// would, without gazelle in either Bazel stack), and GenCheck, run by
// Check, fails when one is out of date, so that a renamed or added file
// or command cannot break only the Bazel build.

const modulePath = "github.com/ldwrap/ldwrap"

// externalLabels are the Bazel labels of the modules the packages import.
var externalLabels = map[string]string{
	"golang.org/x/sys/unix":               "@org_golang_x_sys//unix",
	"github.com/stretchr/testify/assert":  "@com_github_stretchr_testify//assert",
	"github.com/stretchr/testify/require": "@com_github_stretchr_testify//require",
}

// buildOSes are the systems whose files the BUILD files list; a file that
// builds on none of them (sys_posix.go, for the other Unixes) is listed too,
// as gazelle does: rules_go applies the build constraints itself.
var buildOSes = []string{"linux", "darwin", "freebsd", "windows"}

type goPackage struct {
	ImportPath, Name, Dir              string
	GoFiles, IgnoredGoFiles            []string
	EmbedFiles                         []string
	TestGoFiles, XTestGoFiles          []string
	Imports, TestImports, XTestImports []string
}

// Gen writes the BUILD.bazel files from the Go sources and the table of commands (needs Go only; 5 s).
func Gen() error {
	files, err := buildFiles()
	if err != nil {
		return err
	}
	for path, content := range files {
		if old, _ := os.ReadFile(path); string(old) == content {
			continue
		}
		if err := ldwrap.WriteFile(path, []byte(content), 0o644); err != nil {
			return err
		}
		fmt.Println("wrote", path)
	}
	return nil
}

// GenCheck fails if a BUILD.bazel file is not what gen writes (needs Go only; 5 s).
func GenCheck() error {
	files, err := buildFiles()
	if err != nil {
		return err
	}
	var stale []string
	for path, content := range files {
		if old, _ := os.ReadFile(path); string(old) != content {
			stale = append(stale, path)
		}
	}
	if len(stale) > 0 {
		sort.Strings(stale)
		return fmt.Errorf("out of date (go run mage.go gen): %s", strings.Join(stale, " "))
	}
	return nil
}

func listPackages(goos string) (map[string]goPackage, error) {
	listed, err := goList[goPackage]("go", []string{"GOOS=" + goos, "CGO_ENABLED=0"}, "-json", "./ldwrap/...", "./internal/commands")
	if err != nil {
		return nil, fmt.Errorf("for %s: %w", goos, err)
	}
	pkgs := map[string]goPackage{}
	for _, p := range listed {
		pkgs[p.ImportPath] = p
	}
	return pkgs, nil
}

func buildFiles() (map[string]string, error) {
	var lists []map[string]goPackage
	paths := map[string]bool{}
	for _, goos := range buildOSes {
		l, err := listPackages(goos)
		if err != nil {
			return nil, err
		}
		lists = append(lists, l)
		for p := range l {
			paths[p] = true
		}
	}
	files := map[string]string{"BUILD.bazel": rootBuildFile()}
	for ip := range paths {
		var merged []goPackage
		for _, l := range lists {
			if p, ok := l[ip]; ok {
				merged = append(merged, p)
			}
		}
		content, err := buildFile(ip, merged)
		if err != nil {
			return nil, err
		}
		rel := strings.TrimPrefix(ip, modulePath+"/")
		files[filepath.Join(rel, "BUILD.bazel")] = content
	}
	return files, nil
}

// rootBuildFile is the root BUILD.bazel: the install target of every
// command in the table.
func rootBuildFile() string {
	srcs := stringSet{}
	for _, c := range commands.All {
		srcs.add("//ldwrap/cmd/" + c.Name)
	}
	return `load("//rules:defs.bzl", "atomic_install")

# bazel run //:install -- DIR installs the ldwrap commands into DIR atomically.
atomic_install(
    name = "install",
    srcs = ` + srcs.starlark("        ") + `,
)
`
}

func label(imp string) string {
	if l, ok := externalLabels[imp]; ok {
		return l
	}
	if strings.HasPrefix(imp, modulePath+"/") {
		return "//" + strings.TrimPrefix(imp, modulePath+"/")
	}
	return "" // the standard library
}

type stringSet map[string]bool

func (s stringSet) add(xs ...string) {
	for _, x := range xs {
		if x != "" {
			s[x] = true
		}
	}
}

func (s stringSet) labels(imports []string) {
	for _, i := range imports {
		s.add(label(i))
	}
}

// starlark formats a list the way buildifier does.
func (s stringSet) starlark(indent string) string {
	var xs []string
	for x := range s {
		xs = append(xs, x)
	}
	sort.Strings(xs)
	if len(xs) <= 1 {
		if len(xs) == 0 {
			return "[]"
		}
		return fmt.Sprintf("[%q]", xs[0])
	}
	var b strings.Builder
	b.WriteString("[\n")
	for _, x := range xs {
		fmt.Fprintf(&b, "%s%q,\n", indent, x)
	}
	b.WriteString(indent[:len(indent)-4] + "]")
	return b.String()
}

func buildFile(ip string, pkgs []goPackage) (string, error) {
	rel := strings.TrimPrefix(ip, modulePath+"/")
	name := filepath.Base(rel)
	srcs, embeds, tests, deps, testDeps := stringSet{}, stringSet{}, stringSet{}, stringSet{}, stringSet{}
	isMain := false
	for _, p := range pkgs {
		isMain = isMain || p.Name == "main"
		for _, f := range append(append([]string{}, p.GoFiles...), p.IgnoredGoFiles...) {
			b, err := os.ReadFile(filepath.Join(rel, f))
			if err != nil {
				return "", err
			}
			switch {
			case strings.Contains(string(b), "//go:build ignore"):
			case strings.HasSuffix(f, "_test.go"):
				tests.add(f)
			default:
				srcs.add(f)
			}
		}
		embeds.add(p.EmbedFiles...)
		tests.add(p.TestGoFiles...)
		tests.add(p.XTestGoFiles...)
		deps.labels(p.Imports)
		testDeps.labels(p.TestImports)
		testDeps.labels(p.XTestImports)
	}
	for d := range deps {
		delete(testDeps, d)
	}
	delete(testDeps, "//"+rel)
	kinds := `"go_library"`
	if isMain {
		kinds = `"go_binary"`
	}
	if len(tests) > 0 {
		kinds += `, "go_test"`
	}
	var b strings.Builder
	fmt.Fprintf(&b, "load(\"@io_bazel_rules_go//go:def.bzl\", %s)\n\n", kinds)
	if isMain {
		fmt.Fprintf(&b, "go_binary(\n    name = %q,\n    srcs = %s,\n", name, srcs.starlark("        "))
		// No pure = "on": the commands import no cgo package, so they link
		// static with cgo on too (TestBazelProject, TestBzlmodProject). The
		// attribute's transition gave them, and the standard library, a
		// configuration of their own: a cold Bazel 4.2.3 build of the
		// project compiled the standard library 4 times with it and not at
		// all without (its default configuration uses the Debian SDK's
		// precompiled one); Bazel 7's, 3 times and 2.
		fmt.Fprintf(&b, "    visibility = [\"//visibility:public\"],\n    deps = %s,\n)\n", deps.starlark("        "))
	} else {
		vis := `["//visibility:public"]`
		if strings.Contains(ip, "/internal/") {
			vis = `["//ldwrap:__subpackages__"]`
		}
		fmt.Fprintf(&b, "go_library(\n    name = %q,\n    srcs = %s,\n", name, srcs.starlark("        "))
		if len(embeds) > 0 { // go:embed's files (cli's VERSION)
			fmt.Fprintf(&b, "    embedsrcs = %s,\n", embeds.starlark("        "))
		}
		fmt.Fprintf(&b, "    importpath = %q,\n    visibility = %s,\n", ip, vis)
		if len(deps) > 0 {
			fmt.Fprintf(&b, "    deps = %s,\n", deps.starlark("        "))
		}
		b.WriteString(")\n")
	}
	if len(tests) > 0 {
		fmt.Fprintf(&b, "\ngo_test(\n    name = \"%s_test\",\n    srcs = %s,\n", name, tests.starlark("        "))
		if fi, err := os.Stat(filepath.Join(rel, "testdata")); err == nil && fi.IsDir() {
			b.WriteString("    data = glob([\"testdata/**\"]),\n")
		}
		fmt.Fprintf(&b, "    embed = [\":%s\"],\n", name)
		if len(testDeps) > 0 {
			fmt.Fprintf(&b, "    deps = %s,\n", testDeps.starlark("        "))
		}
		b.WriteString(")\n")
	}
	return b.String(), nil
}
