package retention

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/piiscan/piiscan/config"
	"github.com/piiscan/piiscan/policy"
	"github.com/piiscan/piiscan/scanners"
	"github.com/piiscan/piiscan/scanners/bucket"
	"github.com/piiscan/piiscan/scanners/source"
)

// Actions a plan can hold.
const (
	Delete        = policy.Delete        // remove the file
	Quarantine    = policy.Quarantine    // move the file to the quarantine folder
	DropRecords   = policy.DropRecords   // rewrite the file without its expired records
	RedactRecords = policy.RedactRecords // mask personal data in expired records
	RedactFile    = policy.RedactFile    // mask personal data in the whole file
	Keep          = policy.Keep          // nothing to do, or not allowed to act (see Reason)
)

// Item is what a plan does with one file.
type Item struct {
	Location *config.Location
	Path     string
	Snap     Snapshot
	Action   string
	Reason   string
	// Held names the legal hold that keeps the file, if any.
	Held string
	// Disallowed limits redaction to the classes the location does not
	// allow (redact); otherwise every value is masked (expired data).
	Disallowed bool
	// Subjects are erased by an Erase action; DropLines drops their
	// records instead of masking their values; Found counts the records
	// that mention them.
	Subjects  []Subject
	DropLines bool
	Found     int64
	// BelowMin counts, for a RedactFile, the values of disallowed
	// classes found at a confidence below enforcement.min_confidence:
	// the rewrite leaves them as they are.
	BelowMin int64
	// Cutoff is the oldest record time kept by record actions; Now is the
	// plan's clock, past which a record time is implausible.
	Cutoff, Now time.Time
	// Outcome, filled when the plan is carried out (or simulated).
	Done   bool
	Err    error
	Stats  RecordStats
	Masked MaskStats
	NewLoc string // where a quarantined file went
	// counted: the record actions were worked out without acting;
	// emptied: every record expired; newSize: the file's size after a
	// rewrite.
	counted, emptied bool
	newSize          int64
	// keptFor says why the item is kept in words for the person who
	// asked for an erasure: no path, no process, no other value.
	keptFor string
	// Old, for an item that deletes one noncurrent version or delete
	// marker of an object by its version id (all_versions), names it;
	// Path is then VersionPath of the object's.
	Old *OldVersion
	// at is where the file is (see where).
	at place
}

// Plan is what a purge would do.
type Plan struct {
	Now   time.Time
	Items []*Item
	// Tripped explains why the circuit breaker refuses the plan's deletes.
	Tripped []string
	// Problems are the paths that could not be examined, and why: Error
	// is the reason. Missing marks a location root that does not exist
	// (an unmounted volume, a path not created yet), which is not the
	// same as a file that could not be read; Partial marks an input read
	// but not wholly searched. Path is empty for a problem of no single
	// path (the inputs an erasure skipped as binary).
	Problems []scanners.Problem
	// Warnings are things the user should know that stop nothing (a
	// legal hold that matches no file).
	Warnings []string
	// NoBreaker lifts the circuit breaker for this plan.
	NoBreaker bool
	// binary counts the inputs a plan's scan skipped as binary.
	binary int64
	// sizes are, by location name, the files and bytes the location
	// holds, for the circuit breaker.
	sizes map[string]*locationSize
	// older are, by path, the noncurrent versions (all_versions) that
	// deleting an object deletes with it, for the circuit breaker (see
	// planOldVersions).
	older map[string]*locationSize
	// held is what the legal holds covered, by identity, when the plan
	// was made (see resolveHolds).
	held *heldSet
	// belowWarn is 1 + the index in Warnings of the one noteBelow wrote
	// (0: none).
	belowWarn int
}

// locationSize is what a location holds.
type locationSize struct{ files, bytes int64 }

// PlanOptions tune planning.
type PlanOptions struct {
	Now time.Time
	// Locations limits the plan to these location names.
	Locations []string
	// NoBreaker disables the circuit breaker for this run.
	NoBreaker bool
	// Objects lists and inspects locations in buckets.
	Objects *bucket.Client
	// afterHolds and beforeRelook, when set (by tests), run once the
	// legal holds are resolved, before anything else is looked at, and
	// before they are looked at again when the plan is made.
	afterHolds, beforeRelook func()
}

// resolveHolds resolves the legal holds in the roots of the locations the
// plan looks at (see resolveHolds), before anything else.
func (p *Plan) resolveHolds(ctx context.Context, c *config.Config, opts PlanOptions) {
	p.held = resolveHolds(ctx, c, p.Now, holdRoots(c, opts.Locations))
	if opts.afterHolds != nil {
		opts.afterHolds()
	}
}

// relookHolds looks at the paths the holds name once more when the plan is
// made, and warns of roots where they could not be resolved or changed
// meanwhile: an enforcing run does nothing there.
func (p *Plan) relookHolds(opts PlanOptions) {
	if opts.beforeRelook != nil {
		opts.beforeRelook()
	}
	p.held.relook("while the plan was made")
	for _, root := range sortedKeys(p.held.broken) {
		p.Warnings = append(p.Warnings, fmt.Sprintf("%q: %v: nothing will be done there", root, p.held.broken[root]))
	}
}

