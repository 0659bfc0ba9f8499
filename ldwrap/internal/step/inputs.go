package step

import (
	"golang.org/x/sys/unix"

	"github.com/ldwrap/ldwrap/ldwrap/internal/cmdline"
	"github.com/ldwrap/ldwrap/ldwrap/internal/rawio"
)

// OutputIsInput returns the input of p that one of its outputs names (the
// same file, by any name or symlink), or "". Compilers and linkers refuse
// to write over an input, comparing files as this does; a staged output
// would slip past that check and the commit would replace the input.
// Inputs are looked at only when an output exists, which a first build's
// do not.
func OutputIsInput(p cmdline.Plan) string {
	var outs []unix.Stat_t
	for _, e := range p.Edits {
		var st unix.Stat_t
		if rawio.Stat(e.Target, &st) == nil {
			outs = append(outs, st)
		}
	}
	if len(outs) == 0 {
		return ""
	}
	for _, in := range p.Inputs {
		var st unix.Stat_t
		if rawio.Stat(in, &st) != nil {
			continue
		}
		for _, o := range outs {
			if o.Dev == st.Dev && o.Ino == st.Ino {
				return in
			}
		}
	}
	return ""
}
