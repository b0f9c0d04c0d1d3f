// Package retention enforces a policy's retention and placement rules on
// files: it decides what is expired, held or disallowed (a plan), and
// carries the plan out safely (deletes, atomic rewrites, quarantine),
// recording every action in the audit log.
package retention

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/piiscan/piiscan/internal/flock"
)

// Tree is a configured root directory. Every destructive operation goes
// through it: names are resolved inside the root with os.Root, so no path,
// ".." or symbolic link can reach a file outside it, even if the tree
// changes while piiscan runs.
type Tree struct {
	dir  string // absolute, cleaned
	root *os.Root
	// writers, when set, finds processes that hold a file open for
	// writing; one that does stops its removal or replacement.
	writers *writers
	// LiveWithin: a file modified this recently may still get lines
	// appended by a writer that opens it for each line; after a rewrite
	// they are carried over for a moment longer.
	LiveWithin time.Duration
}

// OpenTree opens dir as a root.
func OpenTree(dir string) (*Tree, error) {
	abs, err := filepath.Abs(dir)
	if err != nil {
		return nil, err
	}
	r, err := os.OpenRoot(abs)
	if err != nil {
		return nil, err
	}
	return &Tree{dir: abs, root: r}, nil
}

// Close releases the root.
func (t *Tree) Close() error { return t.root.Close() }

// Dir returns the root directory.
func (t *Tree) Dir() string { return t.dir }

// ErrOutside means a path is not inside the tree.
var ErrOutside = errors.New("outside the configured roots")

// ErrChanged means a file changed between planning and acting on it.
var ErrChanged error = reasonError("changed since it was planned (still being written?)")

// reasonError is an error whose text names no path or value, so the audit
// log may record it as the reason an action failed.
type reasonError string

func (e reasonError) Error() string { return string(e) }

// AuditReason is the text the audit log records.
func (e reasonError) AuditReason() string { return string(e) }

// Rel returns path relative to the tree, or ErrOutside.
func (t *Tree) Rel(path string) (string, error) {
	abs, err := filepath.Abs(path)
	if err != nil {
		return "", err
	}
	rel, err := filepath.Rel(t.dir, abs)
	if err != nil || rel == "." || rel == ".." || strings.HasPrefix(rel, ".."+string(filepath.Separator)) {
		return "", fmt.Errorf("%s: %w", path, ErrOutside)
	}
	return rel, nil
}

// Contains reports whether path is inside the tree (by name; symbolic
// links are caught when acting).
func (t *Tree) Contains(path string) bool {
	_, err := t.Rel(path)
	return err == nil
}

// regular returns the Lstat of a regular file in the tree: symbolic links
// and anything else are refused.
func (t *Tree) regular(rel string) (fs.FileInfo, error) {
	fi, err := t.root.Lstat(rel)
	if err != nil {
		return nil, err
	}
	if !fi.Mode().IsRegular() {
		return nil, fmt.Errorf("%s: not a regular file (%v): left alone", rel, fi.Mode().Type())
	}
	return fi, nil
}

// Snapshot is what a plan saw of a file: acting on it is refused if it
// no longer matches.
type Snapshot struct {
	Size    int64
	ModTime time.Time
	// ETag identifies an object's content in a bucket.
	ETag string
}

// SnapshotOf returns the snapshot of fi.
func SnapshotOf(fi fs.FileInfo) Snapshot { return Snapshot{Size: fi.Size(), ModTime: fi.ModTime()} }

// Same reports whether two snapshots show the same content.
func (s Snapshot) Same(o Snapshot) bool {
	if s.ETag != "" || o.ETag != "" {
		return s.ETag == o.ETag
	}
	return s.Size == o.Size && s.ModTime.Equal(o.ModTime)
}

// Open opens a regular file of the tree for reading.
func (t *Tree) Open(path string) (*os.File, fs.FileInfo, error) {
	rel, err := t.Rel(path)
	if err != nil {
		return nil, nil, err
	}
	fi, err := t.regular(rel)
	if err != nil {
		return nil, nil, err
	}
	f, err := t.root.Open(rel)
	return f, fi, err
}

