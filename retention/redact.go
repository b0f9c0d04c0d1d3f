package retention

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/piiscan/piiscan/config"
	"github.com/piiscan/piiscan/finding"
	"github.com/piiscan/piiscan/internal/itempath"
	"github.com/piiscan/piiscan/policy"
	"github.com/piiscan/piiscan/retention/audit"
	"github.com/piiscan/piiscan/scanners"
	"github.com/piiscan/piiscan/scanners/detect"
)

// PlanRedact scans the locations whose policy acts on disallowed data
// (disallowed: redact, quarantine or delete) and plans, for every file
// holding a class its location does not allow, what the policy says:
// mask those values in place (plain, gzip and zstd text), or quarantine or
// delete the file (archives cannot be rewritten member by member, so an
// archive holding disallowed data is quarantined when the policy says
// redact).
func PlanRedact(ctx context.Context, c *config.Config, sc *scanners.Scanner, opts PlanOptions) (*Plan, error) {
	now := opts.Now
	if now.IsZero() {
		now = time.Now()
	}
	p := &Plan{Now: now}
	p.resolveHolds(ctx, c, opts)
	hits, err := scanLocations(ctx, c, sc, p, func(l *config.Location) bool {
		return l.Disallowed != config.ActionReport && (len(opts.Locations) == 0 || slices.Contains(opts.Locations, l.Name))
	}, func(f *finding.Finding) bool {
		return f.Disallowed && f.Location != "" && !isTemp(f.Path)
	})
	if err != nil {
		return nil, err
	}
	paths := make([]string, 0, len(hits))
	for path := range hits {
		paths = append(paths, path)
	}
	slices.Sort(paths)
	own := ownFilesOf(c)
	w := newWriters()
	p.sizes = map[string]*locationSize{}
	doubtful := 0
	for _, path := range paths {
		at := placeOf(path)
		loc := policy.LocationOf(c, path)
		if loc == nil || loc.Disallowed == config.ActionReport || at.own(own, path) {
			continue
		}
		snap, err := at.snapshot(ctx, opts.Objects, loc, path)
		if err != nil {
			p.Problems = append(p.Problems, problemOf(path, err))
			continue
		}
		h := hits[path]
		var classes []string
		for cl, n := range h.classes {
			classes = append(classes, fmt.Sprintf("%s×%d", cl, n))
		}
		slices.Sort(classes)
		it := &Item{Location: loc, Path: path, Snap: snap, Action: Keep, Disallowed: true,
			Reason: "holds data not allowed here: " + strings.Join(classes, ", "), at: at}
		if h.best < c.MinConfidence {
			// Doubtful matches are reported by scans, never acted on.
			doubtful++
			continue
		}
		if held := holdOf(c, at, path, now); held != "" {
			it.Held, it.Reason = held, "legal hold: "+held+" (it "+strings.TrimPrefix(it.Reason, "holds ")+")"
			p.Items = append(p.Items, it)
			continue
		}
		kind := "" // what the file holds that cannot be rewritten
		if loc.Disallowed == config.ActionRedact && !h.archive {
			kind = contentKind(ctx, opts.Objects, loc, at, path)
		}
		switch {
		case loc.Disallowed == config.ActionDelete:
			it.Action = Delete
		case loc.Disallowed == config.ActionQuarantine || h.archive:
			it.Action = Quarantine
		case kind != "":
			it.Action = Quarantine
			it.Reason += "; quarantined whole: " + notRewritten(kind)
		default:
			it.Action = RedactFile
		}
		if err := notNow(c, loc, at, snap, now, w); err != nil {
			it.Action, it.Reason = Keep, it.Reason+"; kept: "+err.Error()
		}
		if it.Action == RedactFile && h.below > 0 {
			// Masked are only the values of min_confidence and up.
			it.BelowMin = h.below
			it.Reason += fmt.Sprintf("; %s below min_confidence %s left", values(h.below), c.MinConfidence)
		}
		if (it.Action == Delete || it.Action == Quarantine) && p.sizes[loc.Name] == nil {
			size := &locationSize{}
			walkLocation(ctx, loc, opts.Objects, own, func(_ place, path string, s Snapshot) {
				if policy.LocationOf(c, path) == loc {
					size.files++
					size.bytes += s.Size
				}
			}, func(string, error) {})
			p.sizes[loc.Name] = size
		}
		p.Items = append(p.Items, it)
	}
	if doubtful > 0 {
		holds := "files hold"
		if doubtful == 1 {
			holds = "file holds"
		}
		p.Warnings = append(p.Warnings, fmt.Sprintf("%d %s data not allowed here only in matches of confidence below enforcement.min_confidence (%s): they are left as they are; piiscan scan lists them",
			doubtful, holds, c.MinConfidence))
	}
	p.noteBelow(c.MinConfidence, false, false)
	p.NoBreaker = opts.NoBreaker
	objectLocks(ctx, p, opts.Objects, now)
	// all_versions: the copies from before a redaction, and the
	// noncurrent versions past retention.
	planOldVersions(ctx, c, p, opts.Objects, func(l *config.Location) bool {
		return l.Disallowed != config.ActionReport && (len(opts.Locations) == 0 || slices.Contains(opts.Locations, l.Name))
	}, true)
	p.relookHolds(opts)
	return p, nil
}

