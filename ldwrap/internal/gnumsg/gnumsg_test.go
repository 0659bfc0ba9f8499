package gnumsg

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/stretchr/testify/assert"
)

// tricky are names and words that take every path of quotearg: quotes,
// shell specials, controls, bytes beyond ASCII (a character, a broken
// one, one cut short), and characters special only first or alone.
var tricky = []string{"a", "b c", "q'x", `"`, "é'", "é", "a\nb", "\t", "\x01", "\xff", "a\xc3", "\xc3\xa9\xff'",
	`\`, `a\b'`, "~x", "x~", "#x", "x#", "{", "{}", "}", "@", "a'@b", "it's ok", "$x", "a'$", "?", "\u2019",
	"\u00a0", "\u200b", "\u2028", "\ue000", "\u0378", "\u0085", "\u00ad", "\U0001f600", "", "'", "''", "-", "a%+,-./:]_b"}

// The quoting is GNU install 9.1's, word for word, in the C locale and in
// C.UTF-8 (install missing X says quoteaf(X); install -g X says quote(X)).
func TestQuotingIsGNUs(t *testing.T) {
	gnu, err := exec.LookPath("install")
	if err != nil {
		t.Skip("no GNU install to compare with")
	}
	if v, _ := exec.Command(gnu, "--version").Output(); !strings.Contains(string(v), "(GNU coreutils) 9.1\n") {
		t.Skip("the install here is not GNU install 9.1 (Bazel 7's chroot has a later one)")
	}
	// What follows the message's own words; the program's name before
	// them is argv[0], however the test found it.
	after := func(out []byte, words string) string {
		s := string(out)
		if i := strings.Index(s, words); i >= 0 {
			return s[i+len(words):]
		}
		return s
	}
	dir := t.TempDir()
	for _, locale := range []string{"C", "C.UTF-8"} {
		l := LocaleFrom(func(k string) string {
			if k == "LC_ALL" {
				return locale
			}
			return ""
		})
		for _, s := range tricky {
			if s == "" {
				continue // an empty -g is no group name
			}
			cmd := exec.Command(gnu, s, filepath.Join(dir, "x"))
			cmd.Env = []string{"LC_ALL=" + locale}
			out, _ := cmd.CombinedOutput()
			want := strings.TrimSuffix(after(out, ": cannot stat "), ": No such file or directory\n")
			assert.Equal(t, want, l.Name(s), "%s: quoteaf %q", locale, s)

			cmd = exec.Command(gnu, "-g", s, "a", "b")
			cmd.Env = []string{"LC_ALL=" + locale}
			out, _ = cmd.CombinedOutput()
			want = strings.TrimSuffix(after(out, ": invalid group "), "\n")
			assert.Equal(t, want, l.Quote(s), "%s: quote %q", locale, s)
		}
	}
}

// The same, written out, for where GNU install is not at hand.
func TestQuoting(t *testing.T) {
	c, u := Locale{}, Locale{UTF8: true}
	for s, want := range map[string][2]string{ // C, C.UTF-8
		"a":     {"'a'", "'a'"},
		"b c":   {"'b c'", "'b c'"},
		"q'x":   {`"q'x"`, `"q'x"`},
		"é'":    {`''$'\303\251'\'''`, `"é'"`},
		"a\nb":  {`'a'$'\n''b'`, `'a'$'\n''b'`},
		"$x":    {"'$x'", "'$x'"},
		"a'$":   {`'a'\''$'`, `'a'\''$'`},
		"\xff'": {`''$'\377'\'''`, `''$'\377'\'''`},
	} {
		assert.Equal(t, want, [2]string{c.Name(s), u.Name(s)}, "%q", s)
	}
	assert.Equal(t, `'q\'x'`, c.Quote("q'x"))
	assert.Equal(t, "\u2018q'x\u2019", u.Quote("q'x"))
	assert.Equal(t, `'\303\251\\'`, c.Quote(`é\`))
}

func TestLocaleFrom(t *testing.T) {
	env := func(kv ...string) func(string) string {
		return func(k string) string {
			for i := 0; i+1 < len(kv); i += 2 {
				if kv[i] == k {
					return kv[i+1]
				}
			}
			return ""
		}
	}
	assert.True(t, LocaleFrom(env("LANG", "C.UTF-8")).UTF8)
	assert.True(t, LocaleFrom(env("LC_CTYPE", "en_US.utf8@euro", "LANG", "C")).UTF8)
	assert.False(t, LocaleFrom(env("LC_ALL", "C", "LANG", "C.UTF-8")).UTF8, "LC_ALL wins")
	assert.False(t, LocaleFrom(env()).UTF8)
}

func TestStrerror(t *testing.T) {
	assert.Equal(t, "No such file or directory", Strerror(syscall.ENOENT))
	assert.Equal(t, "Not a directory", Strerror(&os.PathError{Op: "open", Path: "x", Err: syscall.ENOTDIR}))
	assert.Equal(t, "Stale file handle", Strerror(syscall.ESTALE))
}
