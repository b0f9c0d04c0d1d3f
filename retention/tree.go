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
	"slices"
	"strings"
	"time"

	"github.com/piiscan/piiscan/internal/flock"
	"github.com/piiscan/piiscan/internal/itempath"
	"github.com/piiscan/piiscan/internal/openat"
)

// Tree is a configured root directory. Every destructive operation goes
// through it, relative to the directory opened as the root: each
// directory below it is opened one component at a time without following
// a symbolic link (see package openat), the file is opened or checked on a
// descriptor, and removals and renames happen in the directory that was
// opened. So no path, "..", symbolic link (inside the root or out of it),
// FIFO or device swapped in while piiscan runs can make an action reach
// another file than the one planned, which is told by its device and inode
// (Snapshot.ID), not by its size and time.
type Tree struct {
	dir    string // absolute, cleaned
	top    *openat.Dir
	rootID openat.ID
	// writers, when set, finds processes that hold a file open for
	// writing; one that does stops its removal or replacement.
	writers *writers
	// LiveWithin: a file modified this recently may still get lines
	// appended by a writer that opens it for each line; after a rewrite
	// they are carried over for a moment longer.
	LiveWithin time.Duration
	// held, when set, are the identities legal holds cover: an action on
	// a file that has one, or is reached through a folder that has one,
	// is refused (a held folder was moved into the path).
	held *heldSet
}

// OpenTree opens dir as a root.
func OpenTree(dir string) (*Tree, error) {
	abs, err := filepath.Abs(dir)
	if err != nil {
		return nil, err
	}
	top, err := openat.Open(abs)
	if err != nil {
		return nil, err
	}
	id, err := top.ID()
	if err != nil {
		top.Close()
		return nil, err
	}
	return &Tree{dir: abs, top: top, rootID: id}, nil
}

// Close releases the root.
func (t *Tree) Close() error { return t.top.Close() }

// Dir returns the root directory.
func (t *Tree) Dir() string { return t.dir }

// ErrOutside means a path is not inside the tree.
var ErrOutside = errors.New("outside the configured roots")

// ErrChanged means a file changed between planning and acting on it.
var ErrChanged error = reasonError("changed since it was planned (still being written?)")

// ErrRedirected means a file's path no longer leads to a regular file
// through directories only: a symbolic link, a FIFO, a device or another
// special file was swapped in since it was planned.
var ErrRedirected error = reasonError("a symbolic link or special file is now in its path")

// ErrRootMoved means the location's root was renamed or replaced while
// piiscan acted in it.
var ErrRootMoved error = reasonError("the location's root was moved or replaced")

// ErrStillLinked means an action was done on a file's name, but the
// planned file's data is still reachable through another name: a hard
// link was made after the last check, or the name was swapped for another
// file in the instant between the check and the unlink or rename (which
// then removed or replaced that file instead).
var ErrStillLinked error = reasonError("the old data is still reachable through another name of the file (a hard link made, or the name swapped, right before the action)")

// heldError means an action was refused because the file, or a folder on
// its way from the root, is under a legal hold: told by its device and
// inode, since the path that led there is not held (a held folder was
// renamed or exchanged into it after the holds were resolved).
type heldError struct{ path, hold string }

func (e *heldError) Error() string { return e.path + ": " + e.AuditReason() }

// AuditReason is the text the audit log records.
func (e *heldError) AuditReason() string {
	return "under legal hold: " + e.hold + " (told by device and inode: a held folder or file is now at this path)"
}

// holdMovedError means a hold's path led to another folder right before an
// action than when the holds were resolved (see ErrHoldMoved).
type holdMovedError struct{ path, why string }

func (e *holdMovedError) Error() string { return e.path + ": " + ErrHoldMoved.Error() + ": " + e.why }

func (e *holdMovedError) Unwrap() error { return ErrHoldMoved }

// heldAt refuses id, the identity of path or of a folder on its way, when
// a hold covers it.
func (t *Tree) heldAt(path string, id openat.ID) error {
	if r := t.held.reason(id); r != "" {
		return &heldError{path: path, hold: r}
	}
	return nil
}

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

// rootInPlace refuses to act when the root's path no longer leads to the
// directory opened as the root: it was renamed (and maybe replaced) since.
func (t *Tree) rootInPlace() error {
	fi, err := os.Stat(t.dir)
	if err != nil || openat.IDOf(fi) != t.rootID {
		return fmt.Errorf("%s: %w", t.dir, ErrRootMoved)
	}
	return nil
}

