package retention

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/piiscan/piiscan/config"
	"github.com/piiscan/piiscan/finding"
	"github.com/piiscan/piiscan/internal/itempath"
	"github.com/piiscan/piiscan/internal/openat"
	"github.com/piiscan/piiscan/retention/audit"
	"github.com/piiscan/piiscan/scanners"
	"github.com/piiscan/piiscan/scanners/bucket"
	"github.com/piiscan/piiscan/scanners/detect"
	"github.com/piiscan/piiscan/scanners/source"
)

// Executor carries out plans.
type Executor struct {
	Config *config.Config
	// Engine, Allow and Fingerprints are needed to redact.
	Engine       *detect.Engine
	Allow        *scanners.Allowlist
	Fingerprints *finding.Fingerprinter
	// Enforce makes the executor act; otherwise it only works out what
	// each action would do (record counts) without changing anything.
	Enforce bool
	Audit   *audit.Log
	Logger  *slog.Logger
	// Objects reaches locations in buckets (nil: none configured).
	Objects *bucket.Client
	stores  map[string]Store
	// held are the identities the legal holds cover, as the plan saw
	// them and as they are right before acting (see resolveHolds); every
	// tree refuses to act on them.
	held *heldSet
	// refused are the locations nothing is done in this run, and why.
	refused map[string]string
	// beforeAct, when set (by tests), runs after the holds are resolved
	// again, right before the first action.
	beforeAct func()
}

// ErrBreaker is returned when the circuit breaker refused a plan.
var ErrBreaker = errors.New("circuit breaker tripped: nothing was deleted")

// errNothing aborts a rewrite that would change nothing.
var errNothing = errors.New("nothing to change")

// errEmpty aborts a rewrite that would leave nothing.
var errEmpty = errors.New("nothing left")

// Close releases the stores the executor opened.
func (x *Executor) Close() {
	for _, st := range x.stores {
		st.Close()
	}
}

func (x *Executor) logger() *slog.Logger {
	if x.Logger == nil {
		return slog.New(slog.DiscardHandler)
	}
	return x.Logger
}

// store returns the store holding the item: the tree of the location
// root that holds it, or the bucket it is in, as its place says.
func (x *Executor) store(it *Item) (Store, error) {
	return it.where().store(x, it.Location, it.Path)
}

// treeAt returns the Store of the directory tree at root (absolute).
func (x *Executor) treeAt(root string) (Store, error) {
	best := root
	if st := x.stores[best]; st != nil {
		return st, nil
	}
	t, err := OpenTree(best)
	if err != nil {
		return nil, err
	}
	t.writers = newWriters()
	t.LiveWithin = x.Config.LiveWithin
	t.held = x.heldSet()
	x.remember(best, treeStore{t})
	return x.stores[best], nil
}

// heldSet returns the identities the executor's trees refuse to act on.
func (x *Executor) heldSet() *heldSet {
	if x.held == nil {
		x.held = &heldSet{}
	}
	return x.held
}

func (x *Executor) remember(key string, st Store) {
	if x.stores == nil {
		x.stores = map[string]Store{}
	}
	x.stores[key] = st
}

