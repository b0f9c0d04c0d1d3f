package state

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"maps"
	"os"
	"slices"
	"strings"
	"sync"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/piiscan/piiscan/scanners"
	"github.com/piiscan/piiscan/scanners/source"
)

// headSize is how much of the start of a file identifies it, together
// with its device and inode: an inode reused by a new file has another
// beginning.
const headSize = 1024

// The state keeps digests of what it reads, never the content: of the
// beginning of each file, and of the version (ETag) of each object. Both
// are HMAC-SHA256 keyed with a key derived from the fingerprint key
// (Store.CheckKey): a plain hash of a one-line file, or the MD5 ETag of a
// small object, would give its content away to a guess of the values in
// it (an SSN has only 10^9).
//
// State files written before the digests were keyed hold a plain SHA-256
// of a file's beginning (FileState.Keyed is false) and raw ETags. Such an
// entry is checked once against the file or object as it is now, in
// memory, and written again keyed; the ones a complete run does not
// rewrite are dropped by its final save, and their files or objects are
// scanned again from the start next time. (A run cut short leaves them
// for the next one to check.)

// versionPrefix starts the keyed digest of an object's version in the
// objects bucket; a value without it is a raw ETag of an older piiscan.
const versionPrefix = "h1:"

// FileState is how far a file was scanned.
type FileState struct {
	Dev     uint64    `json:"dev"`
	Ino     uint64    `json:"ino"`
	Size    int64     `json:"size"`
	ModTime time.Time `json:"mtime"`
	// Offset is the end of the last complete line scanned; Line the number
	// of lines before it.
	Offset int64 `json:"offset"`
	Line   int   `json:"line"`
	// Whole: compressed or an archive, scanned as a whole.
	Whole bool `json:"whole,omitempty"`
	// HeadLen bytes at the start of the file hash to Head: the first 128
	// bits of their HMAC-SHA256 with the state's digest key when Keyed,
	// of their plain SHA-256 in state files of older versions.
	HeadLen int    `json:"head_len"`
	Head    []byte `json:"head"`
	Keyed   bool   `json:"keyed,omitempty"`
}

// Tracker remembers, for one job, how far each file and object was
// scanned; it is the scanners.Incremental of the job's scans. Positions
// are kept in memory until the job saves them (Store.Save) with the
// alerts of what was found.
//
// A plain file being read has a position in progress (Progress) until it
// is Done: a save writes the Done position when there is one, and the
// position in progress otherwise, so that a run cut short (a timeout, a
// cancellation) or a checkpoint keeps how far the scan got inside a file.
// A tracker may be saved any number of times, also while its scan still
// runs: each save writes the positions that changed since the last save
// committed, so that a checkpoint costs what the scan did since the last
// one, not what the state holds. The save after Complete also forgets
// what the scan did not visit.
type Tracker struct {
	store *Store
	job   string
	full  bool
	log   *slog.Logger
	key   []byte // the store's digest key; nil: remember nothing

	mu      sync.Mutex
	started map[string]FileState // identity seen at Start
	done    map[string]FileState
	// progress: how far files not yet Done were scanned.
	progress map[string]FileState
	objects  map[string]string // URL -> ETag scanned
	visited  map[string]bool
	// dirty and dirtyObjects hold the paths and URLs whose position
	// changed since a save wrote it, each with the number (from seq) of
	// its latest change: a save writes only those, and forgets one only
	// if it did not change again meanwhile.
	seq          uint64
	dirty        map[string]uint64
	dirtyObjects map[string]uint64
	// complete: the scan went through every target, so state for paths
	// it did not visit can go.
	complete bool
}

