package retention

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/piiscan/piiscan/scanners/source"
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
	// QuarantineName is the flat file name a quarantined copy of path
	// takes.
	QuarantineName(path string) (string, error)
	Close() error
}

// quarantine moves a file that still matches snap into the local folder
// qdir (created 0700 if missing) as a file of mode 0600: the copy is
// written and synced under a temporary name, renamed into place, and only
// then is the original removed. It returns the new path; with an error
// wrapping ErrStillLinked too, when the original's name was removed but
// its data is still reachable through another name (the copy stays).
func quarantine(ctx context.Context, st Store, path string, snap Snapshot, qdir string) (string, error) {
	name, err := st.QuarantineName(path)
	if err != nil {
		return "", err
	}
	src, now, err := st.Open(ctx, path)
	if err != nil {
		return "", err
	}
	defer src.Close()
	if !snap.Same(now) {
		return "", fmt.Errorf("%s: %w", path, ErrChanged)
	}
	dst, err := quarantineCopy(source.ContextReader(ctx, src), qdir, name)
	if err != nil {
		return "", err
	}
	if err := st.Remove(ctx, path, snap); errors.Is(err, ErrStillLinked) {
		return dst, err
	} else if err != nil {
		// The original stays, so the copy goes: a second raw copy that
		// no audit entry names must not be left behind.
		if rerr := os.Remove(dst); rerr != nil {
			return dst, fmt.Errorf("quarantined a copy but could not remove the original (%w), nor the copy: %v", err, rerr)
		}
		return "", fmt.Errorf("not quarantined: the original could not be removed: %w", err)
	}
	return dst, nil
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

func (t treeStore) QuarantineName(path string) (string, error) {
	rel, err := t.Rel(path)
	if err != nil {
		return "", err
	}
	return strings.ReplaceAll(rel, string(filepath.Separator), "_"), nil
}
