package layer

import "errors"

var errTodo = errors.New("not yet")

// Prepare finishes or sweeps what a killed run on root left (Recover),
// then makes root's staging layer: Dir beside root, on its filesystem,
// with upper/ and work/. It waits while another run on root holds its
// stage: two runs on one root are serialized.
func Prepare(root string) (*Stage, error) { return PrepareWith(root, nil) }

// PrepareWith is Prepare with logf told of waits and recoveries.
func PrepareWith(root string, logf func(string, ...interface{})) (*Stage, error) {
	return nil, errTodo
}

// Recover finishes the commit a killed run on root left (its journal was
// complete), or removes its stage (it was not).
func Recover(root string) error { return errTodo }

// Remove removes the stage and everything in it, and releases its lock.
func (s *Stage) Remove() error { return errTodo }

// Changes walks upper/, after the overlay is unmounted, and returns what it
// changes under Root, parents before children.
func (s *Stage) Changes(userxattr bool) ([]Change, error) { return nil, errTodo }

// Commit applies changes (from Changes) to the real tree.
func (s *Stage) Commit(changes []Change, opts CommitOptions) error { return errTodo }
