package cmdline

import "fmt"

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

// CompileMode compiles a mode string, or fails as install -m does
// ("invalid mode").
func CompileMode(s string) (ModeChange, error) {
	invalid := fmt.Errorf("mode %s: invalid", s)
	if s != "" && s[0] >= '0' && s[0] < '8' {
		var n uint32
		i := 0
		for ; i < len(s) && s[i] >= '0' && s[i] < '8'; i++ {
			n = n*8 + uint32(s[i]-'0')
			if n > modeBits {
				return nil, invalid
			}
		}
		if i < len(s) {
			return nil, invalid
		}
		mentioned := uint32(modeBits)
		if i < 5 { // fewer than five digits leave a directory's setuid and setgid bits alone
			mentioned = n&(sISUID|sISGID) | sISVTX | allRWX
		}
		return ModeChange{{op: '=', flag: modeOrdinary, affected: modeBits, value: n, mentioned: mentioned}}, nil
	}
	var mc ModeChange
	i := 0
	for {
		var affected uint32
	who:
		for ; i < len(s); i++ {
			switch s[i] {
			case 'u':
				affected |= sISUID | sIRWXU
			case 'g':
				affected |= sISGID | sIRWXG
			case 'o':
				affected |= sISVTX | sIRWXO
			case 'a':
				affected |= modeBits
			case '=', '+', '-':
				break who
			default:
				return nil, invalid
			}
		}
		if i >= len(s) {
			return nil, invalid
		}
		for i < len(s) && (s[i] == '=' || s[i] == '+' || s[i] == '-') {
			op := s[i]
			i++
			m := modeOp{op: op, flag: modeCopyExisting, affected: affected}
			if i < len(s) && s[i] >= '0' && s[i] < '8' {
				// "+0755": an operator and an octal number, alone in its
				// clause and with no who letters; it names every bit.
				var n uint32
				for ; i < len(s) && s[i] >= '0' && s[i] < '8'; i++ {
					n = n*8 + uint32(s[i]-'0')
					if n > modeBits {
						return nil, invalid
					}
				}
				if affected != 0 || i < len(s) && s[i] != ',' {
					return nil, invalid
				}
				mc = append(mc, modeOp{op: op, flag: modeOrdinary, affected: modeBits, value: n, mentioned: modeBits})
				break
			}
			if i < len(s) && (s[i] == 'u' || s[i] == 'g' || s[i] == 'o') {
				m.value = map[byte]uint32{'u': sIRWXU, 'g': sIRWXG, 'o': sIRWXO}[s[i]]
				i++
			} else {
				m.flag = modeOrdinary
			perms:
				for ; i < len(s); i++ {
					switch s[i] {
					case 'r':
						m.value |= readBits
					case 'w':
						m.value |= writeBits
					case 'x':
						m.value |= execBits
					case 's':
						m.value |= sISUID | sISGID
					case 't':
						m.value |= sISVTX
					case 'X':
						m.flag = modeXIfAnyX
					default:
						break perms
					}
				}
			}
			m.mentioned = m.value
			if affected != 0 {
				m.mentioned = affected & m.value
			}
			mc = append(mc, m)
		}
		if i < len(s) && s[i] == ',' {
			i++
			continue
		}
		if i == len(s) {
			return mc, nil
		}
		return nil, invalid
	}
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
