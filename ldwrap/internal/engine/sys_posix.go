package engine

import "github.com/ldwrap/ldwrap/ldwrap/internal/rawio"

// posixSys is the table of a system with nothing beyond POSIX: link(2) to
// refuse replacing a file (none for directories: staging directories then
// keep their random names and every run sweeps), no unnamed files (a
// staging directory instead), fsync per file.
var posixSys = sysCalls{
	exchange:      noExchange,
	openUnnamed:   noUnnamed,
	reopenUnnamed: noReopen,
	linkUnnamed:   noLink,
	syncFS:        noSyncFS,
	syncFile:      fsync,
	random:        randomBytes,
	link:          linkNoFollow,
	dirNames:      rawio.DirentNames,
	xattrNames:    osXattrNames,
}

// renameNoReplaceByLink calls sys.link, so it cannot be in the initializer
// of a table that becomes sys (an initialization cycle): a table that
// leaves renameNoReplace unset gets it here.
func init() {
	if sys.renameNoReplace == nil {
		sys.renameNoReplace = renameNoReplaceByLink
	}
}
