package shard

import (
	"context"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"time"

	"github.com/piiscan/piiscan/report"
	"github.com/piiscan/piiscan/scanners"
	"github.com/piiscan/piiscan/scanners/bucket"
)

// Output is a shard's findings file being written (NewWriter). It
// is published only by a scan that finished.
type Output struct {
	report.Writer
	p *Pending
}

// NewOutput starts the findings file of shard h.Index of h.Count.
func (s *Store) NewOutput(ctx context.Context, h Header) (*Output, error) {
	p, err := s.Create(ctx, Shard{Index: h.Index, Count: max(h.Count, 1)}.FileName())
	if err != nil {
		return nil, err
	}
	w, err := NewWriter(p, h)
	if err != nil {
		p.Abort()
		return nil, err
	}
	return &Output{Writer: w, p: p}, nil
}

// Finish ends the file with the scan's stats and publishes it when
// finished is true; otherwise it is thrown away, and a merge reports the
// shard as missing rather than merging part of it.
func (o *Output) Finish(ctx context.Context, st *scanners.Stats, finished bool) error {
	if !finished {
		o.p.Abort()
		return nil
	}
	if err := o.Writer.Close(st); err != nil {
		o.p.Abort()
		return fmt.Errorf("writing %s: %w", o.p.name, err)
	}
	return o.p.Commit(ctx)
}

// Where returns where the file is published.
func (o *Output) Where() string { return o.p.where }

// collect opens the findings files of sources for a merger: files,
// directories and s3:// prefixes holding shard-*-of-*.jsonl (with run
// set, only that run's). With wait above zero it polls the directories and
// prefixes, every poll, until they hold every shard of a scan or wait has
// passed; what is there then is merged (and missing shards reported).
// release closes the files.
func collect(ctx context.Context, sources []string, objects *bucket.Client, run string, wait, poll time.Duration) (in []input, release func(), err error) {
	var closers []io.Closer
	release = func() {
		for _, c := range closers {
			c.Close()
		}
	}
	defer func() {
		if err != nil {
			release()
		}
	}()
	var stores []*Store
	for _, src := range sources {
		p := at(src, objects)
		f, err := p.file()
		if err != nil {
			return nil, release, err
		}
		if f != nil {
			closers = append(closers, f)
			in = append(in, input{Name: src, R: f})
			continue
		}
		st, err := openStore(src, p)
		if err != nil {
			return nil, release, err
		}
		stores = append(stores, st)
	}
	deadline := time.Now().Add(wait)
	for _, st := range stores {
		for {
			found, err := st.Shards(ctx, run)
			if err != nil {
				return nil, release, err
			}
			if complete(found) || !time.Now().Before(deadline) {
				if len(found) == 0 {
					return nil, release, fmt.Errorf("%s holds no shard findings files (shard-NNNNN-of-NNNNN.jsonl)%s", st, ofRun(run))
				}
				for _, e := range sortedEntries(found) {
					r, err := st.open(ctx, e)
					if err != nil {
						return nil, release, err
					}
					closers = append(closers, r)
					in = append(in, input{Name: st.Location(e.name), R: r})
				}
				break
			}
			select {
			case <-ctx.Done():
				return nil, release, context.Cause(ctx)
			case <-time.After(min(poll, time.Until(deadline))):
			}
		}
	}
	if len(in) == 0 {
		return nil, release, errors.New("nothing to merge")
	}
	return in, release, nil
}

func ofRun(run string) string {
	if run == "" {
		return ""
	}
	return " of run " + run
}

// complete reports whether found holds every shard of one count.
func complete(found map[Shard]entry) bool {
	count := -1
	for s := range found {
		if count >= 0 && s.Count != count {
			return false
		}
		count = s.Count
	}
	return count > 0 && len(found) == count
}

// Complete reports whether the store holds the files of every shard of
// one count (with run set, of that run), and how many files it holds.
func (s *Store) Complete(ctx context.Context, run string) (bool, int, error) {
	found, err := s.Shards(ctx, run)
	if err != nil {
		return false, 0, err
	}
	return complete(found), len(found), nil
}

func sortedEntries(found map[Shard]entry) []entry {
	out := make([]entry, 0, len(found))
	for _, e := range found {
		out = append(out, e)
	}
	slices.SortFunc(out, func(a, b entry) int { return strings.Compare(a.name, b.name) })
	return out
}
