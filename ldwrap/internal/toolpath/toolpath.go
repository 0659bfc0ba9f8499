// Package toolpath finds the real tool an ldwrap command stands in front
// of: a command on PATH, or a path, never this very executable (a wrapper
// found instead of the tool would call itself forever).
package toolpath

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"syscall"

	"github.com/ldwrap/ldwrap/ldwrap/internal/rawio"
)

// Tool is the real program a command stands in front of.
type Tool struct {
	Path  string   // the executable
	Words []string // argv[0] and fixed arguments (LDWRAP_CC='ccache gcc')
}

// A Finder looks commands up. Its fields are what the lookup depends on,
// so that tests can give their own.
type Finder struct {
	PATH string
	// Self is this executable, or nil when unknown; a candidate that is
	// the same file is skipped.
	Self os.FileInfo
	// Stat is os.Stat.
	Stat func(string) (os.FileInfo, error)
}

// Default is the Finder of this process: its PATH and its executable.
func Default() Finder {
	return Finder{PATH: os.Getenv("PATH"), Self: selfInfo(), Stat: os.Stat}
}

// selfInfo is this executable: one stat through /proc/self/exe rather
// than os.Executable's readlink and a stat of what it names. Where there
// is no /proc, os.Executable.
func selfInfo() os.FileInfo {
	if fi, err := os.Stat("/proc/self/exe"); err == nil {
		return fi
	}
	exe, err := os.Executable()
	if err != nil {
		return nil
	}
	fi, _ := os.Stat(exe)
	return fi
}

// Error is a tool that cannot be found or run.
type Error struct {
	Name string
	Err  error
}

func (e *Error) Error() string { return "run " + e.Name + ": " + e.Err.Error() }
func (e *Error) Unwrap() error { return e.Err }

// IsNotFound reports whether err says the tool does not exist (a command
// exits 127 for that, 126 for any other failure to run it).
func IsNotFound(err error) bool {
	var te *Error
	return errors.As(err, &te) && errors.Is(te.Err, os.ErrNotExist)
}

var errSelf = errors.New("refusing to run ldwrap itself as the real tool")

// NamesSelf reports whether err says the path given to Command is this very
// executable.
func NamesSelf(err error) bool {
	var te *Error
	return errors.As(err, &te) && te.Err == errSelf
}

// Spec resolves a command with fixed arguments split at spaces, as in
// LDWRAP_CC='ccache gcc'.
func (f Finder) Spec(spec string) (Tool, error) {
	words := strings.Fields(spec)
	if len(words) == 0 {
		return Tool{}, &Error{spec, errors.New("empty command")}
	}
	t, err := f.Command(words[0])
	t.Words = words
	return t, err
}

// Command resolves name, one argv word (spaces and all): a path if it has
// a slash, else the first executable of that name on PATH that is not
// this executable.
func (f Finder) Command(name string) (Tool, error) {
	if name == "" {
		return Tool{}, &Error{name, errors.New("empty command")}
	}
	if strings.Contains(name, "/") {
		if err := f.check(name); err != nil {
			if errors.Is(err, syscall.ENOENT) {
				err = os.ErrNotExist
			}
			return Tool{}, &Error{name, rawio.Cause(err)}
		}
		return Tool{Path: name, Words: []string{name}}, nil
	}
	path, err := f.search(name, f.dirs())
	if err != nil {
		return Tool{}, err
	}
	return Tool{Path: path, Words: []string{name}}, nil
}

// dirs are the directories of PATH, "" meaning the current one.
func (f Finder) dirs() []string {
	var dirs []string
	for _, dir := range filepath.SplitList(f.PATH) {
		if dir == "" {
			dir = "."
		}
		dirs = append(dirs, dir)
	}
	return dirs
}

// search finds name in dirs, skipping this executable.
func (f Finder) search(name string, dirs []string) (string, error) {
	var firstErr error
	for _, dir := range dirs {
		p := filepath.Join(dir, name)
		err := f.check(p)
		if err == nil {
			return p, nil
		}
		if firstErr == nil && !errors.Is(err, os.ErrNotExist) {
			firstErr = err
		}
	}
	switch firstErr {
	case nil:
		return "", &Error{name, errNotInPath}
	case errSelf:
		return "", &Error{name, errOnlySelf}
	}
	return "", &Error{name, rawio.Cause(firstErr)}
}

var (
	errNotInPath = wrapNotExist("in PATH")
	errOnlySelf  = wrapNotExist("in PATH other than ldwrap")
)

func wrapNotExist(where string) error { return &notExistError{where} }

type notExistError struct{ where string }

func (e *notExistError) Error() string        { return os.ErrNotExist.Error() + " " + e.where }
func (e *notExistError) Is(target error) bool { return target == os.ErrNotExist }

// check says whether p is an executable file that is not this executable.
func (f Finder) check(p string) error {
	fi, err := f.Stat(p)
	if err != nil {
		return err
	}
	if fi.IsDir() || fi.Mode()&0o111 == 0 {
		return syscall.EACCES
	}
	if f.Self != nil && os.SameFile(fi, f.Self) {
		return errSelf
	}
	return nil
}

// IsSelf reports whether p names this executable.
func (f Finder) IsSelf(p string) bool { return f.check(p) == errSelf }

// After finds name the way a masquerade link must (ccache's and distcc's
// in /usr/lib/ccache and /usr/lib/distcc): on PATH after the directory
// this executable was found in under that name (the directory of argv0 if
// it has a slash, else the first PATH entry where name is this
// executable), skipping this executable wherever it is. Searching only
// after itself is what keeps two masquerade directories from calling each
// other: ldwrap's links before /usr/lib/ccache or after it.
//
// It also returns PATH without the entries where name is this executable
// ("" if none is), for the tool's environment: a launcher that looks name
// up again (ccache run from ldwrap's link) then finds the compiler, not
// ldwrap.
func (f Finder) After(name, argv0 string) (Tool, string, error) {
	dirs := f.dirs()
	own := ""
	if strings.Contains(argv0, "/") {
		own = filepath.Clean(filepath.Dir(argv0))
	}
	start := 0
	var kept []string
	selfSeen := false
	for i, d := range dirs {
		if f.IsSelf(filepath.Join(d, name)) {
			if !selfSeen && (own == "" || filepath.Clean(d) == own) {
				start, selfSeen = i+1, true
			}
			continue
		}
		kept = append(kept, d)
	}
	path, err := f.search(name, dirs[start:])
	if err != nil {
		if start > 0 {
			err = &Error{name, wrapNotExist("in PATH after " + dirs[start-1])}
		}
		return Tool{}, "", err
	}
	childPATH := ""
	if len(kept) != len(dirs) {
		childPATH = strings.Join(kept, string(filepath.ListSeparator))
	}
	return Tool{Path: path, Words: []string{name}}, childPATH, nil
}
