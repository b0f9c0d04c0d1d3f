package scanners

import (
	"context"
	"fmt"
	"strings"

	"github.com/piiscan/piiscan/internal/itempath"
	"github.com/piiscan/piiscan/scanners/source"
)

// walk lists the items of targets, in order, into items: each target is
// walked by the first of the scanner's sources that handles it. It
// returns an error only when the walk of a target fails as a whole (ctx
// ended); what cannot be read is a problem of the scan.
func (r *run) walk(targets []string, items chan<- workItem) error {
	s, ctx := r.s, r.ctx
	defer func() {
		if p := recover(); p != nil {
			r.problem(strings.Join(targets, " "), fmt.Errorf("internal error while listing: %v", p))
		}
	}()
	idx := 0
	funcs := source.WalkFuncs{
		Item: func(it source.Item) error {
			if s.opts.Owns != nil && !s.opts.Owns(it.Path) {
				r.mu.Lock()
				r.stats.OtherShards++
				r.mu.Unlock()
				return nil
			}
			if it.Size > 0 {
				s.Progress.TotalBytes.Add(it.Size)
			}
			w := itemWeight(it.Size)
			if err := r.window.Acquire(ctx, w); err != nil {
				return context.Cause(ctx)
			}
			select {
			case items <- workItem{it, idx, w}:
				idx++
				return nil
			case <-ctx.Done():
				return context.Cause(ctx)
			}
		},
		Error: func(path string, err error) { r.problem(itempath.Escape(path), err) },
		Skipped: func(path, reason string) {
			if s.opts.Owns != nil && !s.opts.Owns(path) {
				return // the owner's shard counts it: a merge adds them up
			}
			r.mu.Lock()
			r.stats.Skipped++
			r.mu.Unlock()
			s.opts.Logger.Debug("skipped", "path", path, "reason", reason)
		},
	}
	for _, t := range targets {
		if ctx.Err() != nil {
			break
		}
		if err := s.sourceOf(t).Walk(ctx, t, funcs); err != nil {
			return err
		}
	}
	return nil
}

// sourceOf returns the first of the scanner's sources that handles
// target (the files, last, handle any).
func (s *Scanner) sourceOf(target string) source.Source {
	for _, src := range s.sources {
		if src.Handles(target) {
			return src
		}
	}
	return s.sources[len(s.sources)-1]
}