// Tracker returns the tracker of a job. With full, everything is scanned
// from the start (the state is still updated).
//
// The tracker keys its digests with the key CheckKey gave the store.
// Before CheckKey there is no key: the tracker then skips nothing and
// remembers no file or object (it never stores an unkeyed digest).
func (s *Store) Tracker(job string, full bool, log *slog.Logger) *Tracker {
	if log == nil {
		log = slog.Default()
	}
	key := s.key()
	if key == nil {
		log.Warn("the state has no fingerprint key yet: this scan is not incremental and its positions are not kept", "job", job)
	}
	return &Tracker{store: s, job: job, full: full, log: log, key: key, started: map[string]FileState{},
		done: map[string]FileState{}, progress: map[string]FileState{}, objects: map[string]string{}, visited: map[string]bool{},
		dirty: map[string]uint64{}, dirtyObjects: map[string]uint64{}}
}

var _ scanners.Incremental = (*Tracker)(nil)

// Start implements scanners.Incremental.
func (t *Tracker) Start(it source.Item, f *os.File) scanners.Position {
	t.mu.Lock()
	t.visited[it.Path] = true
	t.mu.Unlock()
	if t.key == nil {
		return scanners.Position{}
	}
	if f == nil {
		if it.Version == "" || t.full {
			return scanners.Position{}
		}
		if t.sameVersion(t.object(it.Path), it.Version) {
			return scanners.Position{Skip: true}
		}
		return scanners.Position{}
	}
	fi, err := f.Stat()
	if err != nil {
		return scanners.Position{}
	}
	cur := FileState{Size: fi.Size(), ModTime: fi.ModTime(), Keyed: true}
	cur.Dev, cur.Ino = source.DevIno(fi)
	cur.HeadLen, cur.Head = t.headOf(f, headSize)
	t.mu.Lock()
	t.started[it.Path] = cur
	t.mu.Unlock()
	if t.full {
		return scanners.Position{}
	}
	prev, prevPath, ok := t.previous(it.Path, cur, f)
	if !ok {
		return scanners.Position{}
	}
	if prevPath != it.Path {
		t.log.Debug("file renamed since the last scan (rotation): resuming", "path", it.Path, "was", prevPath, "offset", prev.Offset)
	}
	unchanged := prev.Size == cur.Size && prev.ModTime.Equal(cur.ModTime)
	switch {
	case prev.Whole && unchanged, !prev.Whole && unchanged && prev.Offset == cur.Size:
		t.keep(it.Path, cur, prev)
		return scanners.Position{Skip: true}
	case prev.Whole:
		return scanners.Position{}
	case cur.Size < prev.Offset:
		t.log.Info("file truncated since the last scan: scanning it from the start", "path", it.Path, "size", cur.Size, "scanned_to", prev.Offset)
		return scanners.Position{}
	}
	return scanners.Position{Offset: prev.Offset, Line: prev.Line}
}

// keep records an unchanged file under its current path.
func (t *Tracker) keep(path string, cur, prev FileState) {
	prev.Dev, prev.Ino = cur.Dev, cur.Ino
	t.mu.Lock()
	t.done[path] = prev
	t.changed(path)
	t.mu.Unlock()
}

// changed marks the position of path as not saved yet; t.mu is held.
func (t *Tracker) changed(path string) {
	t.seq++
	t.dirty[path] = t.seq
}

// Done implements scanners.Incremental.
func (t *Tracker) Done(it source.Item, end scanners.Position) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.key == nil {
		return
	}
	if it.Version != "" {
		t.objects[it.Path] = it.Version
		t.seq++
		t.dirtyObjects[it.Path] = t.seq
		return
	}
	if end.Skip {
		return // kept by Start
	}
	cur, ok := t.started[it.Path]
	if !ok {
		return
	}
	cur.Offset, cur.Line, cur.Whole = end.Offset, end.Line, end.Whole
	if end.Whole {
		cur.Offset = cur.Size
	}
	t.done[it.Path] = cur
	delete(t.progress, it.Path)
	t.changed(it.Path)
}

