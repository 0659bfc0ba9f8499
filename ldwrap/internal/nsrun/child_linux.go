//go:build linux && !ldwrap_portable

package nsrun

import (
	"os"
	"runtime"
	"strconv"
	"strings"
	"syscall"

	"golang.org/x/sys/unix"

	"github.com/ldwrap/ldwrap/ldwrap/internal/layer"
	"github.com/ldwrap/ldwrap/ldwrap/internal/rawio"
)

// What both runners share, the thread of ldwrap that runs a root's
// command (run_linux.go) and the helper that runs a user's (init_linux.go):
// both are in the command's mount namespace, start it, reap it, and end
// what it left running.

// layerMount is one root's overlay, as the runner mounts it.
type layerMount struct {
	root, upper, work, stage string
	flags                    uintptr
}

// failure is what kept a runner from starting the command; nothing ran.
type failure struct {
	kind byte // 'm': a mount (namespace mode is unavailable); 'o': standard output; 'e': the command's exec
	what string
	err  error
}

func (f *failure) Error() string { return f.what + ": " + rawio.Cause(f.err).Error() }

// mountLayers mounts the overlays in the runner's (new) mount namespace.
//
// Slave, not shared: the overlays stay in this namespace, and mounts the
// host makes meanwhile still show. volatile: overlayfs would otherwise
// sync the whole filesystem of the upper layer when the namespace goes
// (a syncfs at every run: 3 to 20 ms here, more on a busy disk); what the
// commit renames into place is made durable by the commit, as
// LDWRAP_DURABLE asks. The stages sit in the roots' parents, where a
// command that lists a parent would find them and could write under the
// overlay: an empty read-only tmpfs covers each (the overlay holds its
// layers already).
func mountLayers(ls []layerMount, userxattr bool) *failure {
	if err := unix.Mount("", "/", "", unix.MS_REC|unix.MS_SLAVE, ""); err != nil {
		if err != unix.EINVAL {
			return &failure{'m', "make / a slave mount", err}
		}
		// In a chroot / is no mount point. The overlays and covers are
		// mounted on the mounts holding the roots and stages: those must
		// not carry them to the host.
		for _, l := range ls {
			for _, p := range []string{l.root, l.stage} {
				if err := notPropagated(p); err != nil {
					return &failure{'m', "keep the overlays in this mount namespace", err}
				}
			}
		}
	}
	for _, l := range ls {
		opts := layer.MountOptions(l.root, l.upper, l.work, userxattr) + ",volatile"
		if err := unix.Mount("overlay", l.root, "overlay", l.flags, opts); err != nil {
			return &failure{'m', "mount overlay on " + l.root, err}
		}
	}
	for _, l := range ls {
		if err := unix.Mount("tmpfs", l.stage, "tmpfs", unix.MS_RDONLY|unix.MS_NOSUID|unix.MS_NODEV|unix.MS_NOEXEC, "mode=700"); err != nil {
			return &failure{'m', "cover " + l.stage, err}
		}
	}
	return nil
}

// command is what a runner starts.
type command struct {
	path   string
	argv   []string
	env    []string
	dir    string // by its path: resolved again in the namespace, through the overlays
	stdout string // opened as the shell's > would, or "" for the runner's own
	// user: the command runs in a user namespace of its own that maps
	// uid and gid to the runner's 0, so that it sees its own ids.
	user     bool
	uid, gid int
}

// start opens the command's standard output and starts it. It runs on a
// thread of the command's mount namespace.
func (c command) start() (int, *failure) {
	stdout := 1
	if c.stdout != "" {
		// Relative to the working directory by its path: this thread's
		// own leads under the overlays. Joined, not cleaned: a ".." after
		// a symlink goes where the kernel takes it.
		path := c.stdout
		if !strings.HasPrefix(path, "/") {
			path = c.dir + "/" + path
		}
		fd, err := openAsCommand(path, c.user)
		if err != nil {
			return 0, &failure{'o', "open " + c.stdout, err}
		}
		defer unix.Close(fd)
		stdout = fd
	}
	sys := &syscall.SysProcAttr{Pdeathsig: syscall.SIGTERM}
	if c.user {
		sys.Cloneflags = syscall.CLONE_NEWUSER
		sys.UidMappings = []syscall.SysProcIDMap{{ContainerID: c.uid, HostID: 0, Size: 1}}
		sys.GidMappings = []syscall.SysProcIDMap{{ContainerID: c.gid, HostID: 0, Size: 1}}
	}
	pid, err := syscall.ForkExec(c.path, c.argv, &syscall.ProcAttr{Dir: c.dir, Env: c.env, Files: []uintptr{0, uintptr(stdout), 2}, Sys: sys})
	if err != nil {
		return 0, &failure{'e', "", err}
	}
	return pid, nil
}

