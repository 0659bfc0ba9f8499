package cli

import (
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"

	"golang.org/x/sys/unix"

	"github.com/ldwrap/ldwrap/ldwrap/internal/cmdline"
	"github.com/ldwrap/ldwrap/ldwrap/internal/gnumsg"
	"github.com/ldwrap/ldwrap/ldwrap/internal/install"
	"github.com/ldwrap/ldwrap/ldwrap/internal/rawio"
	"github.com/ldwrap/ldwrap/ldwrap/internal/stale"
)

const installUsage = `usage: ldwrap-install [OPTION]... [-T] SOURCE DEST
       ldwrap-install [OPTION]... SOURCE... DIRECTORY
       ldwrap-install [OPTION]... -t DIRECTORY SOURCE...
       ldwrap-install [OPTION]... -d DIRECTORY...

A drop-in for GNU install(1) that replaces each destination atomically:
the copy is written beside it, given its mode, owner and group, made
durable (LDWRAP_DURABLE=0: not; =order: the file only, not the rename),
and renamed into place. Running programs and loaded libraries keep the
old file; a failure leaves it byte-identical.

Options as GNU install 9.1's: -b --backup[=CONTROL] -c -C --compare -d
--directory -D -g --group -m --mode (octal or symbolic) -o --owner -p
--preserve-timestamps -s --strip --strip-program -S --suffix -t
--target-directory -T --no-target-directory -v --verbose, and -Z
--context --preserve-context where SELinux is off (as GNU, they then do
nothing). Its messages are GNU install's, word for word (in English),
under the name it was run as. Differences, all on the safe side:
  - a backup (-b) is a hard link made before the rename, or where the
    kernel refuses one (another user's file) an exchange of names: the
    destination is never missing (on FreeBSD, which has no exchange, such
    a backup is a copy owned by the installing user); install 9.1 puts
    the backup of DIR/X at ./X~ when DIR is the last operand,
    ldwrap-install at DIR/X~;
  - a device node at the destination is refused, not replaced;
  - a destination GNU removes and then fails to install stays as it was:
    after a failed strip, an owner or mode that cannot be set, a source
    that cannot be read, or a source that is the destination itself
    through a symlink (refused as "the same file");
  - STRIPPROG names the strip program when --strip-program does not, as
    automake's install-sh reads it;
  - owner and group names come from /etc/passwd and /etc/group only (on
    macOS, from the directory service, as id(1) finds them; numbers are
    read as GNU reads them: 0x1, +0, 010);
  - --help and --version are ldwrap-install's; LDWRAP_VERBOSE=1's lines
    start "ldwrap:".

On macOS, -s runs strip on the staged copy, and the installed file is
what strip leaves: Apple's strip signs an arm64 binary again (ad hoc);
GNU strip leaves its signature invalid, and the kernel kills it at start
(Killed: 9), with or without ldwrap. ldwrap signs nothing itself; run
codesign -s - on such a file before installing.

LDWRAP_SYMLINKS=follow, LDWRAP_KEEP_ATTRS=1, LDWRAP_SKIP_IDENTICAL=touch|restat
and LDWRAP_STALE=1 apply as to the other commands. Exit status: 0, or 1 on
any failure, as install(1).
`

// installer is one ldwrap-install run: its messages and what it made.
// It speaks as GNU install does, under the name it was run as (GNU's
// program_name is its argv[0]): "PROG: cannot stat 'x': No such file or
// directory", and -v's "PROG: creating directory 'd'".
type installer struct {
	in             cmdline.Install
	q              gnumsg.Locale
	prog           string
	stdout, stderr io.Writer
	uid, gid       int
	warned         int // in.Warnings already said
	failed         bool
}

// errorf says one of GNU install's messages; err, if set, is its cause.
func (r *installer) errorf(err error, format string, args ...interface{}) {
	msg := fmt.Sprintf(format, args...)
	if err != nil {
		msg += ": " + gnumsg.Strerror(rawio.Cause(err))
	}
	fmt.Fprintf(r.stderr, "%s: %s\n", r.prog, msg)
	r.failed = true
}

// warnings says the warnings GNU install has met since the last call.
func (r *installer) warnings() {
	for ; r.warned < len(r.in.Warnings); r.warned++ {
		fmt.Fprintf(r.stderr, "%s: %s\n", r.prog, r.in.Warnings[r.warned])
	}
}