// Apply carries out a plan: in order, every item's action. It first
// works out, without changing anything, what the record-level actions
// would drop, and checks the circuit breaker on files, records and bytes;
// when it trips nothing is done and Apply returns ErrBreaker. Errors of
// single items are kept in the items; Apply goes on with the others.
func (x *Executor) Apply(ctx context.Context, p *Plan) error {
	x.heldSet().merge(p.held)
	for _, it := range p.Items {
		if err := ctx.Err(); err != nil {
			return err
		}
		if it.Action == DropRecords && it.Err == nil {
			x.count(ctx, it)
		}
	}
	if !p.NoBreaker {
		p.Tripped = append(p.Tripped, x.breaker(p)...)
	}
	if len(p.Tripped) > 0 && x.Enforce {
		return fmt.Errorf("%w: %s", ErrBreaker, strings.Join(p.Tripped, "; "))
	}
	if x.Enforce && x.Audit != nil {
		// No action without an audit trail: a log that cannot be
		// written, or whose end was cut or edited, stops the run here.
		st, err := x.Audit.Check()
		if err != nil {
			return fmt.Errorf("nothing was done: %w", err)
		}
		for _, n := range st.Notes {
			x.logger().Warn("audit log", "note", n)
		}
	}
	if x.Enforce {
		x.recheckHolds(ctx, p)
		if x.beforeAct != nil {
			x.beforeAct()
		}
		if err := x.cleanQuarantine(p.Now); err != nil {
			return err
		}
		if err := x.cleanTemp(ctx, p); err != nil {
			return err
		}
		x.deleteObjects(ctx, p)
	}
	for _, it := range p.Items {
		if err := ctx.Err(); err != nil {
			return err
		}
		if it.Action == Keep || it.Done || it.Err != nil || !x.Enforce && it.counted {
			continue
		}
		if it.Action == DropRecords && it.counted && it.Stats.Dropped == 0 {
			continue // nothing expired: no action, no audit entry
		}
		it.Err = x.apply(ctx, it, p.Now)
		if me := (*holdMovedError)(nil); errors.As(it.Err, &me) {
			// A held folder's path changed right before this action
			// (see Tree.dirOf): nothing more is done in the location.
			x.refuse(p, it.Location.Name, me.why)
		}
		if it.Err != nil {
			x.logger().Warn("retention action failed", "path", it.Path, "action", it.Action, "error", it.Err)
		}
	}
	if p.belowWarn > 0 {
		p.noteBelow(x.Config.MinConfidence, true, x.Enforce)
	}
	return nil
}

// count works out what dropping an item's expired records would do,
// without changing anything: the records and bytes dropped, and whether
// every record expired (the file would be deleted).
func (x *Executor) count(ctx context.Context, it *Item) {
	it.counted = true
	t, err := x.store(it)
	if err != nil {
		it.Err = err
		return
	}
	st, err := x.dropRecords(ctx, t, it, false)
	it.Err = settleDrop(it, st, err)
	if keptHeld(it, it.Err) {
		it.Err = nil
	}
}

// keptHeld turns it into a keep when err says a legal hold covers the file
// it leads to (by identity: see heldError).
func keptHeld(it *Item, err error) bool {
	var he *heldError
	if !errors.As(err, &he) {
		return false
	}
	it.Action, it.Held, it.Done = Keep, he.hold, false
	it.Reason += "; kept: " + he.AuditReason()
	return true
}

// ErrHoldMoved means nothing was done in a location because one of its
// legal holds' paths led to another folder or file right before acting
// than when the plan was made.
var ErrHoldMoved error = reasonError("nothing is done in this location this run: a held folder or file was moved or replaced during the run, or the holds could not be resolved")

// recheckHolds resolves the legal holds again, right before acting: the
// identities found are held too, and in a location where a hold's path
// now leads elsewhere (a held folder was moved or replaced since the plan
// was made) nothing is done this run: its items fail with ErrHoldMoved and
// the plan says why.
func (x *Executor) recheckHolds(ctx context.Context, p *Plan) {
	roots := holdRoots(x.Config, nil)
	if p.held != nil {
		roots = p.held.roots
	}
	now := resolveHolds(ctx, x.Config, p.Now, roots)
	x.heldSet().merge(now)
	why := now.movedSince(p.held)
	locs := append(slices.Clone(x.Config.Locations), x.Config.QuarantineLocation())
	for _, loc := range locs {
		for _, root := range localRoots(loc) {
			if w, ok := why[root]; ok {
				x.refuse(p, loc.Name, w)
			}
		}
	}
}

// refuse makes nothing more be done in location loc this run: its items
// not yet done fail with ErrHoldMoved, and the plan says why.
func (x *Executor) refuse(p *Plan, loc, why string) {
	if x.refused[loc] != "" {
		return
	}
	if x.refused == nil {
		x.refused = map[string]string{}
	}
	x.refused[loc] = why
	p.Warnings = append(p.Warnings, fmt.Sprintf("location %s: nothing done this run: %s", loc, why))
	x.logger().Warn("legal hold moved: nothing done in the location", "location", loc, "why", why)
	for _, it := range p.Items {
		if it.Location.Name == loc && it.Err == nil && !it.Done && it.Action != Keep {
			it.Err = fmt.Errorf("%w: %s", ErrHoldMoved, why)
		}
	}
}

