//go:build unix

package ldwrap

import (
	"errors"

	"github.com/ldwrap/ldwrap/ldwrap/internal/stale"
)

// StaleUsers returns the processes that still run, map or hold open an old
// version of one of paths: files, or directories meaning every file under
// them (symlinks resolved). A deleted file is an old version of its path
// when that path now names another file on the same filesystem.
// uninspected counts the processes whose /proc entries could not be read
// (other users', when not root; even root may not read a sandbox's pid 1);
// they may be users too. Off Linux it
// returns ErrUnsupported.
func StaleUsers(paths ...string) (uses []StaleUse, uninspected int, err error) {
	res, err := stale.Scan(paths)
	if errors.Is(err, stale.ErrUnsupported) {
		return nil, 0, ErrUnsupported
	}
	for _, u := range res.Uses {
		uses = append(uses, StaleUse{PID: u.PID, Comm: u.Comm, Kind: u.Kind.String(), Path: u.Path, Unit: u.Unit, Service: u.Service})
	}
	return uses, res.Denied, err
}
