// Package gnumsg words messages as GNU coreutils does, so that a drop-in
// (ldwrap-install) says what install(1) says: file names quoted as
// coreutils' quoteaf quotes them, other words as its quote() does, and
// causes as glibc's strerror(3) has them. It ports the two styles of
// gnulib's quotearg.c that install 9.1 uses; translations of the messages
// are not carried (the English ones are GNU's in the C and C.UTF-8
// locales).
package gnumsg

import (
	"errors"
	"strings"
	"syscall"
	"unicode"
	"unicode/utf8"
)

// Locale is what the quoting depends on: whether the locale's character
// set is UTF-8 (names keep their characters, and quote() uses ‘ and ’)
// or not (bytes beyond ASCII are escaped, and quote() uses ').
type Locale struct{ UTF8 bool }

// LocaleFrom reads the locale as setlocale(LC_ALL, "") would from
// getenv: LC_ALL, else LC_CTYPE, else LANG, and looks at its charset.
func LocaleFrom(getenv func(string) string) Locale {
	for _, name := range []string{"LC_ALL", "LC_CTYPE", "LANG"} {
		v := getenv(name)
		if v == "" {
			continue
		}
		_, charset, _ := strings.Cut(v, ".")
		charset, _, _ = strings.Cut(charset, "@")
		charset = strings.ToLower(strings.ReplaceAll(charset, "-", ""))
		return Locale{UTF8: charset == "utf8"}
	}
	return Locale{}
}

// Name quotes a file name as coreutils' quoteaf does
// (shell_escape_always_quoting_style): 'name', with control characters
// and, outside UTF-8, bytes beyond ASCII as $'\ooo'; "name" for a name
// with a single quote and nothing a shell would expand.
func (l Locale) Name(s string) string { return quote(s, shellAlways, l.UTF8) }

// Quote quotes a word as coreutils' quote() does (locale_quoting_style):
// ‘word’ in a UTF-8 locale, else 'word', with C escapes.
func (l Locale) Quote(s string) string { return quote(s, localeStyle, l.UTF8) }

// Strerror is glibc's strerror text for err's errno ("No such file or
// directory"); other errors say what they say.
func Strerror(err error) string {
	var errno syscall.Errno
	if !errors.As(err, &errno) {
		return err.Error()
	}
	switch errno {
	case syscall.ESTALE:
		return "Stale file handle"
	}
	s := errno.Error()
	if s == "" {
		return s
	}
	r, n := utf8.DecodeRuneInString(s)
	return string(unicode.ToUpper(r)) + s[n:]
}

const (
	shellAlways = iota // shell_escape_always_quoting_style
	localeStyle        // locale_quoting_style
	cStyle             // c_quoting_style, what shellAlways turns into
)

// quote is gnulib's quotearg_buffer_restyled for the three styles, with
// no flags and no extra characters to quote.
func quote(arg string, style int, utf8Locale bool) string {
	var b []byte
	quoteString := ""
	shell := style == shellAlways
	switch style {
	case cStyle:
		b = append(b, '"')
		quoteString = `"`
	case localeStyle:
		left, right := "'", "'"
		if utf8Locale {
			left, right = "\u2018", "\u2019"
		}
		b = append(b, left...)
		quoteString = right
	case shellAlways:
		b = append(b, '\'')
		quoteString = "'"
	}
	pendingShellEscapeEnd, encounteredSingleQuote, allCompat := false, false, true
	for i := 0; i < len(arg); i++ {
		isRightQuote := !shell && strings.HasPrefix(arg[i:], quoteString)
		escaping, compat := false, false
		startEsc := func() {
			escaping = true
			if shell && !pendingShellEscapeEnd {
				b = append(b, '\'', '$', '\'')
				pendingShellEscapeEnd = true
			}
			b = append(b, '\\')
		}
		endEsc := func() {
			if pendingShellEscapeEnd && !escaping {
				b = append(b, '\'', '\'')
				pendingShellEscapeEnd = false
			}
		}
		c := arg[i]
		escape := byte(0) // a C escape letter for c
		special := false  // handled in full: store nothing more
		switch {
		case c == '\a', c == '\b', c == '\f', c == '\v', c == '\n', c == '\r', c == '\t':
			escape = map[byte]byte{'\a': 'a', '\b': 'b', '\f': 'f', '\v': 'v', '\n': 'n', '\r': 'r', '\t': 't'}[c]
		case c == '\\':
			if !shell {
				escape = '\\'
			}
		case c == '{' || c == '}':
			compat = len(arg) == 1
		case c == '#' || c == '~':
			compat = i == 0
		case c == ' ':
			compat = true
		case strings.IndexByte("!\"$&()*;<=>[^`|?", c) >= 0:
		case c == '\'':
			encounteredSingleQuote, compat = true, true
			if shell {
				b = append(b, '\'', '\\', '\'')
				pendingShellEscapeEnd = false
			}
		case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9', strings.IndexByte("%+,-./:]_", c) >= 0:
			compat = true
		default:
			// Unprintable bytes, and in UTF-8 whole characters: printed
			// as they are, or each byte as \ooo.
			m, printable := 1, false
			if !utf8Locale {
				printable = 0x20 <= c && c < 0x7f
			} else {
				r, n := utf8.DecodeRuneInString(arg[i:])
				switch {
				case r == utf8.RuneError && n <= 1 && !utf8.FullRuneInString(arg[i:]):
					m = len(arg) - i // an incomplete character at the end
				case r == utf8.RuneError && n <= 1:
					m = 0
				default:
					m, printable = n, isPrint(r)
				}
			}
			compat = printable
			if m > 1 || !printable {
				ilim := i + m
				for {
					if !printable {
						startEsc()
						b = append(b, '0'+c>>6, '0'+(c>>3)&7)
						c = '0' + c&7
					} else if isRightQuote {
						b = append(b, '\\')
						isRightQuote = false
					}
					if ilim <= i+1 {
						break
					}
					endEsc()
					b = append(b, c)
					i++
					c = arg[i]
				}
				special = true
			}
		}
		switch {
		case special:
		case escape != 0:
			c = escape
			startEsc()
		case isRightQuote:
			startEsc()
		}
		endEsc()
		b = append(b, c)
		if !compat {
			allCompat = false
		}
	}
	if shell && encounteredSingleQuote && allCompat {
		return quote(arg, cStyle, utf8Locale)
	}
	return string(append(b, quoteString...))
}

// isPrint is glibc's iswprint in a UTF-8 locale: every assigned character
// but the controls and the line and paragraph separators (format
// characters and private use count as printable).
func isPrint(r rune) bool {
	return unicode.In(r, unicode.L, unicode.M, unicode.N, unicode.P, unicode.S, unicode.Zs, unicode.Cf, unicode.Co)
}
