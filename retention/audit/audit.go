// Package audit keeps piiscan's audit log: an append-only file of JSON
// lines, one per deletion, rewrite, quarantine or erasure. Each entry holds
// an HMAC-SHA256, keyed with the fingerprint key, of the line before it, so
// an entry that is edited, removed or reordered breaks the chain at the
// next one, and the chain cannot be rebuilt without the key. Entries never
// hold raw values: only counts and fingerprints.
//
// A chain cannot show that entries were cut from its end, nor that its
// last entry was edited. So the log's head (its number of entries and the
// HMAC of its last line) is also kept in a small file beside it, PATH.head,
// itself MACed with the key and rewritten atomically after every append.
// Appends and Verify compare the log's end with it. Print the head and
// keep it elsewhere too (piiscan audit verify does): a head file can be
// rolled back together with the log, a head kept off the host cannot.
//
// Every entry names the key it was written with (KeyID, a short HMAC of a
// constant, not the key), so a log checked with another key says so
// instead of looking tampered with.
//
// A destructive action is logged twice: an intent entry before it (Begin)
// and a result entry after it (Pending.Done or Pending.Failed), so an
// action interrupted by a crash is still accounted for: Verify lists
// intents without a result as Result.Unresolved, or as Result.Settled
// when a later run did the same action on the same path. An action whose
// steps are only known once it started (the versions of an object
// deleted one by one) also logs them before its first step (Log.Planned),
// so the intent of a run killed in the middle names every version it may
// have deleted.
package audit

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"

	"github.com/piiscan/piiscan/internal/flock"
	"github.com/piiscan/piiscan/internal/itempath"
)

// Phases of an entry. An entry without a phase (written by Append) records
// an action already done.
const (
	// PhaseIntent is written before an action: what is about to be done.
	PhaseIntent = "intent"
	// PhaseDone is written after an action succeeded, with its outcome.
	PhaseDone = "done"
	// PhaseFailed is written after an action failed.
	PhaseFailed = "failed"
	// PhasePlanned is written after an intent and before the action's
	// first step, with what the intent could not name yet: the versions
	// of an object the action may delete (Versions, each with the outcome
	// VersionPlanned), as listed right before. Of names the intent. It
	// resolves nothing: the intent still wants its result.
	PhasePlanned = "planned"
)

// Entry is one audit record.
type Entry struct {
	// Seq numbers entries from 1, without gaps.
	Seq  int64     `json:"seq"`
	Time time.Time `json:"time"`
	// Phase is PhaseIntent, PhaseDone, PhaseFailed, or empty for an entry
	// that records an action already done.
	Phase string `json:"phase,omitempty"`
	// Intent is, in a result entry, the Seq of the intent it resolves.
	Intent int64 `json:"intent,omitempty"`
	// Of is, in a planned entry (PhasePlanned), the Seq of the intent it
	// adds to.
	Of int64 `json:"of,omitempty"`
	// Action is delete, rewrite, quarantine, erase, or hold (kept).
	Action   string `json:"action"`
	DryRun   bool   `json:"dry_run,omitempty"`
	Location string `json:"location,omitempty"`
	Path     string `json:"path"`
	// Dev and Ino identify the local file acted on: its device and inode,
	// as planned and checked on the file itself right before the action.
	// A path names where a file was; they name which file it was.
	Dev uint64 `json:"dev,omitempty"`
	Ino uint64 `json:"ino,omitempty"`
	// Version is, for an object in a versioned bucket, the version the
	// action was on: the one deleted (or hidden behind a delete marker).
	Version string `json:"version,omitempty"`
	// Unconditional says the store could not make the action conditional
	// on the object the plan saw: it was checked unchanged right before,
	// but a writer that replaced it in between would have lost its write.
	Unconditional bool `json:"unconditional,omitempty"`
	// Versions is, for an object deleted with all its versions
	// (all_versions), what happened to each version: also in a failed
	// entry, since some may have gone before the failure. In a planned
	// entry, the versions the action may delete.
	Versions []VersionOutcome `json:"versions,omitempty"`
	// To is where a quarantined file went.
	To     string `json:"to,omitempty"`
	Rule   string `json:"rule,omitempty"`
	Reason string `json:"reason,omitempty"`
	// Error is, in a failed entry, a short reason that holds neither paths
	// nor values (see Pending.Failed).
	Error string `json:"error,omitempty"`
	// Records removed or rewritten, and kept, in the file.
	Records int64 `json:"records,omitempty"`
	Kept    int64 `json:"kept,omitempty"`
	// Bytes before and after.
	BytesBefore int64 `json:"bytes_before,omitempty"`
	BytesAfter  int64 `json:"bytes_after,omitempty"`
	// Fingerprints of the values acted on (never the values).
	Fingerprints []string `json:"fingerprints,omitempty"`
	// KeyID names the key the entry was chained with (see KeyID). Entries
	// written before key ids were kept have none.
	KeyID string `json:"key_id,omitempty"`
	// Prev is the HMAC of the previous line ("" for the first entry).
	Prev string `json:"prev"`
	// MAC is an HMAC of the entry's own line up to it, so that the last
	// entry, which no later one chains to, cannot be edited either. Entries
	// written before key ids were kept have none.
	MAC string `json:"mac,omitempty"`
}

