//go:build linux && !ldwrap_portable

package nsrun

import (
	"encoding/binary"
	"errors"
	"os"
	"os/signal"
	"runtime"
	"strconv"
	"strings"
	"syscall"

	"golang.org/x/sys/unix"

	"github.com/ldwrap/ldwrap/ldwrap/internal/engine"
	"github.com/ldwrap/ldwrap/ldwrap/internal/layer"
	"github.com/ldwrap/ldwrap/ldwrap/internal/rawio"
	"github.com/ldwrap/ldwrap/ldwrap/internal/step"
	"github.com/ldwrap/ldwrap/ldwrap/internal/toolpath"
)

// Supported: namespace mode is built in.
const Supported = true

// ran is how the command ended, as a runner saw it.
type ran struct {
	status    syscall.WaitStatus
	leftovers bool // processes it left running were ended
	signal    syscall.Signal
}

// Execute runs req's command in namespace mode: it prepares a stage per
// root, runs the command with the overlays mounted, and commits the
// stages when the command succeeded (or lists their changes, for a dry
// run), removing them in every case. An *Unavailable error means nothing
// ran and nothing is left; any other error is ldwrap's own failure, with
// nothing committed unless the commit itself failed.
//
// As root the command is started from a thread of ldwrap that has a mount
// namespace of its own; another user needs a user namespace to mount in,
// which a process with threads (any Go program) cannot enter, so a helper,
// a copy of ldwrap started in new user and mount namespaces, mounts and
// starts the command (init_linux.go). Either way the runner is a child
// subreaper: when the command's main process exits, what it left running
// has become the runner's, and is killed before the commit.
func Execute(req Request) (Outcome, error) {
	user := os.Geteuid() != 0
	// overlayfs's trusted.* xattrs are the init user namespace's root's;
	// a root of another (a rootless container's) mounts with userxattr.
	userxattr := user || !initUserNamespace()
	var stages []*layer.Stage
	removeAll := func(from int) {
		for _, s := range stages[from:] {
			s.Remove()
		}
	}
	for _, r := range req.Roots {
		prepare := layer.TryPrepare
		if req.TakeTurns {
			prepare = layer.PrepareWith
		}
		s, err := prepare(r.Path, req.Logf)
		if err == layer.ErrTaken {
			removeAll(0)
			return Outcome{}, &Unavailable{Cause: "another run is staging " + r.Path, Fix: "wait for it, or stage with --stage, which takes turns"}
		}
		if err != nil {
			removeAll(0)
			return Outcome{}, &Unavailable{Cause: err.Error(), Fix: "stage a directory whose parent you can write"}
		}
		stages = append(stages, s)
	}
	mounts := make([]layerMount, len(stages))
	for i, s := range stages {
		mounts[i] = layerMount{root: s.Root, upper: s.Upper, work: s.Work, stage: s.Dir, flags: req.Roots[i].flags}
	}
	cmd := command{path: req.Tool.Path, argv: append(append([]string(nil), req.Tool.Words...), req.Args...),
		env: req.Env, dir: req.Dir, stdout: req.Stdout, user: user, uid: os.Geteuid(), gid: os.Getegid()}
	var r ran
	var err error
	if user {
		r, err = runHelper(cmd, mounts)
	} else {
		r, err = runHere(cmd, mounts, userxattr)
	}
	if err != nil {
		removeAll(0)
		var f *failure
		if errors.As(err, &f) {
			return Outcome{}, req.failed(f, user)
		}
		return Outcome{}, err
	}
	if r.leftovers {
		req.logf("ended the processes the command left running")
	}
	out := Outcome{Status: r.status, Signal: r.signal}
	if !out.Success() {
		removeAll(0)
		return out, nil
	}
	for i, s := range stages {
		changes, err := s.Changes(userxattr)
		if err == nil && req.DryRun != nil {
			layer.FormatChanges(req.DryRun, changes)
		} else if err == nil {
			err = s.Commit(changes, req.Commit)
			out.Replaced = append(out.Replaced, s.Replaced()...)
		}
		if err != nil {
			// A failed commit leaves what it did (each path old or new)
			// and removes its journal: nothing to finish later. The
			// stages after it are not committed.
			removeAll(i)
			return out, err
		}
		s.Remove()
	}
	return out, nil
}

