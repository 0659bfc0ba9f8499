package cmdline

import (
	"strings"

	"github.com/ldwrap/ldwrap/ldwrap/internal/gnumsg"
)

// Install is an install(1) command line, read as GNU install 9.1 reads it
// (getopt_long: options anywhere before "--" unless POSIXLY_CORRECT is
// set, clustered short options, long options by any unique prefix). An
// option given an empty value is given: an empty -o names no user, and
// fails.
type Install struct {
	Mode          ModeChange // nil: the default, 0755
	ModeString    string     // -m as given; compiled by Settle, after the operands' checks, as GNU does
	ModeGiven     bool
	Owner, Group  string
	OwnerGiven    bool
	GroupGiven    bool
	Directories   bool // -d
	MakeLeading   bool // -D
	TargetDir     string
	TargetGiven   bool // -t
	NoTargetDir   bool // -T
	Compare       bool // -C
	PreserveTimes bool // -p
	Verbose       bool // -v
	Strip         bool // -s
	StripProgram  string
	StripGiven    bool   // --strip-program
	Backup        bool   // -b, --backup, -S
	BackupControl string // --backup=CONTROL; "" means $VERSION_CONTROL, else existing
	// BackupType (NoBackups without -b) and BackupSuffix are what -b
	// does, from the options and the environment, as ParseInstall found.
	BackupType   int
	BackupSuffix string
	suffixGiven  bool
	// Context (-Z, --context[=CTX]) and PreserveContext ask for SELinux
	// labels, which ldwrap-install does not set.
	ContextSet      bool
	PreserveContext bool
	Info            string // --help or --version
	Operands        []string
	// Warnings are what GNU install warns about and goes on, in its
	// order: the options' as they come, then Settle's.
	Warnings []string
	// Locale quotes the names in messages.
	Locale gnumsg.Locale
}

// UsageError is a command line install(1) rejects before doing anything:
// its message, and whether GNU then says "Try 'install --help' for more
// information.".
type UsageError struct {
	Msg string
	Try bool
}

func (e *UsageError) Error() string { return e.Msg }

const (
	noArg = iota
	requiredArg
	optionalArg
)

type installOption struct {
	long  string
	short byte // 0: long only
	arg   int
}

// installOptions are GNU install 9.1's, in the order of its long_options
// (getopt lists an ambiguous prefix's possibilities in this order).
var installOptions = []installOption{
	{"backup", 'b', optionalArg}, {"compare", 'C', noArg}, {"context", 'Z', optionalArg},
	{"directory", 'd', noArg}, {"group", 'g', requiredArg}, {"mode", 'm', requiredArg},
	{"no-target-directory", 'T', noArg}, {"owner", 'o', requiredArg},
	{"preserve-timestamps", 'p', noArg}, {"preserve-context", 0, noArg}, {"strip", 's', noArg},
	{"strip-program", 0, requiredArg}, {"suffix", 'S', requiredArg},
	{"target-directory", 't', requiredArg}, {"verbose", 'v', noArg},
	{"help", 0, noArg}, {"version", 0, noArg},
	{"", 'c', noArg}, {"", 'D', noArg},
}

// ParseInstall parses an install(1) command line and makes GNU install's
// checks that need no file: the options (getopt's messages), the
// combinations it rejects, -b's type and suffix, and the number of
// operands. getenv is the environment (POSIXLY_CORRECT, VERSION_CONTROL,
// SIMPLE_BACKUP_SUFFIX, the locale); nil is an empty one. The caller then
// looks at the target directory, as GNU does next, and calls Settle.
func ParseInstall(args []string, getenv func(string) string) (Install, error) {
	if getenv == nil {
		getenv = func(string) string { return "" }
	}
	in := Install{Locale: gnumsg.LocaleFrom(getenv)}
	posix := getenv("POSIXLY_CORRECT") != ""
	for i := 0; i < len(args); i++ {
		a := args[i]
		var err error
		switch {
		case a == "--":
			in.Operands = append(in.Operands, args[i+1:]...)
			i = len(args)
		case a == "-" || !strings.HasPrefix(a, "-"):
			if posix {
				in.Operands = append(in.Operands, args[i:]...)
				i = len(args)
				break
			}
			in.Operands = append(in.Operands, a)
		case strings.HasPrefix(a, "--"):
			i, err = in.parseLong(args, i)
		default:
			i, err = in.parseShort(args, i)
		}
		if err != nil {
			return in, err
		}
		if in.Info != "" {
			return in, nil
		}
	}
	return in, in.check(getenv)
}

func tryHelp(msg string) error { return &UsageError{Msg: msg, Try: true} }