// usage says a command line GNU install rejects, and exits 1.
func (r *installer) usage(err error) int {
	r.warnings()
	fmt.Fprintf(r.stderr, "%s: %s\n", r.prog, err)
	if ue, ok := err.(*cmdline.UsageError); ok && ue.Try {
		fmt.Fprintf(r.stderr, "Try '%s --help' for more information.\n", r.prog)
	}
	return 1
}

// runInstall is ldwrap-install without the process around it: messages go
// to stdout and stderr, the exit status is returned.
func runInstall(args []string, stdout, stderr io.Writer) int {
	r := &installer{prog: os.Args[0], stdout: stdout, stderr: stderr}
	// As GNU install: the modes asked for are the modes made, and a new
	// directory gets what mkdir(2) gives under its parent's default ACL.
	defer unix.Umask(unix.Umask(0))
	in, err := cmdline.ParseInstall(args, os.Getenv)
	r.in, r.q = in, in.Locale
	if err != nil {
		return r.usage(err)
	}
	switch in.Info {
	case "--help":
		fmt.Fprint(stdout, installUsage)
		return 0
	case "--version":
		fmt.Fprintf(stdout, "ldwrap-install %s\n", Version)
		return 0
	}
	r.warnings()
	if (in.ContextSet || in.PreserveContext) && selinuxEnabled() {
		r.errorf(nil, "SELinux contexts (-Z, --context, --preserve-context) are not supported by ldwrap-install")
		return 1
	}
	dir, into, ops, ok := r.target()
	if !ok {
		return 1
	}
	err = r.in.Settle()
	r.warnings()
	if err != nil {
		return r.usage(err)
	}
	if !r.ids() {
		return 1
	}
	if r.in.Directories {
		for _, d := range ops {
			r.makeDir(d)
		}
	} else {
		r.installFiles(dir, into, ops)
	}
	if r.failed {
		return 1
	}
	return 0
}

// target decides, as GNU install does next, between one file onto
// another and files into a directory (into): -t's, or a last operand that
// is one.
func (r *installer) target() (dir string, into bool, ops []string, ok bool) {
	in := r.in
	ops = in.Operands
	switch {
	case in.NoTargetDir, in.Directories:
	case in.TargetGiven:
		if err := targetDirectory(in.TargetDir); err != nil && !(in.MakeLeading && err == unix.ENOENT) {
			r.errorf(err, "failed to access %s", r.q.Name(in.TargetDir))
			return "", false, nil, false
		}
		dir, into = in.TargetDir, true
	default:
		last := ops[len(ops)-1]
		err := targetDirectory(last)
		switch {
		case err == nil:
			dir, into, ops = last, true, ops[:len(ops)-1]
		case len(ops) > 2:
			r.errorf(err, "target %s", r.q.Name(last))
			return "", false, nil, false
		}
	}
	return dir, into, ops, true
}

// targetDirectory is gnulib's target_directory_operand: nil if name is a
// directory to install into, else why not (what opening it as one with
// O_PATH would say; stat says the same).
func targetDirectory(name string) error {
	if mustBeWorkingDirectory(name) {
		return nil
	}
	var st unix.Stat_t
	if err := rawio.Stat(name, &st); err != nil {
		return err
	}
	if st.Mode&unix.S_IFMT != unix.S_IFDIR {
		return unix.ENOTDIR
	}
	return nil
}

// mustBeWorkingDirectory: ".", "./.", ".///./" and the like.
func mustBeWorkingDirectory(f string) bool {
	for i := 0; i < len(f) && f[i] == '.'; {
		i++
		if i == len(f) {
			return true
		}
		if f[i] != '/' {
			return false
		}
		for i < len(f) && f[i] == '/' {
			i++
		}
		if i == len(f) {
			return true
		}
	}
	return false
}

// ids are -o's and -g's owner and group, as GNU's get_ids finds them: the
// name in /etc/passwd or /etc/group, else a number as strtoumax reads one
// (+0, 0x1, 010 in octal); -1 where none is given.
func (r *installer) ids() bool {
	r.uid, r.gid = -1, -1
	var ok bool
	if r.in.OwnerGiven {
		if r.uid, ok = lookupID("owner", r.in.Owner, "/etc/passwd"); !ok {
			r.errorf(nil, "invalid user %s", r.q.Quote(r.in.Owner))
			return false
		}
	}
	if r.in.GroupGiven {
		if r.gid, ok = lookupID("group", r.in.Group, "/etc/group"); !ok {
			r.errorf(nil, "invalid group %s", r.q.Quote(r.in.Group))
			return false
		}
	}
	return true
}