// Remove deletes a regular file that still matches snap, and syncs its
// directory.
func (t *Tree) Remove(path string, snap Snapshot) error {
	rel, err := t.Rel(path)
	if err != nil {
		return err
	}
	fi, err := t.regular(rel)
	if err != nil {
		return err
	}
	if err := t.busy(fi); err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	if fi, err = t.regular(rel); err != nil || !snap.Same(SnapshotOf(fi)) {
		return fmt.Errorf("%s: %w", path, ErrChanged)
	}
	if err := t.root.Remove(rel); err != nil {
		return err
	}
	return t.syncDir(filepath.Dir(rel))
}

// TempPrefix starts the names of piiscan's temporary files; a run that is
// killed may leave one behind, which the next run removes.
const TempPrefix = ".piiscan-tmp-"

// Rewrite replaces a regular file atomically with what write produces:
// the new content goes to a temporary file in the same directory, is
// synced, gets the old file's mode, owner (when permitted) and
// modification time, and is renamed over the old file only if that still
// matches snap; then the directory is synced. At every moment the path
// holds either the whole old or the whole new content.
//
// The modification time is kept because the content did not get newer:
// dropping expired records must not make a file look fresh to the next
// age check.
func (t *Tree) Rewrite(path string, snap Snapshot, write func(io.Writer) error) (newSize int64, err error) {
	rel, err := t.Rel(path)
	if err != nil {
		return 0, err
	}
	fi, err := t.regular(rel)
	if err != nil {
		return 0, err
	}
	if !snap.Same(SnapshotOf(fi)) {
		return 0, fmt.Errorf("%s: %w", path, ErrChanged)
	}
	tmp := filepath.Join(filepath.Dir(rel), TempPrefix+randomSuffix()+"-"+filepath.Base(rel))
	f, err := t.root.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return 0, err
	}
	// A second descriptor holds a lock on the temporary file until the
	// rename: the clean-up of a concurrent run leaves it alone.
	if guard, err := t.root.Open(tmp); err == nil {
		flock.TryLock(guard)
		defer guard.Close()
	}
	done := false
	defer func() {
		if !done {
			f.Close()
			t.root.Remove(tmp)
		}
	}()
	cw := &countWriter{w: f}
	if err := write(cw); err != nil {
		return 0, err
	}
	if err := f.Sync(); err != nil {
		return 0, err
	}
	if err := f.Close(); err != nil {
		return 0, err
	}
	if err := t.root.Chmod(tmp, fi.Mode().Perm()); err != nil {
		return 0, err
	}
	if uid, gid, ok := owner(fi); ok {
		// Only root may give a file away; a non-root run keeps its own
		// uid, which is the owner's when it can rewrite the file at all.
		if err := t.root.Chown(tmp, uid, gid); err != nil && !errors.Is(err, fs.ErrPermission) {
			return 0, err
		}
	}
	if err := t.root.Chtimes(tmp, fi.ModTime(), fi.ModTime()); err != nil {
		return 0, err
	}
	// The writers are looked for first (reading /proc takes a while),
	// then the snapshot is compared right before the rename, to keep the
	// window in which an append could be lost as short as it can be.
	if err := t.busy(fi); err != nil {
		return 0, fmt.Errorf("%s: %w", path, err)
	}
	// The old file stays open across the rename: a writer that opens the
	// file for each line may still append to it between the last check
	// and the rename, and those lines are carried over to the new file.
	old, err := t.root.Open(rel)
	if err != nil {
		return 0, fmt.Errorf("%s: %w", path, ErrChanged)
	}
	defer old.Close()
	now, err := old.Stat()
	if err != nil || !snap.Same(SnapshotOf(now)) || !os.SameFile(now, fi) {
		return 0, fmt.Errorf("%s: %w", path, ErrChanged)
	}
	if err := t.root.Rename(tmp, rel); err != nil {
		return 0, err
	}
	done = true
	if err := t.syncDir(filepath.Dir(rel)); err != nil {
		return cw.n, err
	}
	// A writer that opened the old file just before the rename may write
	// a moment later. For a file written recently, look again until no
	// process holds the old file open for writing and it has stayed the
	// same for a while (at most two seconds).
	total, size := cw.n, snap.Size
	recent := time.Since(now.ModTime()) < t.LiveWithin
	deadline := time.Now().Add(2 * time.Second)
	for quiet := 0; ; {
		n, err := t.carryOver(old, rel, size)
		total, size = total+n, size+n
		if err != nil {
			return total, err
		}
		if !recent {
			return total, nil
		}
		if n > 0 || t.busy(now) != nil {
			quiet = 0
		} else {
			quiet++
		}
		if quiet >= 3 || time.Now().After(deadline) {
			return total, nil
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// carryOver appends to the file now at rel what was appended to old, the
// file it replaced, past size: the lines a writer wrote in the moment
// between the last check and the rename.
func (t *Tree) carryOver(old *os.File, rel string, size int64) (int64, error) {
	fi, err := old.Stat()
	if err != nil || fi.Size() <= size {
		return 0, err
	}
	f, err := t.root.OpenFile(rel, os.O_WRONLY|os.O_APPEND, 0)
	if err != nil {
		return 0, fmt.Errorf("lines appended during the rewrite could not be carried over: %w", err)
	}
	defer f.Close()
	n, err := io.Copy(f, io.NewSectionReader(old, size, fi.Size()-size))
	if err == nil {
		err = f.Sync()
	}
	if err != nil {
		return n, fmt.Errorf("lines appended during the rewrite could not be carried over: %w", err)
	}
	return n, nil
}

// busy says why fi must not be removed or replaced now (see inUse).
func (t *Tree) busy(fi fs.FileInfo) error { return inUse(fi, t.writers, true) }

// ErrLinked means a file has other names, which would keep its data.
var ErrLinked error = reasonError("the data would stay at the file's other names")

// syncDir makes a rename or removal in dir durable.
func (t *Tree) syncDir(dir string) error {
	d, err := t.root.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	if err := d.Sync(); err != nil && !errors.Is(err, errors.ErrUnsupported) && !isEINVAL(err) {
		return err
	}
	return nil
}

// CleanTemp removes temporary files left by a killed run in the tree. A
// temporary file that a running process still holds locked (a concurrent
// run's rewrite) is left alone.
func (t *Tree) CleanTemp() (int, error) {
	n := 0
	err := fs.WalkDir(t.root.FS(), ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return nil
		}
		if !d.IsDir() && d.Type().IsRegular() && strings.HasPrefix(d.Name(), TempPrefix) && removeUnlocked(t.root, p) {
			n++
		}
		return nil
	})
	return n, err
}