// settleDrop records in it what dropping its expired records came to:
// nothing expired, the file cannot be dated (kept), or every record
// expired (the file is to be deleted). It returns any other error.
func settleDrop(it *Item, st RecordStats, err error) error {
	it.Stats = st
	switch {
	case errors.Is(err, errNothing), keptUndatable(it, err):
		return nil
	case errors.Is(err, errEmpty):
		it.emptied, it.Action = true, Delete
		it.Reason += "; every record expired"
		return nil
	}
	return err
}

// keptUndatable turns it into a keep when err says its records cannot be
// dated well enough to act on them.
func keptUndatable(it *Item, err error) bool {
	if !errors.Is(err, ErrUndatable) {
		return false
	}
	it.Action, it.Reason = Keep, it.Reason+"; kept: "+undatableReason(err)
	return true
}

// deleteObjects deletes the objects a plan deletes in batches of up to
// 1000 keys per bucket, and writes their audit entries.
func (x *Executor) deleteObjects(ctx context.Context, p *Plan) {
	batches := map[*objectStore][]*Item{}
	var order []*objectStore
	for _, it := range p.Items {
		if it.Action != Delete || it.Err != nil || it.Old != nil {
			continue
		}
		ost, err := it.where().batchStore(x, it.Location, it.Path)
		if err != nil {
			it.Err = err
			continue
		}
		if ost == nil {
			continue // a file: removed on its own
		}
		if batches[ost] == nil {
			order = append(order, ost)
		}
		batches[ost] = append(batches[ost], it)
	}
	for _, ost := range order {
		items := batches[ost]
		// Results are paired with their intents by item: deleteBatch
		// orders the items its own way.
		pending := map[*Item]*audit.Pending{}
		if x.Audit != nil {
			intents := make([]audit.Entry, len(items))
			for i, it := range items {
				intents[i] = entryOf(it)
				intents[i].Action = "delete"
			}
			ps, err := x.Audit.BeginBatch(intents...)
			if err != nil {
				for _, it := range items {
					it.Err = fmt.Errorf("nothing was done: the audit log failed: %w", err)
				}
				continue
			}
			for i, it := range items {
				pending[it] = ps[i]
			}
		}
		// With all_versions, the versions of each object are named in
		// the log before the first one goes (see versionPlan).
		plan := func(ps []plannedVersions) error {
			if x.Audit == nil {
				return nil
			}
			plans := make([]audit.Plan, len(ps))
			for i, p := range ps {
				plans[i] = audit.Plan{Pending: pending[p.it], Versions: p.versions}
			}
			return x.Audit.Planned(plans...)
		}
		how := ost.deleteBatch(ctx, slices.Clone(items), plan)
		if x.Audit == nil {
			continue
		}
		outcomes := make([]audit.Outcome, len(items))
		for i, it := range items {
			outcomes[i] = audit.Outcome{Pending: pending[it], Err: it.Err}
			switch d, ok := how[it]; {
			case it.Err == nil && !it.Done:
				outcomes[i].Result = audit.Entry{Action: "keep", Reason: "not deleted"}
			case ok:
				// Which version went, or that the store could not
				// condition the delete on the object the plan saw.
				d.record(&outcomes[i].Result)
			}
		}
		if err := x.Audit.Finish(outcomes...); err != nil {
			for _, it := range items {
				if it.Done {
					it.Err = fmt.Errorf("deleted, but the audit log failed to record it: %w", err)
				}
			}
		}
	}
}

// entryOf starts the audit entry of an item: where, which rule, why.
func entryOf(it *Item) audit.Entry {
	rule := "retention"
	if it.Disallowed {
		rule = "disallowed"
	}
	e := audit.Entry{Location: it.Location.Name, Path: it.Path, Dev: it.Snap.ID.Dev, Ino: it.Snap.ID.Ino,
		Rule: rule, Reason: it.Reason, BytesBefore: it.Snap.Size}
	if it.Old != nil {
		e.Version = it.Old.Version
	}
	return e
}

