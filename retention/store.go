package retention

import (
	"context"
	"io"
)

// Store is where a location's files live: a directory tree or a bucket.
// Every destructive operation checks that its target still matches the
// snapshot the plan took.
type Store interface {
	// Open opens a file for reading and returns its current snapshot.
	Open(ctx context.Context, path string) (io.ReadCloser, Snapshot, error)
	// Remove deletes a file.
	Remove(ctx context.Context, path string, snap Snapshot) error
	// Rewrite replaces a file, whole, with what write produces.
	Rewrite(ctx context.Context, path string, snap Snapshot, write func(io.Writer) error) (int64, error)
	// Quarantine moves a file into the local folder qdir (mode 0600).
	Quarantine(ctx context.Context, path string, snap Snapshot, qdir string) (string, error)
	Close() error
}

// treeStore adapts a Tree to Store.
type treeStore struct{ *Tree }

func (t treeStore) Open(_ context.Context, path string) (io.ReadCloser, Snapshot, error) {
	f, fi, err := t.Tree.Open(path)
	if err != nil {
		return nil, Snapshot{}, err
	}
	return f, SnapshotOf(fi), nil
}

func (t treeStore) Remove(_ context.Context, path string, snap Snapshot) error {
	return t.Tree.Remove(path, snap)
}

func (t treeStore) Rewrite(_ context.Context, path string, snap Snapshot, write func(io.Writer) error) (int64, error) {
	return t.Tree.Rewrite(path, snap, write)
}

func (t treeStore) Quarantine(_ context.Context, path string, snap Snapshot, qdir string) (string, error) {
	return t.Tree.Quarantine(path, snap, qdir)
}