// What happened to one version of an object (see VersionOutcome).
const (
	// VersionPlanned: in a planned entry, the version (or delete marker)
	// is about to be deleted.
	VersionPlanned = "planned"
	// VersionDeleted: the version (or delete marker) was deleted.
	VersionDeleted = "deleted"
	// VersionKept: the store refused to delete the version (an S3 Object
	// Lock legal hold or retention, a permission): it is still there.
	VersionKept = "kept"
	// VersionFailed: deleting the version failed otherwise; it may still
	// be there.
	VersionFailed = "failed"
	// VersionMarkerAdded: a delete marker was put on top of the key so
	// that a version kept does not become current again.
	VersionMarkerAdded = "marker-added"
	// VersionMarkerRemoved: that delete marker was taken back, because a
	// writer stored a new version meanwhile, which it would have hidden.
	VersionMarkerRemoved = "marker-removed"
)

// VersionOutcome is what happened to one version of an object.
type VersionOutcome struct {
	Version string `json:"version"`
	// Marker says the version is a delete marker.
	Marker  bool   `json:"marker,omitempty"`
	Outcome string `json:"outcome"`
	// Reason is the store's error code when the version was not deleted
	// (never a path or a value).
	Reason string `json:"reason,omitempty"`
}

// Log appends entries to an audit file.
type Log struct {
	path  string
	key   []byte
	keyID string
}

// Open returns the audit log at path, keyed with key. It touches nothing:
// call Check before the first action, so that a log that cannot be
// written stops the run before it acts. The file is created (mode 0600) by
// Check or by the first append.
func Open(path string, key []byte) *Log {
	return &Log{path: path, key: append([]byte(nil), key...), keyID: KeyID(key)}
}

// Path returns the file the log is kept in.
func (l *Log) Path() string { return l.path }

// HeadPath returns the file the log's head is kept in: the log's path with
// ".head" added.
func (l *Log) HeadPath() string { return HeadPath(l.path) }

// HeadPath returns the head file of the log at path.
func HeadPath(path string) string { return path + ".head" }

// KeyID returns the id of key written into entries and heads: the first 8
// hex digits of HMAC-SHA256(key, "piiscan audit key id"). It names the key
// without revealing it.
func KeyID(key []byte) string {
	h := hmac.New(sha256.New, key)
	h.Write([]byte("piiscan audit key id"))
	return hex.EncodeToString(h.Sum(nil))[:8]
}

func (l *Log) mac(line []byte) string {
	h := hmac.New(sha256.New, l.key)
	h.Write(line)
	return hex.EncodeToString(h.Sum(nil))
}

// sealLen is the length of the MAC field that ends a sealed line:
// ,"mac":"<64 hex digits>"}
const sealLen = len(`,"mac":""}`) + 64

