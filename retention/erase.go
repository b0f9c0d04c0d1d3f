package retention

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"path/filepath"
	"slices"
	"time"

	"github.com/piiscan/piiscan/config"
	"github.com/piiscan/piiscan/finding"
	"github.com/piiscan/piiscan/policy"
	"github.com/piiscan/piiscan/scanners"
	"github.com/piiscan/piiscan/scanners/detect"
)

// Erase is the action that removes a data subject's values from a file.
const Erase = "erase"

// Subject is a value of a person asking for deletion.
type Subject struct {
	Class string
	// Norm is the normalised value (lower-case email, E.164 phone, ...).
	Norm []byte
	// Fingerprint is the keyed fingerprint findings of the value carry.
	Fingerprint string
	// Masked is how the value is shown in plans and reports.
	Masked string
}

// EraseOptions tune an erasure.
type EraseOptions struct {
	PlanOptions
	// DropRecords drops whole lines that mention a subject instead of
	// masking the subject's values.
	DropRecords bool
}

// PlanErase scans every location for the subjects' values and plans to
// erase them from each file that holds them. Files under a legal hold are
// kept, with the hold's reason.
func PlanErase(ctx context.Context, c *config.Config, sc *scanners.Scanner, subjects []Subject, opts EraseOptions) (*Plan, error) {
	now := opts.Now
	if now.IsZero() {
		now = time.Now()
	}
	p := &Plan{Now: now}
	p.resolveHolds(ctx, c, opts.PlanOptions)
	// The quarantine holds copies of files: the subject's data in them
	// must go too. It is scanned on its own unless a location covers it.
	quarantine := c.QuarantineLocation()
	var extra []*config.Location
	if policy.LocationOf(c, filepath.Join(c.QuarantineDir(), "x")) == nil && len(opts.Locations) == 0 {
		extra = append(extra, quarantine)
	}
	hits, err := scanLocations(ctx, c, sc, p, func(l *config.Location) bool {
		return len(opts.Locations) == 0 || slices.Contains(opts.Locations, l.Name)
	}, func(f *finding.Finding) bool {
		if isTemp(f.Path) {
			return false
		}
		for _, s := range subjects {
			if f.Class == s.Class && f.Fingerprint == s.Fingerprint {
				return true
			}
		}
		return false
	}, extra...)
	if err != nil {
		return nil, err
	}
	if p.binary > 0 {
		// Erasure must not say "nothing found" of files it did not read.
		p.Problems = append(p.Problems, scanners.Problem{Error: fmt.Sprintf("%d inputs were skipped as binary (NUL bytes, UTF-32, a database's own format) and not searched: convert or restore them as text to erase from them", p.binary)})
	}
	paths := make([]string, 0, len(hits))
	for path := range hits {
		paths = append(paths, path)
	}
	slices.Sort(paths)
	own := ownFilesOf(c)
	w := newWriters()
	for _, path := range paths {
		at := placeOf(path)
		loc := policy.LocationOf(c, path)
		if at.own(own, path) {
			// The audit log and state hold no values; a copy in the
			// quarantine is erased like any file.
			if !policy.Contains(quarantine, path) {
				continue
			}
			loc = quarantine
		}
		if loc == nil {
			continue
		}
		snap, err := at.snapshot(ctx, opts.Objects, loc, path)
		if err != nil {
			p.Problems = append(p.Problems, problemOf(path, err))
			continue
		}
		h := hits[path]
		it := &Item{Location: loc, Path: path, Snap: snap, Action: Erase, Subjects: subjects,
			DropLines: opts.DropRecords, Found: int64(len(h.lines)),
			Reason: fmt.Sprintf("%d records mention the subject", len(h.lines)), at: at}
		held := holdOf(c, at, path, now)
		kind := "" // what content it holds that cannot be rewritten, read once
		if held == "" && !h.archive {
			kind = contentKind(ctx, opts.Objects, loc, at, path)
		}
		switch {
		case held != "":
			it.Action, it.Held, it.Reason = Keep, held, it.Reason+"; kept under legal hold: "+held
		case h.archive:
			it.keptFor = "inside an archive, which cannot be rewritten: restore it, erase, and back it up again"
			it.Action, it.Reason = Keep, it.Reason+"; "+it.keptFor
		case kind != "":
			it.keptFor = "not text that can be rewritten (" + kind + ")"
			if kind == kindUTF16 {
				it.keptFor = notRewritten(kind) + ": save it as UTF-8 and run erase again"
			}
			it.Action, it.Reason = Keep, it.Reason+"; "+it.keptFor
		default:
			if err := notNow(c, loc, at, snap, now, w); err != nil {
				it.Action, it.keptFor = Keep, errorReason(err)
				it.Reason += "; " + err.Error() + ": run erase again when it is quiet"
			}
		}
		p.Items = append(p.Items, it)
	}
	objectLocks(ctx, p, opts.Objects, now)
	p.relookHolds(opts.PlanOptions)
	return p, nil
}

// erase removes the subjects' values (or the lines holding them).
func (x *Executor) erase(ctx context.Context, t Store, it *Item) (MaskStats, error) {
	if x.Engine == nil {
		return MaskStats{}, fmt.Errorf("erasure needs a detection engine")
	}
	m := &Masker{
		Engine:    x.Engine,
		DropLines: it.DropLines,
		Tag:       x.maskTag,
		Select: func(class string, raw []byte, region string) (string, bool) {
			for _, s := range it.Subjects {
				if s.Class == class && string(detect.Normalize(class, raw, region)) == string(s.Norm) {
					return "[" + class + ":erased]", true
				}
			}
			return "", false
		},
	}
	var st MaskStats
	var err error
	it.newSize, err = x.transform(ctx, t, it, x.Enforce, func(in io.Reader, out io.Writer, _ time.Time) error {
		var err error
		st, err = m.Mask(in, out, it.Path)
		if err == nil && st.Values == 0 {
			return errNothing
		}
		return err
	})
	return st, err
}

