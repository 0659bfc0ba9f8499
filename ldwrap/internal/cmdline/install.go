package cmdline

import (
	"fmt"
	"sort"
	"strings"
)

// Install is an install(1) command line, read as GNU install 9.1 reads it
// (getopt_long: options anywhere before "--", clustered short options,
// long options by any unique prefix).
type Install struct {
	Mode          ModeChange // nil: the default, 0755
	ModeString    string     // -m as given; compiled by the checks, after the operands', as GNU does
	modeGiven     bool
	Owner, Group  string
	Directories   bool // -d
	MakeLeading   bool // -D
	TargetDir     string
	NoTargetDir   bool // -T
	Compare       bool // -C
	PreserveTimes bool // -p
	Verbose       bool // -v
	Strip         bool // -s
	StripProgram  string
	Backup        bool   // -b, --backup, -S
	BackupControl string // --backup=CONTROL; "" means $VERSION_CONTROL, else existing
	BackupSuffix  string // -S; "" means $SIMPLE_BACKUP_SUFFIX, else "~"
	// Context (-Z, --context[=CTX]) and PreserveContext ask for SELinux
	// labels, which ldwrap-install does not set.
	Context         string
	ContextSet      bool
	PreserveContext bool
	Info            string // --help or --version
	Operands        []string
	// Warnings are what GNU install warns about and goes on.
	Warnings []string
}

// UsageError is a command line install(1) rejects before doing anything.
type UsageError struct{ Msg string }

func (e *UsageError) Error() string { return e.Msg }

func usagef(format string, args ...interface{}) error {
	return &UsageError{fmt.Sprintf(format, args...)}
}

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

// installOptions are GNU install 9.1's.
var installOptions = []installOption{
	{"backup", 'b', optionalArg}, {"compare", 'C', noArg}, {"context", 'Z', optionalArg},
	{"directory", 'd', noArg}, {"group", 'g', requiredArg}, {"mode", 'm', requiredArg},
	{"no-target-directory", 'T', noArg}, {"owner", 'o', requiredArg},
	{"preserve-context", 0, noArg}, {"preserve-timestamps", 'p', noArg}, {"strip", 's', noArg},
	{"strip-program", 0, requiredArg}, {"suffix", 'S', requiredArg},
	{"target-directory", 't', requiredArg}, {"verbose", 'v', noArg},
	{"help", 0, noArg}, {"version", 0, noArg},
	{"", 'c', noArg}, {"", 'D', noArg},
}

