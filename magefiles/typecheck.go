//go:build mage

package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"go/types"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
)

// listedPackage is what typeCheckFor needs of `go list -json`.
type listedPackage struct {
	ImportPath string
	Dir        string
	GoFiles    []string
	CgoFiles   []string
	ImportMap  map[string]string
	Module     *struct {
		Main      bool
		GoVersion string
	}
	Error *struct{ Err string }
}

// typeCheckFor type-checks pkgs and their tests for goos/goarch from
// source with go/types: what the compiler's front end would report for
// that system (a missing or mistyped name in a file only that system
// builds, a package that does not build there), without compiling. go
// list picks the files each system builds and gives the test variants of
// the packages; the standard library and the other modules are checked
// without function bodies, as gopls does for dependencies. It needs no
// build cache, where go vet and go build of the same packages for a new
// system compile its standard library first (docs/tests.md, "Timings").
func typeCheckFor(goos, goarch string, pkgs []string) error {
	return typeCheck("go", goos, goarch, nil, pkgs)
}

// typeCheck type-checks pkgs and their tests for goos/goarch as goCmd's go
// list sees them, with env added to its environment: the files it picks,
// and its standard library.
func typeCheck(goCmd, goos, goarch string, env, pkgs []string) error {
	listed, err := goList[listedPackage](goCmd, append([]string{"GOOS=" + goos, "GOARCH=" + goarch, "CGO_ENABLED=0"}, env...),
		append([]string{"-deps", "-test", "-json=ImportPath,Dir,GoFiles,CgoFiles,ImportMap,Module,Error"}, pkgs...)...)
	if err != nil {
		return err
	}
	sizes := types.SizesFor("gc", goarch)
	checked := map[string]*types.Package{"unsafe": types.Unsafe}
	fset := token.NewFileSet()
	var problems []string
	seen := map[string]bool{}
	report := func(msg string) { // a package and its test variant share files, and so errors
		if !seen[msg] {
			seen[msg] = true
			problems = append(problems, msg)
		}
	}
	for _, p := range listed {
		if p.Error != nil {
			report(p.Error.Err)
			continue
		}
		// The test main that go test generates is not in the source tree.
		if p.ImportPath == "unsafe" || strings.HasSuffix(p.ImportPath, ".test") {
			continue
		}
		if len(p.CgoFiles) > 0 { // CGO_ENABLED=0 leaves none; say so rather than check half a package
			return fmt.Errorf("%s: cgo files with CGO_ENABLED=0", p.ImportPath)
		}
		ours := p.Module != nil && p.Module.Main
		var files []*ast.File
		for _, name := range p.GoFiles {
			f, err := parser.ParseFile(fset, filepath.Join(p.Dir, name), nil, parser.SkipObjectResolution)
			if err != nil {
				report(err.Error())
				continue
			}
			files = append(files, f)
		}
		conf := types.Config{
			Importer:         importMap{checked, p.ImportMap},
			Sizes:            sizes,
			IgnoreFuncBodies: !ours,
			Error:            func(err error) { report(err.Error()) },
		}
		if p.Module != nil && p.Module.GoVersion != "" {
			conf.GoVersion = "go" + p.Module.GoVersion
		}
		pkg, _ := conf.Check(p.ImportPath, fset, files, nil)
		checked[p.ImportPath] = pkg
		if len(problems) > 20 {
			break
		}
	}
	if len(problems) > 0 {
		return errors.New(strings.Join(problems, "\n"))
	}
	return nil
}

// importMap resolves an import as go list did for the importing package:
// to the test variant of a package where a test needs it, and to the
// standard library's vendored copies.
type importMap struct {
	checked map[string]*types.Package
	mapped  map[string]string
}

func (m importMap) Import(path string) (*types.Package, error) {
	if to, ok := m.mapped[path]; ok {
		path = to
	}
	if p := m.checked[path]; p != nil {
		return p, nil
	}
	return nil, fmt.Errorf("%s: not checked before its importer", path)
}

// goList runs goCmd list -e with args, env added to its environment, and
// decodes the packages it prints as JSON.
func goList[T any](goCmd string, env []string, args ...string) ([]T, error) {
	cmd := exec.Command(goCmd, append([]string{"list", "-e"}, args...)...)
	cmd.Env = append(os.Environ(), env...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return nil, fmt.Errorf("%s list: %v\n%s", goCmd, err, stderr.Bytes())
	}
	var pkgs []T
	dec := json.NewDecoder(bytes.NewReader(out))
	for {
		var p T
		if err := dec.Decode(&p); errors.Is(err, io.EOF) {
			return pkgs, nil
		} else if err != nil {
			return nil, fmt.Errorf("%s list: %v", goCmd, err)
		}
		pkgs = append(pkgs, p)
	}
}
