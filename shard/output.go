package shard

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"slices"
	"time"

	"github.com/piiscan/piiscan/report"
	"github.com/piiscan/piiscan/scanners"
	"github.com/piiscan/piiscan/scanners/bucket"
)

// Output is a shard's findings file being written (report.NewShard). It
// is published only by a scan that finished.
type Output struct {
	report.Writer
	p *Pending
}

// NewOutput starts the findings file of shard h.Index of h.Count.
func (s *Store) NewOutput(h report.ShardHeader) (*Output, error) {
	p, err := s.Create(Shard{Index: h.Index, Count: max(h.Count, 1)}.FileName())
	if err != nil {
		return nil, err
	}
	w, err := report.NewShard(p, h)
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
func (o *Output) Where() string { return o.p.store.Location(o.p.name) }

// Collect opens the findings files of sources for report.Merge: files,
// directories and s3:// prefixes holding shard-*-of-*.jsonl. With wait
// above zero it polls the directories and prefixes, every poll, until
// they hold every shard of a scan or wait has passed; what is there then
// is merged (and missing shards reported). close releases the files.
func Collect(ctx context.Context, sources []string, objects *bucket.Client, wait, poll time.Duration) (in []report.ShardInput, close func(), err error) {
	var closers []io.Closer
	close = func() {
		for _, c := range closers {
			c.Close()
		}
	}
	defer func() {
		if err != nil {
			close()
		}
	}()
	var stores []*Store
	for _, src := range sources {
		if !bucket.IsURL(src) {
			fi, err := os.Stat(src)
			if err != nil {
				return nil, close, err
			}
			if !fi.IsDir() {
				f, err := os.Open(src)
				if err != nil {
					return nil, close, err
				}
				closers = append(closers, f)
				in = append(in, report.ShardInput{Name: src, R: f})
				continue
			}
		}
		st, err := OpenStore(src, objects)
		if err != nil {
			return nil, close, err
		}
		stores = append(stores, st)
	}
	deadline := time.Now().Add(wait)
	for _, st := range stores {
		for {
			names, err := st.Shards(ctx)
			if err != nil {
				return nil, close, err
			}
			if complete(names) || !time.Now().Before(deadline) {
				if len(names) == 0 {
					return nil, close, fmt.Errorf("%s holds no shard findings files (shard-NNNNN-of-NNNNN.jsonl)", st)
				}
				for _, name := range sortedNames(names) {
					r, err := st.Open(ctx, name)
					if err != nil {
						return nil, close, err
					}
					closers = append(closers, r)
					in = append(in, report.ShardInput{Name: st.Location(name), R: r})
				}
				break
			}
			select {
			case <-ctx.Done():
				return nil, close, context.Cause(ctx)
			case <-time.After(min(poll, time.Until(deadline))):
			}
		}
	}
	if len(in) == 0 {
		return nil, close, errors.New("nothing to merge")
	}
	return in, close, nil
}

// complete reports whether names hold every shard of one count.
func complete(names map[Shard]string) bool {
	count := -1
	for s := range names {
		if count >= 0 && s.Count != count {
			return false
		}
		count = s.Count
	}
	return count > 0 && len(names) == count
}

func sortedNames(names map[Shard]string) []string {
	out := make([]string, 0, len(names))
	for _, n := range names {
		out = append(out, n)
	}
	slices.Sort(out)
	return out
}
