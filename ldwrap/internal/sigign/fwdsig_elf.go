//go:build linux && (amd64 || arm64) && !ldwrap_portable

package sigign

import (
	"encoding/binary"
	"syscall"

	"golang.org/x/sys/unix"

	"github.com/ldwrap/ldwrap/ldwrap/internal/rawio"
)

// nsig is the runtime's _NSIG on Linux: fwdSig has one entry per signal,
// 0 to 64. (FreeBSD's is 33, and it has no /proc/self/mem by default: no
// use trying there.)
const nsig = 65

const (
	symbolName  = "runtime.fwdSig"
	symbolSize  = nsig * 8
	elfSymSize  = 24 // Elf64_Sym
	chunk       = 4096
	maxScan     = 256 << 10
	sigIgnValue = 1 // SIG_IGN
)

// inherited lists the signals whose action was SIG_IGN when the process
// started, from runtime.fwdSig, or what the runtime reports where that
// cannot be read.
func inherited() []syscall.Signal {
	addr, ok := fwdSigAddr()
	if !ok {
		return knownToRuntime()
	}
	mem, err := rawio.Open("/proc/self/mem", unix.O_RDONLY|unix.O_CLOEXEC, 0)
	if err != nil {
		return knownToRuntime()
	}
	defer unix.Close(mem)
	var buf [symbolSize]byte
	if n, err := rawio.Pread(mem, buf[:], int64(addr)); err != nil || n != len(buf) {
		return knownToRuntime()
	}
	var sigs []syscall.Signal
	for i := 1; i < nsig; i++ {
		if binary.LittleEndian.Uint64(buf[i*8:]) == sigIgnValue {
			sigs = append(sigs, syscall.Signal(i))
		}
	}
	return sigs
}

// fwdSigAddr finds runtime.fwdSig in this executable's ELF symbol table.
// Go's linker writes the data symbols last, and fwdSig lives in the last
// data section, so the table is read backwards, a page at a time, and
// only the names of objects of fwdSig's size are compared. Position-
// independent executables would need their load address: not attempted.
func fwdSigAddr() (uint64, bool) {
	fd, err := rawio.Open("/proc/self/exe", unix.O_RDONLY|unix.O_CLOEXEC, 0)
	if err != nil {
		return 0, false
	}
	defer unix.Close(fd)
	le := binary.LittleEndian
	var eh [64]byte
	if n, err := rawio.Pread(fd, eh[:], 0); err != nil || n != len(eh) || string(eh[:4]) != "\x7fELF" || eh[4] != 2 || eh[5] != 1 {
		return 0, false
	}
	if le.Uint16(eh[16:]) != 2 { // ET_EXEC: not position-independent
		return 0, false
	}
	shoff, shentsize, shnum := int64(le.Uint64(eh[0x28:])), int(le.Uint16(eh[0x3a:])), int(le.Uint16(eh[0x3c:]))
	if shentsize != 64 || shnum == 0 || shnum > 128 {
		return 0, false
	}
	var sh [64 * 128]byte
	if n, err := rawio.Pread(fd, sh[:shnum*64], shoff); err != nil || n != shnum*64 {
		return 0, false
	}
	var symOff, symSize, strOff int64
	for i := 0; i < shnum; i++ {
		s := sh[i*64:]
		if le.Uint32(s[4:]) == 2 { // SHT_SYMTAB
			symOff, symSize = int64(le.Uint64(s[0x18:])), int64(le.Uint64(s[0x20:]))
			if link := int(le.Uint32(s[0x28:])); link < shnum {
				strOff = int64(le.Uint64(sh[link*64+0x18:]))
			}
		}
	}
	if symSize == 0 || strOff == 0 {
		return 0, false // stripped
	}
	var page [chunk]byte
	var name [len(symbolName) + 1]byte
	end := symOff + symSize - symSize%elfSymSize
	for scanned := int64(0); end > symOff && scanned < maxScan; {
		start := end - chunk + chunk%elfSymSize
		if start < symOff {
			start = symOff
		}
		n, err := rawio.Pread(fd, page[:end-start], start)
		if err != nil || int64(n) != end-start {
			return 0, false
		}
		for off := n - elfSymSize; off >= 0; off -= elfSymSize {
			s := page[off:]
			if s[4]&0xf != 1 || le.Uint64(s[16:]) != symbolSize { // STT_OBJECT of fwdSig's size
				continue
			}
			if m, err := rawio.Pread(fd, name[:], strOff+int64(le.Uint32(s))); err == nil && m == len(name) &&
				string(name[:len(symbolName)]) == symbolName && name[len(symbolName)] == 0 {
				return le.Uint64(s[8:]), true
			}
		}
		scanned += end - start
		end = start
	}
	return 0, false
}
