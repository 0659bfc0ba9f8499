package cmdline

import (
	"fmt"
	"strings"
)

// A ModeChange is a compiled chmod(1) mode: octal or symbolic ("u=rw+x,go-w",
// "a+X", "g=u"), as gnulib's modechange.c compiles it for install(1),
// chmod(1) and mkdir(1).
type ModeChange []modeOp

type modeOp struct {
	op        byte   // '=', '+' or '-'
	flag      byte   // modeOrdinary, modeXIfAnyX or modeCopyExisting
	affected  uint32 // the bits of the who letters (u, g, o, a), 0 for none
	value     uint32
	mentioned uint32
}

const (
	modeOrdinary = iota
	modeXIfAnyX
	modeCopyExisting
)

const (
	sISUID    = 0o4000
	sISGID    = 0o2000
	sISVTX    = 0o1000
	sIRWXU    = 0o700
	sIRWXG    = 0o070
	sIRWXO    = 0o007
	allRWX    = 0o777
	modeBits  = 0o7777 // CHMOD_MODE_BITS
	readBits  = 0o444
	writeBits = 0o222
	execBits  = 0o111
)

// The letters of a symbolic mode, each with the bits it names (for
// permissions, the bits it sets; X sets none: it is a condition).
const (
	whoLetters  = "ugoa"
	copyLetters = "ugo" // g=u: the permissions the file's user has
	permLetters = "rwxstX"
)

var (
	whoBits  = []uint32{sISUID | sIRWXU, sISGID | sIRWXG, sISVTX | sIRWXO, modeBits}
	copyBits = []uint32{sIRWXU, sIRWXG, sIRWXO}
	permBits = []uint32{readBits, writeBits, execBits, sISUID | sISGID, sISVTX, 0}
)

// letterBits gives the bits of the letter that starts s[i:], if it is one
// of letters.
func letterBits(s string, i int, letters string, bits []uint32) (uint32, bool) {
	if i < len(s) {
		if k := strings.IndexByte(letters, s[i]); k >= 0 {
			return bits[k], true
		}
	}
	return 0, false
}

// octal reads the octal number that starts s[i:], if one does; ok is false
// when it is more than the mode bits.
func octal(s string, i int) (n uint32, end int, ok bool) {
	for end = i; end < len(s) && s[end] >= '0' && s[end] < '8'; end++ {
		if n = n*8 + uint32(s[end]-'0'); n > modeBits {
			return 0, end, false
		}
	}
	return n, end, true
}

func isModeOp(s string, i int) bool { return i < len(s) && (s[i] == '=' || s[i] == '+' || s[i] == '-') }

// CompileMode compiles a mode string, or fails as install -m does
// ("invalid mode").
func CompileMode(s string) (ModeChange, error) {
	invalid := fmt.Errorf("mode %s: invalid", s)
	if s != "" && s[0] >= '0' && s[0] < '8' {
		n, end, ok := octal(s, 0)
		if !ok || end < len(s) {
			return nil, invalid
		}
		mentioned := uint32(modeBits)
		if end < 5 { // fewer than five digits leave a directory's setuid and setgid bits alone
			mentioned = n&(sISUID|sISGID) | sISVTX | allRWX
		}
		return ModeChange{{op: '=', flag: modeOrdinary, affected: modeBits, value: n, mentioned: mentioned}}, nil
	}
	var mc ModeChange
	for i := 0; ; i++ { // a clause: who letters, then operators, each with its permissions
		var affected uint32
		for ; ; i++ {
			b, ok := letterBits(s, i, whoLetters, whoBits)
			if !ok {
				break
			}
			affected |= b
		}
		if !isModeOp(s, i) {
			return nil, invalid
		}
		for isModeOp(s, i) {
			op := s[i]
			n, end, ok := octal(s, i+1)
			if end == i+1 {
				var m modeOp
				m, i = compileModeOp(s, i+1, op, affected)
				mc = append(mc, m)
				continue
			}
			// "+0755": an operator and an octal number, alone in its clause
			// and with no who letters; it names every bit.
			if !ok || affected != 0 || end < len(s) && s[end] != ',' {
				return nil, invalid
			}
			mc, i = append(mc, modeOp{op: op, flag: modeOrdinary, affected: modeBits, value: n, mentioned: modeBits}), end
			break
		}
		if i == len(s) {
			return mc, nil
		}
		if s[i] != ',' {
			return nil, invalid
		}
	}
}

// compileModeOp reads the permissions after an operator, at s[i:]: a
// letter to copy (g=u) or permission letters (u+rwX).
func compileModeOp(s string, i int, op byte, affected uint32) (m modeOp, end int) {
	m = modeOp{op: op, flag: modeOrdinary, affected: affected}
	if b, ok := letterBits(s, i, copyLetters, copyBits); ok {
		m.flag, m.value, i = modeCopyExisting, b, i+1
	} else {
		for ; ; i++ {
			b, ok := letterBits(s, i, permLetters, permBits)
			if !ok {
				break
			}
			m.value |= b
			if s[i] == 'X' {
				m.flag = modeXIfAnyX
			}
		}
	}
	m.mentioned = m.value
	if affected != 0 {
		m.mentioned = affected & m.value
	}
	return m, i
}

// Apply is gnulib's mode_adjust: the mode that mc gives a file (a
// directory if dir) whose mode was old, under umask; and the bits mc
// cares about.
func (mc ModeChange) Apply(old uint32, dir bool, umask uint32) (mode, bits uint32) {
	mode = old & modeBits
	for _, c := range mc {
		var omit uint32
		if dir {
			omit = (sISUID | sISGID) &^ c.mentioned
		}
		value := c.value
		switch c.flag {
		case modeCopyExisting:
			value &= mode
			var copied uint32
			if value&readBits != 0 {
				copied |= readBits
			}
			if value&writeBits != 0 {
				copied |= writeBits
			}
			if value&execBits != 0 {
				copied |= execBits
			}
			value |= copied
		case modeXIfAnyX:
			if mode&execBits != 0 || dir {
				value |= execBits
			}
		}
		if c.affected != 0 {
			value &= c.affected &^ omit
		} else {
			value &= ^umask &^ omit
		}
		switch c.op {
		case '=':
			preserved := omit
			if c.affected != 0 {
				preserved |= ^c.affected
			}
			bits |= modeBits &^ preserved
			mode = mode&preserved | value
		case '+':
			bits |= value
			mode |= value
		case '-':
			bits |= value
			mode &^= value
		}
	}
	return mode, bits
}