// seal ends the JSON object line, which has no MAC field, with its MAC.
func (l *Log) seal(line []byte) []byte {
	body := line[:len(line)-1]
	return append(append(append(body, `,"mac":"`...), l.entryMAC(body)...), `"}`...)
}

// sealed reports whether line ends with its own valid MAC.
func (l *Log) sealed(line []byte) bool {
	if len(line) < sealLen || !bytes.HasPrefix(line[len(line)-sealLen:], []byte(`,"mac":"`)) || !bytes.HasSuffix(line, []byte(`"}`)) {
		return false
	}
	body := line[:len(line)-sealLen]
	return hmac.Equal(line[len(line)-sealLen+len(`,"mac":"`):len(line)-2], []byte(l.entryMAC(body)))
}

func (l *Log) entryMAC(body []byte) string {
	h := hmac.New(sha256.New, l.key)
	h.Write([]byte("piiscan audit entry\n"))
	h.Write(body)
	return hex.EncodeToString(h.Sum(nil))
}

// KeyError says that a log or its head was written with another key than
// the one it is checked or appended with.
type KeyError struct {
	// Line is the log line that names the other key, 0 for the head file.
	Line int
	// Logged is the key id in the log, Key the id of the key given.
	Logged, Key string
}

func (e *KeyError) Error() string {
	return fmt.Sprintf("the log was written with another key (key id %s, this key %s)", e.Logged, e.Key)
}

// ErrHeadMismatch says the log's end does not match its head: entries
// were cut from its end, or its last entry was edited.
var ErrHeadMismatch = errors.New("the log's end does not match its head")

// ErrNoHead says that a log written with key ids has no head file, so
// entries cut from its end could not be seen.
var ErrNoHead = errors.New("the log's head file is missing")

// Status is what Check found.
type Status struct {
	// Head is the log's head after the check.
	Head Head
	// Notes say what Check put right: a head file created for an empty log
	// or one written before heads were kept, or a head brought up to date
	// after a run stopped between an append and its head.
	Notes []string
}

// Check readies the log for a run that is about to act, and must be
// called, and succeed, before the first action. It creates the file (mode
// 0600) when missing, but not its directory; takes the log's lock; checks
// that the last line is a whole entry written with this key and that the
// head file agrees with it; and rewrites the head, which also shows that
// the directory is writable. Its error says what is wrong; when there is
// one, act on nothing.
func (l *Log) Check() (Status, error) {
	dir := filepath.Dir(l.path)
	if fi, err := os.Stat(dir); err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return Status{}, fmt.Errorf("audit log %s: its directory %s does not exist", l.path, dir)
		}
		return Status{}, fmt.Errorf("audit log %s: %w", l.path, err)
	} else if !fi.IsDir() {
		return Status{}, fmt.Errorf("audit log %s: %s is not a directory", l.path, dir)
	}
	f, err := l.openLocked()
	if err != nil {
		return Status{}, err
	}
	defer f.Close()
	defer flock.Unlock(f)
	head, notes, err := l.reconcile(f)
	if err != nil {
		return Status{}, err
	}
	// Temporary heads of a process killed while writing one: every head
	// is written under the lock this process now holds, so they are dead.
	if stale, _ := filepath.Glob(filepath.Join(dir, itempath.ReplacementGlob(filepath.Base(l.HeadPath())))); len(stale) > 0 {
		for _, p := range stale {
			os.Remove(p)
		}
		notes = append(notes, fmt.Sprintf("removed %d temporary head files of killed runs", len(stale)))
	}
	if err := l.writeHead(head); err != nil {
		return Status{}, err
	}
	return Status{Head: head, Notes: notes}, nil
}

// openLocked opens the log for appending, creating it, and locks it.
func (l *Log) openLocked() (*os.File, error) {
	f, err := os.OpenFile(l.path, os.O_RDWR|os.O_CREATE|os.O_APPEND, 0o600)
	if err != nil {
		return nil, fmt.Errorf("audit log: %w", err)
	}
	if err := flock.Lock(f); err != nil {
		f.Close()
		return nil, fmt.Errorf("audit log: locking %s: %w", l.path, err)
	}
	return f, nil
}

