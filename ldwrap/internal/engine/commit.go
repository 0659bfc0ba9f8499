package engine

import (
	"os"
	"path/filepath"
	"sort"

	"github.com/ldwrap/ldwrap/ldwrap/internal/rawio"
)

// Commit puts in place every file the tool left in the staging directories:
// files the caller did not stage by name (side outputs such as depfiles)
// and outputs staged with StageSide first, then the outputs staged with
// Stage or Create, in order. Staged outputs the tool did not write, and
// seeded outputs it left unchanged, are skipped and their targets left
// alone. On an error, the files not yet renamed are removed and their
// targets left alone. A directory the tool made is committed into the
// directory of that name where there is one (sideEntries).
//
// What a commit promises is stated once, in the doc of
// PendingFile.CloseAtomicallyReplace in package ldwrap (ldwrap/file.go),
// for the Go API and the commands alike: its durable mode is
// Options.Durable here, its ordered mode Options.Ordered, its fast mode
// neither; Options.ReplaceSpecial lets a fifo or a socket be replaced, as
// ldwrap-install does.
//
// Commit works in passes: collect the files, prepare each (attributes, the
// checks that keep an old file), make them durable if asked, then rename.
// Durable and with several files, that is one syncfs(2) where the system
// has it rather than one fsync per file: ext4 commits its journal once.
func (t *Txn) Commit() error {
	if t.done {
		return errDone
	}
	defer t.Abort()
	files, err := t.collect()
	if err != nil {
		return err
	}
	var todo []*pending
	for _, o := range files {
		p, err := t.prepare(o)
		if err != nil {
			return err
		}
		if p != nil {
			todo = append(todo, p)
		}
	}
	if t.opts.Durable || t.opts.Ordered {
		if err := t.sync(todo); err != nil {
			return err
		}
	}
	// Removals last: a file the tool moved away is in place before the
	// old one goes.
	for _, removals := range []bool{false, true} {
		for _, p := range todo {
			if p.removing != removals {
				continue
			}
			if err := t.apply(p); err != nil {
				return err
			}
		}
	}
	if t.opts.Durable {
		return t.syncDirs()
	}
	return nil
}

// collect lists the files to commit, in commit order: the side files (the
// staging directories' unnamed entries, then the outputs staged with
// StageSide), then the primary outputs.
func (t *Txn) collect() ([]*Output, error) {
	var sides, primaries []*Output
	for _, sd := range t.stages {
		names, err := sd.list()
		if err != nil {
			return nil, &Error{"read", sd.path, err}
		}
		staged, listed := map[string]bool{}, map[string]bool{}
		for _, name := range names {
			listed[name] = true
		}
		var unlisted []*Output
		for _, o := range t.outputs {
			if o.stage == sd {
				staged[filepath.Base(o.Temp)] = true
				if !listed[filepath.Base(o.Temp)] {
					unlisted = append(unlisted, o)
				}
			}
		}
		for _, name := range names {
			if !staged[name] && !isOneOf(filepath.Join(sd.path, name), unlisted) {
				var err error
				if sides, err = t.sideEntries(sd, filepath.Join(sd.path, name), filepath.Join(sd.dir, name), sides); err != nil {
					return nil, err
				}
			}
		}
	}
	for _, o := range t.outputs {
		if o.side {
			sides = append(sides, o)
		} else {
			primaries = append(primaries, o)
		}
	}
	return append(sides, primaries...), nil
}

// isOneOf says whether the entry at path is the file of one of outputs,
// staged outputs whose names the listing did not give. HFS+ lists names
// decomposed (NFD): an output named "é.o" in composed form is listed as
// "e\u0301.o", and matched by name bytes it would be committed twice,
// first as a side file. The file the tool wrote is matched by identity
// instead.
func isOneOf(path string, outputs []*Output) bool {
	if len(outputs) == 0 {
		return false
	}
	entry, err := os.Lstat(path)
	if err != nil {
		return false
	}
	for _, o := range outputs {
		if fi, err := os.Lstat(o.Temp); err == nil && os.SameFile(entry, fi) {
			return true
		}
	}
	return false
}

// sideEntries appends the side file the tool left at temp, for target. A
// directory the tool made where a directory of that name exists (clang
// on macOS runs dsymutil after a -g link, which writes the prog.dSYM
// bundle), or a symlink to one, is committed into it entry by entry, each
// file renamed over its old version: the bare tool writes into the
// existing tree, and the files of it that this run did not write stay, as
// they do there. A new entry with nothing at its place is moved there
// whole.
func (t *Txn) sideEntries(sd *stagingDir, temp, target string, sides []*Output) ([]*Output, error) {
	side := &Output{Target: target, Temp: temp, Uid: -1, Gid: -1, stage: sd}
	newInfo, err := os.Lstat(temp)
	if err != nil || !newInfo.IsDir() {
		return append(sides, side), nil // check reports what Lstat found
	}
	old, err := os.Lstat(target)
	if err == nil && old.Mode()&os.ModeSymlink != 0 && mayFollow(target) == nil {
		// A symlink to a directory: bare, the tool writes through it.
		old, err = os.Stat(target)
	}
	if err != nil || !old.IsDir() {
		return append(sides, side), nil // moved whole where nothing is; else refused
	}
	names, err := rawio.ReadDirNames(temp)
	if err != nil {
		return nil, &Error{"read", temp, err}
	}
	sort.Strings(names)
	t.treeDirs = append(t.treeDirs, target)
	for _, name := range names {
		if sides, err = t.sideEntries(sd, filepath.Join(temp, name), filepath.Join(target, name), sides); err != nil {
			return nil, err
		}
	}
	return sides, nil
}

// apply renames one prepared file into place, giving an unnamed file its
// name first.
func (t *Txn) apply(p *pending) error {
	if p.removing {
		if err := t.remove(p); err != nil {
			return &Error{"remove", p.o.Target, err}
		}
		t.logf("%s: removed, as the command removed it", p.o.Target)
		return nil
	}
	if p.o.unnamed != nil {
		if err := t.link(p.o); err != nil {
			return &Error{"link", p.o.Target, err}
		}
	}
	backedUp, placed := false, false
	if p.o.Backup != "" {
		var err error
		if backedUp, placed, err = t.backUp(p); err != nil {
			return &Error{"back up", p.o.Target, err}
		}
	}
	replaced := placed
	if !placed {
		var err error
		if replaced, err = t.replace(p); err != nil {
			return &Error{"rename", p.o.Target, err}
		}
	}
	p.o.renamed()
	t.logf("%s: committed", p.o.Target)
	if p.o.Committed != nil {
		backup := ""
		if backedUp {
			backup = p.o.Backup
		}
		p.o.Committed(replaced, backup)
	}
	return nil
}

// dirs lists the targets' directories, once each.
func (t *Txn) dirs() []string {
	var dirs []string
	seen := map[string]bool{}
	add := func(dir string) {
		if !seen[dir] {
			seen[dir] = true
			dirs = append(dirs, dir)
		}
	}
	for _, sd := range t.stages {
		add(sd.dir)
	}
	for _, o := range t.outputs {
		if o.unnamed != nil {
			add(o.unnamed.dir)
		}
	}
	for _, dir := range t.treeDirs {
		add(dir)
	}
	return dirs
}