// removeUnlocked removes the temporary file name in root unless a running
// process holds its lock.
func removeUnlocked(root *os.Root, name string) bool {
	f, err := root.Open(name)
	if err != nil {
		return false
	}
	defer f.Close()
	return flock.TryLock(f) && root.Remove(name) == nil
}

// Quarantine moves a regular file that still matches snap into the
// directory qdir (see quarantine). It returns the new path.
func (t *Tree) Quarantine(path string, snap Snapshot, qdir string) (string, error) {
	return quarantine(context.Background(), treeStore{t}, path, snap, qdir)
}

// quarantineCopy copies r into the folder qdir (created with mode 0700)
// as a file of mode 0600 named TIME-name: a temporary file, fsynced, then
// linked into place, never over an earlier copy (two paths can flatten to
// the same name: a/b and a_b), then the folder is fsynced. It returns the
// path of the copy.
func quarantineCopy(r io.Reader, qdir, name string) (string, error) {
	if err := os.MkdirAll(qdir, 0o700); err != nil {
		return "", err
	}
	q, err := os.OpenRoot(qdir)
	if err != nil {
		return "", err
	}
	defer q.Close()
	tmp := TempPrefix + randomSuffix()
	dst, err := q.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return "", err
	}
	defer q.Remove(tmp)
	if guard, err := q.Open(tmp); err == nil {
		flock.TryLock(guard) // see Tree.Rewrite
		defer guard.Close()
	}
	if _, err := io.Copy(dst, r); err != nil {
		dst.Close()
		return "", err
	}
	if err := dst.Sync(); err != nil {
		dst.Close()
		return "", err
	}
	if err := dst.Close(); err != nil {
		return "", err
	}
	name = time.Now().UTC().Format("20060102T150405Z") + "-" + name
	err = q.Link(tmp, name)
	for try := 0; errors.Is(err, fs.ErrExist) && try < 10; try++ {
		name += "-" + randomSuffix()[:4]
		err = q.Link(tmp, name)
	}
	if err != nil {
		return "", err
	}
	if d, err := q.Open("."); err == nil {
		d.Sync()
		d.Close()
	}
	return filepath.Join(qdir, name), nil
}

func randomSuffix() string {
	var b [6]byte
	rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

type countWriter struct {
	w io.Writer
	n int64
}

func (c *countWriter) Write(p []byte) (int, error) {
	n, err := c.w.Write(p)
	c.n += int64(n)
	return n, err
}
