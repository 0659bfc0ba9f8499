//go:build ldwrap_portable

package engine

import (
	"golang.org/x/sys/unix"

	"github.com/ldwrap/ldwrap/ldwrap/internal/rawio"
)

// The portable build on Linux gives link the semantics of link(2) on
// macOS and the BSDs, which follows a symlink at from (Linux's does not),
// so that the tests meet it here.
func init() { sys.link = linkFollowing }

func linkFollowing(from, to string) error {
	return rawio.Linkat(from, to, unix.AT_SYMLINK_FOLLOW)
}
