package cmdline

import (
	"fmt"
	"os"
	"strconv"
	"strings"
)

// Install is an install(1) command line.
type Install struct {
	Mode          os.FileMode // 0755 unless -m
	ModeSet       bool
	Owner, Group  string
	Directories   bool // -d
	MakeLeading   bool // -D
	TargetDir     string
	NoTargetDir   bool // -T
	Compare       bool // -C
	PreserveTimes bool // -p
	Verbose       bool // -v
	Operands      []string
}

// ErrUnsupported marks install(1) options ldwrap-install rejects rather
// than silently ignore.
type ErrUnsupported struct{ Option string }

func (e ErrUnsupported) Error() string {
	return "option " + e.Option + ": not supported by ldwrap-install"
}

// installOption is one option of install(1) that ldwrap-install takes.
type installOption struct {
	short byte
	long  string // "" when GNU install has no long form
	value bool
	set   func(in *Install, value string) error
}

func flag(field func(*Install) *bool) func(*Install, string) error {
	return func(in *Install, _ string) error { *field(in) = true; return nil }
}

func text(field func(*Install) *string) func(*Install, string) error {
	return func(in *Install, v string) error { *field(in) = v; return nil }
}

// installOptions are the GNU install options that Makefiles and packagers
// use. Anything else (-s, -b, -S, -Z...) is an error, not a silent
// difference. (A function, so that the commands that do not install do not
// build it at start-up.)
func installOptions() []installOption {
	return []installOption{
		{'c', "", false, func(*Install, string) error { return nil }}, // ignored, as GNU install does
		{'d', "--directory", false, flag(func(in *Install) *bool { return &in.Directories })},
		{'D', "", false, flag(func(in *Install) *bool { return &in.MakeLeading })},
		{'T', "--no-target-directory", false, flag(func(in *Install) *bool { return &in.NoTargetDir })},
		{'C', "--compare", false, flag(func(in *Install) *bool { return &in.Compare })},
		{'p', "--preserve-timestamps", false, flag(func(in *Install) *bool { return &in.PreserveTimes })},
		{'v', "--verbose", false, flag(func(in *Install) *bool { return &in.Verbose })},
		{'m', "--mode", true, (*Install).setMode},
		{'o', "--owner", true, text(func(in *Install) *string { return &in.Owner })},
		{'g', "--group", true, text(func(in *Install) *string { return &in.Group })},
		{'t', "--target-directory", true, text(func(in *Install) *string { return &in.TargetDir })},
	}
}

func findInstallOption(match func(installOption) bool) *installOption {
	for _, o := range installOptions() {
		if match(o) {
			return &o
		}
	}
	return nil
}

// ParseInstall parses an install(1) command line.
func ParseInstall(args []string) (Install, error) {
	in := Install{Mode: 0o755}
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
	}
	return in, in.check()
}

// parseLong takes the long option at args[i] (--mode=644 or --mode 644)
// and returns the index of the last argument it used.
func (in *Install) parseLong(args []string, i int) (int, error) {
	name, value, joined := strings.Cut(args[i], "=")
	o := findInstallOption(func(o installOption) bool { return o.long == name })
	if o == nil {
		return i, ErrUnsupported{name}
	}
	if o.value && !joined {
		if i+1 >= len(args) {
			return i, fmt.Errorf("option %s: needs a value", name)
		}
		i++
		value = args[i]
	}
	return i, o.set(in, value)
}

// parseShort takes the cluster of short options at args[i] (-Dm755, -cv,
// -m 644) and returns the index of the last argument it used.
func (in *Install) parseShort(args []string, i int) (int, error) {
	a := args[i]
	for k := 1; k < len(a); k++ {
		c := a[k]
		o := findInstallOption(func(o installOption) bool { return o.short == c })
		if o == nil {
			return i, ErrUnsupported{"-" + string(c)}
		}
		value := ""
		if o.value {
			switch {
			case k+1 < len(a):
				value = a[k+1:]
			case i+1 < len(args):
				i++
				value = args[i]
			default:
				return i, fmt.Errorf("option -%c: needs a value", c)
			}
			k = len(a)
		}
		if err := o.set(in, value); err != nil {
			return i, err
		}
	}
	return i, nil
}

// check rejects the combinations install(1) rejects.
func (in *Install) check() error {
	switch {
	case in.TargetDir != "" && in.NoTargetDir:
		return fmt.Errorf("option -T: cannot be combined with -t")
	case in.Directories && (in.TargetDir != "" || in.NoTargetDir):
		return fmt.Errorf("option -d: cannot be combined with -t or -T")
	case len(in.Operands) == 0:
		return fmt.Errorf("file operand: missing")
	case !in.Directories && in.TargetDir == "" && len(in.Operands) == 1:
		return fmt.Errorf("destination after %s: missing", in.Operands[0])
	case in.NoTargetDir && len(in.Operands) > 2:
		return fmt.Errorf("operand %s: extra (-T takes one source and one destination)", in.Operands[2])
	}
	return nil
}

// setMode accepts octal modes and chmod's symbolic clauses (u+x, a=r,
// go-w,u+s), applied to a base of 0 as GNU install applies them. X and
// copying from another class (g=u) are not supported.
func (in *Install) setMode(v string) error {
	n, err := strconv.ParseUint(v, 8, 32)
	if err == nil && n > 0o7777 {
		return fmt.Errorf("mode %s: invalid", v)
	}
	mode := uint32(n)
	if err != nil {
		for _, clause := range strings.Split(v, ",") {
			if mode, err = applyModeClause(mode, clause); err != nil {
				return fmt.Errorf("mode %s: invalid", v)
			}
		}
	}
	in.Mode, in.ModeSet = fileMode(mode), true
	return nil
}

// modeWho and modePerms are the bits of chmod's letters (0: not one).
func modeWho(c byte) uint32 {
	switch c {
	case 'u':
		return 0o4700
	case 'g':
		return 0o2070
	case 'o':
		return 0o1007
	case 'a':
		return 0o7777
	}
	return 0
}

func modePerms(c rune) uint32 {
	switch c {
	case 'r':
		return 0o444
	case 'w':
		return 0o222
	case 'x':
		return 0o111
	case 's':
		return 0o6000
	case 't':
		return 0o1000
	}
	return 0
}

// applyModeClause applies one symbolic clause ([ugoa]*[+-=][rwxst]*) to mode.
func applyModeClause(mode uint32, clause string) (uint32, error) {
	i := 0
	var who uint32
	for ; i < len(clause) && modeWho(clause[i]) != 0; i++ {
		who |= modeWho(clause[i])
	}
	if who == 0 {
		who = 0o7777
	}
	if i >= len(clause) || strings.IndexByte("+-=", clause[i]) < 0 {
		return 0, fmt.Errorf("no operator")
	}
	op := clause[i]
	var perm uint32
	for _, c := range clause[i+1:] {
		if modePerms(c) == 0 {
			return 0, fmt.Errorf("bad permission %c", c)
		}
		perm |= modePerms(c)
	}
	perm &= who
	switch op {
	case '+':
		mode |= perm
	case '-':
		mode &^= perm
	default: // '='
		mode = mode&^who | perm
	}
	return mode, nil
}

func fileMode(n uint32) os.FileMode {
	m := os.FileMode(n & 0o777)
	if n&0o4000 != 0 {
		m |= os.ModeSetuid
	}
	if n&0o2000 != 0 {
		m |= os.ModeSetgid
	}
	if n&0o1000 != 0 {
		m |= os.ModeSticky
	}
	return m
}
