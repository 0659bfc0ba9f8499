package cmdline

// StageFunc stages the output of edit e and returns the path the tool must
// write instead.
type StageFunc func(e Edit) (temp string, err error)

// Edit points one output argument at a staged path.
type Edit struct {
	// Top is the index in argv of the argument holding the path, or -1 to
	// append Flag and the path at the end (the output option came from a
	// response file, or the tool's default output is used).
	Top    int
	Prefix string // kept in front of the path in argv[Top]: "-o", "--output=", or ""
	Flag   string // with Top == -1: the option to append ("-o", "-MF")
	Target string // the output as the tool would have written it
	Side   bool
	// Seed: the tool reads its old output (it appends to it, updates it, or
	// leaves it alone when it exists), so the staged file starts as a copy
	// of it.
	Seed bool
	// Within: argv[Top] mentions Target as a word inside a longer text
	// (sh -c 'gen > out.txt'); every such mention is replaced.
	Within bool
}

// Plan is a model's decision for one invocation: plain data, applied by
// Apply.
type Plan struct {
	// Pass, when set, says why the call runs untouched.
	Pass string
	// Quiet marks a pass-through that writes no output at all (--version,
	// no input files), which verbose mode need not explain.
	Quiet   bool
	Edits   []Edit   // outputs in staging order
	Append  []string // literal arguments added after the appended edits
	Notes   []string // for verbose mode
	Outputs []string // the final outputs, for messages
	// Inputs are the files the tool reads, as named on its command line.
	// The tool refuses to write over one of them (gcc: "input file is the
	// same as output file"); staging would hide that from it, so the
	// caller runs it untouched when an output is one of these.
	Inputs []string
}

func withInputs(p Plan, inputs []string) Plan {
	if p.Pass == "" {
		p.Inputs = inputs
	}
	return p
}

func passThrough(reason string) Plan { return Plan{Pass: reason} }

// unknown is a pass-through because ldwrap could not make sense of the
// command line: verbose mode always says so, and LDWRAP_STRICT=1 fails.
func unknown(reason string) Plan { return Plan{Pass: "not understood: " + reason} }
func quiet(reason string) Plan   { return Plan{Pass: reason, Quiet: true} }

// Apply stages every edited output and returns the rewritten argv. argv is
// not modified.
func (r Plan) Apply(argv []string, stage StageFunc) ([]string, error) {
	out := append([]string(nil), argv...)
	var tail []string
	within := map[int]map[string]string{} // argv index -> output -> staged path
	for _, e := range r.Edits {
		temp, err := stage(e)
		if err != nil {
			return nil, err
		}
		switch {
		case e.Top < 0:
			tail = append(tail, e.Flag, temp)
		case e.Within:
			if within[e.Top] == nil {
				within[e.Top] = map[string]string{}
			}
			within[e.Top][e.Target] = temp
		default:
			out[e.Top] = e.Prefix + temp
		}
	}
	for i, temps := range within {
		if out[i] == argv[i] { // an edit of the whole argument wins
			out[i] = replaceWords(argv[i], temps)
		}
	}
	out = append(out, tail...)
	return append(out, r.Append...), nil
}

// editFor returns the Edit that redirects an output found at arg a, where
// value sits in a.Value after prefix (joined) or, when separate is true, in
// the argument at index valueTop.
func editFor(target string, a Arg, prefix string, separate bool, valueTop int, flag string, side bool) Edit {
	switch {
	case separate && a.Top >= 0 && valueTop >= 0:
		return Edit{Top: valueTop, Target: target, Side: side}
	case !separate && a.Top >= 0:
		return Edit{Top: a.Top, Prefix: prefix, Target: target, Side: side}
	default:
		return Edit{Top: -1, Flag: flag, Target: target, Side: side}
	}
}