// openAsCommand opens path for the command's standard output as the
// shell's > would, as the user. In a user namespace the runner holds every
// capability over the user's files, which the command would not (a 0400
// file of one's own is not writable), so the open is made from a thread of
// its own whose capabilities are dropped; the thread ends with it.
func openAsCommand(path string, user bool) (int, error) {
	const flags = unix.O_WRONLY | unix.O_CREAT | unix.O_TRUNC | unix.O_CLOEXEC
	if !user {
		return rawio.Open(path, flags, 0o666)
	}
	type result struct {
		fd  int
		err error
	}
	ch := make(chan result)
	go func() {
		runtime.LockOSThread() // never unlocked: the thread exits with the goroutine
		hdr := unix.CapUserHeader{Version: unix.LINUX_CAPABILITY_VERSION_3}
		var none [2]unix.CapUserData
		if err := unix.Capset(&hdr, &none[0]); err != nil {
			ch <- result{-1, err}
			return
		}
		fd, err := rawio.Open(path, flags, 0o666)
		ch <- result{fd, err}
	}()
	r := <-ch
	return r.fd, r.err
}

// becomeSubreaper makes the processes the command leaves behind, when
// their parent ends, this process's children (PR_SET_CHILD_SUBREAPER),
// where endLeftovers finds them.
func becomeSubreaper() error {
	return unix.Prctl(unix.PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0)
}

// waitReaping waits for the command, pid, and reaps meanwhile every other
// child that ends: processes the command left that this subreaper
// adopted. A script that waits for one of those to be gone (kill -0)
// would otherwise wait for a zombie. children receives SIGCHLD.
func waitReaping(pid int, children <-chan os.Signal) (syscall.WaitStatus, error) {
	for {
		var ws syscall.WaitStatus
		var got int
		err := rawio.IgnoringEINTR(func() (err error) { got, err = syscall.Wait4(-1, &ws, syscall.WNOHANG, nil); return err })
		switch {
		case got == pid:
			return ws, nil
		case got > 0:
			continue
		case err != nil:
			return 0, err
		}
		<-children
	}
}

// endLeftovers kills, once the command has ended, every process it left
// running: they are this subreaper's children by now, or become so when
// their parents die. It returns whether there were any. A child that is
// not the command's (ldwrap's signal witness) is killed too: it ends with
// the step anyway.
func endLeftovers() bool {
	// Mostly there are none, and no child at all says so in one call.
	// Listing them reads /proc/self/task, whose entries then cost the
	// reaping of this process 0.3 ms (their dentries are invalidated).
	var info unix.Siginfo
	if err := unix.Waitid(unix.P_ALL, 0, &info, unix.WEXITED|unix.WNOHANG|unix.WNOWAIT, nil); err == unix.ECHILD {
		return false
	}
	any := false
	for {
		pids := ownChildren()
		if len(pids) == 0 {
			return any
		}
		any = true
		for _, p := range pids {
			syscall.Kill(p, syscall.SIGKILL)
		}
		for _, p := range pids {
			var ws syscall.WaitStatus
			rawio.IgnoringEINTR(func() error { _, err := syscall.Wait4(p, &ws, syscall.WALL, nil); return err })
		}
	}
}

// ownChildren lists this process's children, from each of its threads'
// list (a child belongs to the thread that forked it, an adopted one to
// any).
func ownChildren() []int {
	tids, err := rawio.ReadDirNames("/proc/self/task")
	if err != nil {
		return nil
	}
	var pids []int
	for _, t := range tids {
		b, err := rawio.ReadFile("/proc/self/task/" + t + "/children")
		if err != nil {
			continue
		}
		for _, f := range strings.Fields(string(b)) {
			if p, err := strconv.Atoi(f); err == nil {
				pids = append(pids, p)
			}
		}
	}
	return pids
}