// PlanPurge decides, for every file of every location with a retention
// rule, what retention requires: it reads only file metadata.
func PlanPurge(ctx context.Context, c *config.Config, opts PlanOptions) (*Plan, error) {
	now := opts.Now
	if now.IsZero() {
		now = time.Now()
	}
	p := &Plan{Now: now, NoBreaker: opts.NoBreaker, sizes: map[string]*locationSize{}}
	p.resolveHolds(ctx, c, opts)
	own := ownFilesOf(c)
	w := newWriters()
	usedHolds := map[*config.Hold]bool{}
	claimed := map[string]string{} // path -> location: a file is looked at once
	mkey := mtimeKey(c)
	for _, loc := range c.Locations {
		selected := len(opts.Locations) == 0 || slices.Contains(opts.Locations, loc.Name)
		size := &locationSize{}
		p.sizes[loc.Name] = size
		examined := true
		var found []*walked
		err := walkLocation(ctx, loc, opts.Objects, own, func(at place, path string, snap Snapshot) {
			// A file under several locations is planned by the most
			// specific (an archive folder inside a log folder keeps its
			// own retention).
			if _, ok := claimed[path]; ok || policy.LocationOf(c, path) != loc {
				return
			}
			claimed[path] = loc.Name
			hold := holdCovering(c, at, path, now)
			if hold != nil {
				usedHolds[hold] = true
			}
			if loc.MaxAge == 0 || !selected {
				return
			}
			size.files++
			size.bytes += snap.Size
			found = append(found, &walked{at: at, path: path, snap: snap, hold: hold, mtime: snap.ModTime})
		}, func(path string, err error) {
			p.Problems = append(p.Problems, locationProblem(loc, path, err))
			examined = false
		})
		if err != nil {
			return nil, err
		}
		// The objects' original times first, many at once; then the
		// decisions, in the order of the walk.
		if err := originalTimes(ctx, loc, opts.Objects, mkey, now, found); err != nil {
			return nil, err
		}
		for _, f := range found {
			it := decide(ctx, c, loc, f.at, f.path, f.snap, f.mtime, f.hold, now, w, opts.Objects)
			if f.timeErr != nil {
				// Kept (by its LastModified it is within retention),
				// but not silently: it may be due.
				it.Reason += "; its original time could not be read"
				p.Problems = append(p.Problems, problemOf(f.path, fmt.Errorf("could not read its original time (x-amz-meta-%s), so it is kept by its LastModified: %w", OriginalMtimeMeta, f.timeErr)))
			}
			p.Items = append(p.Items, it)
		}
		// A location that could not be listed is a problem of the plan,
		// said once: not also a location without files.
		if selected && loc.MaxAge > 0 && size.files == 0 && examined {
			p.Warnings = append(p.Warnings, fmt.Sprintf("location %s has no files: is its volume mounted?", loc.Name))
		}
	}
	for i := range c.Holds {
		if h := &c.Holds[i]; h.Active(now) && !usedHolds[h] {
			p.Warnings = append(p.Warnings, fmt.Sprintf("legal hold %q matches no file in the locations (paths %s): check its paths",
				h.Reason, strings.Join(h.Paths, ", ")))
		}
	}
	objectLocks(ctx, p, opts.Objects, now)
	// all_versions: the noncurrent versions past retention too.
	planOldVersions(ctx, c, p, opts.Objects, func(l *config.Location) bool {
		return l.MaxAge > 0 && (len(opts.Locations) == 0 || slices.Contains(opts.Locations, l.Name))
	}, false)
	p.relookHolds(opts)
	return p, nil
}

// locationProblem is the problem of a path of loc that could not be
// examined for err: a root that does not exist is Missing.
func locationProblem(loc *config.Location, path string, err error) scanners.Problem {
	if errors.Is(err, source.ErrMissing) {
		return missingRoot(loc, path)
	}
	return problemOf(path, err)
}

// missingRoot is the problem of a root of loc that does not exist.
func missingRoot(loc *config.Location, root string) scanners.Problem {
	return scanners.Problem{Path: root, Error: fmt.Sprintf("location %s: does not exist (not mounted?)", loc.Name), Missing: true}
}

// problemOf is the problem of a path that could not be examined for err.
func problemOf(path string, err error) scanners.Problem {
	return scanners.Problem{Path: path, Error: err.Error()}
}

// objectLocks keeps objects that S3 Object Lock protects (a legal hold or
// an unexpired retention) out of every destructive action.
func objectLocks(ctx context.Context, p *Plan, objects *bucket.Client, now time.Time) {
	if objects == nil {
		return
	}
	locks := &bucketLocks{c: objects, buckets: map[string]bucketLock{}}
	for _, it := range p.Items {
		if it.Action == Keep || it.Old != nil {
			continue
		}
		why, err := it.where().lockHeld(ctx, locks, it.Path, now)
		switch {
		case err != nil:
			// Not knowing whether a hold protects it is reason enough
			// to keep it; but it is not a hold (an erasure is not
			// complete), and the SDK's error names the object.
			it.Action = Keep
			it.keptFor = "whether S3 Object Lock holds the object could not be checked: run erase again"
			it.Reason += "; kept: S3 Object Lock could not be checked: " + err.Error()
		case why != "":
			it.Action, it.Held, it.Reason = Keep, why, it.Reason+"; kept: "+why
		}
	}
}