// installFiles installs the operands: into dir (its name as written, one
// slash before each source's last component), or the one source onto the
// other operand.
func (r *installer) installFiles(dir string, into bool, ops []string) {
	in := r.in
	var pairs []install.Pair
	if !into {
		if in.MakeLeading && !r.makeAncestors(ops[1], false) {
			return
		}
		pairs = []install.Pair{{Src: ops[0], Dst: ops[1]}}
	} else {
		for _, s := range ops {
			pairs = append(pairs, install.Pair{Src: s, Dst: fileNameConcat(dir, cmdline.LastComponent(s))})
		}
		// -t DIR that is missing: -D makes it, through the first file's
		// name (GNU goes no further when that fails).
		if in.TargetGiven && in.MakeLeading && targetDirectory(dir) != nil {
			if !r.makeAncestors(pairs[0].Dst, false) {
				return
			}
			if err := targetDirectory(dir); err != nil {
				r.errorf(err, "cannot open %s", r.q.Name(pairs[0].Dst))
				return
			}
		}
	}
	opts, err := r.options()
	if err != nil {
		r.errorf(nil, "%v", err)
		return
	}
	opts.Failed = func(err error) { r.errorf(nil, "%v", err) }
	install.Files(pairs, opts)
	if staleReport {
		var dests []string
		for _, p := range pairs {
			dests = append(dests, p.Dst)
		}
		stale.Report(r.stderr, dests)
	}
}

// fileNameConcat is gnulib's file_name_concat: dir as written up to its
// last name's end (no trailing slashes), a slash, and base.
func fileNameConcat(dir, base string) string {
	dirBase := cmdline.LastComponent(dir)
	baseLen := len(dirBase)
	for baseLen > 1 && dirBase[baseLen-1] == '/' {
		baseLen--
	}
	dirLen := len(dir) - len(dirBase) + baseLen
	switch {
	case baseLen == 0: // the root (or nothing): no slash of its own
		return dir[:dirLen] + strings.TrimLeft(base, "/")
	case dir[dirLen-1] != '/' && !strings.HasPrefix(base, "/"):
		return dir[:dirLen] + "/" + base
	}
	return dir[:dirLen] + base
}

// options are the install package's options for this command line and
// environment.
func (r *installer) options() (install.Options, error) {
	in := r.in
	env, err := optionsFromEnv(true)
	if err != nil {
		return install.Options{}, fmt.Errorf("config: %v", err)
	}
	env.ReplaceSpecial = true // install(1) replaces a fifo, a socket or any symlink at the destination
	// GNU install says nothing of a destination's other hard links; the
	// warning is for LDWRAP_VERBOSE.
	env.Warnf = env.Logf
	mode := rawio.FileMode(in.FileMode())
	o := install.Options{Engine: env, Mode: &mode,
		Uid: r.uid, Gid: r.gid, PreserveTimes: in.PreserveTimes, Compare: in.Compare,
		Stderr: r.stderr, Locale: r.q}
	if in.Strip {
		o.Strip = in.StripProgram
		if !in.StripGiven {
			o.Strip = "strip"
			if p := os.Getenv("STRIPPROG"); p != "" {
				o.Strip = p
			}
		}
	}
	if kind := in.BackupType; kind != cmdline.NoBackups {
		suffix := in.BackupSuffix
		o.Backup = func(dst string) (string, error) { return backupName(dst, kind, suffix) }
		o.NumberedBackups = kind == cmdline.NumberedBackups
		o.BackupSuffix = suffix
	}
	o.Copied = func(src, dst, backup string, replacing bool) {
		switch {
		case backup != "":
			r.verbosef("%s -> %s (backup: %s)", r.q.Name(src), r.q.Name(dst), r.q.Name(backup))
		case replacing:
			// GNU install says it removed the old file before it copies;
			// here the old file is renamed over, but the words are the same.
			r.verbosef("removed %s", r.q.Name(dst))
			fallthrough
		default:
			r.verbosef("%s -> %s", r.q.Name(src), r.q.Name(dst))
		}
	}
	o.Unbackup = func(backup, dst string) {
		r.verbosef("%s -> %s (unbackup)", r.q.Name(backup), r.q.Name(dst))
	}
	return o, nil
}

