package engine

// posixSys is the table of a system with nothing beyond POSIX: link(2) to
// refuse replacing a file (none for directories: staging directories then
// keep their random names and every run sweeps), no unnamed files (a
// staging directory instead), fsync per file.
var posixSys = sysCalls{
	renameNoReplace: renameNoReplaceByLink,
	exchange:        noExchange,
	openUnnamed:     noUnnamed,
	reopenUnnamed:   noReopen,
	linkUnnamed:     noLink,
	syncFS:          noSyncFS,
	syncFile:        fsync,
	random:          randomBytes,
}
