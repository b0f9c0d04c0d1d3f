package audit

import (
	"bufio"
	"cmp"
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"os"
	"slices"

	"github.com/piiscan/piiscan/internal/flock"
)

// Break is where a chain is broken.
type Break struct {
	Line   int // 1-based line of the entry that does not follow
	Reason string
}

func (b *Break) Error() string { return fmt.Sprintf("line %d: %s", b.Line, b.Reason) }

// Result summarises a verified log.
type Result struct {
	Entries int64
	// Head is the HMAC of the last line. Keep it, with Entries, elsewhere
	// (see Head.String): the head file beside the log can be rolled back
	// together with the log, a copy off the host cannot.
	Head string
	// KeyID is the key id the log's entries name ("" for a log written
	// before key ids were kept).
	KeyID string
	// Unresolved are the intent entries without a result entry: actions
	// that were started and not recorded as finished, as when a run was
	// killed between the two, and that no later run finished either (see
	// Settled). They are not tampering: the chain holds. Each one's path
	// must be looked at to learn whether the action happened. An intent's
	// Versions are the versions its planned entries named (outcome
	// VersionPlanned): those the action may have deleted.
	Unresolved []Entry
	// Settled are the intents without a result entry of their own whose
	// action a later run finished (see Settled).
	Settled []Settled
	// Notes say what is worth knowing and not wrong: no head file for a log
	// written before heads were kept, or a log ahead of its head.
	Notes []string
}

// Settled is an intent without a result entry of its own that a later run
// settled: a done entry after it, whose own intent came after it too, did
// the same action on the same path (the done entry's Action, or its
// intent's when the action turned into another, as a rewrite into a
// delete when every record expired; a "keep" settles nothing). When the intent
// planned versions (a planned entry), each of them must be accounted for
// as well: deleted by a later result entry, kept by one (a version under
// an Object Lock hold that the store refused to delete: still there, and
// said so), or not among the versions that later run planned (gone before
// it listed the key: deleted by the run that was stopped, or by someone
// else). A failed result entry settles only such an intent with versions,
// and only when it accounts for every one of them: what became of each
// version is then known.
type Settled struct {
	// Intent is the intent, with the versions it planned (see
	// Result.Unresolved).
	Intent Entry
	// By is the seq of the result entry that settled it (the last needed).
	By int64
	// Deleted are the planned versions a later run deleted, Kept those a
	// later run found held and left, Gone those a later run no longer
	// found.
	Deleted, Kept, Gone []string
}

// openIntent is an intent without a result yet, while a log is read.
type openIntent struct {
	e Entry
	// left are the versions it planned not yet accounted for by a later
	// run; by is the done entry that settled it (0: none yet).
	left                map[string]bool
	by                  int64
	deleted, kept, gone []string
}

// settle accounts for the open intents of the same action and path that
// came before d's own intent (own, nil when unknown) by d, a done entry
// or a failed one that lists versions: the action d names, and the one
// its intent named.
func settle(open map[int64]*openIntent, byKey map[string][]int64, d Entry, own *openIntent) {
	if d.Action == "keep" {
		return
	}
	settleAs(open, byKey, d.Action, d, own)
	if own != nil && own.e.Action != d.Action && own.e.Path == d.Path {
		settleAs(open, byKey, own.e.Action, d, own)
	}
}

// settleAs is settle for the open intents of action on d's path.
func settleAs(open map[int64]*openIntent, byKey map[string][]int64, action string, d Entry, own *openIntent) {
	key := action + "\x00" + d.Path
	outcome := map[string]string{}
	for _, v := range d.Versions {
		outcome[v.Version] = v.Outcome
	}
	seqs := byKey[key][:0]
	for _, s := range byKey[key] {
		o := open[s]
		if o == nil {
			continue // resolved since
		}
		seqs = append(seqs, s)
		if s >= d.Intent || o.by != 0 || d.Phase == PhaseFailed && !o.planned() {
			continue
		}
		for _, v := range slices.Sorted(maps.Keys(o.left)) {
			switch {
			case outcome[v] == VersionDeleted:
				o.deleted = append(o.deleted, v)
			case outcome[v] == VersionKept:
				o.kept = append(o.kept, v)
			case own != nil && own.planned() && !own.plans(v):
				o.gone = append(o.gone, v)
			default:
				continue
			}
			delete(o.left, v)
		}
		if len(o.left) == 0 {
			o.by = d.Seq
		}
	}
	if len(seqs) == 0 {
		delete(byKey, key)
	} else {
		byKey[key] = seqs
	}
}