// runHere runs the command as root: from a thread locked to a mount
// namespace of its own, which ends with it once the command and what it
// left are gone.
func runHere(cmd command, mounts []layerMount, userxattr bool) (ran, error) {
	if err := becomeSubreaper(); err != nil {
		return ran{}, &failure{'m', "become a child subreaper", err}
	}
	children := make(chan os.Signal, 1)
	signal.Notify(children, syscall.SIGCHLD)
	defer signal.Stop(children)
	fw := step.StartForwarding()

	type started struct {
		pid int
		f   *failure
	}
	start := make(chan started)
	release, unmounted := make(chan struct{}), make(chan struct{})
	go func() {
		// Never unlocked: the thread, in its own mount namespace, ends
		// with the goroutine. unshare(CLONE_NEWNS) unshares the thread's
		// working directory and root too: only this thread sees the
		// overlays, and the command, forked from it, inherits them.
		runtime.LockOSThread()
		if err := unix.Unshare(unix.CLONE_NEWNS); err != nil {
			start <- started{f: &failure{'m', "a new mount namespace", err}}
			return
		}
		if f := mountLayers(mounts, userxattr); f != nil {
			start <- started{f: f}
			return
		}
		pid, f := cmd.start()
		start <- started{pid, f}
		if f != nil {
			return
		}
		// The command's death signal is this thread's: it stays until
		// the command and what it left are gone. Then the overlays go,
		// before the commit reads their upper layers.
		<-release
		for _, m := range mounts {
			if unix.Unmount(m.root, 0) != nil {
				unix.Unmount(m.root, unix.MNT_DETACH)
			}
		}
		close(unmounted)
	}()
	s := <-start
	if s.f != nil {
		fw.Abandon()
		// Argument mode may run next: its tool's orphans are not ours.
		unix.Prctl(unix.PR_SET_CHILD_SUBREAPER, 0, 0, 0, 0)
		return ran{}, s.f
	}
	fw.Follow(func(sig syscall.Signal) { syscall.Kill(s.pid, sig) })
	ws, err := waitReaping(s.pid, children)
	fw.Reaped()
	left := endLeftovers()
	close(release)
	<-unmounted
	if err != nil {
		return ran{}, &engine.Error{Op: "wait", Path: cmd.path, Err: err}
	}
	return ran{status: ws, leftovers: left, signal: fw.Last()}, nil
}

// runHelper runs the command as a user other than root, under the helper.
// The helper's ends of its two pipes are inherited as descriptors of
// their own (dup'ed: not close-on-exec) rather than moved to fixed
// numbers, so that descriptors 3 and up that ldwrap's caller passed on
// (make's jobserver) reach the command as they would bare.
func runHelper(cmd command, mounts []layerMount) (ran, error) {
	var report, control [2]int
	if err := unix.Pipe2(report[:], unix.O_CLOEXEC); err != nil {
		return ran{}, &engine.Error{Op: "run", Path: cmd.path, Err: err}
	}
	defer unix.Close(report[0])
	if err := unix.Pipe2(control[:], unix.O_CLOEXEC); err != nil {
		unix.Close(report[1])
		return ran{}, &engine.Error{Op: "run", Path: cmd.path, Err: err}
	}
	defer unix.Close(control[1])
	repW, err := unix.Dup(report[1])
	unix.Close(report[1])
	if err != nil {
		unix.Close(control[0])
		return ran{}, &engine.Error{Op: "run", Path: cmd.path, Err: err}
	}
	ctlR, err := unix.Dup(control[0])
	unix.Close(control[0])
	if err != nil {
		unix.Close(repW)
		return ran{}, &engine.Error{Op: "run", Path: cmd.path, Err: err}
	}

	fw := step.StartForwarding()
	sys := &syscall.SysProcAttr{
		Cloneflags:  syscall.CLONE_NEWUSER | syscall.CLONE_NEWNS,
		UidMappings: []syscall.SysProcIDMap{{ContainerID: 0, HostID: cmd.uid, Size: 1}},
		GidMappings: []syscall.SysProcIDMap{{ContainerID: 0, HostID: cmd.gid, Size: 1}},
		Pdeathsig:   syscall.SIGKILL,
	}
	pid, err := syscall.ForkExec("/proc/self/exe", helperArgs(cmd, mounts, repW, ctlR, fw.Ignored()), &syscall.ProcAttr{
		Env:   append(append([]string(nil), cmd.env...), initEnv+"=1"),
		Files: []uintptr{0, 1, 2},
		Sys:   sys,
	})
	unix.Close(repW)
	unix.Close(ctlR)
	if err != nil {
		fw.Abandon()
		return ran{}, cloneUnavailable(err)
	}
	fw.Follow(func(sig syscall.Signal) {
		b := []byte{byte(sig)}
		rawio.IgnoringEINTR(func() error { _, err := unix.Write(control[1], b); return err })
	})
	hws, err := step.Wait(pid)
	fw.Reaped()
	if err != nil {
		return ran{}, &engine.Error{Op: "wait", Path: cmd.path, Err: err}
	}
	rep := readAll(report[0])
	switch {
	case len(rep) >= 6 && rep[0] == 'S':
		return ran{status: syscall.WaitStatus(binary.LittleEndian.Uint32(rep[1:5])), leftovers: rep[5] != 0, signal: fw.Last()}, nil
	case len(rep) >= 6 && rep[0] == 'F':
		return ran{}, &failure{rep[1], string(rep[6:]), syscall.Errno(binary.LittleEndian.Uint32(rep[2:6]))}
	}
	return ran{}, &engine.Error{Op: "run", Path: cmd.path, Err: errors.New("the namespace helper ended without a report: " + describe(hws))}
}

