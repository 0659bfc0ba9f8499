package cmdline

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// The modes install -m gives (mode_adjust from 0, umask 0), checked
// against GNU install 9.1 on bookworm.
func TestCompileMode(t *testing.T) {
	for s, want := range map[string][2]uint32{ // file, directory
		"0": {0, 0}, "644": {0o644, 0o644}, "04755": {0o4755, 0o4755}, "u=rw+x": {0o700, 0o700},
		"u=rw,go=r": {0o644, 0o644}, "a+X": {0, 0o111}, "+x": {0o111, 0o111}, "g=u": {0, 0},
		"u=rwx,g=u": {0o770, 0o770}, "u+s,u=rwx": {0o700, 0o4700}, "a=rwx,o-w": {0o775, 0o775},
		"ug=rw,o=": {0o660, 0o660}, "u=rwxs": {0o4700, 0o4700}, "=t": {0o1000, 0o1000},
		"a=r,u+w": {0o644, 0o644}, "go-rwx,u=x": {0o100, 0o100}, "g+s": {0o2000, 0o2000},
		"o+t": {0o1000, 0o1000}, "+s": {0o6000, 0o6000}, "2755": {0o2755, 0o2755},
		"u=rwx,g=rx,o=rx": {0o755, 0o755}, "=": {0, 0}, "a=": {0, 0}, "-w": {0, 0},
		"7777": {0o7777, 0o7777}, "0007777": {0o7777, 0o7777},
		"+0755": {0o755, 0o755}, "=0": {0, 0}, "-7": {0, 0}, "+0755,u+s": {0o4755, 0o4755}, "a=r,+0111": {0o555, 0o555},
	} {
		mc, err := CompileMode(s)
		require.NoError(t, err, s)
		f, _ := mc.Apply(0, false, 0)
		d, _ := mc.Apply(0, true, 0)
		assert.Equal(t, want, [2]uint32{f, d}, "%s: %o %o", s, f, d)
	}
	for _, bad := range []string{"", "8", "01777777", "u", "q=r", "u=rw,", "u=rz", "u+rw;", ",u=r", "u=r,,g=r", "17777",
		"u+0", "+0755u", "+0755+x", "0755,u+s", "+8", "+017777"} {
		_, err := CompileMode(bad)
		assert.Error(t, err, bad)
	}
}