// backupName is the backup of dst, as GNU's backupfile.c names it:
// dst.~N~ (one more than the highest there, whose digits start with 1 to
// 9), or dst+suffix. An unreadable directory has no numbered backups.
func backupName(dst string, kind int, suffix string) (string, error) {
	last := cmdline.LastComponent(dst)
	dir := dst[:len(dst)-len(last)]
	base := strings.TrimRight(last, "/")
	if base == "" {
		base = last
	}
	if kind == cmdline.SimpleBackups {
		return dir + base + suffix, nil
	}
	names, _ := rawio.ReadDirNames(dir + ".")
	highest := ""
	prefix := base + ".~"
	for _, n := range names {
		if len(n) < len(prefix)+2 || !strings.HasPrefix(n, prefix) || !strings.HasSuffix(n, "~") {
			continue
		}
		v := n[len(prefix) : len(n)-1]
		if v[0] < '1' || v[0] > '9' || strings.TrimLeft(v, "0123456789") != "" {
			continue
		}
		if len(v) > len(highest) || len(v) == len(highest) && v > highest {
			highest = v
		}
	}
	if highest == "" {
		if kind == cmdline.ExistingBackups {
			return dir + base + suffix, nil
		}
		highest = "0"
	}
	return dir + base + ".~" + increment(highest) + "~", nil
}

// increment adds one to a decimal number of any length.
func increment(digits string) string {
	b := []byte(digits)
	for i := len(b) - 1; i >= 0; i-- {
		if b[i] < '9' {
			b[i]++
			return string(b)
		}
		b[i] = '0'
	}
	return "1" + string(b)
}

func (r *installer) verbosef(format string, args ...interface{}) {
	if r.in.Verbose {
		fmt.Fprintf(r.stdout, format+"\n", args...)
	}
}

// announce is -v's line for a directory made.
func (r *installer) announce(dir string) {
	r.verbosef("%s: creating directory %s", r.prog, r.q.Name(dir))
}

// makeDir is install -d DIR, as gnulib's make_dir_parents runs it for
// install: the missing ancestors (makeAncestors), then DIR with -m's mode
// (or 0755), fewer bits at first where the owner or special bits are to
// change, then -o/-g's owner and group and the mode's bits (dirChownMod),
// on DIR new or old.
func (r *installer) makeDir(dir string) {
	if !r.makeAncestors(dir, true) {
		return
	}
	mode, bits := r.in.DirModeBits()
	keepOwner := r.uid == -1 && r.gid == -1
	keepSpecial := bits&(unix.S_ISUID|unix.S_ISGID)|mode&unix.S_ISVTX == 0
	mkdirMode := mode
	switch {
	case !keepOwner:
		mkdirMode &^= unix.S_IRWXG | unix.S_IRWXO
	case !keepSpecial:
		mkdirMode &^= unix.S_IWGRP | unix.S_IWOTH
	}
	mkdirErr := rawio.Mkdir(dir, mkdirMode)
	made := mkdirErr == nil
	if made {
		r.announce(dir)
		if keepOwner && keepSpecial && mode&bits&(unix.S_IRWXU|unix.S_IRWXG|unix.S_IRWXO) == 0 {
			return
		}
	}
	err := dirChownMod(dir, made, r.uid, r.gid, mode, bits)
	switch {
	case err == nil:
		return
	case made || mkdirErr != unix.ENOENT && err != unix.ENOTDIR:
		what := "cannot change permissions of %s"
		if !keepOwner {
			what = "cannot change owner and permissions of %s"
		}
		r.errorf(err, what, r.q.Quote(dir))
		return
	}
	r.errorf(mkdirErr, "cannot create directory %s", r.q.Quote(dir))
}

// dirChownMod is gnulib's dirchownmod: dir's owner and group where they
// differ from uid's and gid's (-1: as it is), then its mode where it
// differs in bits from mode, the other bits kept (chown may have cleared
// setuid and setgid, which then count as differing).
func dirChownMod(dir string, made bool, uid, gid int, mode, bits uint32) error {
	var st unix.Stat_t
	if err := rawio.Stat(dir, &st); err != nil {
		return err
	}
	old := uint32(st.Mode)
	if old&unix.S_IFMT != unix.S_IFDIR {
		return unix.ENOTDIR
	}
	var indeterminate uint32
	if uid != -1 && uint32(uid) != st.Uid || gid != -1 && uint32(gid) != st.Gid {
		chown := unix.Chown
		if made {
			chown = unix.Lchown
		}
		if err := chown(dir, uid, gid); err != nil {
			return err
		}
		if old&(unix.S_IXUSR|unix.S_IXGRP|unix.S_IXOTH) != 0 {
			indeterminate = old & (unix.S_ISUID | unix.S_ISGID)
		}
	}
	if ((old^mode)|indeterminate)&bits != 0 {
		return rawio.Chmod(dir, mode|old&rawio.ModeBits&^bits)
	}
	return nil
}