// ParseInstall parses an install(1) command line and checks the
// combinations GNU install rejects.
func ParseInstall(args []string) (Install, error) {
	in := Install{}
	for i := 0; i < len(args); i++ {
		a := args[i]
		var err error
		switch {
		case a == "--":
			in.Operands = append(in.Operands, args[i+1:]...)
			i = len(args)
		case a == "-" || !strings.HasPrefix(a, "-"):
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
	return in, in.check()
}

// parseLong takes the long option at args[i] (--mode=644, --mode 644, or a
// unique prefix: --mo=644) and returns the index of the last argument used.
func (in *Install) parseLong(args []string, i int) (int, error) {
	name, value, hasValue := strings.Cut(args[i][2:], "=")
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
		return i, usagef("option --%s: unrecognized", name)
	case len(matches) > 1:
		var names []string
		for _, m := range matches {
			names = append(names, "--"+m.long)
		}
		sort.Strings(names)
		return i, usagef("option --%s: ambiguous (%s)", name, strings.Join(names, ", "))
	}
	o := matches[0]
	switch {
	case o.arg == noArg && hasValue:
		return i, usagef("option --%s: takes no value", o.long)
	case o.arg == requiredArg && !hasValue:
		if i+1 >= len(args) {
			return i, usagef("option --%s: needs a value", o.long)
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
			return i, usagef("option -%c: invalid", c)
		}
		if o.arg != requiredArg { // -b and -Z take no value in their short forms
			if err := in.set(*o, "", false); err != nil {
				return i, err
			}
			continue
		}
		value := a[k+1:]
		if value == "" {
			if i+1 >= len(args) {
				return i, usagef("option -%c: needs a value", c)
			}
			i++
			value = args[i]
		}
		return i, in.set(*o, value, true)
	}
	return i, nil
}

// set applies one option.
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
		in.Context, in.ContextSet = value, true
	case "directory":
		in.Directories = true
	case "group":
		in.Group = value
	case "mode":
		in.ModeString, in.modeGiven = value, true
	case "no-target-directory":
		in.NoTargetDir = true
	case "owner":
		in.Owner = value
	case "preserve-context":
		in.PreserveContext = true
	case "preserve-timestamps":
		in.PreserveTimes = true
	case "strip":
		in.Strip = true
	case "strip-program":
		in.StripProgram = value
	case "suffix":
		in.Backup, in.BackupSuffix = true, value
	case "target-directory":
		if in.TargetDir != "" {
			return usagef("option -t: multiple target directories specified")
		}
		in.TargetDir = value
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

// check rejects the combinations GNU install rejects, in its order, and
// notes what it warns about.
func (in *Install) check() error {
	switch {
	case in.Directories && in.Strip:
		return usagef("option -s: may not be used when installing a directory")
	case in.Directories && in.TargetDir != "":
		return usagef("option -t: not allowed when installing a directory")
	}
	if in.BackupControl != "" {
		if _, err := BackupKind(in.BackupControl); err != nil {
			return err
		}
	}
	needs := 2
	if in.Directories || in.TargetDir != "" {
		needs = 1
	}
	switch {
	case len(in.Operands) == 0:
		return usagef("file operand: missing")
	case len(in.Operands) < needs:
		return usagef("destination after %s: missing", in.Operands[0])
	case in.NoTargetDir && in.TargetDir != "":
		return usagef("option -T: cannot be combined with -t")
	case in.NoTargetDir && len(in.Operands) > 2:
		return usagef("operand %s: extra (-T takes one source and one destination)", in.Operands[2])
	}
	if in.modeGiven {
		mc, err := CompileMode(in.ModeString)
		if err != nil {
			return usagef("mode %s: invalid", in.ModeString)
		}
		in.Mode = mc
	}
	if in.StripProgram != "" && !in.Strip {
		in.Warnings = append(in.Warnings, "option --strip-program: ignored without -s")
	}
	switch {
	case in.Compare && in.Strip:
		return usagef("option -C: cannot be combined with -s")
	case in.Compare && in.PreserveTimes:
		return usagef("option -C: cannot be combined with -p")
	}
	if in.Compare && in.FileMode()&^0o777 != 0 {
		in.Warnings = append(in.Warnings, "option -C: ignored with a mode that has setuid, setgid or sticky bits")
	}
	if in.ContextSet && in.Context != "" {
		in.Warnings = append(in.Warnings, "option --context: ignored; it needs an SELinux-enabled kernel")
	}
	if in.PreserveContext {
		in.Warnings = append(in.Warnings, "option --preserve-context: ignored; it needs an SELinux-enabled kernel")
	}
	return nil
}

// FileMode is the mode install gives files: -m's, else 0755.
func (in *Install) FileMode() uint32 {
	if in.Mode == nil {
		return 0o755
	}
	m, _ := in.Mode.Apply(0, false, 0)
	return m
}

// DirModeBits is the mode install -d gives a new directory (-m's, else
// 0755), and the bits of it that it sets on one that exists.
func (in *Install) DirModeBits() (mode, bits uint32) {
	if in.Mode == nil {
		return 0o755, 0o7777 &^ (sISUID | sISGID)
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

// BackupKind reads a --backup CONTROL word (or an unambiguous prefix of
// one, as GNU's argmatch does).
func BackupKind(control string) (int, error) {
	words := []struct {
		word string
		kind int
	}{{"none", NoBackups}, {"off", NoBackups}, {"simple", SimpleBackups}, {"never", SimpleBackups},
		{"existing", ExistingBackups}, {"nil", ExistingBackups}, {"numbered", NumberedBackups}, {"t", NumberedBackups}}
	kind, found := -1, 0
	for _, w := range words {
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
	return 0, usagef("backup type %s: invalid (none, off, simple, never, existing, nil, numbered, t)", control)
}