// walkLocation calls fn for every regular file (or object) of a location,
// with its place and its snapshot, taken from the root without following a
// symbolic link (a link swapped in after the walk listed the file is not
// followed either). piiscan's own temporary files are left out.
func walkLocation(ctx context.Context, loc *config.Location, objects *bucket.Client, own *ownFiles, fn func(place, string, Snapshot), onErr func(string, error)) error {
	w := &locationWalk{loc: loc, objects: objects, own: own, seen: map[string]bool{}, fn: fn, onErr: onErr}
	for _, root := range loc.Roots() {
		if err := placeOf(root).walk(ctx, w, root); err != nil {
			return err
		}
	}
	return nil
}

// walked is a file (or object) a location's walk found for the plan.
type walked struct {
	at   place
	path string
	snap Snapshot
	hold *config.Hold // the hold covering it, if any
	// mtime is the modification time retention counts (see
	// originalTimes); timeErr says why the original time kept in an
	// object's metadata could not be read (mtime is then its
	// LastModified).
	mtime   time.Time
	timeErr error
}

// needsHead reports whether the age of an object of loc (not held) may
// differ from what its listing shows, which takes a HEAD to tell: a
// rewrite by piiscan gave the object a new LastModified and kept the
// original one in its metadata, and a listing carries no metadata. Only
// an object the listing shows within retention can be older than it
// looks; in a from: record location its records carry their own times.
func needsHead(loc *config.Location, f *walked, now time.Time) bool {
	return f.hold == nil && f.at.originalTimeInMeta() && now.Sub(f.snap.ModTime) <= loc.MaxAge && loc.From != config.FromRecord
}

// originalTimes sets the mtime of the objects of found that need it
// (see needsHead) from their metadata (see objectModTime), with HEADs
// running objects.Concurrency() at once: on a bucket of thousands of
// objects, thousands of serial round trips would make planning as slow
// as their sum. Each result lands in its own item, so the plan is the
// same whatever order the answers come in; so does a failed HEAD's error
// (f.timeErr), which the plan reports as a problem. When ctx ends, no
// further HEAD is sent and ctx's error is returned.
func originalTimes(ctx context.Context, loc *config.Location, objects *bucket.Client, mkey []byte, now time.Time, found []*walked) error {
	if objects == nil || mkey == nil {
		return nil // objectModTime would not look
	}
	var heads []*walked
	for _, f := range found {
		if needsHead(loc, f, now) {
			heads = append(heads, f)
		}
	}
	if len(heads) == 0 {
		return nil
	}
	work := make(chan *walked)
	var wg sync.WaitGroup
	for range min(objects.Concurrency(), len(heads)) {
		wg.Go(func() {
			for f := range work {
				f.mtime, f.timeErr = objectModTime(ctx, objects, mkey, f.path, f.snap.ModTime)
			}
		})
	}
send:
	for _, f := range heads {
		select {
		case work <- f:
		case <-ctx.Done():
			break send
		}
	}
	close(work)
	wg.Wait()
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("reading the original times of objects: %w", err)
	}
	return nil
}

// decide is the retention rule for one file: metadata (mtime is the
// modification time retention counts: see originalTimes), the hold
// covering it (nil: none), policy and clock in, a decision out.
// policy.Retention says what the rule requires; decide keeps what a hold
// covers, reads the head of files whose records would be rewritten, since
// archives only ever get whole-file actions (policy.WholeFile), and asks
// w whether a process holds the file open for writing.
func decide(ctx context.Context, c *config.Config, loc *config.Location, at place, path string, snap Snapshot, mtime time.Time, h *config.Hold, now time.Time, w *writers, objects *bucket.Client) *Item {
	it := &Item{Location: loc, Path: path, Snap: snap, Action: Keep, at: at}
	if h != nil {
		it.Held = h.Reason
		it.Reason = holdReason(h)
		return it
	}
	v := policy.Retention(loc, mtime, snap.ModTime, now)
	if v.Records() {
		if kind := contentKind(ctx, objects, loc, at, path); kind != "" {
			v = policy.WholeFile(loc, kind, mtime, now)
		} else {
			it.Cutoff, it.Now = v.Cutoff, now
		}
	}
	it.Action, it.Reason = v.Action, v.Reason
	if it.Action != Keep {
		if err := notNow(c, loc, at, snap, now, w); err != nil {
			it.Action, it.Reason = Keep, it.Reason+"; kept: "+err.Error()
		}
	}
	return it
}

// timeParser reads the record times of the item's location.
func (it *Item) timeParser() *TimeParser {
	return &TimeParser{Fields: it.Location.TimeFields, Location: it.Location.TimeZone, Now: it.Now}
}
