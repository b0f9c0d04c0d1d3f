package retention

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/piiscan/piiscan/config"
	"github.com/piiscan/piiscan/finding"
	"github.com/piiscan/piiscan/scanners"
	"github.com/piiscan/piiscan/scanners/bucket"
	"github.com/piiscan/piiscan/scanners/detect"
	"github.com/piiscan/piiscan/scanners/source"
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
	hits, err := scanLocations(ctx, c, sc, p, func(l *config.Location) bool {
		return l.Disallowed != config.ActionReport && (len(opts.Locations) == 0 || slices.Contains(opts.Locations, l.Name))
	}, func(f *finding.Finding) bool { return f.Disallowed && f.Location != "" })
	if err != nil {
		return nil, err
	}
	paths := make([]string, 0, len(hits))
	for path := range hits {
		paths = append(paths, path)
	}
	slices.Sort(paths)
	removals := map[*config.Location]int{}
	for _, path := range paths {
		loc := c.LocationOf(path)
		if loc == nil || loc.Disallowed == config.ActionReport {
			continue
		}
		snap, err := snapshotAt(ctx, opts.Objects, path)
		if err != nil {
			p.Problems = append(p.Problems, fmt.Sprintf("%s: %v", path, err))
			continue
		}
		h := hits[path]
		var classes []string
		for cl, n := range h.classes {
			classes = append(classes, fmt.Sprintf("%s×%d", cl, n))
		}
		slices.Sort(classes)
		it := &Item{Location: loc, Path: path, Snap: snap, Action: Keep, Disallowed: true,
			Reason: "holds data not allowed here: " + strings.Join(classes, ", ")}
		if held := holdOf(c, path, now); held != "" {
			it.Held, it.Reason = held, "legal hold: "+held+" (it "+strings.TrimPrefix(it.Reason, "holds ")+")"
			p.Items = append(p.Items, it)
			continue
		}
		switch {
		case loc.Disallowed == config.ActionDelete:
			it.Action = Delete
		case loc.Disallowed == config.ActionQuarantine || h.archive || !rewritable(ctx, opts.Objects, path):
			it.Action = Quarantine
		case now.Sub(snap.ModTime) < c.LiveWithin && !loc.RewriteLive:
			it.Reason += "; still being written, rewrite_live is off"
		default:
			it.Action = RedactFile
		}
		if it.Action == Delete || it.Action == Quarantine {
			removals[loc]++
		}
		p.Items = append(p.Items, it)
	}
	if !opts.NoBreaker {
		for loc, n := range removals {
			files := 0
			walkLocation(ctx, loc, opts.Objects, func(string, Snapshot) { files++ }, func(string, error) {})
			if why := breaker(c, loc, n, files); why != "" {
				p.Tripped = append(p.Tripped, why)
			}
		}
	}
	return p, nil
}

// fileHits are the findings a location scan matched in one file.
type fileHits struct {
	classes map[string]int  // matched findings by class
	lines   map[string]bool // ARCHIVE!MEMBER:line of each, counted once per record
	archive bool            // some are inside an archive
}

// scanLocations scans the roots of the locations selected by want and
// returns, by top-level file, the findings match accepts. Unreadable inputs
// become problems of p.
func scanLocations(ctx context.Context, c *config.Config, sc *scanners.Scanner, p *Plan,
	want func(*config.Location) bool, match func(*finding.Finding) bool) (map[string]*fileHits, error) {
	var targets []string
	for _, loc := range c.Locations {
		if !want(loc) {
			continue
		}
		targets = append(targets, loc.ScanRoots()...)
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
		top, member := source.TopFile(f.Path)
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
		return nil
	}))
	if err != nil {
		return nil, err
	}
	for _, pr := range stats.Problems {
		p.Problems = append(p.Problems, pr.Path+": "+pr.Error)
	}
	return hits, nil
}

