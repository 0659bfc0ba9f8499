package cli

import (
	// The version is written in one file, VERSION.
	_ "embed"
	"runtime/debug"
	"strings"
)

// writtenVersion is VERSION, where a release writes its version: the
// release build (magefiles/release.go) reads the same file, and
// TestVersionInStep keeps MODULE.bazel, the README and CHANGELOG.md in
// step with it.
//
//go:embed VERSION
var writtenVersion string

// commandVersion is what --version says: the module's version when go
// install built the commands at a release (...@v0.1.0 says 0.1.0), else
// the written one (a checkout, a release archive, Bazel, go install at a
// commit).
func commandVersion() string {
	if bi, ok := debug.ReadBuildInfo(); ok {
		if v, ok := releaseVersion(bi.Main.Version); ok {
			return v
		}
	}
	return strings.TrimSpace(writtenVersion)
}

// releaseVersion is v without its "v" if v is the module version of a
// release, vX.Y.Z or vX.Y.Z-PRE. A checkout's build says "(devel)", or,
// from Go 1.24 on, a pseudo-version made from the last tag and the
// commit (v0.0.0-20261207212325-d7c7daf0a1b2+dirty with no tag yet): not
// a release, and no better than VERSION.
func releaseVersion(v string) (string, bool) {
	if !strings.HasPrefix(v, "v") || strings.Contains(v, "+") {
		return "", false
	}
	v = v[1:]
	core, pre := v, ""
	if i := strings.IndexByte(v, '-'); i >= 0 {
		core, pre = v[:i], v[i+1:]
	}
	parts := strings.Split(core, ".")
	if len(parts) != 3 {
		return "", false
	}
	for _, p := range parts {
		if !allIn(p, "0123456789") {
			return "", false
		}
	}
	if pre != "" && isPseudo(pre) {
		return "", false
	}
	return v, true
}

// isPseudo: a pseudo-version's pre-release part ends in the commit's time
// and hash, YYYYMMDDhhmmss-abcdefabcdef, alone or after a dot.
func isPseudo(pre string) bool {
	i := strings.LastIndexByte(pre, '-')
	if i < 14 || len(pre)-i-1 != 12 || !allIn(pre[i+1:], "0123456789abcdef") || !allIn(pre[i-14:i], "0123456789") {
		return false
	}
	return i == 14 || pre[i-15] == '.'
}

func allIn(s, chars string) bool {
	for _, c := range s {
		if !strings.ContainsRune(chars, c) {
			return false
		}
	}
	return s != ""
}