// Progress implements scanners.Incremental: it records how far a plain
// file was scanned, with the identity Start saw, until it is Done.
func (t *Tracker) Progress(it source.Item, at scanners.Position) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.key == nil || it.Version != "" || at.Skip || at.Whole {
		return
	}
	if _, ok := t.done[it.Path]; ok {
		return // Done wins
	}
	cur, ok := t.started[it.Path]
	if !ok {
		return
	}
	cur.Offset, cur.Line, cur.Whole = at.Offset, at.Line, false
	t.progress[it.Path] = cur
	t.changed(it.Path)
}

// Complete marks the scan as having gone through all its targets.
func (t *Tracker) Complete() {
	t.mu.Lock()
	t.complete = true
	t.mu.Unlock()
}

// previous finds the earlier state of the file f, under its path or, after
// a rotation renamed it, under its old path (by device and inode).
func (t *Tracker) previous(path string, cur FileState, f *os.File) (FileState, string, bool) {
	var prev FileState
	prevPath := ""
	t.store.db.View(func(tx *bolt.Tx) error {
		b := tx.Bucket(bucketFiles).Bucket([]byte(t.job))
		if b == nil {
			return nil
		}
		get := func(p string) bool {
			prev = FileState{}
			data := b.Get([]byte("p:" + p))
			if data == nil || json.Unmarshal(data, &prev) != nil {
				return false
			}
			return prev.Dev == cur.Dev && prev.Ino == cur.Ino
		}
		if get(path) {
			prevPath = path
			return nil
		}
		if old := b.Get([]byte(idKeyOf(cur.Dev, cur.Ino))); old != nil && get(string(old)) {
			prevPath = string(old)
			return nil
		}
		// A checkpoint of this or an interrupted run may have given the
		// file's old path to the new file of a rotation: its state was
		// kept by inode.
		var r rotated
		if data := b.Get([]byte(rotKeyOf(cur.Dev, cur.Ino))); data != nil && json.Unmarshal(data, &r) == nil &&
			r.State.Dev == cur.Dev && r.State.Ino == cur.Ino {
			prev, prevPath = r.State, r.Path
		}
		return nil
	})
	if prevPath == "" {
		return FileState{}, "", false
	}
	// The same inode with another beginning is a new file.
	if prev.HeadLen > int(cur.Size) {
		return FileState{}, "", false
	}
	if !prev.Keyed {
		// Written by an older piiscan, with a plain SHA-256: compared
		// once, and kept keyed from now on.
		n, head := plainHeadOf(f, prev.HeadLen)
		if n != prev.HeadLen || !bytes.Equal(head, prev.Head) {
			return FileState{}, "", false
		}
		t.log.Debug("state entry of an older piiscan: its digest is keyed from now on", "path", path)
		prev.Keyed = true
		prev.HeadLen, prev.Head = t.headOf(f, prev.HeadLen)
		return prev, prevPath, prev.HeadLen == n
	}
	n, head := cur.HeadLen, cur.Head
	if prev.HeadLen != cur.HeadLen { // the file was shorter then
		n, head = t.headOf(f, prev.HeadLen)
	}
	if n != prev.HeadLen || !hmac.Equal(head, prev.Head) {
		return FileState{}, "", false
	}
	return prev, prevPath, true
}

// sameVersion reports whether stored, the version the state remembers of
// an object, is version.
func (t *Tracker) sameVersion(stored, version string) bool {
	if stored == "" {
		return false
	}
	if !strings.HasPrefix(stored, versionPrefix) {
		return stored == version // an older piiscan's raw ETag
	}
	return hmac.Equal([]byte(stored), []byte(t.versionDigest(version)))
}

// versionDigest is what the state stores of an object's version.
func (t *Tracker) versionDigest(version string) string {
	m := hmac.New(sha256.New, t.key)
	m.Write([]byte("etag\x00"))
	m.Write([]byte(version))
	return versionPrefix + hex.EncodeToString(m.Sum(nil)[:16])
}

