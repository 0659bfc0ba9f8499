//go:build !unix

package ldwrap

import "os"

// Off Unix, ldwrap has no engine: every call says so, so that a program or
// magefile that imports the package still builds.

// PendingFile is a file being written; off Unix, never made.
type PendingFile struct{ *os.File }

// Create returns ErrUnsupported.
func Create(path string, perm os.FileMode, opts ...FileOption) (*PendingFile, error) {
	return nil, ErrUnsupported
}

// CloseAtomicallyReplace returns ErrUnsupported.
func (p *PendingFile) CloseAtomicallyReplace() error { return ErrUnsupported }

// Cleanup does nothing.
func (p *PendingFile) Cleanup() error { return nil }

// Close does nothing.
func (p *PendingFile) Close() error { return nil }

// WriteFile returns ErrUnsupported.
func WriteFile(path string, data []byte, perm os.FileMode, opts ...FileOption) error {
	return ErrUnsupported
}

// Install returns ErrUnsupported.
func Install(src, dst string, opts ...InstallOption) error { return ErrUnsupported }

// InstallFiles returns ErrUnsupported.
func InstallFiles(pairs []FilePair, opts ...InstallOption) error { return ErrUnsupported }

// Run returns ErrUnsupported.
func Run(outputs []string, argv []string, opts ...RunOption) error { return ErrUnsupported }

// StaleUsers returns ErrUnsupported.
func StaleUsers(paths ...string) ([]StaleUse, int, error) { return nil, 0, ErrUnsupported }
