package retention

import (
	"context"
	"io"
	"path/filepath"
	"time"

	"github.com/piiscan/piiscan/config"
	"github.com/piiscan/piiscan/internal/itempath"
	"github.com/piiscan/piiscan/policy"
	"github.com/piiscan/piiscan/scanners/bucket"
	"github.com/piiscan/piiscan/scanners/source"
)

// place is where the files of a location are: on the local file system
// (fileSide) or in a bucket (objectSide). Retention plans and acts on
// both alike except where a place says otherwise. placeOf chooses it once
// per root or per path a scan found; an Item keeps it (see Item.where).
type place interface {
	// walk calls w.fn for every file of w.loc under root.
	walk(ctx context.Context, w *locationWalk, root string) error
	// snapshot returns the current snapshot of path, of loc.
	snapshot(ctx context.Context, objects *bucket.Client, loc *config.Location, path string) (Snapshot, error)
	// head opens path, of loc, to read how it begins (at least its
	// first 64 KiB); nil when it cannot be opened.
	head(ctx context.Context, objects *bucket.Client, loc *config.Location, path string) io.ReadCloser
	// age returns how long before now a file last modified at mod was
	// written, for enforcement.live_within.
	age(mod, now time.Time) time.Duration
	// inUse says why the file s describes must not be removed or
	// replaced although it is quiet (see inUse); nil: it may be.
	inUse(s Snapshot, w *writers) error
	// holdNames returns the names by which a legal hold may cover path.
	holdNames(path string) []string
	// addOwn adds path, one of piiscan's own, to o; own reports whether
	// path is one of o.
	addOwn(o *ownFiles, path string)
	own(o *ownFiles, path string) bool
	// originalTimeInMeta reports whether a rewrite by piiscan keeps a
	// file's original modification time in its metadata, which a listing
	// does not show (see needsHead), rather than as its time.
	originalTimeInMeta() bool
	// lockHeld returns why a lock of the store itself (S3 Object Lock)
	// protects path, or "": locks caches what each bucket says.
	lockHeld(ctx context.Context, locks *bucketLocks, path string, now time.Time) (string, error)
	// store returns the store of x that holds path, of loc.
	store(x *Executor, loc *config.Location, path string) (Store, error)
	// batchStore returns the store of x that deletes path, of loc, in
	// a batch with others of its store; nil, for a file removed alone.
	batchStore(x *Executor, loc *config.Location, path string) (*objectStore, error)
}

// placeOf returns where path is: in a bucket when it is an s3:// URL, on
// the file system otherwise. It is the one place in retention that tells
// them apart by the path; it is asked once per location root and per path
// a scan found, and what it says stays with what was found there.
func placeOf(path string) place {
	if itempath.IsObject(path) {
		return objectSide{}
	}
	return fileSide{}
}

// where returns the place of the item: the one it was found in, or, for
// an item made without one (Item is exported, and tests make them), the
// one its path names, as placeOf says.
func (it *Item) where() place {
	if it.at == nil {
		return placeOf(it.Path)
	}
	return it.at
}

// locationWalk is what walkLocation hands each root's place.
type locationWalk struct {
	loc     *config.Location
	objects *bucket.Client
	own     *ownFiles
	// seen are the local files already found under another root.
	seen  map[string]bool
	fn    func(at place, path string, snap Snapshot)
	onErr func(path string, err error)
}

// fileSide is the local file system as a place.
type fileSide struct{}

// walk walks the folder (or file) root; each file's snapshot is taken
// from the root without following a symbolic link. piiscan's own files
// are left out.
func (fileSide) walk(ctx context.Context, w *locationWalk, root string) error {
	// A root that cannot be opened yields no items (the walk says
	// why).
	b, berr := openBelow(root)
	err := source.Walk(ctx, []string{root}, source.WalkOptions{}, source.WalkFuncs{
		Item: func(it source.Item) error {
			if w.seen[it.Path] || w.own.Covers(it.Path) || !policy.Contains(w.loc, it.Path) {
				return nil
			}
			w.seen[it.Path] = true
			if berr != nil {
				w.onErr(it.Path, berr)
				return nil
			}
			fi, err := b.lstat(it.Path)
			if err != nil {
				w.onErr(it.Path, err)
				return nil
			}
			w.fn(fileSide{}, it.Path, SnapshotOf(fi))
			return nil
		},
		Error:   w.onErr,
		Skipped: func(string, string) {},
	})
	if berr == nil {
		b.Close()
	}
	return err
}

// snapshot looks at the file from the location's root, without following
// a symbolic link.
func (fileSide) snapshot(_ context.Context, _ *bucket.Client, loc *config.Location, path string) (Snapshot, error) {
	fi, err := lstatIn(loc, path)
	if err != nil {
		return Snapshot{}, err
	}
	return SnapshotOf(fi), nil
}

// head never blocks on a FIFO or device swapped in for the file.
func (fileSide) head(_ context.Context, _ *bucket.Client, loc *config.Location, path string) io.ReadCloser {
	f, err := openIn(loc, path)
	if err != nil {
		return nil
	}
	return f
}

// age is taken by the plan's clock and by the real one: --now set ahead
// for an audit must not make a file written a second ago look quiet.
func (fileSide) age(mod, now time.Time) time.Duration {
	return min(now.Sub(mod), time.Since(mod))
}

func (fileSide) inUse(s Snapshot, w *writers) error { return inUse(s, w, false) }

// holdNames are path and, when it differs, its real path: a location
// configured through a symbolic link is still held by a hold written with
// the real path, and the other way round.
func (fileSide) holdNames(path string) []string {
	names := []string{path}
	if real, err := filepath.EvalSymlinks(path); err == nil {
		if abs, err := filepath.Abs(path); err != nil || real != abs {
			names = append(names, real)
		}
	}
	return names
}

func (fileSide) addOwn(o *ownFiles, path string)   { o.add(path) }
func (fileSide) own(o *ownFiles, path string) bool { return o.Covers(path) }
func (fileSide) originalTimeInMeta() bool          { return false }
func (fileSide) lockHeld(context.Context, *bucketLocks, string, time.Time) (string, error) {
	return "", nil
}

// store is the tree of the location root that holds path.
func (fileSide) store(x *Executor, loc *config.Location, path string) (Store, error) {
	best, err := rootOf(loc, path)
	if err != nil {
		return nil, err
	}
	return x.treeAt(best)
}

func (fileSide) batchStore(*Executor, *config.Location, string) (*objectStore, error) {
	return nil, nil
}