// parseLong takes the long option at args[i] (--mode=644, --mode 644, or a
// unique prefix: --mo=644) and returns the index of the last argument used.
func (in *Install) parseLong(args []string, i int) (int, error) {
	arg := args[i][2:]
	name, value, hasValue := strings.Cut(arg, "=")
	var matches []installOption
	for _, o := range installOptions {
		if o.long == name {
			matches = []installOption{o}
			break
		}
		if o.long != "" && strings.HasPrefix(o.long, name) {
			matches = append(matches, o)
		}
	}
	switch {
	case len(matches) == 0:
		return i, tryHelp("unrecognized option '--" + arg + "'")
	case len(matches) > 1:
		msg := "option '--" + arg + "' is ambiguous; possibilities:"
		for _, m := range matches {
			msg += " '--" + m.long + "'"
		}
		return i, tryHelp(msg)
	}
	o := matches[0]
	switch {
	case o.arg == noArg && hasValue:
		return i, tryHelp("option '--" + o.long + "' doesn't allow an argument")
	case o.arg == requiredArg && !hasValue:
		if i+1 >= len(args) {
			return i, tryHelp("option '--" + o.long + "' requires an argument")
		}
		i++
		value, hasValue = args[i], true
	}
	return i, in.set(o, value, hasValue)
}

// parseShort takes the cluster of short options at args[i] (-Dm755, -cv,
// -m 644) and returns the index of the last argument it used.
func (in *Install) parseShort(args []string, i int) (int, error) {
	a := args[i]
	for k := 1; k < len(a); k++ {
		c := a[k]
		var o *installOption
		for j := range installOptions {
			if installOptions[j].short == c {
				o = &installOptions[j]
			}
		}
		if o == nil {
			return i, tryHelp("invalid option -- '" + string(c) + "'")
		}
		if o.arg != requiredArg { // -b and -Z take no value in their short forms
			if err := in.set(*o, "", false); err != nil || in.Info != "" {
				return i, err
			}
			continue
		}
		value := a[k+1:]
		if value == "" {
			if i+1 >= len(args) {
				return i, tryHelp("option requires an argument -- '" + string(c) + "'")
			}
			i++
			value = args[i]
		}
		return i, in.set(*o, value, true)
	}
	return i, nil
}

// set applies one option, with GNU's warnings as it meets them.
func (in *Install) set(o installOption, value string, hasValue bool) error {
	key := o.long
	if key == "" {
		key = string(o.short)
	}
	switch key {
	case "backup":
		in.Backup = true
		if hasValue {
			in.BackupControl = value
		}
	case "compare":
		in.Compare = true
	case "context":
		in.ContextSet = true
		if hasValue {
			in.Warnings = append(in.Warnings, "warning: ignoring --context; it requires an SELinux-enabled kernel")
		}
	case "directory":
		in.Directories = true
	case "group":
		in.Group, in.GroupGiven = value, true
	case "mode":
		in.ModeString, in.ModeGiven = value, true
	case "no-target-directory":
		in.NoTargetDir = true
	case "owner":
		in.Owner, in.OwnerGiven = value, true
	case "preserve-context":
		in.PreserveContext = true
		in.Warnings = append(in.Warnings, "WARNING: ignoring --preserve-context; this kernel is not SELinux-enabled")
	case "preserve-timestamps":
		in.PreserveTimes = true
	case "strip":
		in.Strip = true
	case "strip-program":
		in.StripProgram, in.StripGiven = value, true
	case "suffix":
		in.Backup, in.BackupSuffix, in.suffixGiven = true, value, true
	case "target-directory":
		if in.TargetGiven {
			return &UsageError{Msg: "multiple target directories specified"}
		}
		in.TargetDir, in.TargetGiven = value, true
	case "verbose":
		in.Verbose = true
	case "D":
		in.MakeLeading = true
	case "c": // ignored, as GNU install ignores it
	case "help", "version":
		in.Info = "--" + key
	}
	return nil
}

// check rejects the combinations GNU install rejects before it looks at
// any file, in its order, and settles -b's type and suffix.
func (in *Install) check(getenv func(string) string) error {
	switch {
	case in.Directories && in.Strip:
		return &UsageError{Msg: "the strip option may not be used when installing a directory"}
	case in.Directories && in.TargetGiven:
		return &UsageError{Msg: "target directory not allowed when installing a directory"}
	}
	in.BackupType = NoBackups
	if in.Backup {
		context, control := "backup type", in.BackupControl
		if control == "" {
			context, control = "$VERSION_CONTROL", getenv("VERSION_CONTROL")
		}
		kind, err := in.backupKind(context, control)
		if err != nil {
			return err
		}
		in.BackupType = kind
	}
	suffix := in.BackupSuffix
	if !in.suffixGiven {
		suffix = getenv("SIMPLE_BACKUP_SUFFIX")
	}
	if suffix == "" || LastComponent(suffix) != suffix {
		suffix = "~"
	}
	in.BackupSuffix = suffix
	needs := 2
	if in.Directories || in.TargetGiven {
		needs = 1
	}
	switch {
	case len(in.Operands) == 0:
		return tryHelp("missing file operand")
	case len(in.Operands) < needs:
		return tryHelp("missing destination file operand after " + in.Locale.Name(in.Operands[0]))
	case in.NoTargetDir && in.TargetGiven:
		return &UsageError{Msg: "cannot combine --target-directory (-t) and --no-target-directory (-T)"}
	case in.NoTargetDir && len(in.Operands) > 2:
		return tryHelp("extra operand " + in.Locale.Name(in.Operands[2]))
	}
	return nil
}