func (t *Tracker) object(url string) string {
	var etag string
	t.store.db.View(func(tx *bolt.Tx) error {
		if b := tx.Bucket(bucketObjects).Bucket([]byte(t.job)); b != nil {
			etag = string(b.Get([]byte(url)))
		}
		return nil
	})
	return etag
}

func idKeyOf(dev, ino uint64) string { return fmt.Sprintf("i:%d:%d", dev, ino) }

// rotKeyOf is the key of a file's state kept by inode ("r:dev:ino") when
// its path was given to another file (a rotation) before the scan that
// would find it under its new path completed; the state of a complete
// scan drops them.
func rotKeyOf(dev, ino uint64) string { return fmt.Sprintf("r:%d:%d", dev, ino) }

// rotated is the value under rotKeyOf: the file's state and the path it
// had.
type rotated struct {
	Path  string    `json:"path"`
	State FileState `json:"state"`
}

// headOf returns how many of the first n bytes of f there are (fewer if
// it is shorter) and their keyed digest.
func (t *Tracker) headOf(f *os.File, n int) (int, []byte) {
	buf, ok := readHead(f, n)
	if !ok {
		return 0, nil
	}
	m := hmac.New(sha256.New, t.key)
	m.Write(buf)
	return len(buf), m.Sum(nil)[:16]
}

// plainHeadOf is headOf as older versions stored it, unkeyed; it is only
// ever compared with such a stored digest, never stored.
func plainHeadOf(f *os.File, n int) (int, []byte) {
	buf, ok := readHead(f, n)
	if !ok {
		return 0, nil
	}
	sum := sha256.Sum256(buf)
	return len(buf), sum[:16]
}

// readHead reads the first n bytes of f, fewer if it is shorter.
func readHead(f *os.File, n int) ([]byte, bool) {
	buf := make([]byte, n)
	m, err := f.ReadAt(buf, 0)
	if err != nil && err != io.EOF {
		return nil, false
	}
	return buf[:m], true
}

// filesFillPercent is how full the pages of a job's files bucket are
// split (bbolt's default is 0.5). A page is rewritten whole whenever one
// of its entries changes, so fuller pages cost a save nothing more and
// make a smaller file: a first save of 200k files writes 29k pages at
// the default, 16k at this (BenchmarkTrackerSave).
const filesFillPercent = 0.9

// fileChange is a position to save: of a file (path and st), or of an
// object (path is its URL, etag its version).
type fileChange struct {
	path string
	st   FileState
	etag string
	seq  uint64 // the change saved (Tracker.dirty)
}

// save writes in tx the positions that changed since the last save the
// store committed: of each file, the Done position, or the one in
// progress. It may be called again, also while the scan goes on. Only
// once the scan is Complete does it forget the files and objects the scan
// did not visit, and the entries of older piiscans it did not check (see
// sweepFiles).
//
// Keys are written in order: bbolt splits pages only when a transaction
// commits, and keys put in random order into a page that grows to hold
// many of them move half of it each time.
func (t *Tracker) save(tx *bolt.Tx) error {
	if t.key == nil {
		return nil // it remembered nothing, and changes nothing
	}
	// The scan may still be running: take a copy of what changed, and
	// write it without holding it up.
	t.mu.Lock()
	files := make([]fileChange, 0, len(t.dirty))
	for path, seq := range t.dirty {
		st, ok := t.done[path]
		if !ok {
			st, ok = t.progress[path]
		}
		if ok {
			files = append(files, fileChange{path: path, st: st, seq: seq})
		}
	}
	objects := make([]fileChange, 0, len(t.dirtyObjects))
	for url, seq := range t.dirtyObjects {
		objects = append(objects, fileChange{path: url, etag: t.objects[url], seq: seq})
	}
	complete := t.complete
	var visited map[string]bool
	if complete {
		visited = maps.Clone(t.visited)
	}
	t.mu.Unlock()
	byPath := func(a, b fileChange) int { return strings.Compare(a.path, b.path) }
	slices.SortFunc(files, byPath)
	slices.SortFunc(objects, byPath)

	if err := t.saveFiles(tx, files, complete, visited); err != nil {
		return err
	}
	if err := t.saveObjects(tx, objects, complete, visited); err != nil {
		return err
	}
	// What was written is saved once tx commits, unless it changed again
	// meanwhile; if tx is rolled back, it is all written next time.
	tx.OnCommit(func() {
		t.mu.Lock()
		defer t.mu.Unlock()
		saved(t.dirty, files)
		saved(t.dirtyObjects, objects)
	})
	return nil
}