// apply carries out one item. When enforcing, an intent entry is written
// to the audit log before anything changes and a result entry after
// (done, failed, or kept when there was nothing to change), so a run that
// is killed at any point leaves every action it started accounted for.
// When the intent cannot be written, nothing is done.
func (x *Executor) apply(ctx context.Context, it *Item, now time.Time) error {
	t, err := x.store(it)
	if err != nil {
		return err
	}
	var pending *audit.Pending
	if x.Enforce && x.Audit != nil {
		intent := entryOf(it)
		intent.Action = auditAction(it.Action)
		if pending, err = x.Audit.Begin(intent); err != nil {
			return fmt.Errorf("nothing was done: the audit log failed: %w", err)
		}
	}
	entry, err := x.act(ctx, t, it, now, pending)
	var he *heldError
	held := errors.As(err, &he)
	if held {
		// A held folder or file is now where the plan acts: kept, and
		// the audit log says why.
		keptHeld(it, err)
		entry, err = audit.Entry{Action: "keep", Reason: he.AuditReason()}, nil
	}
	switch {
	case pending == nil:
		return err
	case err != nil:
		// What happened to each version of an object is logged even
		// when the action failed.
		var versions audit.Entry
		if len(entry.Versions) > 0 {
			versions = audit.Entry{Version: entry.Version, Versions: entry.Versions}
		}
		if ferr := x.Audit.Finish(audit.Outcome{Pending: pending, Result: versions, Err: err}); ferr != nil {
			return fmt.Errorf("%w (and the audit log failed: %v)", err, ferr)
		}
		return err
	case !it.Done && !held:
		entry = audit.Entry{Action: "keep", Reason: "nothing to change"}
	}
	if err := pending.Done(entry); err != nil {
		return fmt.Errorf("%s done, but the audit log failed to record it: %w", entry.Action, err)
	}
	return nil
}

// auditAction names a plan's action in the audit log.
func auditAction(action string) string {
	switch action {
	case DropRecords:
		return "rewrite"
	case RedactFile, RedactRecords:
		return "redact"
	}
	return action
}

// act does what an item says (when enforcing) or works out what it would
// do, and returns the outcome for the audit log. pending is the action's
// logged intent (nil without an audit log), to which the versions of an
// object deleted with all_versions are added before the first goes.
func (x *Executor) act(ctx context.Context, t Store, it *Item, now time.Time, pending *audit.Pending) (entry audit.Entry, err error) {
	entry = entryOf(it)
	// What a rewrite does to the object's old versions (all_versions).
	ctx, rv := x.rewriteVersions(ctx, pending)
	defer rv.record(&entry)
	switch it.Action {
	case Delete:
		if !x.Enforce {
			return entry, nil
		}
		if ost, ok := t.(*objectStore); ok && it.Old != nil {
			if err := ost.removeOld(ctx, it, &entry); err != nil {
				return entry, err
			}
		} else if ok {
			// rv.plan names the versions under pending (nil without a log).
			d, err := ost.remove(ctx, it.Path, it.Snap, rv.plan)
			d.record(&entry)
			if err != nil {
				return entry, err
			}
		} else if err := t.Remove(ctx, it.Path, it.Snap); err != nil {
			return entry, err
		}
		it.Done = true
		entry.Action = "delete"
		if it.emptied {
			entry.Records = it.Stats.Dropped
		}
	case Quarantine:
		if !x.Enforce {
			return entry, nil
		}
		dst, err := quarantine(ctx, t, it.Path, it.Snap, x.quarantineDir())
		it.NewLoc = dst
		if err != nil {
			return entry, err
		}
		it.Done, it.NewLoc = true, dst
		entry.Action, entry.To = "quarantine", dst
	case DropRecords:
		st, err := x.dropRecords(ctx, t, it, x.Enforce)
		if err := settleDrop(it, st, err); err != nil {
			return entry, err
		}
		switch {
		case it.Action == Delete:
			return x.act(ctx, t, it, now, pending) // every record expired: the file goes
		case it.Action == Keep || st.Dropped == 0 || !x.Enforce:
			return entry, nil
		}
		it.Done = true
		entry.Action, entry.Records, entry.Kept = "rewrite", st.Dropped, st.Records-st.Dropped+st.Undated
		entry.BytesAfter = it.newSize
	case RedactFile:
		var fps []string
		st, err := x.redactFile(ctx, t, it, &fps)
		it.Masked = st
		switch {
		case errors.Is(err, errNothing):
			return entry, nil
		case err != nil:
			return entry, err
		}
		if !x.Enforce {
			return entry, nil
		}
		it.Done = true
		entry.Action, entry.Records, entry.BytesAfter, entry.Fingerprints = "redact", st.Values, it.newSize, fps
	case RedactRecords:
		var fps []string
		rst, mst, err := x.redactRecords(ctx, t, it, &fps)
		it.Stats, it.Masked = rst, mst
		switch {
		case errors.Is(err, errNothing), keptUndatable(it, err):
			return entry, nil
		case err != nil:
			return entry, err
		}
		if !x.Enforce {
			return entry, nil
		}
		it.Done = true
		entry.Action, entry.Records, entry.BytesAfter, entry.Fingerprints = "redact", mst.Values, it.newSize, fps
	case Erase:
		st, err := x.erase(ctx, t, it)
		it.Masked = st
		switch {
		case errors.Is(err, errNothing):
			return entry, nil
		case err != nil:
			return entry, err
		}
		if !x.Enforce {
			return entry, nil
		}
		it.Done = true
		entry.Action, entry.Rule, entry.Records, entry.BytesAfter = "erase", "right-to-deletion", st.Lines, it.newSize
		for _, s := range it.Subjects {
			entry.Fingerprints = append(entry.Fingerprints, s.Fingerprint)
		}
	default:
		return entry, fmt.Errorf("action %s is not supported", it.Action)
	}
	return entry, nil
}