// makeAncestors is gnulib's mkancesdirs as install runs it: each name of
// path but the last, as written and in turn ("." passed over, ".."
// entered but not made, any other made with mode 0755 if missing, under
// umask 0 and so as mkdir(2) gives it there: a setgid directory's group
// and bit, a default ACL), must then be a directory to enter. A prefix of
// the path as written is what the kernel resolves the way the chdir of
// each name would: link/.. is link's target's parent. On failure it says
// GNU's "cannot create directory" naming the prefix that failed (quote()
// for -d, a file name's quoting for -D).
func (r *installer) makeAncestors(path string, forDir bool) bool {
	component, sep := 0, -1
	for i := 0; i < len(path); i++ {
		c := path[i]
		switch {
		case i+1 < len(path) && path[i+1] == '/':
			if c != '/' {
				sep = i + 1
			}
		case c == '/' && i+1 < len(path) && sep >= 0:
			name := path[component:sep]
			if name != "." {
				prefix := path[:sep]
				var mkdirErr error
				if name != ".." {
					if mkdirErr = rawio.Mkdir(prefix, 0o755); mkdirErr == nil {
						r.announce(prefix)
					}
				}
				if err := enterable(prefix); err != nil {
					if mkdirErr != nil && err == unix.ENOENT {
						err = mkdirErr
					}
					if forDir {
						r.errorf(err, "cannot create directory %s", r.q.Quote(prefix))
					} else {
						r.errorf(err, "cannot create directory %s", r.q.Name(prefix))
					}
					return false
				}
			}
			component = i + 1
		}
	}
	return true
}

// enterable says why chdir(dir) would fail, or nil.
func enterable(dir string) error {
	var st unix.Stat_t
	if err := rawio.Stat(dir, &st); err != nil {
		return err
	}
	if st.Mode&unix.S_IFMT != unix.S_IFDIR {
		return unix.ENOTDIR
	}
	return rawio.IgnoringEINTR(func() error { return unix.Access(dir, unix.X_OK) })
}

// lookupID is the id of name in db (/etc/passwd or /etc/group), else the
// name as a number as GNU's xstrtoumax reads it (base 0: 0x1 is 1, 010 is
// 8; leading spaces and a + allowed; nothing after the digits), at most
// 2^32-1, which is -1: no change. ldwrap's commands are static binaries:
// names known only to NSS (LDAP, sssd) must be given as numbers.
func lookupID(what, name, db string) (int, bool) {
	if directoryLookup != nil && name != "" {
		if id, ok := directoryLookup(what, name); ok {
			return id, true
		}
	}
	if b, err := os.ReadFile(db); err == nil {
		for _, line := range strings.Split(string(b), "\n") {
			f := strings.Split(line, ":")
			if len(f) >= 3 && f[0] == name && name != "" {
				if id, err := strconv.ParseUint(f[2], 10, 32); err == nil {
					return int(int32(id)), true
				}
			}
		}
	}
	s := strings.TrimLeft(name, " \t\n\v\f\r")
	if strings.HasPrefix(s, "-") {
		return -1, false
	}
	s = strings.TrimPrefix(s, "+")
	base := 10
	switch {
	case len(s) > 2 && (s[:2] == "0x" || s[:2] == "0X") && isHex(s[2]):
		base, s = 16, s[2:]
	case len(s) > 1 && s[0] == '0':
		base = 8
	}
	n, err := strconv.ParseUint(s, base, 64)
	if err != nil || n > 0xffffffff {
		return -1, false
	}
	return int(int32(uint32(n))), true
}

func isHex(c byte) bool {
	return '0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F'
}

// selinuxEnabled says whether the kernel enforces SELinux labels, which
// -Z would ask ldwrap-install to set.
func selinuxEnabled() bool {
	_, err := os.Stat("/sys/fs/selinux/enforce")
	return err == nil
}