// saved forgets, of dirty, the changes that were written unless they
// changed again since.
func saved(dirty map[string]uint64, written []fileChange) {
	for _, c := range written {
		if dirty[c.path] == c.seq {
			delete(dirty, c.path)
		}
	}
}

// jobBucket returns job's bucket under parent; with create it makes one
// the state does not have yet, else it returns nil for it.
func jobBucket(tx *bolt.Tx, parent []byte, job string, create bool) (*bolt.Bucket, error) {
	b := tx.Bucket(parent).Bucket([]byte(job))
	if b != nil || !create {
		return b, nil
	}
	return tx.Bucket(parent).CreateBucket([]byte(job))
}

// saveFiles writes the positions of files that changed, sorted by path,
// and keeps the inode index (i:dev:ino -> path) in step with them: the
// entry of a file's device and inode points to it, and the one of its
// earlier device and inode goes if it still points to it. A position the
// state holds already is not written again.
func (t *Tracker) saveFiles(tx *bolt.Tx, files []fileChange, complete bool, visited map[string]bool) error {
	fb, err := jobBucket(tx, bucketFiles, t.job, len(files) > 0)
	if fb == nil || err != nil {
		return err
	}
	fb.FillPercent = filesFillPercent
	// What to write is worked out first, and written in the order of
	// keys, the inode index ("i:") before the positions ("p:"): in a new
	// bucket every key goes into one node until tx commits, and a key
	// put before others moves them all.
	type put struct{ key, data []byte }
	type indexOp struct{ id, path string }
	var puts, kept []put
	var unindex, index []indexOp
	for _, c := range files {
		key := []byte("p:" + c.path)
		data, err := json.Marshal(c.st)
		if err != nil {
			return err
		}
		old := fb.Get(key)
		if bytes.Equal(old, data) {
			continue
		}
		var prev FileState
		if old != nil && json.Unmarshal(old, &prev) == nil && prev.Ino != 0 && (prev.Dev != c.st.Dev || prev.Ino != c.st.Ino) {
			unindex = append(unindex, indexOp{idKeyOf(prev.Dev, prev.Ino), c.path})
			// The file that had this path may have been renamed (a
			// rotation) and not be saved under its new path yet: its
			// state stays findable by inode.
			r, err := json.Marshal(rotated{Path: c.path, State: prev})
			if err != nil {
				return err
			}
			kept = append(kept, put{[]byte(rotKeyOf(prev.Dev, prev.Ino)), r})
		}
		puts = append(puts, put{key, data})
		if c.st.Ino != 0 {
			index = append(index, indexOp{idKeyOf(c.st.Dev, c.st.Ino), c.path})
		}
	}
	// Old entries first: a file renamed onto the inode another path had
	// in this same save (a rotation) takes its entry over.
	byID := func(a, b indexOp) int { return strings.Compare(a.id, b.id) }
	slices.SortStableFunc(unindex, byID)
	for _, op := range unindex {
		if string(fb.Get([]byte(op.id))) == op.path {
			if err := fb.Delete([]byte(op.id)); err != nil {
				return err
			}
		}
	}
	// Of paths sharing an inode, the last (in the order of paths) has
	// the entry, as sweepFiles leaves it.
	slices.SortStableFunc(index, byID)
	for _, op := range index {
		if string(fb.Get([]byte(op.id))) != op.path {
			if err := fb.Put([]byte(op.id), []byte(op.path)); err != nil {
				return err
			}
		}
	}
	for _, p := range puts { // files are sorted by path
		if err := fb.Put(p.key, p.data); err != nil {
			return err
		}
	}
	// A file saved under a path again needs no state kept by inode.
	for _, op := range index {
		if k := []byte("r:" + strings.TrimPrefix(op.id, "i:")); fb.Get(k) != nil {
			if err := fb.Delete(k); err != nil {
				return err
			}
		}
	}
	slices.SortFunc(kept, func(a, b put) int { return bytes.Compare(a.key, b.key) })
	for _, p := range kept {
		if slices.ContainsFunc(index, func(op indexOp) bool { return op.id[2:] == string(p.key[2:]) }) {
			continue // saved under its new path in this same save
		}
		if err := fb.Put(p.key, p.data); err != nil {
			return err
		}
	}
	if complete {
		return sweepFiles(fb, visited)
	}
	return nil
}