// ErasureReport is what the person who asked for deletion receives: per
// location, the records found, erased and kept (and why). It holds no
// other person's data: counts, the subject's own masked values, and the
// names of locations, not paths.
type ErasureReport struct {
	Time     time.Time `json:"time"`
	Subjects []string  `json:"subjects"`
	Enforced bool      `json:"enforced"`
	// Complete: every record found was erased (or, in a dry run, would
	// be) or is kept under a legal hold, and every input could be
	// searched. Otherwise the request is not yet met: see kept_because
	// and Unsearched, and run erase again.
	Complete bool `json:"complete"`
	// Unsearched counts the inputs that could not be searched (unreadable
	// files, corrupt archives, a location that does not exist).
	Unsearched int                `json:"unsearched,omitempty"`
	Locations  []LocationErasure  `json:"locations"`
	Totals     LocationErasureSum `json:"totals"`

	held int64 // records kept under legal holds
}

// Err says why the erasure is not complete, or is nil when it is.
func (r ErasureReport) Err() error {
	if r.Complete {
		return nil
	}
	return fmt.Errorf("the erasure is not complete: %d records kept other than under a legal hold, %d inputs could not be searched; run erase again",
		r.Totals.Kept-r.held, r.Unsearched)
}

// LocationErasure is one location's part of an erasure.
type LocationErasure struct {
	Location string `json:"location"`
	Kind     string `json:"kind,omitempty"`
	LocationErasureSum
	// Kept explains records not erased (legal holds, archives, errors).
	Kept []string `json:"kept_because,omitempty"`
}

// LocationErasureSum counts records.
type LocationErasureSum struct {
	Found  int64 `json:"records_found"`
	Erased int64 `json:"records_erased"`
	Kept   int64 `json:"records_kept"`
}

// Report summarises an erasure plan after it was carried out.
func (p *Plan) ErasureReport(subjects []Subject, enforced bool) ErasureReport {
	r := ErasureReport{Time: p.Now.UTC(), Enforced: enforced, Unsearched: len(p.Problems)}
	r.Complete = r.Unsearched == 0
	for _, s := range subjects {
		r.Subjects = append(r.Subjects, s.Class+" "+s.Masked)
	}
	byLoc := map[string]*LocationErasure{}
	var order []string
	for _, it := range p.Items {
		le := byLoc[it.Location.Name]
		if le == nil {
			le = &LocationErasure{Location: it.Location.Name, Kind: it.Location.Kind}
			byLoc[it.Location.Name] = le
			order = append(order, it.Location.Name)
		}
		le.Found += it.Found
		switch {
		case it.Done || !enforced && it.Action == Erase && it.Err == nil && it.Masked.Values > 0:
			le.Erased += it.Found
		default:
			le.LocationErasureSum.Kept += it.Found
			if it.Held == "" {
				r.Complete = false
			}
			var why string
			switch {
			case it.Err != nil:
				why = "an error: " + errorReason(it.Err)
			case it.Held != "":
				why = "legal hold: " + it.Held
				r.held += it.Found
			case it.keptFor != "":
				why = it.keptFor
			case it.Action == Erase:
				why = "the values could not be matched for rewriting"
			default:
				why = "kept"
			}
			if !slices.Contains(le.Kept, why) {
				le.Kept = append(le.Kept, why)
			}
		}
	}
	for _, name := range order {
		le := byLoc[name]
		r.Locations = append(r.Locations, *le)
		r.Totals.Found += le.Found
		r.Totals.Erased += le.Erased
		r.Totals.Kept += le.LocationErasureSum.Kept
	}
	return r
}

// errorReason says why an action failed in words that name no path and
// no value: the erasure report goes to the person who asked, and must not
// show where other data lives.
func errorReason(err error) string {
	switch {
	case errors.Is(err, ErrStillLinked):
		return "not erased: the data remains reachable through another name of the file (a hard link made while it was being erased): remove it and run erase again"
	case errors.Is(err, ErrLinked):
		return "not erased: the file has other names (hard links) through which the data remains reachable: remove them and run erase again"
	case errors.Is(err, ErrLive):
		return "the file was still being written: run erase again when it is quiet"
	case errors.Is(err, ErrChanged):
		return "the file changed while it was being erased: run erase again"
	case errors.Is(err, ErrRedirected), errors.Is(err, ErrRootMoved):
		return "the file's path changed while it was being erased (a link or special file appeared, or a folder was moved): run erase again"
	case errors.Is(err, fs.ErrPermission):
		return "permission denied"
	case errors.Is(err, errNotText):
		return "the file cannot be rewritten in place"
	case errors.Is(err, ErrLineTooLong):
		return "a line too long to rewrite"
	case errors.Is(err, ErrSQLColumn):
		return "not erased: a value sits in a column of a database dump that can hold neither a mask nor NULL (or whose type the dump does not declare), and rewriting it would stop the dump from restoring: erase it in the database and dump again"
	}
	return "the file could not be rewritten (the run's log has the details)"
}