// Append adds entries in one locked write, syncs the file and updates the
// head. Seq, Prev and KeyID are filled in; Time is set when zero. It
// refuses to append to a log whose end does not match its head, or that
// was written with another key.
func (l *Log) Append(entries ...Entry) error {
	_, err := l.append(entries)
	return err
}

// append is Append, returning the entries as written.
func (l *Log) append(entries []Entry) ([]Entry, error) {
	if len(entries) == 0 {
		return nil, nil
	}
	f, err := l.openLocked()
	if err != nil {
		return nil, err
	}
	defer f.Close()
	defer flock.Unlock(f)
	head, _, err := l.reconcile(f)
	if err != nil {
		return nil, err
	}
	seq, prev := head.Entries, head.Hash
	var buf bytes.Buffer
	written := make([]Entry, 0, len(entries))
	for _, e := range entries {
		seq++
		e.Seq, e.Prev, e.KeyID, e.MAC = seq, prev, l.keyID, ""
		if e.Time.IsZero() {
			e.Time = time.Now().UTC()
		}
		line, err := json.Marshal(e)
		if err != nil {
			return nil, fmt.Errorf("audit log %s: %w", l.path, err)
		}
		line = l.seal(line)
		e.MAC = string(line[len(line)-sealLen+len(`,"mac":"`) : len(line)-2])
		buf.Write(line)
		buf.WriteByte('\n')
		prev = l.mac(line)
		written = append(written, e)
	}
	if _, err := f.Write(buf.Bytes()); err != nil {
		return nil, fmt.Errorf("audit log %s: %w", l.path, err)
	}
	if err := f.Sync(); err != nil {
		return nil, fmt.Errorf("audit log %s: %w", l.path, err)
	}
	if err := l.writeHead(Head{Entries: seq, Hash: prev, KeyID: l.keyID}); err != nil {
		return nil, fmt.Errorf("audit log %s: entries written, but not its head (the next append puts it right): %w", l.path, err)
	}
	return written, nil
}

// reconcile checks the end of the locked log f against its head file and
// returns the head the next append follows. A missing head is accepted
// for an empty log and for one written before key ids (and heads) were
// kept; a head behind the log is accepted when the entries after it chain
// from it (a run stopped between an append and its head).
//
// A last line cut short, with no newline, is what an append killed in the
// middle of its write leaves. It is removed when the log before it holds
// the head: the head is written only after an append's write and sync, so
// those bytes were never acknowledged and no action followed them. A cut
// into an entry the head counts is refused, as any other damage.
func (l *Log) reconcile(f *os.File) (Head, []string, error) {
	fi, err := f.Stat()
	if err != nil {
		return Head{}, nil, fmt.Errorf("audit log %s: %w", l.path, err)
	}
	size := fi.Size()
	last, cut, err := lastLine(f, size)
	var torn int64 // the bytes of a cut-short last line
	if err == nil && cut {
		torn = int64(len(last))
		size -= torn
		last, _, err = lastLine(f, size)
	}
	if err != nil {
		return Head{}, nil, fmt.Errorf("audit log %s: %w", l.path, err)
	}
	errCut := fmt.Errorf("audit log %s: its last line is cut short or not a valid entry (a write was interrupted, or the file was edited); run piiscan audit verify", l.path)
	cur := Head{KeyID: l.keyID}
	var e Entry
	if last != nil {
		if err := json.Unmarshal(last, &e); err != nil {
			return Head{}, nil, errCut
		}
		if e.KeyID != "" && e.KeyID != l.keyID {
			return Head{}, nil, fmt.Errorf("audit log %s: %w", l.path, &KeyError{Logged: e.KeyID, Key: l.keyID})
		}
		if e.KeyID != "" && !l.sealed(last) {
			return Head{}, nil, fmt.Errorf("audit log %s: %w: the last entry (seq %d) was edited (its MAC does not match)", l.path, ErrHeadMismatch, e.Seq)
		}
		cur.Entries, cur.Hash = e.Seq, l.mac(last)
	}
	h, err := l.readHead()
	if err != nil {
		return Head{}, nil, err
	}
	var notes []string
	switch {
	case h == nil && last == nil:
	case h == nil && e.KeyID == "" && torn == 0:
		notes = append(notes, fmt.Sprintf("%s was written before heads were kept: its head file %s is created now", l.path, l.HeadPath()))
	case h == nil && e.KeyID == "":
		return Head{}, nil, errCut // no head to show the cut line was never counted
	case h == nil:
		return Head{}, nil, fmt.Errorf("audit log %s: %w (%s): entries at its end may have been removed; compare the log with a head kept elsewhere (piiscan audit verify --head)", l.path, ErrNoHead, l.HeadPath())
	case h.Entries == cur.Entries && h.Hash == cur.Hash:
	case cur.Entries > h.Entries:
		if err := l.chainsFrom(io.NewSectionReader(f, 0, size), *h); err != nil {
			return Head{}, nil, err
		}
		notes = append(notes, fmt.Sprintf("%s was %d entries ahead of its head (a run stopped between an append and its head): head brought up to date", l.path, cur.Entries-h.Entries))
	case torn > 0:
		return Head{}, nil, errCut
	default:
		return Head{}, nil, fmt.Errorf("audit log %s: %w", l.path, mismatch(*h, cur.Entries))
	}
	if torn > 0 {
		if err := f.Truncate(size); err != nil {
			return Head{}, nil, fmt.Errorf("audit log %s: removing a line cut short: %w", l.path, err)
		}
		if err := f.Sync(); err != nil {
			return Head{}, nil, fmt.Errorf("audit log %s: %w", l.path, err)
		}
		notes = append(notes, fmt.Sprintf("%s ended in a line cut short (%d bytes after entry seq %d: an append killed in the middle of its write, never counted by the head): removed", l.path, torn, cur.Entries))
	}
	return cur, notes, nil
}