// planned reports whether the intent named the versions it may delete.
func (o *openIntent) planned() bool { return len(o.e.Versions) > 0 }

// plans reports whether the intent named version v.
func (o *openIntent) plans(v string) bool {
	for _, p := range o.e.Versions {
		if p.Version == v {
			return true
		}
	}
	return false
}

// Verify checks the chain of the log at path, and that its end matches
// its head file and every head in expect (heads kept elsewhere, which the
// log must still hold). It returns the first break as a *Break, a log or
// head written with another key as a *KeyError, and an end that does not
// match a head as an error wrapping ErrHeadMismatch (or ErrNoHead when a
// log written with key ids has no head file).
func Verify(path string, key []byte, expect ...Head) (Result, error) {
	l := Open(path, key)
	f, err := os.Open(path)
	if err != nil {
		return Result{}, err
	}
	defer f.Close()
	if err := flock.LockShared(f); err != nil {
		return Result{}, fmt.Errorf("audit log: locking %s: %w", path, err)
	}
	defer flock.Unlock(f)
	h, err := l.readHead()
	if err != nil {
		return Result{}, err
	}
	want := map[int64]string{}
	if h != nil {
		want[h.Entries] = ""
	}
	for _, e := range expect {
		want[e.Entries] = ""
	}
	// A last line cut short is checked apart: see torn below.
	fi, err := f.Stat()
	if err != nil {
		return Result{}, err
	}
	size := fi.Size()
	partial, cut, err := lastLine(f, size)
	if err != nil {
		return Result{}, err
	}
	var torn int64
	if cut {
		torn = int64(len(partial))
	}
	res, got, err := verify(io.NewSectionReader(f, 0, size-torn), key, want)
	if err != nil {
		return res, err
	}
	if torn > 0 {
		// What an append killed in the middle of its write leaves, past
		// the head (or as the first line of a log that has none yet); the
		// next run removes it (Check). A cut into an entry the head counts
		// is a break.
		if h == nil && res.Entries > 0 || h != nil && (res.Entries < h.Entries || got[h.Entries] != h.Hash) {
			return res, &Break{Line: int(res.Entries) + 1, Reason: "not a valid entry: the line is cut short"}
		}
		res.Notes = append(res.Notes, fmt.Sprintf("the log ends in a line cut short (%d bytes after entry seq %d): an append was killed in the middle of its write, after the head; the next run removes it", torn, res.Entries))
	}
	switch {
	case h == nil && res.KeyID == "":
		if res.Entries > 0 {
			res.Notes = append(res.Notes, fmt.Sprintf("no head file (%s): the log was written before heads were kept, and the next run creates it", l.HeadPath()))
		}
	case h == nil:
		return res, fmt.Errorf("%w (%s): entries at the end of the log may have been removed; compare it with a head kept elsewhere (--head)", ErrNoHead, l.HeadPath())
	case res.Entries < h.Entries || got[h.Entries] != h.Hash:
		return res, mismatch(*h, res.Entries)
	case res.Entries > h.Entries:
		res.Notes = append(res.Notes, fmt.Sprintf("the log is %d entries ahead of its head file: a run stopped between an append and its head, or is appending now (the next append updates the head)", res.Entries-h.Entries))
	}
	for _, e := range expect {
		if res.Entries < e.Entries || got[e.Entries] != e.Hash {
			return res, fmt.Errorf("the log does not hold the head %s: %w", e, mismatch(e, res.Entries))
		}
	}
	return res, nil
}