// fileHits are the findings a location scan matched in one file.
type fileHits struct {
	classes map[string]int     // matched findings by class
	lines   map[string]bool    // ARCHIVE!MEMBER:line of each, counted once per record
	archive bool               // some are inside an archive
	best    finding.Confidence // the highest confidence among them
	below   int64              // those of a confidence below enforcement.min_confidence
}

// scanLocations scans the roots of the locations selected by want and
// returns, by top-level file, the findings match accepts. Unreadable inputs
// become problems of p.
func scanLocations(ctx context.Context, c *config.Config, sc *scanners.Scanner, p *Plan,
	want func(*config.Location) bool, match func(*finding.Finding) bool, extra ...*config.Location) (map[string]*fileHits, error) {
	var targets []string
	for _, loc := range c.Locations {
		if !want(loc) {
			continue
		}
		roots := policy.ScanRoots(loc)
		for _, r := range appendNew(nil, loc.Roots()...) {
			if !slices.Contains(roots, r) {
				// An unmounted volume must not read as "nothing found".
				p.Problems = append(p.Problems, missingRoot(loc, r))
			}
		}
		targets = appendNew(targets, roots...)
	}
	for _, loc := range extra {
		targets = appendNew(targets, policy.ScanRoots(loc)...)
	}
	hits := map[string]*fileHits{}
	if len(targets) == 0 {
		return hits, nil
	}
	var mu sync.Mutex
	stats, err := sc.Scan(ctx, targets, scanners.SinkFunc(func(f *finding.Finding) error {
		if !match(f) {
			return nil
		}
		top, member := itempath.Outer(f.Path)
		mu.Lock()
		defer mu.Unlock()
		h := hits[top]
		if h == nil {
			h = &fileHits{classes: map[string]int{}, lines: map[string]bool{}}
			hits[top] = h
		}
		h.classes[f.Class]++
		h.lines[fmt.Sprintf("%s:%d", f.Path, f.Line)] = true
		h.archive = h.archive || member
		h.best = max(h.best, f.Confidence)
		if f.Confidence < c.MinConfidence {
			h.below++
		}
		return nil
	}))
	if err != nil {
		return nil, err
	}
	for _, pr := range stats.Problems {
		if isTemp(pr.Path) {
			// A rewrite a killed run left half written (a cut gzip
			// stream): piiscan's own, and removed by the next enforcing
			// run, not an input that could not be examined.
			continue
		}
		p.Problems = append(p.Problems, pr)
	}
	p.binary = stats.Binary
	return hits, nil
}

// appendNew appends to list those of add it does not hold yet: two paths
// of a location (or two locations) under one root scan it once, so that
// its findings and problems are not counted twice.
func appendNew(list []string, add ...string) []string {
	for _, a := range add {
		if !slices.Contains(list, a) {
			list = append(list, a)
		}
	}
	return list
}

