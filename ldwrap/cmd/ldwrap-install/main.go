// Command ldwrap-install is a drop-in for install(1) that replaces each
// destination atomically: the copy is written beside the destination, given
// its mode, owner and group, fsynced, and renamed into place. Running
// programs and loaded libraries keep the old file.
//
// Supported: -m -o -g -d -D -t -T -C -p -v -c (ignored, as GNU install
// does) and their long forms. Anything else is an error, not a silent
// difference. Failures exit 1, as install(1) does. LDWRAP_DURABLE=0 turns
// off the fsyncs.
package main

import (
	"fmt"
	"os"
	"os/user"
	"path/filepath"
	"strconv"

	"github.com/ldwrap/ldwrap/ldwrap"
	"github.com/ldwrap/ldwrap/ldwrap/cmdline"
	"github.com/ldwrap/ldwrap/ldwrap/engine"
	"github.com/ldwrap/ldwrap/ldwrap/internal/stale"
	"github.com/ldwrap/ldwrap/ldwrap/wrap"
)

const exitFailure = 1

func fail(format string, args ...interface{}) {
	fmt.Fprintf(os.Stderr, "ldwrap: "+format+"\n", args...)
	os.Exit(exitFailure)
}

func main() {
	if len(os.Args) == 2 && os.Args[1] == "--version" {
		fmt.Printf("ldwrap-install %s\n", wrap.Version)
		return
	}
	in, err := cmdline.ParseInstall(os.Args[1:])
	if err != nil {
		fail("usage install: %v", err)
	}
	env, err := wrap.OptionsFromEnv(true)
	if err != nil {
		fail("config: %v", err)
	}
	opts := []ldwrap.Option{ldwrap.Durable(env.Durable), ldwrap.WithMode(in.Mode)}
	if env.Logf != nil {
		opts = append(opts, ldwrap.Verbose(env.Logf))
	}
	uid, gid := -1, -1
	if in.Owner != "" {
		uid = lookupID(in.Owner, func(n string) (string, error) { u, err := user.Lookup(n); return idOr(u, err) })
	}
	if in.Group != "" {
		gid = lookupID(in.Group, func(n string) (string, error) {
			g, err := user.LookupGroup(n)
			if err != nil {
				return "", err
			}
			return g.Gid, nil
		})
	}
	if uid >= 0 || gid >= 0 {
		opts = append(opts, ldwrap.WithOwner(uid, gid))
	}
	if in.Compare {
		opts = append(opts, ldwrap.SkipIdentical(false))
	}
	if in.PreserveTimes {
		opts = append(opts, ldwrap.PreserveTimes())
	}

	if in.Directories {
		for _, d := range in.Operands {
			makeDir(d, in, uid, gid)
		}
		return
	}
	srcs, dests := in.Operands, []string(nil)
	dir := in.TargetDir
	if dir == "" && !in.NoTargetDir {
		last := in.Operands[len(in.Operands)-1]
		if fi, err := os.Stat(last); (err == nil && fi.IsDir()) || len(in.Operands) > 2 {
			dir = last
		}
	}
	if dir != "" {
		if dir != in.TargetDir {
			srcs = in.Operands[:len(in.Operands)-1]
		}
		if in.MakeLeading {
			makeParents(dir)
		}
		if fi, err := os.Stat(dir); err != nil || !fi.IsDir() {
			fail("target %s: not a directory", dir)
		}
		for _, s := range srcs {
			dests = append(dests, filepath.Join(dir, filepath.Base(s)))
		}
	} else {
		srcs, dests = in.Operands[:1], in.Operands[1:2]
		if in.MakeLeading {
			makeParents(filepath.Dir(dests[0]))
		}
	}
	pairs := make([][2]string, len(srcs))
	for i, s := range srcs {
		pairs[i] = [2]string{s, dests[i]}
	}
	err = ldwrap.InstallFiles(pairs, opts...)
	failed := map[string]bool{}
	if errs, ok := err.(ldwrap.Errors); ok {
		for _, e := range errs {
			fmt.Fprintf(os.Stderr, "ldwrap: %v\n", e)
			if ee, ok := e.(*engine.Error); ok {
				failed[ee.Path] = true
			}
		}
	}
	if in.Verbose {
		for _, p := range pairs {
			if !failed[p[0]] && !failed[p[1]] {
				fmt.Printf("'%s' -> '%s'\n", p[0], p[1])
			}
		}
	}
	if wrap.StaleRequested() {
		res, serr := stale.UnderPaths(dests)
		stale.Print(os.Stderr, res, serr)
	}
	if err != nil {
		os.Exit(exitFailure)
	}
}

func idOr(u *user.User, err error) (string, error) {
	if err != nil {
		return "", err
	}
	return u.Uid, nil
}

func lookupID(name string, lookup func(string) (string, error)) int {
	if n, err := strconv.Atoi(name); err == nil {
		return n
	}
	id, err := lookup(name)
	if err != nil {
		fail("owner %s: %v", name, err)
	}
	n, _ := strconv.Atoi(id)
	return n
}

func makeParents(dir string) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		fail("create directory %s: %v", dir, unwrap(err))
	}
}

// makeDir is install -d: directories are created, not replaced, so there
// is nothing to make atomic; mode and owner are set as install sets them.
func makeDir(d string, in cmdline.Install, uid, gid int) {
	if err := os.MkdirAll(d, 0o755); err != nil {
		fail("create directory %s: %v", d, unwrap(err))
	}
	if in.ModeSet {
		if err := os.Chmod(d, in.Mode); err != nil {
			fail("chmod %s: %v", d, unwrap(err))
		}
	}
	if uid >= 0 || gid >= 0 {
		if err := os.Chown(d, uid, gid); err != nil {
			fail("chown %s: %v", d, unwrap(err))
		}
	}
	if in.Verbose {
		fmt.Printf("install: creating directory '%s'\n", d)
	}
}

func unwrap(err error) error {
	if pe, ok := err.(*os.PathError); ok {
		return pe.Err
	}
	return err
}
