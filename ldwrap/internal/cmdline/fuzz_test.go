package cmdline

import (
	"strconv"
	"strings"
	"testing"
)

// quoteWord quotes w so that SplitResponse reads it back as one word.
func quoteWord(w string) string {
	var b strings.Builder
	b.WriteByte('"')
	for i := 0; i < len(w); i++ {
		if w[i] == '"' || w[i] == '\\' {
			b.WriteByte('\\')
		}
		b.WriteByte(w[i])
	}
	b.WriteByte('"')
	return b.String()
}

// FuzzSplitResponse: splitting never panics, and a quoted word list reads
// back as the same list.
func FuzzSplitResponse(f *testing.F) {
	f.Add("-o 'a b' \"c\\\"d\" e\\ f")
	f.Add("@nested.rsp\n-Wl,-rpath,'$ORIGIN'")
	f.Fuzz(func(t *testing.T, s string) {
		words := SplitResponse(s)
		var quoted []string
		for _, w := range words {
			quoted = append(quoted, quoteWord(w))
		}
		again := SplitResponse(strings.Join(quoted, " \n\t"))
		if len(again) != len(words) {
			t.Fatalf("%q: %q -> %q", s, words, again)
		}
		for i := range words {
			if again[i] != words[i] {
				t.Fatalf("%q: word %d %q -> %q", s, i, words[i], again[i])
			}
		}
		Expand([]string{"@x", s}, func(string) ([]byte, error) { return []byte(s), nil })
	})
}

// FuzzParseInstall: no input panics; an accepted mode holds nothing but
// permission, setuid, setgid and sticky bits; an octal -m gives exactly
// those bits; without -m the mode is 0755.
func FuzzParseInstall(f *testing.F) {
	f.Add("-Dm644 -o root a b")
	f.Add("-m u+x,go=rx -t dir a b c")
	f.Add("--mode=4755 -T a b")
	f.Add("-m 7777 a b")
	f.Add("--mo=u=rw+x --backup=nu -S .old a b")
	f.Add("a b")
	f.Fuzz(func(t *testing.T, line string) {
		argv := strings.Split(line, " ")
		in, err := ParseInstall(argv, nil)
		if err != nil || in.Info != "" || in.Settle() != nil {
			return
		}
		if m := in.FileMode(); m&^0o7777 != 0 {
			t.Fatalf("%q: mode %o has other bits", line, m)
		}
		if in.Mode == nil && in.FileMode() != 0o755 {
			t.Fatalf("%q: no -m but mode %o", line, in.FileMode())
		}
		// With a single "-m N" (octal, and no other mode option), the mode
		// is exactly N.
		if strings.Count(line, "-m") == 1 && !strings.Contains(line, "--m") {
			for i, a := range argv {
				if a != "-m" || i+1 >= len(argv) {
					continue
				}
				n, err := strconv.ParseUint(argv[i+1], 8, 32)
				if err != nil || n > 0o7777 {
					continue
				}
				if in.FileMode() != uint32(n) {
					t.Fatalf("%q: mode %o, want %o", line, in.FileMode(), n)
				}
			}
		}
	})
}

// FuzzPlanRun: only the named outputs are staged, and only an argument
// equal to an output changes: every other argument stays as it was.
func FuzzPlanRun(f *testing.F) {
	f.Add("out", "build -o out --x=out out2")
	f.Add("out", "-c gen>out;cp out out.tmp 'out'")
	f.Fuzz(func(t *testing.T, out, line string) {
		argv := strings.Split(line, " ")
		r, err := PlanRun([]string{out}, argv, RunOptions{})
		if err != nil {
			return
		}
		got, err := r.Apply(argv, fakeStage)
		if err != nil {
			t.Fatal(err)
		}
		for i, a := range argv {
			if got[i] != a && !(a == out && got[i] == "T/"+out) {
				t.Fatalf("%q: argument %q became %q", out, a, got[i])
			}
		}
		for _, e := range r.Edits {
			if e.Target != out {
				t.Fatalf("staged %q, not an output", e.Target)
			}
		}
	})
}

// FuzzPlanAr: no command line panics; a staged one stages one argument of
// its own, seeded, and changes no other.
func FuzzPlanAr(f *testing.F) {
	f.Add("rcs lib.a a.o b.o")
	f.Add("--plugin /p.so -r -c lib.a -v a.o")
	f.Add("rb a.o lib.a b.o")
	f.Fuzz(func(t *testing.T, line string) {
		argv := strings.Split(line, " ")
		r := PlanAr(argv, func(string) ([]byte, error) { return []byte(line), nil }, nil)
		if r.Pass != "" {
			return
		}
		if len(r.Edits) != 1 || !r.Edits[0].Seed || r.Edits[0].Top < 0 || argv[r.Edits[0].Top] != r.Edits[0].Target {
			t.Fatalf("%q: edits %+v", line, r.Edits)
		}
		got, err := r.Apply(argv, fakeStage)
		if err != nil {
			t.Fatal(err)
		}
		for i, a := range argv {
			if got[i] != a && i != r.Edits[0].Top {
				t.Fatalf("%q: argument %q became %q", line, a, got[i])
			}
		}
	})
}
