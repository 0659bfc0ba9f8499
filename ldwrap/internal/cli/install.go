package cli

import (
	"errors"
	"fmt"
	"io"
	"os"
	"os/user"
	"path/filepath"
	"strconv"

	"github.com/ldwrap/ldwrap/ldwrap"
	"github.com/ldwrap/ldwrap/ldwrap/internal/cmdline"
	"github.com/ldwrap/ldwrap/ldwrap/internal/engine"
	"github.com/ldwrap/ldwrap/ldwrap/internal/stale"
)

// Install is ldwrap-install, a drop-in for install(1) that replaces each
// destination atomically. Failures exit 1, as install(1) does.
func Install() {
	if len(os.Args) == 2 && os.Args[1] == "--version" {
		printVersion("ldwrap-install")
	}
	os.Exit(runInstall(os.Args[1:], os.Stdout, os.Stderr))
}

// runInstall is ldwrap-install without the process around it: messages go
// to stdout and stderr, the exit status is returned.
func runInstall(args []string, stdout, stderr io.Writer) int {
	report := func(err error) int {
		fmt.Fprintf(stderr, "ldwrap: %v\n", err)
		return 1
	}
	in, err := cmdline.ParseInstall(args)
	if err != nil {
		return report(err)
	}
	opts, uid, gid, err := installAPIOptions(in)
	if err != nil {
		return report(err)
	}
	if in.Directories {
		for _, d := range in.Operands {
			if err := makeDir(d, in, uid, gid); err != nil {
				return report(err)
			}
			if in.Verbose {
				fmt.Fprintf(stdout, "install: creating directory '%s'\n", d)
			}
		}
		return 0
	}
	pairs, err := installPairs(in)
	if err != nil {
		return report(err)
	}
	err = ldwrap.InstallFiles(pairs, opts...)
	failed := map[string]bool{}
	var errs ldwrap.Errors
	if errors.As(err, &errs) {
		for _, e := range errs {
			fmt.Fprintf(stderr, "ldwrap: %v\n", e)
			var ee *engine.Error
			if errors.As(e, &ee) {
				failed[ee.Path] = true
			}
		}
	}
	if in.Verbose {
		for _, p := range pairs {
			if !failed[p[0]] && !failed[p[1]] {
				fmt.Fprintf(stdout, "'%s' -> '%s'\n", p[0], p[1])
			}
		}
	}
	if staleReport {
		dests := make([]string, len(pairs))
		for i, p := range pairs {
			dests[i] = p[1]
		}
		res, serr := stale.UnderPaths(dests)
		stale.Print(stderr, res, serr)
	}
	if err != nil {
		return 1
	}
	return 0
}

// installAPIOptions turns the command line and the environment into the
// Go API's options, and -o/-g into ids (-1: leave alone).
func installAPIOptions(in cmdline.Install) (opts []ldwrap.Option, uid, gid int, err error) {
	env, err := optionsFromEnv(true)
	if err != nil {
		return nil, -1, -1, fmt.Errorf("config: %v", err)
	}
	opts = []ldwrap.Option{ldwrap.Durable(env.Durable), ldwrap.WithMode(in.Mode)}
	if env.Logf != nil {
		opts = append(opts, ldwrap.Verbose(env.Logf))
	}
	if uid, err = lookupID("owner", in.Owner, userID); err != nil {
		return nil, -1, -1, err
	}
	if gid, err = lookupID("group", in.Group, groupID); err != nil {
		return nil, -1, -1, err
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
	return opts, uid, gid, nil
}

// installPairs lists {source, destination} as install(1) decides them:
// into a directory (-t, or a last operand that is one, or more than two
// operands), or one file to another.
func installPairs(in cmdline.Install) ([][2]string, error) {
	dir := in.TargetDir
	srcs := in.Operands
	if dir == "" && !in.NoTargetDir {
		last := in.Operands[len(in.Operands)-1]
		if fi, err := os.Stat(last); (err == nil && fi.IsDir()) || len(in.Operands) > 2 {
			dir, srcs = last, in.Operands[:len(in.Operands)-1]
		}
	}
	if dir == "" {
		if in.MakeLeading {
			if err := makeParents(filepath.Dir(in.Operands[1])); err != nil {
				return nil, err
			}
		}
		return [][2]string{{in.Operands[0], in.Operands[1]}}, nil
	}
	if in.MakeLeading {
		if err := makeParents(dir); err != nil {
			return nil, err
		}
	}
	if fi, err := os.Stat(dir); err != nil || !fi.IsDir() {
		return nil, fmt.Errorf("target %s: not a directory", dir)
	}
	pairs := make([][2]string, len(srcs))
	for i, s := range srcs {
		pairs[i] = [2]string{s, filepath.Join(dir, filepath.Base(s))}
	}
	return pairs, nil
}

// The names of -o and -g are looked up through os/user. ldwrap's commands
// are built with CGO_ENABLED=0 (static, no dynamic loader per call), so
// that is /etc/passwd and /etc/group: an owner known only to NSS (LDAP,
// sssd) must be given as a number.
func userID(name string) (string, error) {
	u, err := user.Lookup(name)
	if err != nil {
		return "", err
	}
	return u.Uid, nil
}

func groupID(name string) (string, error) {
	g, err := user.LookupGroup(name)
	if err != nil {
		return "", err
	}
	return g.Gid, nil
}

// lookupID is -1 for "", the number itself for a number, else lookup's id.
func lookupID(what, name string, lookup func(string) (string, error)) (int, error) {
	if name == "" {
		return -1, nil
	}
	if n, err := strconv.Atoi(name); err == nil {
		return n, nil
	}
	id, err := lookup(name)
	if err != nil {
		return -1, fmt.Errorf("%s %s: %v", what, name, err)
	}
	return strconv.Atoi(id)
}

func makeParents(dir string) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("create directory %s: %v", dir, engine.Cause(err))
	}
	return nil
}

// makeDir is install -d: directories are created, not replaced, so there
// is nothing to make atomic; mode and owner are set as install sets them.
func makeDir(d string, in cmdline.Install, uid, gid int) error {
	if err := makeParents(d); err != nil {
		return err
	}
	if in.ModeSet {
		if err := os.Chmod(d, in.Mode); err != nil {
			return fmt.Errorf("chmod %s: %v", d, engine.Cause(err))
		}
	}
	if uid >= 0 || gid >= 0 {
		if err := os.Chown(d, uid, gid); err != nil {
			return fmt.Errorf("chown %s: %v", d, engine.Cause(err))
		}
	}
	return nil
}
