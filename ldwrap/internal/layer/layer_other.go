//go:build !linux

package layer

// Prepare, Recover and the commit need overlayfs: Linux only.

func Prepare(root string) (*Stage, error) { return nil, ErrUnsupported }
func PrepareWith(root string, logf func(string, ...interface{})) (*Stage, error) {
	return nil, ErrUnsupported
}
func TryPrepare(root string, logf func(string, ...interface{})) (*Stage, error) {
	return nil, ErrUnsupported
}
func Recover(root string) error                                    { return ErrUnsupported }
func (s *Stage) Remove() error                                     { return ErrUnsupported }
func (s *Stage) Changes(userxattr bool) ([]Change, error)          { return nil, ErrUnsupported }
func (s *Stage) Commit(changes []Change, opts CommitOptions) error { return ErrUnsupported }