// VerifyReader checks the chain of a log read from r. It does not know
// the log's head: see Verify.
func VerifyReader(r io.Reader, key []byte) (Result, error) {
	res, _, err := verify(r, key, nil)
	return res, err
}

// verify checks the chain of a log read from r and returns, for each seq
// in want, the HMAC of its line (for a seq of 0, "").
func verify(r io.Reader, key []byte, want map[int64]string) (Result, map[int64]string, error) {
	l := &Log{key: key, keyID: KeyID(key)}
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64<<10), 16<<20)
	var res Result
	got := map[int64]string{}
	if _, ok := want[0]; ok {
		got[0] = ""
	}
	intents := map[int64]*openIntent{}
	byKey := map[string][]int64{} // action and path -> open intents
	prev := ""
	line := 0
	var last []byte // the last line, when it has a key id
	for sc.Scan() {
		line++
		b := sc.Bytes()
		var e Entry
		if err := json.Unmarshal(b, &e); err != nil {
			return res, nil, &Break{Line: line, Reason: "not a valid entry: " + err.Error()}
		}
		if e.KeyID != "" && e.KeyID != l.keyID {
			return res, nil, &KeyError{Line: line, Logged: e.KeyID, Key: l.keyID}
		}
		switch {
		case e.Prev != prev && line == 1:
			return res, nil, &Break{Line: line, Reason: "the first entry names a previous one: entries before it were removed"}
		case e.Prev != prev:
			return res, nil, &Break{Line: line, Reason: "the previous entry was edited, removed or moved (its hash does not match)"}
		case e.Seq != res.Entries+1:
			return res, nil, &Break{Line: line, Reason: fmt.Sprintf("sequence %d follows %d", e.Seq, res.Entries)}
		}
		if e.KeyID == "" && res.KeyID != "" {
			return res, nil, &Break{Line: line, Reason: "the entry has no key id, after entries with one"}
		}
		if res.KeyID == "" {
			res.KeyID = e.KeyID
		}
		if e.KeyID != "" {
			last = append(last[:0], b...)
		}
		switch {
		case e.Phase == PhaseIntent:
			intents[e.Seq] = &openIntent{e: e, left: map[string]bool{}}
			key := e.Action + "\x00" + e.Path
			byKey[key] = append(byKey[key], e.Seq)
		case e.Phase == PhasePlanned:
			if o := intents[e.Of]; o != nil {
				o.e.Versions = append(o.e.Versions, e.Versions...)
				for _, v := range e.Versions {
					o.left[v.Version] = true
				}
			}
		case e.Intent != 0:
			own := intents[e.Intent]
			delete(intents, e.Intent)
			if e.Phase == PhaseDone || e.Phase == PhaseFailed && len(e.Versions) > 0 {
				settle(intents, byKey, e, own)
			}
		}
		res.Entries++
		prev = l.mac(b)
		if _, ok := want[e.Seq]; ok {
			got[e.Seq] = prev
		}
	}
	if err := sc.Err(); err != nil {
		return res, nil, fmt.Errorf("line %d: %w", line+1, err)
	}
	// No entry chains to the last one: its own MAC shows an edit.
	if last != nil && !l.sealed(last) {
		return res, nil, &Break{Line: line, Reason: "the last entry was edited (its MAC does not match)"}
	}
	res.Head = prev
	for _, o := range intents {
		if o.by == 0 {
			res.Unresolved = append(res.Unresolved, o.e)
			continue
		}
		res.Settled = append(res.Settled, Settled{Intent: o.e, By: o.by, Deleted: o.deleted, Kept: o.kept, Gone: o.gone})
	}
	slices.SortFunc(res.Unresolved, func(a, b Entry) int { return cmp.Compare(a.Seq, b.Seq) })
	slices.SortFunc(res.Settled, func(a, b Settled) int { return cmp.Compare(a.Intent.Seq, b.Intent.Seq) })
	return res, got, nil
}
