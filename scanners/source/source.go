package source

import "context"

// Source is where the items of some targets come from: files on disk,
// objects in a bucket. A scan asks its sources in turn, and the first that
// handles a target walks it. An item opens itself (Item.Open for a file,
// Item.Opener for anything else), so a Source only lists.
type Source interface {
	// Handles reports whether target is one of this source's.
	Handles(target string) bool
	// Walk calls funcs.Item for each item of target, in order, with
	// Item.Cursor set where the source can resume a listing from it (a
	// checkpoint). What cannot be read, the target itself included, is
	// reported to funcs.Error (a target that names nothing with an error
	// that is ErrMissing) and the walk goes on. Walk returns an error only
	// when funcs.Item does or ctx ends.
	Walk(ctx context.Context, target string, funcs WalkFuncs) error
}

// Files is the source of files and directories on disk, named pipes and
// standard input ("-"). It handles every target: ask it last.
type Files struct {
	Options WalkOptions
}

// Handles reports true: any target is a path.
func (Files) Handles(string) bool { return true }

// Walk walks target as Walk does.
func (f Files) Walk(ctx context.Context, target string, funcs WalkFuncs) error {
	return Walk(ctx, []string{target}, f.Options, funcs)
}
