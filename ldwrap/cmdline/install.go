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

// ParseInstall parses the GNU install options that Makefiles and packagers
// use. -c is accepted and ignored, as GNU install does.
func ParseInstall(args []string) (Install, error) {
	in := Install{Mode: 0o755}
	value := func(i *int, a, name string) (string, error) {
		if j := strings.IndexByte(a, '='); j >= 0 && strings.HasPrefix(a, "--") {
			return a[j+1:], nil
		}
		if !strings.HasPrefix(a, "--") && len(a) > 2 {
			return a[2:], nil
		}
		if *i+1 >= len(args) {
			return "", fmt.Errorf("option %s needs a value", name)
		}
		*i++
		return args[*i], nil
	}
	onlyOperands := false
	for i := 0; i < len(args); i++ {
		a := args[i]
		if onlyOperands || a == "-" || !strings.HasPrefix(a, "-") {
			in.Operands = append(in.Operands, a)
			continue
		}
		if a == "--" {
			onlyOperands = true
			continue
		}
		long := strings.HasPrefix(a, "--")
		name := a
		if long {
			if j := strings.IndexByte(a, '='); j >= 0 {
				name = a[:j]
			}
		}
		switch {
		case long:
			var err error
			switch name {
			case "--mode":
				var v string
				if v, err = value(&i, a, name); err == nil {
					err = in.setMode(v)
				}
			case "--owner":
				in.Owner, err = value(&i, a, name)
			case "--group":
				in.Group, err = value(&i, a, name)
			case "--target-directory":
				in.TargetDir, err = value(&i, a, name)
			case "--directory":
				in.Directories = true
			case "--no-target-directory":
				in.NoTargetDir = true
			case "--compare":
				in.Compare = true
			case "--preserve-timestamps":
				in.PreserveTimes = true
			case "--verbose":
				in.Verbose = true
			default:
				return in, ErrUnsupported{name}
			}
			if err != nil {
				return in, err
			}
			continue
		}
		// A cluster of short options: -Dm755, -cv, -m 644.
		for k := 1; k < len(a); k++ {
			c := a[k]
			rest := a[k+1:]
			takeValue := func() (string, error) {
				if rest != "" {
					k = len(a)
					return rest, nil
				}
				if i+1 >= len(args) {
					return "", fmt.Errorf("option -%c needs a value", c)
				}
				i++
				k = len(a)
				return args[i], nil
			}
			var err error
			var v string
			switch c {
			case 'c':
			case 'd':
				in.Directories = true
			case 'D':
				in.MakeLeading = true
			case 'T':
				in.NoTargetDir = true
			case 'C':
				in.Compare = true
			case 'p':
				in.PreserveTimes = true
			case 'v':
				in.Verbose = true
			case 'm':
				if v, err = takeValue(); err == nil {
					err = in.setMode(v)
				}
			case 'o':
				in.Owner, err = takeValue()
			case 'g':
				in.Group, err = takeValue()
			case 't':
				in.TargetDir, err = takeValue()
			default:
				return in, ErrUnsupported{"-" + string(c)}
			}
			if err != nil {
				return in, err
			}
		}
	}
	switch {
	case in.TargetDir != "" && in.NoTargetDir:
		return in, fmt.Errorf("cannot combine --target-directory (-t) and --no-target-directory (-T)")
	case in.Directories && (in.TargetDir != "" || in.NoTargetDir):
		return in, fmt.Errorf("-d cannot be combined with -t or -T")
	case len(in.Operands) == 0:
		return in, fmt.Errorf("missing file operand")
	case !in.Directories && in.TargetDir == "" && len(in.Operands) == 1:
		return in, fmt.Errorf("missing destination file operand after %s", in.Operands[0])
	case in.NoTargetDir && len(in.Operands) > 2:
		return in, fmt.Errorf("extra operand %s", in.Operands[2])
	}
	return in, nil
}

// setMode accepts octal modes and chmod's symbolic clauses (u+x, a=r,
// go-w,u+s), applied to a base of 0 as GNU install applies them. X and
// copying from another class (g=u) are not supported.
func (in *Install) setMode(v string) error {
	if n, err := strconv.ParseUint(v, 8, 32); err == nil {
		if n > 0o7777 {
			return fmt.Errorf("invalid mode %s", v)
		}
		in.Mode, in.ModeSet = fileMode(uint32(n)), true
		return nil
	}
	mode := uint32(0)
	for _, clause := range strings.Split(v, ",") {
		i := 0
		var who uint32
		for ; i < len(clause) && strings.IndexByte("ugoa", clause[i]) >= 0; i++ {
			who |= map[byte]uint32{'u': 0o4700, 'g': 0o2070, 'o': 0o1007, 'a': 0o7777}[clause[i]]
		}
		if who == 0 {
			who = 0o7777
		}
		if i >= len(clause) || strings.IndexByte("+-=", clause[i]) < 0 {
			return fmt.Errorf("invalid mode %s", v)
		}
		op := clause[i]
		var perm uint32
		for _, c := range clause[i+1:] {
			switch c {
			case 'r':
				perm |= 0o444
			case 'w':
				perm |= 0o222
			case 'x':
				perm |= 0o111
			case 's':
				perm |= 0o6000
			case 't':
				perm |= 0o1000
			default:
				return fmt.Errorf("invalid mode %s", v)
			}
		}
		perm &= who
		switch op {
		case '+':
			mode |= perm
		case '-':
			mode &^= perm
		case '=':
			mode = mode&^(who&0o7777) | perm
		}
	}
	in.Mode, in.ModeSet = fileMode(mode), true
	return nil
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