func (x *Executor) quarantineDir() string { return x.Config.QuarantineDir() }

// cleanQuarantine removes the temporary copies a run killed while
// quarantining left in the quarantine folder: whole raw copies of files,
// which nothing else would ever remove. Only files named exactly as
// piiscan names them go, not one a legal hold covers, and not one another
// run is still writing (it holds its lock); each removal is audited. It
// returns an error only when the audit log fails.
func (x *Executor) cleanQuarantine(now time.Time) error {
	dir := x.quarantineDir()
	loc := x.Config.QuarantineLocation()
	if x.refused[loc.Name] != "" {
		return nil
	}
	abs, err := filepath.Abs(dir)
	if err != nil {
		return nil
	}
	q, err := openat.Open(abs)
	if err != nil {
		return nil
	}
	defer q.Close()
	if id, err := q.ID(); err != nil || x.heldSet().reason(id) != "" {
		return nil
	}
	entries, err := readEntries(q, maxHoldVisits)
	if err != nil {
		return nil
	}
	n := 0
	for _, e := range entries {
		name := e.Name()
		p := filepath.Join(abs, name)
		if !itempath.IsTemp(name) || holdOf(x.Config, fileSide{}, p, now) != "" {
			continue
		}
		ok, err := removeTemp(q, name, p, x.heldSet(), x.removeTemp(loc.Name))
		if err != nil {
			return err
		}
		if ok {
			n++
		}
	}
	if n > 0 {
		x.logger().Info("removed temporary quarantine copies of an interrupted run", "dir", dir, "files", n)
	}
	return nil
}

// cleanTemp removes, in every tree the plan acts in, the temporary files
// of an interrupted run (see Tree.CleanTemp), audited, except those a
// legal hold covers. It returns an error only when the audit log fails.
func (x *Executor) cleanTemp(ctx context.Context, p *Plan) error {
	cleaned := map[*Tree]bool{}
	// Every local root of every location, also one where nothing is due:
	// what a killed run set aside must not stay hidden under a temporary
	// name until something else is due there.
	for _, loc := range x.Config.Locations {
		for _, r := range loc.LocalRoots() {
			root, err := filepath.Abs(r)
			if err != nil {
				continue
			}
			if fi, err := os.Stat(root); err != nil || !fi.IsDir() {
				continue
			}
			st, err := x.treeAt(root)
			if err != nil {
				continue
			}
			ts, ok := st.(treeStore)
			if !ok || cleaned[ts.Tree] {
				continue
			}
			cleaned[ts.Tree] = true
			if err := x.cleanTree(ctx, p, ts, loc.Name); err != nil {
				return err
			}
		}
	}
	return nil
}