// masker returns the Masker of an item: disallowed classes only, or every
// class for expired data.
func (x *Executor) masker(it *Item, counted *[]string) (*Masker, error) {
	if x.Engine == nil {
		return nil, errors.New("redaction needs a detection engine")
	}
	// Allow patterns share one time budget per file: once spent, values
	// are no longer allowed by them, so they are masked (more is masked,
	// never less).
	budget := x.Allow.NewBudget(x.Engine.PatternLimits())
	return &Masker{
		Engine:        x.Engine,
		MinConfidence: x.Config.MinConfidence,
		Tag:           x.maskTag,
		Select: func(class string, raw []byte, region string) (string, bool) {
			if it.Disallowed && it.Location.Allowed[class] {
				return "", false
			}
			norm := detect.Normalize(class, raw, region)
			if ok, _ := x.Allow.ValueIn(budget, class, raw, norm); ok {
				return "", false
			}
			if x.Fingerprints != nil && len(*counted) < maxAuditFingerprints {
				*counted = append(*counted, x.Fingerprints.Sum(class, norm))
			}
			return finding.Redaction(class, raw), true
		},
	}, nil
}

// maskTag is the tag that keeps masks of different values distinct where
// they must be (see Masker.Tag): the first 12 hex digits of the value's
// keyed fingerprint, which findings and audit entries already carry. It
// is nil without a fingerprint key.
func (x *Executor) maskTag(class string, raw []byte, region string) string {
	if x.Fingerprints == nil {
		return ""
	}
	return x.Fingerprints.Sum(class, detect.Normalize(class, raw, region))[:12]
}

// maxAuditFingerprints bounds the fingerprints one audit entry lists.
const maxAuditFingerprints = 100

