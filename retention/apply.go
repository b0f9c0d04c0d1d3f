package retention

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/klauspost/compress/gzip"
	"github.com/klauspost/compress/zstd"

	"github.com/piiscan/piiscan/config"
	"github.com/piiscan/piiscan/finding"
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

// store returns the store holding path: the tree of the location root
// that holds it, or the bucket it is in.
func (x *Executor) store(loc *config.Location, path string) (Store, error) {
	if bucket.IsURL(path) {
		name, _, err := bucket.ParseURL(path)
		if err != nil {
			return nil, err
		}
		if x.Objects == nil {
			return nil, fmt.Errorf("%s: object storage is not configured", path)
		}
		key := bucket.Scheme + name
		if loc.AllVersions {
			key += " all-versions"
		}
		if st := x.stores[key]; st != nil {
			return st, nil
		}
		st := &objectStore{c: x.Objects, bucket: name, allVersions: loc.AllVersions}
		x.remember(key, st)
		return st, nil
	}
	abs, err := filepath.Abs(path)
	if err != nil {
		return nil, err
	}
	best := ""
	for _, r := range loc.Roots() {
		ar, err := filepath.Abs(r)
		if err != nil {
			continue
		}
		if fi, err := os.Stat(ar); err == nil && !fi.IsDir() {
			ar = filepath.Dir(ar) // a location that names a single file
		}
		if strings.HasPrefix(abs, ar+string(filepath.Separator)) && len(ar) > len(best) {
			best = ar
		}
	}
	if best == "" {
		return nil, fmt.Errorf("%s: %w", path, ErrOutside)
	}
	if st := x.stores[best]; st != nil {
		return st, nil
	}
	t, err := OpenTree(best)
	if err != nil {
		return nil, err
	}
	x.remember(best, treeStore{t})
	if x.Enforce {
		if n, err := t.CleanTemp(); err == nil && n > 0 {
			x.logger().Info("removed temporary files of an interrupted run", "root", best, "files", n)
		}
	}
	return x.stores[best], nil
}

func (x *Executor) remember(key string, st Store) {
	if x.stores == nil {
		x.stores = map[string]Store{}
	}
	x.stores[key] = st
}

// Apply carries out a purge plan: in order, every item's action. When the
// circuit breaker tripped it does nothing and returns ErrBreaker. Errors
// of single items are kept in the items; Apply goes on with the others.
func (x *Executor) Apply(ctx context.Context, p *Plan) error {
	if len(p.Tripped) > 0 && x.Enforce {
		return fmt.Errorf("%w: %s", ErrBreaker, strings.Join(p.Tripped, "; "))
	}
	if x.Enforce {
		x.deleteObjects(ctx, p)
	}
	for _, it := range p.Items {
		if err := ctx.Err(); err != nil {
			return err
		}
		if it.Action == Keep || it.Done || it.Err != nil {
			continue
		}
		it.Err = x.apply(ctx, it, p.Now)
		if it.Err != nil {
			x.logger().Warn("retention action failed", "path", it.Path, "action", it.Action, "error", it.Err)
		}
	}
	return nil
}