// Settle makes GNU install's checks that come after the target directory
// was looked at: the mode, then -C's and --strip-program's conflicts and
// warnings.
func (in *Install) Settle() error {
	if in.ModeGiven {
		mc, err := CompileMode(in.ModeString)
		if err != nil {
			return &UsageError{Msg: "invalid mode " + in.Locale.Quote(in.ModeString)}
		}
		in.Mode = mc
	}
	if in.StripGiven && !in.Strip {
		in.Warnings = append(in.Warnings, "WARNING: ignoring --strip-program option as -s option was not specified")
	}
	switch {
	case in.Compare && in.PreserveTimes:
		return tryHelp("options --compare (-C) and --preserve-timestamps are mutually exclusive")
	case in.Compare && in.Strip:
		return tryHelp("options --compare (-C) and --strip are mutually exclusive")
	}
	if in.Compare && in.FileMode()&^0o777 != 0 {
		in.Warnings = append(in.Warnings, "the --compare (-C) option is ignored when you specify a mode with non-permission bits")
	}
	return nil
}

// LastComponent is gnulib's last_component: p from the start of its last
// name, trailing slashes kept ("b/" of "a/b/", "" of "/").
func LastComponent(p string) string {
	base := strings.TrimLeft(p, "/")
	start, lastWasSlash := 0, false
	for i := 0; i < len(base); i++ {
		if base[i] == '/' {
			lastWasSlash = true
		} else if lastWasSlash {
			start, lastWasSlash = i, false
		}
	}
	return base[start:]
}

// FileMode is the mode install gives files: -m's, else 0755.
func (in *Install) FileMode() uint32 {
	if in.Mode == nil {
		return 0o755
	}
	m, _ := in.Mode.Apply(0, false, 0)
	return m
}

// DirModeBits is the mode install -d gives a directory (-m's, else 0755),
// and the bits of it that it sets: all of them without -m; with -m, the
// ones its mode names (a directory's setuid and setgid bits stay as they
// are unless named).
func (in *Install) DirModeBits() (mode, bits uint32) {
	if in.Mode == nil {
		return 0o755, modeBits
	}
	return in.Mode.Apply(0, true, 0)
}

// Backup kinds, as GNU's --backup=CONTROL and $VERSION_CONTROL name them.
const (
	NoBackups = iota
	SimpleBackups
	ExistingBackups // numbered where numbered ones exist, else simple
	NumberedBackups
)

var backupWords = []struct {
	word string
	kind int
}{{"none", NoBackups}, {"off", NoBackups}, {"simple", SimpleBackups}, {"never", SimpleBackups},
	{"existing", ExistingBackups}, {"nil", ExistingBackups}, {"numbered", NumberedBackups}, {"t", NumberedBackups}}

// BackupKind reads a --backup CONTROL word (or an unambiguous prefix of
// one, as GNU's argmatch does); "" is existing.
func BackupKind(control string) (int, error) {
	in := Install{}
	return in.backupKind("backup type", control)
}

// backupKind is gnulib's get_version: argmatch on control, and its
// message naming context when control is neither a word nor a prefix of
// words of one kind.
func (in *Install) backupKind(context, control string) (int, error) {
	if control == "" {
		return ExistingBackups, nil
	}
	kind, found := -1, 0
	for _, w := range backupWords {
		if w.word == control {
			return w.kind, nil
		}
		if strings.HasPrefix(w.word, control) && w.kind != kind {
			kind, found = w.kind, found+1
		}
	}
	if found == 1 {
		return kind, nil
	}
	msg := "invalid argument "
	if found > 1 {
		msg = "ambiguous argument "
	}
	msg += in.Locale.Quote(control) + " for " + in.Locale.Quote(context) + "\nValid arguments are:"
	for i, w := range backupWords {
		if i == 0 || backupWords[i-1].kind != w.kind {
			msg += "\n  - " + in.Locale.Quote(w.word)
		} else {
			msg += ", " + in.Locale.Quote(w.word)
		}
	}
	return 0, tryHelp(msg)
}
