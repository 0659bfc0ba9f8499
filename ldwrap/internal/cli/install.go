package cli

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"unicode/utf8"

	"golang.org/x/sys/unix"

	"github.com/ldwrap/ldwrap/ldwrap/internal/cmdline"
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
nothing). Differences, all on the safe side:
  - a backup (-b) is a hard link made before the rename: the destination
    is never missing;
  - a device node at the destination is refused, not replaced;
  - a failed strip leaves the old destination (GNU removes it);
  - STRIPPROG names the strip program when --strip-program does not, as
    automake's install-sh reads it;
  - owner and group names come from /etc/passwd and /etc/group only (on
    macOS, from the directory service, as id(1) finds them).

On macOS, -s runs strip on the staged copy, and the installed file is
what strip leaves: Apple's strip signs an arm64 binary again (ad hoc);
GNU strip leaves its signature invalid, and the kernel kills it at start
(Killed: 9), with or without ldwrap. ldwrap signs nothing itself; run
codesign -s - on such a file before installing.

LDWRAP_SYMLINKS=follow, LDWRAP_KEEP_ATTRS=1, LDWRAP_SKIP_IDENTICAL=touch|restat
and LDWRAP_STALE=1 apply as to the other commands. Exit status: 0, or 1 on
any failure, as install(1).
`

// Install is ldwrap-install.
func Install() {
	os.Exit(runInstall(os.Args[1:], os.Stdout, os.Stderr))
}

// installer is one ldwrap-install run: its messages and what it made.
type installer struct {
	in             cmdline.Install
	prog           string // argv[0]: GNU install's -v lines start with it
	stdout, stderr io.Writer
	uid, gid       int
	failed         bool
}

func (r *installer) errorf(format string, args ...interface{}) {
	fmt.Fprintf(r.stderr, "ldwrap: "+format+"\n", args...)
	r.failed = true
}

// runInstall is ldwrap-install without the process around it: messages go
// to stdout and stderr, the exit status is returned.
func runInstall(args []string, stdout, stderr io.Writer) int {
	r := &installer{prog: os.Args[0], stdout: stdout, stderr: stderr}
	in, err := cmdline.ParseInstall(args)
	if err != nil {
		r.errorf("%v (see ldwrap-install --help)", err)
		return 1
	}
	switch in.Info {
	case "--help":
		fmt.Fprint(stdout, installUsage)
		return 0
	case "--version":
		fmt.Fprintf(stdout, "ldwrap-install %s\n", Version)
		return 0
	}
	r.in = in
	for _, w := range in.Warnings {
		fmt.Fprintf(stderr, "ldwrap: warning: %s\n", w)
	}
	if (in.ContextSet || in.PreserveContext) && selinuxEnabled() {
		r.errorf("option -Z: SELinux labels are not supported by ldwrap-install")
		return 1
	}
	if r.uid, err = lookupID("owner", in.Owner, "/etc/passwd"); err != nil {
		r.errorf("%v", err)
		return 1
	}
	if r.gid, err = lookupID("group", in.Group, "/etc/group"); err != nil {
		r.errorf("%v", err)
		return 1
	}
	if in.Directories {
		for _, d := range in.Operands {
			r.makeDir(d)
		}
	} else {
		r.installFiles()
	}
	if r.failed {
		return 1
	}
	return 0
}

// installFiles decides the pairs as install(1) does (into a directory: -t,
// or a last operand that is one; else one file onto another) and installs
// them.
func (r *installer) installFiles() {
	in := r.in
	ops := in.Operands
	dir := in.TargetDir
	switch {
	case in.NoTargetDir:
	case dir != "":
		if fi, err := os.Stat(dir); err != nil || !fi.IsDir() {
			if err == nil {
				err = unix.ENOTDIR
			}
			if !(in.MakeLeading && os.IsNotExist(err)) {
				r.errorf("target %s: %v", dir, rawio.Cause(err))
				return
			}
		}
	default:
		last := ops[len(ops)-1]
		fi, err := os.Stat(last)
		switch {
		case err == nil && fi.IsDir():
			dir, ops = last, ops[:len(ops)-1]
		case len(ops) > 2:
			if err == nil {
				err = unix.ENOTDIR
			}
			r.errorf("target %s: %v", last, rawio.Cause(err))
			return
		}
	}
	var pairs []install.Pair
	if dir == "" {
		if strings.HasSuffix(ops[1], "/") {
			r.trailingSlash(ops[0], ops[1])
			return
		}
		if in.MakeLeading && !r.makeAncestors(ops[1]) {
			return
		}
		pairs = []install.Pair{{Src: ops[0], Dst: ops[1]}}
	} else {
		if in.MakeLeading && !r.makeAncestors(filepath.Join(dir, "x")) {
			return
		}
		for _, s := range ops {
			pairs = append(pairs, install.Pair{Src: s, Dst: joinKeep(dir, filepath.Base(s))})
		}
	}
	opts, err := r.options()
	if err != nil {
		r.errorf("%v", err)
		return
	}
	opts.Failed = func(err error) { r.errorf("%v", err) }
	install.Files(pairs, opts)
	if staleReport {
		var dests []string
		for _, p := range pairs {
			dests = append(dests, p.Dst)
		}
		stale.Report(r.stderr, dests)
	}
}

// trailingSlash is install SRC DST/ where DST/ is no directory: GNU
// install reads the source, looks at the destination (a file there, or a
// directory under -T, is an error of its own), makes -D's ancestors,
// reports the copy and then fails to create "DST/" as a file. Nothing is
// made of it.
func (r *installer) trailingSlash(src, dst string) {
	if fi, err := os.Stat(src); err != nil || fi.IsDir() {
		if err == nil {
			err = unix.EISDIR
		}
		r.errorf("open %s: %v", src, rawio.Cause(err))
		return
	}
	if fi, err := os.Lstat(dst); err == nil || !os.IsNotExist(err) {
		if err == nil && fi.IsDir() {
			err = unix.EISDIR
		}
		r.errorf("stat %s: %v", dst, rawio.Cause(err))
		return
	}
	if r.in.MakeLeading && !r.makeAncestors(strings.TrimRight(dst, "/")) {
		return
	}
	r.verbosef("%s -> %s", quote(src), quote(dst))
	r.errorf("create %s: %v", dst, unix.ENOTDIR)
}

// joinKeep joins dir and name as GNU install does: dir as written, one
// slash between ("d/" and "a" make "d/a").
func joinKeep(dir, name string) string {
	return strings.TrimRight(dir, "/") + "/" + name
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
	o := install.Options{Engine: env, Mode: rawio.FileMode(in.FileMode()), ModeSet: true,
		Uid: r.uid, Gid: r.gid, PreserveTimes: in.PreserveTimes, Compare: in.Compare}
	if in.Strip {
		o.Strip = in.StripProgram
		if o.Strip == "" {
			o.Strip = os.Getenv("STRIPPROG")
		}
		if o.Strip == "" {
			o.Strip = "strip"
		}
	}
	if in.Backup {
		kind, suffix, err := r.backupPolicy()
		if err != nil {
			return install.Options{}, err
		}
		if kind != cmdline.NoBackups {
			o.Backup = func(dst string) (string, error) { return backupName(dst, kind, suffix) }
		}
		o.NumberedBackups = kind == cmdline.NumberedBackups
	}
	o.Copied = func(src, dst, backup string, replacing bool) {
		switch {
		case backup != "":
			r.verbosef("%s -> %s (backup: %s)", quote(src), quote(dst), quote(backup))
		case replacing:
			// GNU install says it removed the old file before it copies;
			// here the old file is renamed over, but the words are the same.
			r.verbosef("removed %s", quote(dst))
			fallthrough
		default:
			r.verbosef("%s -> %s", quote(src), quote(dst))
		}
	}
	return o, nil
}

// backupPolicy is -b's kind (--backup=CONTROL, else $VERSION_CONTROL,
// else "existing") and suffix (-S, else $SIMPLE_BACKUP_SUFFIX, else "~").
func (r *installer) backupPolicy() (int, string, error) {
	control := r.in.BackupControl
	if control == "" {
		control = os.Getenv("VERSION_CONTROL")
	}
	kind := cmdline.ExistingBackups
	if control != "" {
		var err error
		if kind, err = cmdline.BackupKind(control); err != nil {
			return 0, "", err
		}
	}
	suffix := r.in.BackupSuffix
	if suffix == "" {
		suffix = os.Getenv("SIMPLE_BACKUP_SUFFIX")
	}
	if suffix == "" || strings.Contains(suffix, "/") {
		suffix = "~"
	}
	return kind, suffix, nil
}

// backupName is the backup of dst, as GNU's backupfile.c names it:
// dst.~N~ (one more than the highest there), or dst+suffix.
func backupName(dst string, kind int, suffix string) (string, error) {
	if kind == cmdline.SimpleBackups {
		return dst + suffix, nil
	}
	dir, base := filepath.Split(dst)
	if dir == "" {
		dir = "."
	}
	names, err := rawio.ReadDirNames(dir)
	if err != nil {
		return "", err
	}
	highest := 0
	prefix := base + ".~"
	for _, n := range names {
		if strings.HasPrefix(n, prefix) && strings.HasSuffix(n, "~") && len(n) > len(prefix)+1 {
			if v, err := strconv.Atoi(n[len(prefix) : len(n)-1]); err == nil && v > highest {
				highest = v
			}
		}
	}
	if kind == cmdline.ExistingBackups && highest == 0 {
		return dst + suffix, nil
	}
	return dst + ".~" + strconv.Itoa(highest+1) + "~", nil
}

func (r *installer) verbosef(format string, args ...interface{}) {
	if r.in.Verbose {
		fmt.Fprintf(r.stdout, format+"\n", args...)
	}
}

// makeDir is install -d: the directory and its missing ancestors, 0755;
// then the directory gets -o/-g's owner and -m's mode: all of it when new;
// when it existed, only the bits the mode names (-m u+w changes u's bits).
func (r *installer) makeDir(d string) {
	if !r.makeAncestors(d) {
		return
	}
	mode, bits := r.in.DirModeBits()
	err := os.Mkdir(d, 0o755)
	switch {
	case err == nil:
		r.verbosef("%s: creating directory %s", r.prog, quote(d))
	case os.IsExist(err):
		var st unix.Stat_t
		if rawio.Stat(d, &st) != nil || st.Mode&unix.S_IFMT != unix.S_IFDIR {
			r.errorf("create directory %s: %v", d, unix.EEXIST)
			return
		}
		mode = uint32(st.Mode)&0o7777&^bits | mode&bits
	default:
		r.errorf("create directory %s: %v", d, rawio.Cause(err))
		return
	}
	if r.uid >= 0 || r.gid >= 0 {
		if err := os.Lchown(d, r.uid, r.gid); err != nil {
			r.errorf("chown %s: %v", d, rawio.Cause(err))
			return
		}
	}
	if err := rawio.Chmod(d, mode); err != nil {
		r.errorf("chmod %s: %v", d, rawio.Cause(err))
	}
}

// makeAncestors makes the missing directories above path, mode 0755
// whatever the umask, as GNU install (which sets umask 0) does.
func (r *installer) makeAncestors(path string) bool {
	var missing []string
	for d := filepath.Dir(strings.TrimRight(path, "/")); d != "." && d != "/"; d = filepath.Dir(d) {
		if _, err := os.Lstat(d); err == nil {
			break
		}
		missing = append(missing, d)
	}
	for i := len(missing) - 1; i >= 0; i-- {
		d := missing[i]
		if err := rawio.Mkdir(d, 0o755); err != nil && err != unix.EEXIST {
			r.errorf("create directory %s: %v", d, err)
			return false
		}
		if err := rawio.Chmod(d, 0o755); err != nil {
			r.errorf("chmod %s: %v", d, err)
			return false
		}
		r.verbosef("%s: creating directory %s", r.prog, quote(d))
	}
	return true
}

// lookupID is -1 for "", the id of the name in db (/etc/passwd or
// /etc/group), else the name as a number, as GNU install tries them.
// ldwrap's commands are static binaries: names known only to NSS (LDAP,
// sssd) must be given as numbers.
func lookupID(what, name, db string) (int, error) {
	if name == "" {
		return -1, nil
	}
	if directoryLookup != nil {
		if id, ok := directoryLookup(what, name); ok {
			return id, nil
		}
	}
	if b, err := os.ReadFile(db); err == nil {
		for _, line := range strings.Split(string(b), "\n") {
			f := strings.Split(line, ":")
			if len(f) >= 3 && f[0] == name {
				if id, err := strconv.Atoi(f[2]); err == nil {
					return id, nil
				}
			}
		}
	}
	if n, err := strconv.ParseUint(name, 10, 32); err == nil {
		return int(n), nil
	}
	return -1, fmt.Errorf("%s %s: invalid (not in %s, and not a number)", what, name, db)
}

// selinuxEnabled says whether the kernel enforces SELinux labels, which
// -Z would ask ldwrap-install to set.
func selinuxEnabled() bool {
	_, err := os.Stat("/sys/fs/selinux/enforce")
	return err == nil
}

// quote is GNU's shell-escape-always quoting of a file name, as install
// -v prints it: 'name'; "name" when it holds a single quote and nothing a
// double quote would expand; control characters and bytes that are not
// UTF-8 as $'\t' and $'\377' between quoted parts.
func quote(s string) string {
	special := false
	for i := 0; i < len(s); {
		r, n := utf8.DecodeRuneInString(s[i:])
		if r < 0x20 || r == 0x7f || r == utf8.RuneError && n == 1 {
			special = true
		}
		i += n
	}
	if !special && strings.Contains(s, "'") && doubleQuotable(s) {
		return `"` + s + `"`
	}
	var b strings.Builder
	b.WriteByte('\'')
	for i := 0; i < len(s); {
		r, n := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == '\'':
			b.WriteString(`'\''`)
		case r < 0x20 || r == 0x7f || r == utf8.RuneError && n == 1:
			b.WriteString(`'$'`)
			if e, ok := map[rune]string{'\a': `\a`, '\b': `\b`, '\t': `\t`, '\n': `\n`, '\v': `\v`, '\f': `\f`, '\r': `\r`}[r]; ok {
				b.WriteString(e)
			} else {
				fmt.Fprintf(&b, `\%03o`, s[i])
			}
			b.WriteString(`''`)
		default:
			b.WriteString(s[i : i+n])
		}
		i += n
	}
	b.WriteByte('\'')
	return b.String()
}

// doubleQuotable says whether GNU's quoting would write s, which holds a
// single quote, between double quotes: every other byte a letter, a digit,
// one of " %+,-./:@_'", or not ASCII; a leading ~ or # too (gnulib's
// c_and_shell_quote_compat, as install 9.1 prints it).
func doubleQuotable(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c >= 0x80, 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9':
		case strings.IndexByte(" %+,-./:@_'", c) >= 0:
		case i == 0 && (c == '~' || c == '#'):
		default:
			return false
		}
	}
	return true
}