// deleteObjects deletes the objects a plan deletes in batches of up to
// 1000 keys per bucket, and writes their audit entries.
func (x *Executor) deleteObjects(ctx context.Context, p *Plan) {
	batches := map[*objectStore][]*Item{}
	var order []*objectStore
	for _, it := range p.Items {
		if it.Action != Delete || !bucket.IsURL(it.Path) {
			continue
		}
		st, err := x.store(it.Location, it.Path)
		if err != nil {
			it.Err = err
			continue
		}
		ost := st.(*objectStore)
		if batches[ost] == nil {
			order = append(order, ost)
		}
		batches[ost] = append(batches[ost], it)
	}
	for _, ost := range order {
		items := batches[ost]
		ost.deleteBatch(ctx, items)
		var entries []audit.Entry
		for _, it := range items {
			if it.Done {
				e := entryOf(it)
				e.Action = "delete"
				entries = append(entries, e)
			}
		}
		if x.Audit != nil && len(entries) > 0 {
			if err := x.Audit.Append(entries...); err != nil {
				for _, it := range items {
					if it.Done {
						it.Err = fmt.Errorf("deleted, but the audit log failed: %w", err)
					}
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
	return audit.Entry{Location: it.Location.Name, Path: it.Path, Rule: rule, Reason: it.Reason, BytesBefore: it.Snap.Size}
}

func (x *Executor) apply(ctx context.Context, it *Item, now time.Time) error {
	t, err := x.store(it.Location, it.Path)
	if err != nil {
		return err
	}
	entry := entryOf(it)
	switch it.Action {
	case Delete:
		if !x.Enforce {
			return nil
		}
		if err := t.Remove(ctx, it.Path, it.Snap); err != nil {
			return err
		}
		it.Done = true
		entry.Action = "delete"
	case Quarantine:
		if !x.Enforce {
			return nil
		}
		dst, err := quarantine(ctx, t, it.Path, it.Snap, x.quarantineDir())
		if err != nil {
			return err
		}
		it.Done, it.NewLoc = true, dst
		entry.Action, entry.To = "quarantine", dst
	case DropRecords:
		st, err := x.dropRecords(ctx, t, it, now)
		it.Stats = st
		switch {
		case errors.Is(err, errNothing):
			return nil
		case errors.Is(err, errEmpty):
			// Every record expired: the file goes.
			it.Action = Delete
			it.Reason += "; every record expired"
			if !x.Enforce {
				return nil
			}
			if err := t.Remove(ctx, it.Path, it.Snap); err != nil {
				return err
			}
			it.Done = true
			entry.Action, entry.Records, entry.Reason = "delete", st.Dropped, it.Reason
		case err != nil:
			return err
		default:
			if !x.Enforce {
				return nil
			}
			it.Done = true
			entry.Action, entry.Records, entry.Kept = "rewrite", st.Dropped, st.Records-st.Dropped+st.Undated
			entry.BytesAfter = st.BytesOut
		}
	case RedactFile:
		var fps []string
		st, err := x.redactFile(ctx, t, it, &fps)
		it.Masked = st
		switch {
		case errors.Is(err, errNothing):
			return nil
		case err != nil:
			return err
		}
		if !x.Enforce {
			return nil
		}
		it.Done = true
		entry.Action, entry.Records, entry.BytesAfter, entry.Fingerprints = "redact", st.Values, st.BytesOut, fps
	case RedactRecords:
		var fps []string
		rst, mst, err := x.redactRecords(ctx, t, it, &fps)
		it.Stats, it.Masked = rst, mst
		switch {
		case errors.Is(err, errNothing):
			return nil
		case err != nil:
			return err
		}
		if !x.Enforce {
			return nil
		}
		it.Done = true
		entry.Action, entry.Records, entry.BytesAfter, entry.Fingerprints = "redact", mst.Values, mst.BytesOut, fps
	case Erase:
		st, err := x.erase(ctx, t, it)
		it.Masked = st
		switch {
		case errors.Is(err, errNothing):
			return nil
		case err != nil:
			return err
		}
		if !x.Enforce {
			return nil
		}
		it.Done = true
		entry.Action, entry.Rule, entry.Records, entry.BytesAfter = "erase", "right-to-deletion", st.Lines, st.BytesOut
		for _, s := range it.Subjects {
			entry.Fingerprints = append(entry.Fingerprints, s.Fingerprint)
		}
	default:
		return fmt.Errorf("action %s is not supported", it.Action)
	}
	if x.Audit != nil {
		if err := x.Audit.Append(entry); err != nil {
			return fmt.Errorf("%s done, but the audit log failed: %w", entry.Action, err)
		}
	}
	return nil
}

func (x *Executor) quarantineDir() string {
	if d := x.Config.File.Enforcement.QuarantineDir; d != "" {
		return d
	}
	return "piiscan-quarantine"
}

// dropRecords rewrites a log (plain, gzip or zstd) without its records
// older than the item's cutoff. In a dry run it only counts. It returns
// errNothing when no record expired and errEmpty when all did.
func (x *Executor) dropRecords(ctx context.Context, t Store, it *Item, now time.Time) (RecordStats, error) {
	parser := &TimeParser{Fields: it.Location.TimeFields, Location: it.Location.TimeZone}
	keep := func(tm time.Time) bool { return !tm.Before(it.Cutoff) }
	var st RecordStats
	err := x.transform(ctx, t, it, func(in io.Reader, out io.Writer, mtime time.Time) error {
		var err error
		st, err = FilterRecords(in, out, parser, mtime, keep)
		if err != nil {
			return err
		}
		return countOutcome(st)
	})
	return st, err
}

// transform rewrites a text file (plain, gzip or zstd, kept in its format)
// through fn, atomically. In a dry run fn writes to io.Discard and nothing
// changes. fn may return errNothing or errEmpty to abort the rewrite.
func (x *Executor) transform(ctx context.Context, t Store, it *Item, fn func(in io.Reader, out io.Writer, mtime time.Time) error) error {
	f, snap, err := t.Open(ctx, it.Path)
	if err != nil {
		return err
	}
	defer f.Close()
	if !it.Snap.Same(snap) {
		return fmt.Errorf("%s: %w", it.Path, ErrChanged)
	}
	mtime := snap.ModTime
	br := bufio.NewReaderSize(f, 64<<10)
	head, _ := br.Peek(512)
	format := source.Sniff(head)
	var in io.Reader
	var newWriter func(io.Writer) (io.WriteCloser, error)
	switch format {
	case source.FormatPlain:
		in = br
		newWriter = func(w io.Writer) (io.WriteCloser, error) { return nopCloser{w}, nil }
	case source.FormatGzip:
		zr, err := gzip.NewReader(br)
		if err != nil {
			return fmt.Errorf("gzip: %w", err)
		}
		defer zr.Close()
		in = zr
		newWriter = func(w io.Writer) (io.WriteCloser, error) { return gzip.NewWriterLevel(w, gzip.DefaultCompression) }
	case source.FormatZstd:
		zr, err := zstd.NewReader(br, zstd.WithDecoderConcurrency(1))
		if err != nil {
			return fmt.Errorf("zstd: %w", err)
		}
		defer zr.Close()
		in = zr
		newWriter = func(w io.Writer) (io.WriteCloser, error) { return zstd.NewWriter(w, zstd.WithEncoderConcurrency(1)) }
	default:
		return fmt.Errorf("%w: %s", errNotText, format)
	}
	if !x.Enforce {
		return fn(in, io.Discard, mtime)
	}
	_, err = t.Rewrite(ctx, it.Path, it.Snap, func(w io.Writer) error {
		zw, err := newWriter(w)
		if err != nil {
			return err
		}
		if err := fn(in, zw, mtime); err != nil {
			return err
		}
		return zw.Close()
	})
	return err
}

// errNotText means a file is not a (compressed) text file that can be
// rewritten: an archive, or a compression piiscan cannot write.
var errNotText = errors.New("cannot be rewritten in place (archive or unsupported compression)")

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

type nopCloser struct{ io.Writer }

func (nopCloser) Close() error { return nil }