// redactFile masks the chosen values of a whole text file.
func (x *Executor) redactFile(ctx context.Context, t Store, it *Item, fps *[]string) (MaskStats, error) {
	m, err := x.masker(it, fps)
	if err != nil {
		return MaskStats{}, err
	}
	var st MaskStats
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

// redactRecords masks every value in the records older than the cutoff.
func (x *Executor) redactRecords(ctx context.Context, t Store, it *Item, fps *[]string) (RecordStats, MaskStats, error) {
	m, err := x.masker(it, fps)
	if err != nil {
		return RecordStats{}, MaskStats{}, err
	}
	parser := it.timeParser()
	var rst RecordStats
	var mst MaskStats
	it.newSize, err = x.transform(ctx, t, it, x.Enforce, func(in io.Reader, out io.Writer, mtime time.Time) error {
		var err error
		rst, mst, err = maskExpiredRecords(in, out, parser, mtime, it.Cutoff, m)
		if err == nil && mst.Values == 0 {
			return errNothing
		}
		return err
	})
	return rst, mst, err
}

// maskExpiredRecords copies records, masking the values m selects in the
// dated records older than cutoff. Records are split as FilterRecords
// splits them (the same splitter): undatable records, and lines before
// the first record, are copied unchanged. Expired records are masked in
// batches of whole lines; a line of an expired record longer than
// m.MaxLine (default 64 MiB) fails with ErrLineTooLong. MaskStats count
// the whole file (BytesOut is the size after); RecordStats.Dropped counts
// the expired records and BytesDropped their size.
//
// When the file is undatable as a whole (see RecordStats.Undatable), it
// still reads it all, then returns an error wrapping ErrUndatable: the
// caller must discard the output and keep the file.
func maskExpiredRecords(r io.Reader, w io.Writer, p *TimeParser, ref, cutoff time.Time, m *Masker) (RecordStats, MaskStats, error) {
	maxLine := m.MaxLine
	if maxLine <= 0 {
		maxLine = 64 << 20
	}
	const batchSize = 512 << 10
	sp := newRecordSplitter(r, p, ref)
	bw := bufio.NewWriterSize(w, 256<<10)
	sc := m.Engine.NewMatcher()
	rst := &sp.Stats
	var mst MaskStats
	var rec []byte // whole lines of expired records, to be masked
	flush := func() error {
		if len(rec) == 0 {
			return nil
		}
		err := m.rewrite(sc, rec, rec, nil, nil, bw, &mst)
		rec = rec[:0]
		return err
	}
	expired, lineStart, lineLen := false, true, 0
	for {
		piece, start, err := sp.next()
		if start {
			if ferr := flush(); ferr != nil {
				return *rst, mst, ferr
			}
			expired = sp.Kind == recordDated && sp.Time.Before(cutoff)
			if expired {
				rst.Dropped++
			}
		}
		if len(piece) > 0 {
			mst.BytesIn += int64(len(piece))
			if lineStart {
				lineLen = 0
			}
			lineLen += len(piece)
			switch {
			case !expired:
				if _, werr := bw.Write(piece); werr != nil {
					return *rst, mst, werr
				}
				mst.BytesOut += int64(len(piece))
			case lineLen > maxLine:
				return *rst, mst, fmt.Errorf("%w (more than %d bytes)", ErrLineTooLong, maxLine)
			default:
				if lineStart && len(rec) >= batchSize && !keyBlockOpen(rec) {
					if ferr := flush(); ferr != nil {
						return *rst, mst, ferr
					}
				}
				rec = append(rec, piece...)
				rst.BytesDropped += int64(len(piece))
			}
			lineStart = piece[len(piece)-1] == '\n'
		}
		switch {
		case err == nil:
		case err == io.EOF:
			if ferr := flush(); ferr != nil {
				return *rst, mst, ferr
			}
			rst.BytesOut = mst.BytesOut
			if ferr := bw.Flush(); ferr != nil {
				return *rst, mst, ferr
			}
			if rst.Undatable() {
				return *rst, mst, undatable(*rst)
			}
			return *rst, mst, nil
		default:
			return *rst, mst, err
		}
	}
}

// rewriteVersions returns ctx carrying, to a rewrite of an object with
// all_versions, what names its old versions in the audit log before the
// upload (under pending, when there is an audit log) and collects what
// happened to each (see rewriteVersions.record).
func (x *Executor) rewriteVersions(ctx context.Context, pending *audit.Pending) (context.Context, *rewriteVersions) {
	rv := &rewriteVersions{}
	if pending != nil && x.Audit != nil {
		rv.plan = func(vs []audit.VersionOutcome) error {
			return x.Audit.Planned(audit.Plan{Pending: pending, Versions: vs})
		}
	}
	return withRewriteVersions(ctx, rv), rv
}

// record adds to an action's audit entry what its rewrite did to the
// object's old versions, if anything.
func (rv *rewriteVersions) record(e *audit.Entry) {
	if len(rv.outcomes) > 0 {
		e.Versions = append(e.Versions, rv.outcomes...)
	}
}

// noteBelow warns, once for the plan, of the values of disallowed classes
// that the files a redaction rewrites keep because their confidence is
// below enforcement.min_confidence (min): the files the plan would rewrite
// or, once it is applied, the files it rewrote (enforced) or found values
// to mask in (a dry run). A file that holds nothing else is not rewritten
// (see PlanRedact's other warning).
func (p *Plan) noteBelow(min finding.Confidence, applied, enforced bool) {
	var n, files int64
	for _, it := range p.Items {
		if it.BelowMin == 0 || it.Action != RedactFile || it.Err != nil {
			continue
		}
		if applied && !it.Done && it.Masked.Values == 0 {
			continue // not rewritten: nothing to mask
		}
		n += it.BelowMin
		files++
	}
	where := fmt.Sprintf("%d %s to rewrite", files, plural(files, "file"))
	if applied && enforced {
		where = fmt.Sprintf("%d rewritten %s", files, plural(files, "file"))
	}
	warn := ""
	if n > 0 {
		warn = fmt.Sprintf("%s below min_confidence %s left in %s (see enforcement.min_confidence; piiscan scan lists them)",
			values(n), min, where)
	}
	switch {
	case p.belowWarn > 0 && warn != "":
		p.Warnings[p.belowWarn-1] = warn
	case p.belowWarn > 0:
		p.Warnings = slices.Delete(p.Warnings, p.belowWarn-1, p.belowWarn)
		p.belowWarn = 0
	case warn != "":
		p.Warnings = append(p.Warnings, warn)
		p.belowWarn = len(p.Warnings)
	}
}

// values is "1 value" or "n values".
func values(n int64) string {
	return fmt.Sprintf("%d %s", n, plural(n, "value"))
}

// plural is word, with an s unless n is 1.
func plural(n int64, word string) string {
	if n == 1 {
		return word
	}
	return word + "s"
}
