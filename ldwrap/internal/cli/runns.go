package cli

import (
	"os"
	"path/filepath"
	"strings"

	"github.com/ldwrap/ldwrap/ldwrap/internal/engine"
	"github.com/ldwrap/ldwrap/ldwrap/internal/layer"
	"github.com/ldwrap/ldwrap/ldwrap/internal/nsrun"
	"github.com/ldwrap/ldwrap/ldwrap/internal/rawio"
	"github.com/ldwrap/ldwrap/ldwrap/internal/toolpath"
	"golang.org/x/sys/unix"
)

// nothingToStage: no output has a directory to stage (none named, or a
// device, or a directory not there yet). Argument mode then runs the
// command as bare, whichever mode was asked for.
var nothingToStage = &nsrun.Unavailable{Cause: "nothing to stage"}

// runInNamespace runs o's command in namespace mode and returns its exit
// status. It returns an *nsrun.Unavailable instead when namespace mode
// cannot run here; nothing has run then, and nothing is left.
func runInNamespace(o runCmdLine, tool toolpath.Tool) (int, *nsrun.Unavailable) {
	if !nsrun.Supported {
		return 0, nsrun.NeedsLinux
	}
	if u := othersOutput(o); u != nil {
		return 0, u
	}
	dirs := append(outputDirs(o), o.stages...)
	roots, err := nsrun.Roots(dirs)
	if u, ok := nsrun.IsUnavailable(err); ok {
		return 0, u
	}
	if err != nil {
		return failf(exitCannotRun, "%v", err), nil
	}
	if len(roots) == 0 {
		return 0, nothingToStage
	}
	cwd, err := os.Getwd()
	if err != nil {
		return 0, &nsrun.Unavailable{Cause: "the working directory: " + rawio.Cause(err).Error(), Fix: "run it from a directory that exists"}
	}
	if code := enterDepth(); code != 0 {
		return code, nil
	}
	opts, err := optionsFromEnv(false)
	if err != nil {
		return failf(exitCannotRun, "config: %v", err), nil
	}
	env := os.Environ()
	for _, e := range o.envOutputs {
		env = append(env, e.Name+"="+e.Output)
	}
	req := nsrun.Request{Tool: tool, Args: o.argv[1:], Env: env, Stdout: o.stdout, Roots: roots, Dir: cwd,
		Commit: layer.CommitOptions{Durable: opts.Durable, Ordered: opts.Ordered, Skip: opts.Skip, Logf: opts.Logf, Warnf: opts.Warnf},
		Logf:   opts.Logf}
	if o.dryRun {
		req.DryRun = os.Stderr
	}
	// Runs on one root take turns. Not argument mode beside a busy root:
	// its result can differ (the Bazel rule's --in-text records staged
	// paths), and a build must not depend on which step ran first.
	req.TakeTurns = true
	if verbose {
		var paths []string
		for _, r := range roots {
			paths = append(paths, r.Path)
		}
		logf("namespace mode: the command sees the real paths; staged: %s", strings.Join(paths, " "))
	}
	out, err := nsrun.Execute(req)
	if u, ok := nsrun.IsUnavailable(err); ok {
		return 0, u
	}
	if err != nil {
		return failf(exitCodeOf(err), "%v", err), nil
	}
	if staleReport {
		reportStale(out.Replaced)
	}
	if !out.Success() {
		return exitLike(out.Status, out.Signal), nil
	}
	return 0, nil
}

// outputDirs are the directories of the outputs named by -o, --env and
// --stdout, whose writes namespace mode stages: for an output that is a
// symlink, the directory of the file it leads to as well (the command
// writes there). Devices, fifos and sockets are not staged (nothing to
// replace), nor an output whose directory is missing (nothing old to
// protect): the command writes those as it does bare. Under
// LDWRAP_STRICT=1 such an output fails the step, but a character device
// (-o /dev/null), which is no file written in place.
func outputDirs(o runCmdLine) []string {
	outs := append([]string(nil), o.outputs...)
	for _, e := range o.envOutputs {
		outs = append(outs, e.Output)
	}
	if o.stdout != "" {
		outs = append(outs, o.stdout)
	}
	unstaged := func(out string, err error) {
		if strict {
			fatalf(exitCannotRun, "stage %s: %v; not run, as LDWRAP_STRICT=1 asks", out, err)
		}
		logf("%s: not staged (%v): the command writes it as bare, not atomically", out, err)
	}
	var dirs []string
	for _, out := range outs {
		var st unix.Stat_t
		if rawio.Stat(out, &st) == nil {
			if t := st.Mode & unix.S_IFMT; t == unix.S_IFCHR {
				logf("%s: not staged (a device)", out)
				continue
			} else if t != unix.S_IFREG && t != unix.S_IFDIR {
				unstaged(out, engine.ErrSpecial)
				continue
			}
		}
		for _, p := range []string{out, resolved(out)} {
			if p == "" {
				continue
			}
			d := filepath.Dir(p)
			if err := rawio.Stat(d, &st); err != nil || st.Mode&unix.S_IFMT != unix.S_IFDIR {
				unstaged(out, engine.ErrNoDirectory)
				continue
			}
			dirs = append(dirs, d)
		}
	}
	return dirs
}

// othersOutput: a user namespace shows another user's file as owned by
// the overflow id, and overlayfs cannot copy it up to write it, even where
// its mode lets this user write it bare. A named output of another
// user's, or one whose ACL names other users, for a user other than root,
// makes namespace mode Unavailable.
func othersOutput(o runCmdLine) *nsrun.Unavailable {
	uid := os.Geteuid()
	if uid == 0 {
		return nil
	}
	outs := append([]string(nil), o.outputs...)
	for _, e := range o.envOutputs {
		outs = append(outs, e.Output)
	}
	if o.stdout != "" {
		outs = append(outs, o.stdout)
	}
	for _, out := range outs {
		var st unix.Stat_t
		if rawio.Stat(out, &st) == nil && st.Mode&unix.S_IFMT == unix.S_IFREG && int(st.Uid) != uid {
			return &nsrun.Unavailable{Cause: out + " is another user's, which a user namespace cannot write through an overlay",
				Fix: "run as root, or as its owner"}
		}
		if nsrun.ForeignACL(out, uid, os.Getegid()) {
			return &nsrun.Unavailable{Cause: out + " has an ACL naming other users or groups, which a user namespace cannot keep",
				Fix: "run as root"}
		}
	}
	return nil
}

// resolved is where a symlink at p leads, or "" if p is no symlink.
func resolved(p string) string {
	var st unix.Stat_t
	if rawio.Lstat(p, &st) != nil || st.Mode&unix.S_IFMT != unix.S_IFLNK {
		return ""
	}
	r, err := filepath.EvalSymlinks(p)
	if err != nil {
		return ""
	}
	return r
}