// dirOf opens the directory of path, below the root, without following a
// symbolic link, and returns it with the file's name in it.
func (t *Tree) dirOf(path string) (*openat.Dir, string, error) {
	rel, err := t.Rel(path)
	if err != nil {
		return nil, "", err
	}
	if err := t.rootInPlace(); err != nil {
		return nil, "", err
	}
	d, err := t.openDir(path, filepath.Dir(rel))
	if err != nil {
		return nil, "", err
	}
	if !t.held.empty() {
		// One more look at the held folders' paths, right before the
		// action: one that is being exchanged with another folder
		// shows up sooner or later.
		if why := t.held.check(t.top, t.dir, true); why != "" {
			d.Close()
			return nil, "", &holdMovedError{path: path, why: why}
		}
	}
	return d, filepath.Base(rel), nil
}

// openDir opens the folder rel below the root, one component at a time
// without following a symbolic link, and refuses it (heldError) when the
// root or a folder on the way is under a legal hold by identity.
func (t *Tree) openDir(path, rel string) (*openat.Dir, error) {
	if t.held.empty() {
		d, err := t.top.OpenDir(rel)
		if err != nil {
			return nil, refused(err)
		}
		return d, nil
	}
	if err := t.heldAt(path, t.rootID); err != nil {
		return nil, err
	}
	d, err := t.top.OpenDir(".")
	if err != nil {
		return nil, refused(err)
	}
	if rel == "." {
		return d, nil
	}
	for _, part := range strings.Split(rel, string(filepath.Separator)) {
		next, err := d.OpenDir(part)
		d.Close()
		if err != nil {
			return nil, refused(err)
		}
		d = next
		id, err := d.ID()
		if err == nil {
			err = t.heldAt(path, id)
		}
		if err != nil {
			d.Close()
			return nil, err
		}
	}
	return d, nil
}

// refused marks the errors of package openat that say a path holds a
// symbolic link or a special file as ErrRedirected.
func refused(err error) error {
	if errors.Is(err, openat.ErrSymlink) || errors.Is(err, openat.ErrNotRegular) || errors.Is(err, openat.ErrNotDir) {
		return fmt.Errorf("%w (%w)", err, ErrRedirected)
	}
	return err
}

// Snapshot is what a plan saw of a file: acting on it is refused if it
// no longer matches.
type Snapshot struct {
	Size    int64
	ModTime time.Time
	// ETag identifies an object's content in a bucket.
	ETag string
	// ID is a local file's device and inode: the file the plan acts on,
	// and no other one, even of the same size and time.
	ID openat.ID
	// Links is the number of names the file had (not part of what Same
	// compares).
	Links uint64
}

// SnapshotOf returns the snapshot of fi.
func SnapshotOf(fi fs.FileInfo) Snapshot {
	return Snapshot{Size: fi.Size(), ModTime: fi.ModTime(), ID: openat.IDOf(fi), Links: openat.Links(fi)}
}

// Same reports whether two snapshots show the same file with the same
// content: the same object ETag, or the same device and inode, size and
// modification time.
func (s Snapshot) Same(o Snapshot) bool {
	if s.ETag != "" || o.ETag != "" {
		return s.ETag == o.ETag
	}
	return s.ID == o.ID && s.Size == o.Size && s.ModTime.Equal(o.ModTime)
}

// still checks, right before acting on path, that fi (seen on a
// descriptor) is the planned file, unchanged, with no other name, and
// that the root is still in place.
func (t *Tree) still(path string, snap Snapshot, fi fs.FileInfo) error {
	if err := t.heldAt(path, openat.IDOf(fi)); err != nil {
		return err
	}
	now := SnapshotOf(fi)
	if !snap.Same(now) {
		return fmt.Errorf("%s: %w", path, ErrChanged)
	}
	if now.Links > 1 {
		return fmt.Errorf("%s: %w: it has %d names (hard links); remove the others first", path, ErrLinked, now.Links)
	}
	return t.rootInPlace()
}

// Open opens a regular file of the tree for reading. It never blocks on a
// FIFO or a device swapped in for the file.
func (t *Tree) Open(path string) (*os.File, fs.FileInfo, error) {
	d, name, err := t.dirOf(path)
	if err != nil {
		return nil, nil, err
	}
	defer d.Close()
	f, fi, err := d.OpenRegular(name)
	if err != nil {
		return nil, nil, refused(err)
	}
	if err := t.heldAt(path, openat.IDOf(fi)); err != nil {
		f.Close()
		return nil, nil, err
	}
	return f, fi, nil
}