const (
	initName = "ldwrap-ns-helper"
	initEnv  = "LDWRAP_NS_HELPER"
)

// helperArgs is the helper's command line: its descriptors and ids, the
// working directory, standard output, the signals to keep ignored, the
// overlays, then the command.
func helperArgs(c command, mounts []layerMount, report, control int, ignored []os.Signal) []string {
	var sigs []string
	for _, s := range ignored {
		sigs = append(sigs, strconv.Itoa(int(s.(syscall.Signal))))
	}
	argv := []string{initName, strconv.Itoa(report), strconv.Itoa(control), strconv.Itoa(c.uid) + ":" + strconv.Itoa(c.gid),
		c.dir, c.stdout, strings.Join(sigs, ","), strconv.Itoa(len(mounts))}
	for _, m := range mounts {
		argv = append(argv, m.root, m.upper, m.work, m.stage, strconv.FormatUint(uint64(m.flags), 10))
	}
	return append(append(argv, c.path), c.argv...)
}

func readAll(fd int) []byte {
	var out []byte
	buf := make([]byte, 512)
	for {
		var n int
		err := rawio.IgnoringEINTR(func() (err error) { n, err = unix.Read(fd, buf); return err })
		if n <= 0 || err != nil {
			return out
		}
		out = append(out, buf[:n]...)
	}
}

func describe(ws syscall.WaitStatus) string {
	if ws.Signaled() {
		return "killed by " + ws.Signal().String()
	}
	return "exit status " + strconv.Itoa(ws.ExitStatus())
}

// failed turns what kept a runner from starting the command into ldwrap's
// error: a mount it could not make (Unavailable), standard output it
// could not open, a command it could not run.
func (req Request) failed(f *failure, user bool) error {
	switch f.kind {
	case 'o':
		return &engine.Error{Op: "open", Path: req.Stdout, Err: f.err}
	case 'e':
		err := rawio.Cause(f.err)
		if err == syscall.ENOENT {
			err = os.ErrNotExist
		}
		return &toolpath.Error{Name: req.Tool.Path, Err: err}
	}
	cause := f.what + ": " + rawio.Cause(f.err).Error()
	if user && rawio.IsDenied(rawio.Cause(f.err)) && sysctl("kernel/apparmor_restrict_unprivileged_userns") == "1" {
		return &Unavailable{Cause: "AppArmor denies mounts in unprivileged user namespaces (sysctl kernel.apparmor_restrict_unprivileged_userns=1)",
			Fix: "run as root, or set kernel.apparmor_restrict_unprivileged_userns=0"}
	}
	if f.what == "keep the overlays in this mount namespace" {
		return &Unavailable{Cause: cause, Fix: "make the chroot's directory a private mount point (mount --bind DIR DIR; mount --make-private DIR)"}
	}
	for _, r := range req.Roots {
		if f.what == "mount overlay on "+r.Path {
			if r.fstype != "" {
				cause += " (the upper layer would be on " + r.fstype + ")"
			}
			return &Unavailable{Cause: cause, Fix: "stage a directory on a local filesystem (ext4, xfs, btrfs, tmpfs)"}
		}
	}
	return &Unavailable{Cause: cause, Fix: "run as root"}
}

// cloneUnavailable names why the helper could not get its namespaces.
func cloneUnavailable(err error) error {
	fix := "run as root, or allow unprivileged user namespaces"
	switch {
	case sysctl("user/max_user_namespaces") == "0":
		return &Unavailable{Cause: "user namespaces are off (sysctl user.max_user_namespaces=0)", Fix: "run as root, or set user.max_user_namespaces above 0"}
	case sysctl("kernel/unprivileged_userns_clone") == "0":
		return &Unavailable{Cause: "unprivileged user namespaces are off (sysctl kernel.unprivileged_userns_clone=0)", Fix: "run as root, or set kernel.unprivileged_userns_clone=1"}
	case errors.Is(err, syscall.ENOSPC):
		return &Unavailable{Cause: "no more user namespaces (sysctl user.max_user_namespaces=" + sysctl("user/max_user_namespaces") + " reached)", Fix: fix}
	}
	return &Unavailable{Cause: "a new user namespace: " + rawio.Cause(err).Error(), Fix: fix}
}

// initUserNamespace says whether this process is in the initial user
// namespace, whose uid_map maps every id to itself.
func initUserNamespace() bool {
	b, err := rawio.ReadFile("/proc/self/uid_map")
	return err != nil || strings.Join(strings.Fields(string(b)), " ") == "0 0 4294967295"
}

func sysctl(name string) string {
	b, err := rawio.ReadFile("/proc/sys/" + name)
	if err != nil {
		return ""
	}
	return strings.TrimSpace(string(b))
}