// holdOf returns the reason of the active hold covering path, or "".
func holdOf(c *config.Config, path string, now time.Time) string {
	for _, h := range c.Holds {
		if h.Active(now) && h.Covers(path) {
			return h.Reason
		}
	}
	return ""
}

// rewritable reports whether a file or object is text piiscan can rewrite
// in place (plain, gzip or zstd around text).
func rewritable(ctx context.Context, objects *bucket.Client, path string) bool {
	var r io.ReadCloser
	if bucket.IsURL(path) {
		b, key, err := bucket.ParseURL(path)
		if objects == nil || err != nil {
			return false
		}
		out, err := objects.S3.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String(b), Key: aws.String(key), Range: aws.String("bytes=0-511")})
		if err != nil {
			return false
		}
		r = out.Body
	} else {
		f, err := os.Open(path)
		if err != nil {
			return false
		}
		r = f
	}
	defer r.Close()
	head := make([]byte, 512)
	n, _ := io.ReadFull(r, head)
	switch source.Sniff(head[:n]) {
	case source.FormatPlain, source.FormatGzip, source.FormatZstd:
		return true
	}
	return false
}

// masker returns the Masker of an item: disallowed classes only, or every
// class for expired data.
func (x *Executor) masker(it *Item, counted *[]string) (*Masker, error) {
	if x.Engine == nil {
		return nil, errors.New("redaction needs a detection engine")
	}
	region := x.Engine.Region()
	return &Masker{
		Engine: x.Engine,
		Select: func(class string, raw []byte) (string, bool) {
			if it.Disallowed && it.Location.Allowed[class] {
				return "", false
			}
			norm := detect.Normalize(class, raw, region)
			if x.Allow.Value(class, raw, norm) {
				return "", false
			}
			if x.Fingerprints != nil && len(*counted) < maxAuditFingerprints {
				*counted = append(*counted, x.Fingerprints.Sum(class, norm))
			}
			return finding.Redaction(class, raw), true
		},
	}, nil
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
	err = x.transform(ctx, t, it, func(in io.Reader, out io.Writer, _ time.Time) error {
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
	parser := &TimeParser{Fields: it.Location.TimeFields, Location: it.Location.TimeZone}
	var rst RecordStats
	var mst MaskStats
	err = x.transform(ctx, t, it, func(in io.Reader, out io.Writer, mtime time.Time) error {
		var err error
		rst, mst, err = maskExpiredRecords(in, out, parser, mtime, it.Cutoff, m)
		if err == nil && mst.Values == 0 {
			return errNothing
		}
		return err
	})
	return rst, mst, err
}

// maskExpiredRecords copies records, masking values in those older than
// cutoff.
func maskExpiredRecords(r io.Reader, w io.Writer, p *TimeParser, ref, cutoff time.Time, m *Masker) (RecordStats, MaskStats, error) {
	br := bufio.NewReaderSize(r, 1<<20)
	bw := bufio.NewWriterSize(w, 256<<10)
	sc := m.Engine.NewScanner()
	var rst RecordStats
	var mst MaskStats
	var rec []byte // the expired record being collected
	flush := func() error {
		if len(rec) == 0 {
			return nil
		}
		err := m.rewrite(sc, rec, nil, bw, &mst)
		rec = rec[:0]
		return err
	}
	expired := false
	for {
		line, err := br.ReadBytes('\n')
		if len(line) > 0 {
			rst.BytesIn += int64(len(line))
			if t, ok := p.Parse(line, ref); ok {
				if ferr := flush(); ferr != nil {
					return rst, mst, ferr
				}
				rst.Records++
				expired = t.Before(cutoff)
				if expired {
					rst.Dropped++
				}
			}
			if expired {
				rec = append(rec, line...)
			} else if _, werr := bw.Write(line); werr != nil {
				return rst, mst, werr
			}
		}
		if err == io.EOF {
			if ferr := flush(); ferr != nil {
				return rst, mst, ferr
			}
			return rst, mst, bw.Flush()
		}
		if err != nil {
			return rst, mst, err
		}
	}
}