// Remove deletes a regular file that is still the one snap describes
// (same device and inode, size and time), and syncs its directory.
func (t *Tree) Remove(path string, snap Snapshot) error {
	d, name, err := t.dirOf(path)
	if err != nil {
		return err
	}
	defer d.Close()
	// The writers are looked for first (reading /proc takes a while),
	// then the file is checked on a descriptor right before the unlink.
	fi, err := d.Lstat(name)
	if err != nil {
		return refused(err)
	}
	if err := t.busy(fi); err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	left, err := d.Unlink(name, func(fi fs.FileInfo) error { return t.still(path, snap, fi) })
	if err != nil {
		return refused(err)
	}
	if left > 0 {
		return fmt.Errorf("%s: removed, but %w", path, ErrStillLinked)
	}
	return syncDir(d)
}

// TempPrefix starts the names of piiscan's temporary files: see
// itempath.TempName and itempath.IsTemp.
const TempPrefix = itempath.TempPrefix

// Rewrite replaces a regular file atomically with what write produces:
// the new content goes to a temporary file in the same (opened)
// directory, is synced, gets the old file's mode, owner (when permitted)
// and modification time, and is renamed over the old file only if that is
// still the file snap describes; then the directory is synced. At every
// moment the path holds either the whole old or the whole new content.
//
// The modification time is kept because the content did not get newer:
// dropping expired records must not make a file look fresh to the next
// age check.
func (t *Tree) Rewrite(path string, snap Snapshot, write func(io.Writer) error) (newSize int64, err error) {
	d, name, err := t.dirOf(path)
	if err != nil {
		return 0, err
	}
	defer d.Close()
	// The old file stays open across the rename: a writer that opens the
	// file for each line may still append to it between the last check
	// and the rename, and those lines are carried over to the new file.
	old, fi, err := d.OpenRegular(name)
	if err != nil {
		return 0, refused(err)
	}
	defer old.Close()
	if err := t.still(path, snap, fi); err != nil {
		return 0, err
	}
	tmp := itempath.TempName(name)
	f, err := d.Create(tmp, 0o600)
	if err != nil {
		return 0, err
	}
	defer f.Close()
	// The temporary file stays locked until it is renamed: the clean-up
	// of a concurrent run leaves it alone.
	flock.TryLock(f)
	tfi, err := f.Stat()
	if err != nil {
		return 0, err
	}
	done := false
	defer func() {
		if !done {
			d.Unlink(tmp, func(cur fs.FileInfo) error { return sameFile(cur, tfi) })
		}
	}()
	cw := &countWriter{w: f}
	if err := write(cw); err != nil {
		return 0, err
	}
	if err := f.Sync(); err != nil {
		return 0, err
	}
	if err := f.Chmod(fi.Mode().Perm()); err != nil {
		return 0, err
	}
	if uid, gid, ok := owner(fi); ok {
		// Only root may give a file away; a non-root run keeps its own
		// uid, which is the owner's when it can rewrite the file at all.
		if err := f.Chown(uid, gid); err != nil && !errors.Is(err, fs.ErrPermission) {
			return 0, err
		}
	}
	if err := d.Chtimes(f, tmp, fi.ModTime(), fi.ModTime()); err != nil {
		return 0, err
	}
	// The writers are looked for first (reading /proc takes a while),
	// then the old file is compared right before the rename, to keep the
	// window in which an append could be lost as short as it can be.
	if err := t.busy(fi); err != nil {
		return 0, fmt.Errorf("%s: %w", path, err)
	}
	now, err := old.Stat()
	if err != nil {
		return 0, err
	}
	if err := t.still(path, snap, now); err != nil {
		return 0, err
	}
	left, err := d.Replace(f, tmp, name, func(cur fs.FileInfo) error {
		if err := sameFile(cur, now); err != nil {
			return fmt.Errorf("%s: %w", path, ErrChanged)
		}
		return t.still(path, snap, cur)
	})
	if err != nil {
		return 0, refused(err)
	}
	done = true
	if left > 0 {
		return cw.n, fmt.Errorf("%s: rewritten, but %w", path, ErrStillLinked)
	}
	if err := syncDir(d); err != nil {
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
		n, err := carryOver(old, f, size)
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

// sameFile says whether two FileInfos are of the same file.
func sameFile(a, b fs.FileInfo) error {
	if !os.SameFile(a, b) {
		return ErrChanged
	}
	return nil
}

// carryOver appends to f, the new file, what was appended to old, the
// file it replaced, past size: the lines a writer wrote in the moment
// between the last check and the rename.
func carryOver(old, f *os.File, size int64) (int64, error) {
	fi, err := old.Stat()
	if err != nil || fi.Size() <= size {
		return 0, err
	}
	if _, err := f.Seek(0, io.SeekEnd); err != nil {
		return 0, fmt.Errorf("lines appended during the rewrite could not be carried over: %w", err)
	}
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
func (t *Tree) busy(fi fs.FileInfo) error { return inUse(SnapshotOf(fi), t.writers, true) }

// ErrLinked means a file has other names, which would keep its data.
var ErrLinked error = reasonError("the data would stay at the file's other names")

// syncDir makes a rename or removal in d durable.
func syncDir(d *openat.Dir) error {
	if err := d.Sync(); err != nil && !errors.Is(err, errors.ErrUnsupported) && !isEINVAL(err) {
		return err
	}
	return nil
}

// TempAction carries out the removal of a temporary file: it calls
// remove, and records the removal (see Executor, which writes the audit
// log's intent before and result after). An error stops the clean-up.
type TempAction func(path string, snap Snapshot, remove func() error) error

// CleanTemp removes the temporary files a killed run left in the tree:
// regular files named exactly as piiscan names them (itempath.IsTemp) that no
// running process holds locked (a concurrent run's rewrite), that held
// (given the path) does not keep, and that no legal hold covers by
// identity (the file or a folder on its way; such folders are not
// entered). Symbolic links are not followed. Each removal goes through
// act. It returns the number of files removed.
func (t *Tree) CleanTemp(ctx context.Context, held func(path string) bool, act TempAction) (int, error) {
	d, err := t.top.OpenDir(".")
	if err != nil {
		return 0, err
	}
	defer d.Close()
	c := &tempCleaner{ctx: ctx, t: t, held: held, act: act}
	err = c.clean(d, ".")
	return c.n, err
}

// tempCleaner walks a tree for CleanTemp.
type tempCleaner struct {
	ctx    context.Context
	t      *Tree
	held   func(string) bool
	act    TempAction
	n      int
	visits int
}

// clean removes the temporary files in the opened folder d, at rel, and
// below it.
func (c *tempCleaner) clean(d *openat.Dir, rel string) error {
	if err := c.ctx.Err(); err != nil {
		return err
	}
	if id, err := d.ID(); err != nil || c.t.held.reason(id) != "" {
		return nil
	}
	entries, err := readEntries(d, maxHoldVisits-c.visits)
	if errors.Is(err, errTooManyEntries) {
		return err
	}
	c.visits += len(entries)
	for _, e := range entries {
		name := e.Name()
		switch p := filepath.Join(c.t.dir, rel, name); {
		case itempath.IsTemp(name):
			if c.held(p) {
				continue
			}
			// Opened without following a link, and refused unless
			// it is a regular file.
			ok, err := removeTemp(d, name, p, c.t.held, c.act)
			if err != nil {
				return err
			}
			if ok {
				c.n++
			}
		case e.IsDir():
			sub, err := d.OpenDir(name)
			if err != nil {
				continue // a link, or gone
			}
			err = c.clean(sub, filepath.Join(rel, name))
			sub.Close()
			if err != nil {
				return err
			}
		}
	}
	return nil
}

// removeTemp removes the temporary file name of the opened folder d (at
// path) through act, unless a running process holds its lock or a hold
// covers it by identity. It reports whether the file was removed; an
// error is act's own (the audit log failed), not the removal's.
// errForeignPark is why a parked file that is not the one planned is kept.
var errForeignPark = errors.New("kept: this file was set aside by an interrupted run but is not the file it planned to act on; restore it by hand")

func removeTemp(d *openat.Dir, name, path string, held *heldSet, act TempAction) (bool, error) {
	f, fi, err := d.OpenRegular(name)
	if err != nil {
		return false, nil
	}
	defer f.Close()
	if held.reason(openat.IDOf(fi)) != "" || !flock.TryLock(f) {
		return false, nil
	}
	var rmErr error
	err = act(path, SnapshotOf(fi), func() error {
		if inos, parked := openat.ParkedInodes(name); parked && !slices.Contains(inos, openat.IDOf(fi).Ino) {
			// Set aside by a run killed in the last instant of an action,
			// but not the file that run planned to remove (nor its new
			// content): someone put it under the planned name. It is
			// nobody's to remove; the failed entry tells the operator.
			rmErr = errForeignPark
			return rmErr
		}
		_, rmErr = d.Unlink(name, func(cur fs.FileInfo) error { return sameFile(cur, fi) })
		return rmErr
	})
	if rmErr != nil && errors.Is(err, rmErr) {
		return false, nil // recorded as failed; the others are still removed
	}
	return err == nil, err
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
	tmp := itempath.TempName("")
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

// suffixBytes is the number of random bytes randomSuffix draws.
const suffixBytes = 6

func randomSuffix() string {
	var b [suffixBytes]byte
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
