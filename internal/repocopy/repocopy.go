// Package repocopy keeps a copy of the repository at a fixed path in step
// with a checkout, for the project's own Bazel builds in set-up and in the
// e2e tests (testenv.RepoCopyName). Bazel keys its output base on the
// workspace's path, so a checkout at a new path (each CI run's) would
// start cold; and a copy made afresh gives every file a new inode and
// mtime, which Bazel 4 then takes in anew, where a checkout that changed a
// few files costs it those few (docs/tests.md has the times).
package repocopy

import (
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/ldwrap/ldwrap/ldwrap"
)

// Sync makes dst hold what src holds, but for .git and Bazel's output links
// (bazel-* at the top, on either side, which Bazel owns). A file whose
// bytes and mode already match keeps its inode and mtime, so Bazel sees
// only what changed; a changed file is replaced by rename, never written
// in place; anything else in dst is removed.
func Sync(src, dst string) error {
	if err := os.MkdirAll(dst, 0o755); err != nil {
		return err
	}
	kept := map[string]bool{}
	err := filepath.WalkDir(src, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(src, p)
		if err != nil || rel == "." {
			return err
		}
		if ownedElsewhere(rel) {
			if d.IsDir() {
				return filepath.SkipDir
			}
			return nil
		}
		info, err := d.Info()
		if err != nil {
			return err
		}
		target := filepath.Join(dst, rel)
		old, oldErr := os.Lstat(target)
		if oldErr == nil && old.Mode().Type() != info.Mode().Type() {
			if err := os.RemoveAll(target); err != nil {
				return err
			}
		}
		switch info.Mode().Type() {
		case fs.ModeDir:
			kept[rel] = true
			if err := os.MkdirAll(target, 0o755); err != nil {
				return err
			}
			return os.Chmod(target, info.Mode().Perm())
		case fs.ModeSymlink:
			kept[rel] = true
			link, err := os.Readlink(p)
			if err != nil {
				return err
			}
			if have, err := os.Readlink(target); err == nil && have == link {
				return nil
			}
			os.Remove(target)
			return os.Symlink(link, target)
		case 0:
			kept[rel] = true
			b, err := os.ReadFile(p)
			if err != nil {
				return err
			}
			return ldwrap.WriteFile(target, b, 0, ldwrap.WithMode(info.Mode().Perm()), ldwrap.SkipIdentical(false), ldwrap.Durable(false))
		}
		return nil // sockets and the like are not part of a checkout
	})
	if err != nil {
		return err
	}
	return filepath.WalkDir(dst, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(dst, p)
		if err != nil || rel == "." {
			return err
		}
		if kept[rel] {
			return nil
		}
		if !ownedElsewhere(rel) {
			if err := os.RemoveAll(p); err != nil {
				return err
			}
		}
		if d.IsDir() {
			return filepath.SkipDir
		}
		return nil
	})
}

// ownedElsewhere: git's directory, and the links Bazel makes at the top of
// a workspace.
func ownedElsewhere(rel string) bool {
	return rel == ".git" || (!strings.Contains(rel, string(filepath.Separator)) && strings.HasPrefix(rel, "bazel-"))
}