// mismatch describes a log of n entries that does not hold head h.
func mismatch(h Head, n int64) error {
	switch {
	case n < h.Entries:
		return fmt.Errorf("%w: it holds %d entries, its head %d: entries after seq %d were removed", ErrHeadMismatch, n, h.Entries, n)
	case n == h.Entries:
		return fmt.Errorf("%w: the last entry (seq %d) was edited", ErrHeadMismatch, n)
	}
	return fmt.Errorf("%w: entry seq %d was edited, or entries after seq %d were removed and others written", ErrHeadMismatch, h.Entries, h.Entries-1)
}

// chainsFrom checks that the log read from r holds head h (its entry
// h.Entries hashes to h.Hash) and that every entry after it chains from it.
func (l *Log) chainsFrom(r io.Reader, h Head) error {
	res, got, err := verify(r, l.key, map[int64]string{h.Entries: ""})
	if err != nil {
		return fmt.Errorf("audit log %s: %w: the log is ahead of its head (seq %d), but its chain breaks after %d good entries: %w", l.path, ErrHeadMismatch, h.Entries, res.Entries, err)
	}
	if got[h.Entries] != h.Hash {
		return fmt.Errorf("audit log %s: %w", l.path, mismatch(h, res.Entries))
	}
	return nil
}

// lastLine returns the last line of the first size bytes of f without its
// newline, or nil when size is 0. cut is true when they do not end in a
// newline.
func lastLine(f io.ReaderAt, size int64) (last []byte, cut bool, err error) {
	if size == 0 {
		return nil, false, nil
	}
	const chunk = 64 << 10
	var tail []byte
	for off := size; off > 0; {
		n := int64(chunk)
		if n > off {
			n = off
		}
		off -= n
		buf := make([]byte, n)
		if _, err := f.ReadAt(buf, off); err != nil && err != io.EOF {
			return nil, false, err
		}
		tail = append(buf, tail...)
		cut = tail[len(tail)-1] != '\n'
		trimmed := bytes.TrimRight(tail, "\n")
		if i := bytes.LastIndexByte(trimmed, '\n'); i >= 0 {
			return trimmed[i+1:], cut, nil
		}
		if off == 0 {
			return trimmed, cut, nil
		}
	}
	return nil, false, nil
}
