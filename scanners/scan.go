// Package scanners runs scans: it walks the targets, reads every file,
// compressed file and archive member as a stream of line-aligned chunks,
// detects personal data in the chunks on all cores, and hands the findings,
// in file order, to a sink.
package scanners

import (
	"cmp"
	"context"
	"errors"
	"log/slog"
	"os"
	"runtime"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/sync/semaphore"

	"github.com/piiscan/piiscan/finding"
	"github.com/piiscan/piiscan/policy"
	"github.com/piiscan/piiscan/scanners/bucket"
	"github.com/piiscan/piiscan/scanners/detect"
	"github.com/piiscan/piiscan/scanners/source"
)

// Scanner scans targets. Create one with New.
type Scanner struct {
	opts     Options
	rules    []detect.Rule
	ruleIdx  map[string]int // rule ID to index in rules
	classes  map[string]bool
	sources  []source.Source // Options.Sources, then the files
	Progress Progress
}

// New returns a Scanner.
func New(opts Options) (*Scanner, error) {
	if opts.Engine == nil {
		return nil, errors.New("scanners: no detection engine")
	}
	if opts.Workers <= 0 {
		opts.Workers = runtime.GOMAXPROCS(0)
	}
	if opts.Readers <= 0 {
		opts.Readers = opts.Workers
	}
	if opts.ChunkSize <= 0 {
		opts.ChunkSize = 512 << 10
	}
	if opts.ChunkSize < 4*overlap {
		opts.ChunkSize = 4 * overlap
	}
	if opts.Fingerprints == nil {
		return nil, errors.New("scanners: no fingerprinter")
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	if opts.Stdin == nil {
		opts.Stdin = os.Stdin
	}
	if opts.MaxFindings == 0 {
		opts.MaxFindings = DefaultMaxFindings
	}
	s := &Scanner{opts: opts, rules: opts.Engine.Rules(), ruleIdx: map[string]int{}}
	s.sources = opts.Sources
	if s.sources == nil {
		s.sources = []source.Source{bucket.Source{}}
	}
	s.sources = append(slices.Clip(s.sources), source.Files{Options: opts.Walk})
	for i, rule := range s.rules {
		s.ruleIdx[rule.ID] = i
	}
	if len(opts.Classes) > 0 {
		s.classes = map[string]bool{}
		for _, c := range opts.Classes {
			s.classes[c] = true
		}
	}
	return s, nil
}

// stream is one text stream being scanned: a file, or a member of an
// archive. Findings are reported in the order of items (the walk order),
// then members, then chunks.
type stream struct {
	path    string
	place   *policy.Placement
	item    int // index of the top-level input in the walk
	member  int // index of the stream within its item
	cols    *detect.Columns
	table   *source.Table   // a table rendered from a structured file, or nil
	file    detect.FileKind // a credential file known by name
	allowed map[string]bool // classes allowed in this path by the allowlist
	in      *input          // the top-level input the stream belongs to
	// src is the item of a plain file read from a position (see
	// resume), whose progress the collector reports; nil otherwise.
	src *source.Item
	// Collector state.
	next    int
	pending map[int]*result
	stopped bool // no more progress for this stream
}

// input is the state shared by the streams of one top-level input (a file,
// an object, stdin) and all its archive members: the pattern budgets and
// the findings cap are the input's, not each member's.
type input struct {
	// The time pattern rules and allow patterns may still spend on it.
	patterns, allow *detect.Budget
	// capped is set once the findings reported reach Options.MaxFindings:
	// the workers then only count the input's findings, but for the first
	// one of each rule not yet reported (seen, by rule index).
	capped atomic.Bool
	seen   []atomic.Bool
	// partial is set when a partial problem is recorded for the input.
	partial atomic.Bool
	// Collector state.
	reported   int64
	unreported int64
	ids        map[string]bool // rules with a finding reported, once capped
	capPath    string          // stream and line of the first finding left out
	capLine    int
}

// newInput returns the state of a new top-level input.
func (s *Scanner) newInput() *input {
	return &input{
		patterns: s.opts.Engine.NewBudget(),
		allow:    s.opts.Allow.NewBudget(s.opts.Engine.PatternLimits()),
		seen:     make([]atomic.Bool, len(s.rules)),
	}
}

// workItem is a top-level input, its place in the walk, and its share of
// the read-ahead window.
type workItem struct {
	source.Item
	idx    int
	weight int64
}

// readAhead is how many bytes of input may be read ahead of the oldest
// item not yet fully reported.
const readAhead = 32 << 20

// itemWeight is an item's share of the read-ahead window: its size, at
// least 64 KiB (opening a file costs too) and at most the whole window
// (stdin, of unknown size, takes it all).
func itemWeight(size int64) int64 {
	if size < 0 || size > readAhead {
		return readAhead
	}
	return max(size, 64<<10)
}

type result struct {
	st   *stream
	seq  int
	last bool
	// scanned: detection ran over the whole chunk (not cut short by a
	// cancellation or an internal error).
	scanned  bool
	mark     *Position
	findings []finding.Finding
	// counted are findings of a capped stream, counted but not made.
	counted int64
	countAt int // line of the first of them
	// itemDone marks the end of an item that had streams streams.
	itemDone bool
	item     int
	streams  int
	weight   int64
	src      source.Item
	failed   bool // the item, or part of it, could not be read
	end      Position
	in       *input
}

// scan-wide state shared by the goroutines.
type run struct {
	s       *Scanner
	ctx     context.Context
	cancel  context.CancelCauseFunc
	chunks  chan *chunk
	results chan *result
	bufs    sync.Pool
	window  *semaphore.Weighted
	fslices sync.Pool // *[]finding.Finding, recycled after the sink saw them
	mu      sync.Mutex
	stats   Stats
}

// Scan scans targets and sends findings to sink. It returns the stats of
// the scan; inputs that could not be read are listed in Stats.Problems and
// do not make Scan fail. Scan fails when the sink fails or ctx ends.
func (s *Scanner) Scan(ctx context.Context, targets []string, sink Sink) (*Stats, error) {
	start := time.Now()
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	r := &run{
		s:       s,
		ctx:     ctx,
		cancel:  cancel,
		chunks:  make(chan *chunk, s.opts.Workers),
		results: make(chan *result, 2*s.opts.Workers),
	}
	r.bufs.New = func() any { b := make([]byte, s.opts.ChunkSize); return &b }

	// The window bounds the bytes read ahead of the oldest item whose
	// findings are not all reported yet, which bounds the findings held
	// back to keep the report in walk order: a big file is read alone
	// (one reader keeps the workers busy), small files in parallel.
	r.window = semaphore.NewWeighted(readAhead)
	items := make(chan workItem, 1)
	var walkErr error
	go func() {
		defer close(items)
		defer s.Progress.WalkDone.Store(true)
		walkErr = r.walk(targets, items)
	}()

	var readers sync.WaitGroup
	for range s.opts.Readers {
		readers.Add(1)
		go func() {
			defer readers.Done()
			for it := range items {
				n, failed, end, in := 0, true, Position{}, s.newInput()
				if ctx.Err() == nil {
					before := r.problemCount()
					n, end = r.readItem(it, in)
					failed = r.problemsOf(it.Path, before)
				}
				select {
				case r.results <- &result{itemDone: true, item: it.idx, streams: n, weight: it.weight, src: it.Item, failed: failed, end: end, in: in}:
				case <-ctx.Done():
				}
			}
		}()
	}
	var workers sync.WaitGroup
	for range s.opts.Workers {
		workers.Add(1)
		go func() {
			defer workers.Done()
			r.detect()
		}()
	}
	go func() {
		readers.Wait()
		close(r.chunks)
		workers.Wait()
		close(r.results)
	}()

	sinkErr := r.collect(sink)
	r.stats.Duration = time.Since(start)
	slices.SortFunc(r.stats.Problems, func(a, b Problem) int {
		return cmp.Or(strings.Compare(a.Path, b.Path), strings.Compare(a.Error, b.Error))
	})
	switch {
	case sinkErr != nil:
		return &r.stats, sinkErr
	case ctx.Err() != nil:
		return &r.stats, context.Cause(ctx)
	case walkErr != nil:
		return &r.stats, walkErr
	}
	return &r.stats, nil
}
