// Package ldwrap writes, installs and builds files atomically, for
// magefiles and other Go programs. It is the API of the engine behind the
// ldwrap commands.
//
// Every function here writes the new content beside the destination and
// renames it over the destination: the promise is stated once, at
// PendingFile.CloseAtomicallyReplace. WriteFile, Create and Install write
// a file with no name until the rename (on Linux); Run's command writes
// into a private directory beside each output, which keeps the output's
// basename so that files named after it (a depfile) come out right.
//
// An option's type says which calls take it (Option: every call;
// FileOption: WriteFile, Create, Install and InstallFiles; InstallOption:
// the last two; RunOption: Run): passing it to another does not compile.
//
// On Linux every promise holds. On macOS and FreeBSD the rename is the
// same, so readers still see the old file or the new one and a running
// program is never overwritten (no "Killed: 9" on macOS); a killed write
// leaves a named leftover that the next write of the destination removes,
// and StaleUsers returns ErrUnsupported. Elsewhere (Windows) every call
// returns ErrUnsupported, so that a magefile importing package atomicmage
// still compiles. The README's platform table has the details.
package ldwrap
