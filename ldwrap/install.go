//go:build unix

package ldwrap

import "github.com/ldwrap/ldwrap/ldwrap/internal/install"

// Install copies src to dst atomically and (by default) durably, with
// src's permission bits unless WithMode says otherwise: an atomic
// sh.Copy. It is what ldwrap-install does for each file.
func Install(src, dst string, opts ...InstallOption) error {
	return InstallFiles([]FilePair{{src, dst}}, opts...)
}

// InstallFiles installs each pair as Install does. Durable, files share
// commits (one syncfs(2) per 64 files rather than an fsync per file). A
// pair that fails (a missing source, say) leaves its destination alone and
// does not stop the others; the error is then Errors, one per failure.
func InstallFiles(pairs []FilePair, opts ...InstallOption) error {
	c := newConfig(true, opts)
	o := install.Options{Engine: c.engineOptions(), Mode: c.mode, Uid: c.uid, Gid: c.gid, PreserveTimes: c.preserveTimes}
	ps := make([]install.Pair, len(pairs))
	for i, p := range pairs {
		ps[i] = install.Pair{Src: p.Src, Dst: p.Dst}
	}
	switch errs := install.Files(ps, o); len(errs) {
	case 0:
		return nil
	case 1:
		return errs[0]
	default:
		return Errors(errs)
	}
}