// sweepFiles, after a complete scan, forgets the files it did not visit
// and the entries it cannot use (unreadable, or an older piiscan's
// unkeyed digest this run did not check: their files are scanned as
// new), and makes the inode index exactly what the remaining entries say.
// It reads the whole bucket but writes only what differs.
func sweepFiles(fb *bolt.Bucket, visited map[string]bool) error {
	var stale [][]byte
	want := map[string]string{} // id -> path, from the entries kept
	have := map[string][]byte{} // id -> path, the index as it is
	c := fb.Cursor()
	for k, v := c.First(); k != nil; k, v = c.Next() {
		switch {
		case bytes.HasPrefix(k, []byte("r:")):
			stale = append(stale, bytes.Clone(k)) // a complete scan found every file
		case bytes.HasPrefix(k, []byte("i:")):
			have[string(k)] = v
		case bytes.HasPrefix(k, []byte("p:")):
			path := string(k[2:])
			var st FileState
			if !visited[path] || json.Unmarshal(v, &st) != nil || !st.Keyed {
				stale = append(stale, bytes.Clone(k))
				continue
			}
			if st.Ino != 0 {
				want[idKeyOf(st.Dev, st.Ino)] = path
			}
		}
	}
	for _, k := range stale { // in order, as the cursor gave them
		if err := fb.Delete(k); err != nil {
			return err
		}
	}
	for _, id := range slices.Sorted(maps.Keys(have)) {
		if _, ok := want[id]; !ok {
			if err := fb.Delete([]byte(id)); err != nil {
				return err
			}
		}
	}
	for _, id := range slices.Sorted(maps.Keys(want)) {
		if path := want[id]; string(have[id]) != path {
			if err := fb.Put([]byte(id), []byte(path)); err != nil {
				return err
			}
		}
	}
	return nil
}

// saveObjects writes the versions of objects that changed, sorted by
// URL, unless the state holds them already; after a complete scan it
// forgets the objects the scan did not visit, and raw ETags of older
// piiscans it did not check.
func (t *Tracker) saveObjects(tx *bolt.Tx, objects []fileChange, complete bool, visited map[string]bool) error {
	ob, err := jobBucket(tx, bucketObjects, t.job, len(objects) > 0)
	if ob == nil || err != nil {
		return err
	}
	for _, c := range objects {
		d := []byte(t.versionDigest(c.etag))
		if bytes.Equal(ob.Get([]byte(c.path)), d) {
			continue
		}
		if err := ob.Put([]byte(c.path), d); err != nil {
			return err
		}
	}
	if !complete {
		return nil
	}
	oc := ob.Cursor()
	var gone [][]byte
	for k, v := oc.First(); k != nil; k, v = oc.Next() {
		if !visited[string(k)] || !bytes.HasPrefix(v, []byte(versionPrefix)) {
			gone = append(gone, bytes.Clone(k))
		}
	}
	for _, k := range gone {
		if err := ob.Delete(k); err != nil {
			return err
		}
	}
	return nil
}
