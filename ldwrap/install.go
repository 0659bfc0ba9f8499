//go:build unix

package ldwrap

import (
	"errors"

	"github.com/ldwrap/ldwrap/ldwrap/internal/install"
)

// Install copies src to dst atomically and (by default) durably, with
// src's permission bits unless WithMode says otherwise: an atomic
// sh.Copy. It is what ldwrap-install does for each file.
func Install(src, dst string, opts ...Option) error {
	return installFiles("Install", []FilePair{{src, dst}}, opts)
}

// InstallFiles installs each pair as Install does. Durable, files share
// commits (one syncfs(2) per 64 files rather than an fsync per file). A
// pair that fails (a missing source, say) leaves its destination alone and
// does not stop the others; the error is then Errors, one per failure.
func InstallFiles(pairs []FilePair, opts ...Option) error {
	return installFiles("InstallFiles", pairs, opts)
}

func installFiles(call string, pairs []FilePair, opts []Option) error {
	c, err := newConfig(call, true, installOptions, opts)
	if err != nil {
		return err
	}
	o := install.Options{Engine: c.engineOptions(), Uid: c.uid, Gid: c.gid, PreserveTimes: c.preserveTimes}
	if c.given&optMode != 0 {
		o.Mode, o.ModeSet = c.mode, true
	}
	ps := make([]install.Pair, len(pairs))
	for i, p := range pairs {
		ps[i] = install.Pair{Src: p.Src, Dst: p.Dst}
	}
	err = install.Files(ps, o)
	var errs install.Errors
	if errors.As(err, &errs) {
		if len(errs) == 1 {
			return errs[0]
		}
		return Errors(errs)
	}
	return err
}