// cleanTree removes what killed runs left in one tree (see CleanTemp).
func (x *Executor) cleanTree(ctx context.Context, p *Plan, ts treeStore, loc string) error {
	held := func(path string) bool { return holdOf(x.Config, fileSide{}, path, p.Now) != "" }
	n, err := ts.CleanTemp(ctx, held, x.removeTemp(loc))
	if n > 0 {
		x.logger().Info("removed temporary files of an interrupted run", "root", ts.Dir(), "files", n)
	}
	if err != nil && ctx.Err() == nil && !errors.Is(err, errTooManyEntries) {
		return fmt.Errorf("nothing more was done: %w", err)
	}
	return nil
}

// removeTemp returns the TempAction that records the removal of a
// temporary file of location loc in the audit log: an intent before, done
// or failed after. Without an audit log it just removes.
func (x *Executor) removeTemp(loc string) TempAction {
	return func(path string, snap Snapshot, remove func() error) error {
		if x.Audit == nil {
			return remove()
		}
		pending, err := x.Audit.Begin(audit.Entry{Action: "delete", Location: loc, Path: path, Dev: snap.ID.Dev, Ino: snap.ID.Ino,
			Rule: "temporary-file", Reason: "temporary file left by an interrupted piiscan run", BytesBefore: snap.Size})
		if err != nil {
			return fmt.Errorf("the audit log failed: %w", err)
		}
		if err := remove(); err != nil {
			if ferr := pending.Failed(err); ferr != nil {
				return fmt.Errorf("the audit log failed: %w", ferr)
			}
			return err
		}
		if err := pending.Done(audit.Entry{}); err != nil {
			return fmt.Errorf("a temporary file was removed, but the audit log failed to record it: %w", err)
		}
		return nil
	}
}

// dropRecords rewrites a log (plain, gzip or zstd) without its records
// older than the item's cutoff; when enforce is off it only counts. It
// returns errNothing when no record expired and errEmpty when all did.
func (x *Executor) dropRecords(ctx context.Context, t Store, it *Item, enforce bool) (RecordStats, error) {
	parser := it.timeParser()
	keep := func(tm time.Time) bool { return !tm.Before(it.Cutoff) }
	var st RecordStats
	n, err := x.transform(ctx, t, it, enforce, func(in io.Reader, out io.Writer, mtime time.Time) error {
		var err error
		st, err = FilterRecords(in, out, parser, mtime, keep)
		if err != nil {
			return err
		}
		return countOutcome(st)
	})
	it.newSize = n
	return st, err
}

// transform rewrites a text file (plain, gzip or zstd, kept in its format)
// through fn, atomically, and returns the size of the new file. When
// enforce is off fn writes to io.Discard and nothing changes. fn may
// return errNothing or errEmpty to abort the rewrite. Archives are
// refused: they only ever get whole-file actions.
func (x *Executor) transform(ctx context.Context, t Store, it *Item, enforce bool, fn func(in io.Reader, out io.Writer, mtime time.Time) error) (int64, error) {
	f, snap, err := t.Open(ctx, it.Path)
	if err != nil {
		return 0, err
	}
	defer f.Close()
	if !it.Snap.Same(snap) {
		return 0, fmt.Errorf("%s: %w", it.Path, ErrChanged)
	}
	mtime := snap.ModTime
	text, err := openText(source.ContextReader(ctx, f))
	if err != nil {
		return 0, err
	}
	defer text.Close()
	if !enforce {
		return 0, fn(text.In, io.Discard, mtime)
	}
	return t.Rewrite(ctx, it.Path, it.Snap, func(w io.Writer) error {
		zw, err := text.NewWriter(w)
		if err != nil {
			return err
		}
		if err := fn(text.In, zw, mtime); err != nil {
			return err
		}
		return zw.Close()
	})
}

// undatableReason says why a file's records were left alone: its lines
// could not be dated well enough to drop any on their evidence.
func undatableReason(err error) string {
	return "undatable (" + strings.TrimPrefix(err.Error(), ErrUndatable.Error()+": ") + ")"
}

// countOutcome says whether filtering changed nothing, emptied the file,
// or neither.
func countOutcome(st RecordStats) error {
	switch {
	case st.Dropped == 0:
		return errNothing
	case st.BytesOut == 0:
		return errEmpty
	}
	return nil
}
