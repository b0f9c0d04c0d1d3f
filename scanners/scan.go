// Package scanners runs scans: it walks the targets, reads every file,
// compressed file and archive member as a stream of line-aligned chunks,
// detects personal data in the chunks on all cores, and hands the findings,
// in file order, to a sink.
package scanners

import (
	"bufio"
	"bytes"
	"cmp"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
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
	"github.com/piiscan/piiscan/scanners/detect"
	"github.com/piiscan/piiscan/scanners/source"
)

// Options configure a Scanner.
type Options struct {
	Engine *detect.Engine
	// Workers is the number of detection goroutines (default: the CPUs
	// the process may use, GOMAXPROCS, which follows a container's CPU
	// limit).
	Workers int
	// Readers is the number of items read at once (default: Workers).
	// Reading objects from a bucket wants more readers than CPUs to hide
	// request latency.
	Readers int
	Walk    source.WalkOptions
	Limits  source.Limits
	Allow   *Allowlist
	// Classes, when set, keeps only findings of these classes.
	Classes []string
	// Reveal puts raw values in findings. Off by default.
	Reveal       bool
	Fingerprints *finding.Fingerprinter
	Logger       *slog.Logger
	// ChunkSize is the size of the blocks detection works on (default 512 KiB).
	ChunkSize int
	// Stdin is read for the target "-" (default os.Stdin).
	Stdin io.Reader
	// Place says which policy location a path belongs to (nil: none). It is
	// called by concurrent readers.
	Place func(path string) *Placement
	// Objects lists s3:// targets (nil: such targets are unreadable).
	Objects ObjectLister
	// ItemDone is called, in walk order, for each item whose findings have
	// all been handed to the sink (for checkpoints of long listings). After
	// an item that could not be read it is not called again in this scan,
	// so a checkpoint never moves past data that was not scanned.
	ItemDone func(source.Item)
	// Incremental, when set, lets a scan read only what is new since an
	// earlier one. An input with a problem, partial or not, is not Done:
	// its position moves only as far as Incremental.Progress took it,
	// which stops before the chunk where the problem arose.
	Incremental Incremental
	// Owns, when set, keeps the items whose path it owns: this shard's
	// share of a sharded scan. The others are only counted
	// (Stats.OtherShards). An archive is one item: its members go with it.
	Owns func(path string) bool
	// MaxFindings caps the findings reported for one input (a file given
	// or listed, an object, stdin), shared by all its archive members,
	// nested or not, so that a hostile input cannot blow up the report.
	// Past it, the first finding of each rule not yet reported in the
	// input is still reported, so that every kind of violation present
	// shows at least once (at most one more finding per rule); the others
	// are only counted (Stats.Unreported) and the input gets a Problem
	// that says where the report stops and how many findings were left
	// out. That makes the scan incomplete (exit 3 when findings do not
	// win) and, like any problem, holds back checkpoints and incremental
	// positions: the next run examines the input again, a plain file from
	// the end of its last chunk wholly reported. 0 means
	// DefaultMaxFindings; negative, no cap (a scan that plans an erasure
	// needs every finding).
	MaxFindings int
	// QuietProblems logs the problems of a scan (Stats.Problems) at
	// debug level rather than as warnings: for a caller that prints them
	// itself (purge and redact print them in their plan), so that each is
	// said once.
	QuietProblems bool
}

// DefaultMaxFindings is the default Options.MaxFindings. An input with a
// finding on every line reaches it at about 100,000 lines (some 15 MB of
// access log); its report is then about 40 MB of JSON lines, already more
// than anyone reads finding by finding.
const DefaultMaxFindings = 100_000

// Incremental lets a scan skip what an earlier scan read: unchanged
// archives and objects, and the part of an append-only plain file that
// was scanned already.
type Incremental interface {
	// Start is called before an item is read, with the opened file (nil
	// for objects and stdin), and says where to begin.
	Start(it source.Item, f *os.File) Position
	// Done is called in walk order for each item read without problems,
	// after all its findings reached the sink, with how far it was read.
	Done(it source.Item, end Position)
	// Progress is called, in order, while a plain file is read from a
	// position (as Start allows): after the findings of each chunk
	// reached the sink, with the position after the last complete line
	// of the chunk. It is called only for chunks wholly scanned, and
	// stops for the rest of the file at the first chunk that was not
	// (the scan was cancelled), whose findings did not all reach the
	// sink, or where the input got a problem (a pattern that timed out,
	// findings past Options.MaxFindings, an internal error): at never
	// passes a line that was not scanned and reported. Only the item
	// whose findings are being handed to the sink makes progress; items
	// read ahead of it get none until their turn. After a cancellation
	// Done is not called, and the last Progress says how far the file was
	// scanned.
	Progress(it source.Item, at Position)
}

// Position is where the reading of an item starts or ended.
type Position struct {
	// Skip: the item has not changed; it is not read.
	Skip bool
	// Offset is the number of bytes of a plain file already scanned, up to
	// the end of its last complete line; Line is the number of lines
	// before Offset.
	Offset int64
	Line   int
	// Whole marks an item read as a whole (compressed, an archive or an
	// object): it cannot be resumed, only skipped when unchanged.
	Whole bool
}

// ObjectLister walks object storage targets.
type ObjectLister interface {
	Walk(ctx context.Context, target string, fn func(source.Item) error) error
}

// objectScheme starts the targets an ObjectLister walks.
const objectScheme = "s3://"

// Placement is where a path sits in the policy: its location, the classes
// allowed there and the clauses that location enforces.
type Placement struct {
	Location string
	Allowed  map[string]bool
	Policy   string
}

// Sink receives the findings of a scan. Findings of one stream arrive in
// order; Add is never called concurrently.
type Sink interface {
	Add(f *finding.Finding) error
}

// SinkFunc adapts a function to Sink.
type SinkFunc func(*finding.Finding) error

// Add calls f.
func (f SinkFunc) Add(x *finding.Finding) error { return f(x) }

// Problem is an input that could not be read, fully or at all, or whose
// scan is incomplete: a pattern that timed out on one of its lines ("line
// 12: rule \"x\": pattern timed out after 250ms"), findings past
// Options.MaxFindings. Path is written like a finding's path: escaped,
// ARCHIVE!MEMBER for members (see source.JoinMember).
type Problem struct {
	Path  string `json:"path"`
	Error string `json:"error"`
	// Missing: the path is a target given to Scan (a location's root)
	// that does not exist, rather than an input that could not be read;
	// Error then says "does not exist". A file that vanishes between the
	// walk and its reading is not Missing, only unreadable.
	Missing bool `json:"missing,omitempty"`
	// partial: the input was read, only not wholly scanned or reported.
	// Like any problem it holds back checkpoints and incremental
	// positions, so that the next run examines the input again (and
	// reports the problem again) rather than forget that it was not
	// wholly examined.
	partial bool
}

// Partial reports whether the input was read but not wholly examined (a
// pattern rule that timed out, findings past the cap), rather than not
// read.
func (p Problem) Partial() bool { return p.partial }

// Stats summarise a finished scan.
type Stats struct {
	// Files is the number of top-level inputs opened.
	Files int64 `json:"files"`
	// Streams is the number of text streams scanned: files, decompressed
	// files and archive members.
	Streams int64 `json:"streams"`
	// Binary is the number of streams skipped because they are binary.
	Binary int64 `json:"binary_skipped"`
	// Unchanged counts items an incremental scan skipped.
	Unchanged int64 `json:"unchanged_skipped,omitempty"`
	// Skipped is the number of paths left out on purpose (symlinks,
	// devices, fifos).
	Skipped int64 `json:"skipped"`
	// OtherShards counts the items left to the other shards of a sharded
	// scan.
	OtherShards int64 `json:"other_shards,omitempty"`
	// Bytes is the number of content bytes scanned (after decompression,
	// and of UTF-16 text decoded to UTF-8), counted as they are read: a
	// scan cut short says how far it got.
	Bytes int64 `json:"bytes"`
	// Findings is the number of findings reported.
	Findings int64 `json:"findings"`
	// Unreported counts the findings left out of the report by
	// Options.MaxFindings.
	Unreported int64 `json:"unreported,omitempty"`
	// Problems lists the inputs that could not be read.
	Problems []Problem     `json:"unreadable"`
	Duration time.Duration `json:"-"`
}

// Progress is updated while a scan runs, for progress displays.
type Progress struct {
	// TotalBytes is the size of the inputs found so far; WalkDone says
	// whether the walk has found them all.
	TotalBytes atomic.Int64
	WalkDone   atomic.Bool
	// ReadBytes counts bytes read from the inputs (compressed size).
	ReadBytes atomic.Int64
	Files     atomic.Int64
	Findings  atomic.Int64
}

// Scanner scans targets. Create one with New.
type Scanner struct {
	opts     Options
	rules    []detect.Rule
	ruleIdx  map[string]int // rule ID to index in rules
	classes  map[string]bool
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

// overlap is how much of a line longer than a chunk is shared by two
// consecutive chunks, so that a match across the cut is seen whole. It
// bounds the length of a match inside such a line.
const overlap = 8 << 10

// stream is one text stream being scanned: a file, or a member of an
// archive. Findings are reported in the order of items (the walk order),
// then members, then chunks.
type stream struct {
	path    string
	place   *Placement
	item    int // index of the top-level input in the walk
	member  int // index of the stream within its item
	cols    *detect.Columns
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

// chunk is a block of a stream: whole lines, or a piece of a very long line
// with overlap on both sides.
type chunk struct {
	st     *stream
	seq    int
	buf    *[]byte
	data   []byte
	lo, hi int // matches starting in [lo, hi) belong to this chunk
	line   int // line number of data[0]
	col0   int // offset of data[0] within its line
	last   bool
	first  bool
	// cols, for a block of an SQL dump, are its columns (see SQLTracker).
	cols *detect.Columns
	// mark, for a stream with a src, is the position after the last
	// complete line of the chunk (nil: the chunk ends none).
	mark *Position
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
	window := semaphore.NewWeighted(readAhead)
	r.window = window
	items := make(chan workItem, 1)
	var walkErr error
	idx := 0
	go func() {
		defer close(items)
		defer s.Progress.WalkDone.Store(true)
		defer func() {
			if p := recover(); p != nil {
				r.problem(strings.Join(targets, " "), fmt.Errorf("internal error while listing: %v", p))
			}
		}()
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
				if err := window.Acquire(ctx, w); err != nil {
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
			Error: func(path string, err error) { r.problem(source.EscapeName(path), err) },
			Skipped: func(path, reason string) {
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
			if !strings.HasPrefix(t, objectScheme) {
				if err := source.Walk(ctx, []string{t}, s.opts.Walk, funcs); err != nil {
					walkErr = err
					break
				}
				continue
			}
			if s.opts.Objects == nil {
				r.problem(source.EscapeName(t), errors.New("object storage is not configured"))
				continue
			}
			if err := s.opts.Objects.Walk(ctx, t, funcs.Item); err != nil {
				if ctx.Err() != nil {
					break
				}
				// A listing that fails (after retries) ends this target;
				// a checkpoint lets the next run resume it.
				r.problem(source.EscapeName(t), err)
			}
		}
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

// problemCount returns how many problems were recorded so far.
func (r *run) problemCount() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return len(r.stats.Problems)
}

// problemsOf reports whether problems recorded since before concern the
// file or object named path (its real name) or its members. Partial
// problems recorded later, by the workers or the collector, are seen
// through input.partial.
func (r *run) problemsOf(path string, before int) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, p := range r.stats.Problems[before:] {
		if top, _ := source.TopFile(p.Path); top == path {
			return true
		}
	}
	return false
}

// pgDumpArchive starts the archives of pg_dump's custom format (-Fc).
var pgDumpArchive = []byte("PGDMP")

// ErrPGDumpArchive is the problem of a pg_dump custom-format archive,
// which piiscan does not read: it is reported, never passed as clean.
var ErrPGDumpArchive = errors.New("a pg_dump custom-format archive (pg_dump -Fc) is not read: " +
	"scan the SQL that pg_restore -f - writes from it")

func (r *run) problem(path string, err error) {
	if errors.Is(err, source.ErrMissing) {
		r.mu.Lock()
		r.stats.Problems = append(r.stats.Problems, Problem{Path: path, Error: source.ErrMissing.Error(), Missing: true})
		r.mu.Unlock()
		r.logProblem("input does not exist", "path", path)
		return
	}
	msg := err.Error()
	var pe *fs.PathError
	if errors.As(err, &pe) && (pe.Path == path || source.EscapeName(pe.Path) == path) {
		msg = pe.Op + ": " + pe.Err.Error()
	}
	r.mu.Lock()
	r.stats.Problems = append(r.stats.Problems, Problem{Path: path, Error: msg})
	r.mu.Unlock()
	r.logProblem("cannot read input", "path", path, "error", msg)
}

// incomplete records that the stream path of input in was read but not
// wholly scanned or reported, at line: a pattern did not finish, or the
// input has more findings than the report takes.
func (r *run) incomplete(in *input, path string, line int, err error) {
	msg := fmt.Sprintf("line %d: %v", line, err)
	in.partial.Store(true)
	r.mu.Lock()
	r.stats.Problems = append(r.stats.Problems, Problem{Path: path, Error: msg, partial: true})
	r.mu.Unlock()
	r.logProblem("incomplete scan", "path", path, "error", msg)
}

// logProblem logs a problem as a warning, or at debug level when the
// caller prints the problems itself (Options.QuietProblems).
func (r *run) logProblem(msg string, args ...any) {
	if r.s.opts.QuietProblems {
		r.s.opts.Logger.Debug(msg, args...)
		return
	}
	r.s.opts.Logger.Warn(msg, args...)
}

// countingReader feeds the progress display.
type countingReader struct {
	r io.Reader
	p *Progress
	n int64
}

func (c *countingReader) Read(b []byte) (int, error) {
	n, err := c.r.Read(b)
	c.n += int64(n)
	c.p.ReadBytes.Add(int64(n))
	return n, err
}

// readItem opens one input, feeds its streams to the workers and returns
// how many streams it had. All its streams share in.
func (r *run) readItem(it workItem, in *input) (n int, end Position) {
	// Findings and problems name the input by its escaped name, which
	// its members' paths extend; it.Path stays the name to open.
	name := source.EscapeName(it.Path)
	defer func() {
		if p := recover(); p != nil {
			r.problem(name, fmt.Errorf("internal error while reading: %v", p))
			n, end = 0, Position{}
		}
	}()
	s := r.s
	if s.opts.Allow.Path(name, "") {
		return 0, Position{Skip: true}
	}
	inc := s.opts.Incremental
	var f io.Reader = s.opts.Stdin
	var ra io.ReaderAt
	var file *os.File
	switch {
	case it.Opener != nil:
		if inc != nil && inc.Start(it.Item, nil).Skip {
			r.unchanged()
			return 0, Position{Skip: true}
		}
		rc, at, err := it.Opener(r.ctx)
		if err != nil {
			r.problem(name, err)
			return 0, Position{}
		}
		defer rc.Close()
		f, ra = rc, at
	case it.Path != source.Stdin:
		var err error
		file, err = it.Open()
		if err != nil {
			r.problem(name, err)
			return 0, Position{}
		}
		defer file.Close()
		f, ra = file, file
	}
	var from Position
	if inc != nil && file != nil {
		from = inc.Start(it.Item, file)
		if from.Skip {
			r.unchanged()
			return 0, from
		}
		if from.Offset > 0 {
			if _, err := file.Seek(from.Offset, io.SeekStart); err != nil {
				r.problem(name, err)
				return 0, Position{}
			}
		}
	}
	s.Progress.Files.Add(1)
	r.mu.Lock()
	r.stats.Files++
	r.mu.Unlock()
	cr := &countingReader{r: f, p: &s.Progress}
	var src io.Reader = cr
	if inc != nil && file != nil {
		// A plain file is read directly, so that the next scan can resume
		// after its last complete line; anything else is read whole.
		br := bufio.NewReaderSize(cr, 64<<10)
		head, _ := br.Peek(512)
		if from.Offset > 0 || source.Sniff(head) == source.FormatPlain {
			end := from
			rs := &resume{item: it.Item, from: from, end: &end}
			if from.Offset > 0 {
				// The columns of a CSV come from its first line.
				head := make([]byte, 8<<10)
				n, _ := file.ReadAt(head, 0)
				rs.head = head[:n]
			}
			started, err := r.readStream(name, br, in, it.idx, 0, rs)
			if err != nil && r.ctx.Err() == nil {
				r.problem(name, err)
			}
			if !started { // binary, or allowed: nothing to resume
				return 0, Position{Whole: true, Offset: it.Size}
			}
			return 1, end
		}
		src = br
	}
	x := source.Expander{Limits: s.opts.Limits, MemberError: r.problem}
	if ra != nil {
		defer func() {
			// Zip archives are read through ra, which is not counted.
			if rest := it.Size - cr.n; rest > 0 {
				s.Progress.ReadBytes.Add(rest)
			}
		}()
	}
	members := 0
	err := x.Expand(r.ctx, name, src, ra, it.Size, func(path string, br *bufio.Reader) error {
		started, err := r.readStream(path, br, in, it.idx, members, nil)
		if started {
			members++
		}
		return err
	})
	if err != nil && r.ctx.Err() == nil {
		r.problem(name, err)
	}
	return members, Position{Whole: true, Offset: it.Size}
}

// unchanged counts an item an incremental scan skipped.
func (r *run) unchanged() {
	r.mu.Lock()
	r.stats.Unchanged++
	r.mu.Unlock()
}

// resume is how a plain file is read by an incremental scan: from where,
// where the end goes, and the start of the file (for its CSV header).
type resume struct {
	item source.Item
	from Position
	end  *Position
	head []byte
}

// readStream cuts one stream into chunks. It reports whether it sent any
// (a stream that is allowed or binary is skipped). With rs, the stream
// starts at rs.from in its file and rs.end receives the position after
// the last complete line read.
func (r *run) readStream(path string, br *bufio.Reader, in *input, item, member int, rs *resume) (bool, error) {
	var from Position
	var end *Position
	if rs != nil {
		from, end = rs.from, rs.end
	}
	s := r.s
	if s.opts.Allow.Path(path, "") {
		return false, nil
	}
	head, _ := br.Peek(8 << 10)
	if from.Offset > 0 {
		head = rs.head
	}
	// UTF-16 is decoded (utf16.go); positions stay in the file's bytes.
	br, head, enc, bom := decodedUTF16(br, head, from.Offset == 0)
	// A log already read as text stays text: bytes at the resume point
	// (NUL padding after a crash) do not make it binary.
	if from.Offset == 0 && bytes.HasPrefix(head, pgDumpArchive) {
		// Rows of a database, compressed in a format of its own: saying
		// nothing would pass a backup of customer records as clean.
		r.problem(path, ErrPGDumpArchive)
		return false, nil
	}
	if from.Offset == 0 && LooksBinary(head) {
		r.mu.Lock()
		r.stats.Binary++
		r.mu.Unlock()
		s.opts.Logger.Debug("binary stream skipped", "path", path)
		return false, nil
	}
	st := &stream{path: path, item: item, member: member, in: in, file: detect.CredentialFile(path)}
	// An SQL dump's blocks carry their own columns (chunk.cols).
	// A UTF-8 byte-order mark is no part of the first line's names.
	names := bytes.TrimPrefix(head, utf8BOM)
	sql := sqlTracker(path, names, from)
	rec, hl7 := recordStream(names, from) // FHIR, HL7 v2: chunk.cols too
	if hl7 {
		br = newSegmentReader(br)
	}
	if sql == nil && rec == nil {
		st.cols = CSVColumns(path, names)
	}
	if rs != nil {
		st.src = &rs.item
	}
	if s.opts.Place != nil {
		top, _ := source.TopFile(path) // archive members sit where their archive is
		st.place = s.opts.Place(top)
	}
	for _, c := range s.opts.Engine.Rules() {
		if s.opts.Allow.Path(path, c.Class) {
			if st.allowed == nil {
				st.allowed = map[string]bool{}
			}
			st.allowed[c.Class] = true
		}
	}
	r.mu.Lock()
	r.stats.Streams++
	r.mu.Unlock()

	size := s.opts.ChunkSize
	var carry []byte // bytes of the previous buffer that start the next chunk
	lo, line, col0, seq := 0, from.Line+1, 0, 0
	pos := from.Offset + int64(bom) // offset of data[0] in the file
	// span is how many bytes of the file data, read from it, came from
	// (counted only for a resumable stream).
	span := func(data []byte) int64 {
		switch {
		case end == nil:
			return 0
		case enc != encUTF8:
			return utf16Len(data)
		}
		return int64(len(data))
	}
	// commit records, for a resumable stream, that the chunk c ends the
	// line before data[n:], which is line number lines.
	commit := func(c *chunk, n int, lines int) {
		if end != nil {
			end.Offset, end.Line = pos+span(c.data[:n]), lines
			c.mark = &Position{Offset: end.Offset, Line: end.Line}
		}
	}
	for {
		bp := r.bufs.Get().(*[]byte)
		buf := (*bp)[:size]
		n := copy(buf, carry)
		m, err := fill(br, buf[n:])
		// Counted as read, so that a scan cut short says how far it got.
		r.addBytes(int64(m))
		n += m
		data := buf[:n]
		c := &chunk{st: st, seq: seq, buf: bp, data: data, lo: lo, line: line, col0: col0, first: seq == 0 && from.Offset == 0}
		seq++
		if sql != nil {
			c.cols = sql.Columns(col0 > 0)
			sql.Feed(data[len(carry):])
		}
		if rec != nil {
			c.cols = rec.Columns()
		}
		if err != nil {
			// The end of the stream, or a read error: what was read is
			// still scanned (findings before the damage of a truncated
			// archive are real), then the error is reported.
			c.hi, c.last = n, true
			if nl := bytes.LastIndexByte(data[lo:], '\n'); nl >= 0 {
				commit(c, lo+nl+1, line-1+bytes.Count(data[:lo+nl+1], []byte{'\n'}))
			}
			if serr := r.send(c); serr != nil {
				return true, serr
			}
			if err == io.EOF {
				return true, nil
			}
			return true, &fs.PathError{Op: "read", Path: path, Err: err}
		}
		if nl := bytes.LastIndexByte(data[lo:], '\n'); nl >= 0 {
			nl += lo
			c.hi = nl + 1
			c.data = data[:nl+1]
			carry = append(carry[:0], data[nl+1:]...)
			line += bytes.Count(data[:nl+1], []byte{'\n'})
			commit(c, nl+1, line-1)
			pos += span(data[:nl+1])
			lo, col0 = 0, 0
		} else {
			// A line longer than a chunk: cut it with overlap on both
			// sides of the cut.
			c.hi = n - overlap
			carry = append(carry[:0], data[c.hi-overlap:]...)
			col0 += c.hi - overlap
			pos += span(data[:c.hi-overlap])
			lo = overlap
		}
		if rec != nil {
			rec.Feed(data[:n-len(carry)]) // up to the next chunk's start
		}
		if err := r.send(c); err != nil {
			return true, err
		}
	}
}

// fill reads into p until it is full or the reader fails; a reader that
// ends returns io.EOF (also after a partial fill).
func fill(r io.Reader, p []byte) (int, error) {
	n := 0
	for n < len(p) {
		m, err := r.Read(p[n:])
		n += m
		if err != nil {
			return n, err
		}
	}
	return n, nil
}

func (r *run) addBytes(n int64) {
	r.mu.Lock()
	r.stats.Bytes += n
	r.mu.Unlock()
}

func (r *run) send(c *chunk) error {
	select {
	case r.chunks <- c:
		return nil
	case <-r.ctx.Done():
		if c.buf != nil {
			r.bufs.Put(c.buf)
		}
		return context.Cause(r.ctx)
	}
}

// detect is a worker: it scans chunks and turns matches into findings.
func (r *run) detect() {
	s := r.s
	sc := s.opts.Engine.NewScanner()
	region := s.opts.Engine.Region()
	vc := &valueCache{}
	for c := range r.chunks {
		res := &result{st: c.st, seq: c.seq, last: c.last, mark: c.mark}
		if c.data != nil && r.ctx.Err() == nil {
			// A chunk whose detection saw the cancellation may have been
			// cut short: it does not count as scanned.
			res.scanned = r.detectChunk(sc, vc, c, region, res) && r.ctx.Err() == nil
		}
		if c.buf != nil {
			r.bufs.Put(c.buf)
		}
		select {
		case r.results <- res:
		case <-r.ctx.Done():
		}
	}
}

// detectChunk scans one chunk and reports whether it went through it
// all. A panic (a bug meeting unexpected input) is reported as a problem
// of the chunk's path, and the scan goes on.
func (r *run) detectChunk(sc *detect.Scanner, vc *valueCache, c *chunk, region string, res *result) (whole bool) {
	defer func() {
		if p := recover(); p != nil {
			r.problem(c.st.path, fmt.Errorf("internal error while scanning line %d: %v", c.line, p))
			res.findings, res.counted = nil, 0
			whole = false
		}
	}()
	st := c.st
	cols := st.cols
	if c.cols != nil {
		cols = c.cols
	} else if cols != nil && (c.first || c.col0 > 0) {
		cc := *cols
		cc.SkipFirstLine = true
		cols = &cc
	}
	st.in.patterns.Scanned(c.hi - c.lo)
	st.in.allow.Scanned(c.hi - c.lo)
	sc.SetFile(st.file)
	matches := sc.ScanStream(r.ctx, st.in.patterns, c.data, cols)
	for _, p := range sc.PatternProblems() {
		r.incomplete(st.in, st.path, c.lineAt(p.Offset), p.Err)
	}
	return r.findings(c, matches, region, vc, res)
}

// lineAt returns the line number of the byte at off in the chunk.
func (c *chunk) lineAt(off int) int {
	return c.line + bytes.Count(c.data[:off], []byte{'\n'})
}

// valueCache remembers, for one worker, the masked form and fingerprint
// of recent values, and the clauses recent findings violate: logs repeat
// the same addresses on many lines, and an HMAC per finding is a good
// part of the cost of a scan.
type valueCache struct {
	values   map[string]cachedValue // class, NUL, raw value
	key      []byte
	violates map[violatesKey]string
	// Values that do not repeat only cost the cache: it watches its hit
	// rate and pauses when it is low.
	lookups, hits, paused int
}

type cachedValue struct{ masked, fingerprint string }

type violatesKey struct {
	place *Placement
	rule  int
}

// valueCacheSize bounds a worker's cache; it starts over when full.
const valueCacheSize = 4096

// lookup returns the cached masked value and fingerprint of raw.
func (vc *valueCache) lookup(class string, raw []byte) (cachedValue, bool) {
	if vc.paused > 0 {
		vc.paused--
		return cachedValue{}, false
	}
	vc.key = append(append(append(vc.key[:0], class...), 0), raw...)
	v, ok := vc.values[string(vc.key)]
	vc.lookups++
	if ok {
		vc.hits++
	}
	if vc.lookups == valueCacheSize {
		if vc.hits < valueCacheSize/10 {
			vc.paused = 64 * valueCacheSize
		}
		vc.lookups, vc.hits = 0, 0
	}
	return v, ok
}

// store caches v under the key of the last lookup (unless paused).
func (vc *valueCache) store(v cachedValue) {
	if vc.paused > 0 {
		return
	}
	if vc.values == nil || len(vc.values) >= valueCacheSize {
		vc.values = make(map[string]cachedValue, 256)
	}
	vc.values[string(vc.key)] = v
}

// violatesOf returns the clauses a finding of rule violates in place.
func (vc *valueCache) violatesOf(pl *Placement, ruleIdx int, policyRef string) string {
	k := violatesKey{pl, ruleIdx}
	if v, ok := vc.violates[k]; ok {
		return v
	}
	if vc.violates == nil || len(vc.violates) >= valueCacheSize {
		vc.violates = map[violatesKey]string{}
	}
	v := joinClauses(pl.Policy, policyRef)
	vc.violates[k] = v
	return v
}

// findings turns the matches of chunk c into res.findings or, once the
// input is capped (see Options.MaxFindings), only counts them but for the
// first of each rule not yet reported (the collector decides). It
// reports whether it went through all the matches (not stopped by a
// cancellation).
func (r *run) findings(c *chunk, matches []detect.Match, region string, vc *valueCache, res *result) bool {
	s := r.s
	var out []finding.Finding
	if p, ok := r.fslices.Get().(*[]finding.Finding); ok {
		out = (*p)[:0]
	}
	in := c.st.in
	capped := in.capped.Load()
	var made []int // rules with a finding made in this chunk while capped
	data := c.data
	line, pos, lineStart := c.line, 0, 0
	for _, m := range matches {
		if m.Start < c.lo || m.Start >= c.hi {
			continue
		}
		if r.ctx.Err() != nil {
			res.findings = out
			return false // allow patterns may take a while on each value
		}
		rule := &s.rules[m.Rule]
		if s.classes != nil && !s.classes[rule.Class] || c.st.allowed[rule.Class] {
			continue
		}
		raw := data[m.Start:m.End]
		norm := detect.Normalize(rule.Class, raw, m.RegionOr(region))
		allowed, errs := s.opts.Allow.ValueIn(in.allow, rule.Class, raw, norm)
		for _, err := range errs {
			r.incomplete(in, c.st.path, c.lineAt(m.Start), err)
		}
		if allowed {
			continue
		}
		if n := bytes.Count(data[pos:m.Start], []byte{'\n'}); n > 0 {
			line += n
			lineStart = pos + bytes.LastIndexByte(data[pos:m.Start], '\n') + 1
		}
		pos = m.Start
		if capped {
			if in.seen[m.Rule].Load() || slices.Contains(made, m.Rule) {
				if res.counted == 0 {
					res.countAt = line
				}
				res.counted++
				continue
			}
			made = append(made, m.Rule)
		}
		col := m.Start - lineStart + 1
		if line == c.line {
			col += c.col0
		}
		var cv cachedValue
		if rule.Detector == detect.DetPrivateKey {
			// The fingerprint covers the key's body, not the marker.
			fpInput := append(slices.Clip(raw), detect.PrivateKeyBody(data, m.Start, m.End)...)
			cv = cachedValue{finding.Mask(rule.Class, raw), s.opts.Fingerprints.Sum(rule.Class, fpInput)}
		} else if m.Region != "" {
			// A national number of another region: the same text
			// elsewhere is another number (the cache is by text).
			cv = cachedValue{finding.Mask(rule.Class, raw), s.opts.Fingerprints.Sum(rule.Class, norm)}
		} else if v, ok := vc.lookup(rule.Class, raw); ok {
			cv = v
		} else {
			cv = cachedValue{finding.Mask(rule.Class, raw), s.opts.Fingerprints.Sum(rule.Class, norm)}
			vc.store(cv)
		}
		f := finding.Finding{
			Path:        c.st.path,
			Line:        line,
			Column:      col,
			Length:      m.End - m.Start,
			Class:       rule.Class,
			Rule:        rule.ID,
			Severity:    rule.Severity,
			Confidence:  m.Confidence,
			Masked:      cv.masked,
			Fingerprint: cv.fingerprint,
			Policy:      rule.PolicyRef,
		}
		if pl := c.st.place; pl != nil {
			f.Location = pl.Location
			f.Disallowed = !pl.Allowed[rule.Class]
			if f.Disallowed {
				f.Violates = vc.violatesOf(pl, m.Rule, rule.PolicyRef)
			}
		} else {
			f.Disallowed = true // nothing is allowed outside the policy's locations
			f.Violates = rule.PolicyRef
		}
		if s.opts.Reveal {
			f.Value = string(raw)
		}
		out = append(out, f)
	}
	res.findings = out
	return true
}

// joinClauses joins clause references, skipping empty ones.
func joinClauses(a, b string) string {
	switch {
	case a == "":
		return b
	case b == "":
		return a
	}
	return a + "; " + b
}

// collect hands results to the sink in walk order: item by item, member by
// member, chunk by chunk. Results that arrive early wait in pending.
func (r *run) collect(sink Sink) error {
	s := r.s
	var failed error
	type itemState struct {
		streams map[int]*stream // by member
		total   int             // streams in the item; -1 until the reader says
		weight  int64
		src     source.Item
		failed  bool
		end     Position
		in      *input
	}
	items := map[int]*itemState{}
	get := func(i int) *itemState {
		it := items[i]
		if it == nil {
			it = &itemState{streams: map[int]*stream{}, total: -1}
			items[i] = it
		}
		return it
	}
	curItem, curMember := 0, 0
	stalled := false // an item failed: checkpoints stop here
	// cut: after a cancellation, the first chunk not scanned ends what is
	// handed to the sink, so that the findings of a plain file reported
	// are those before its position (Incremental.Progress): the next run
	// reports the rest once.
	cut := false
	emit := func(res *result) {
		if !res.scanned && r.ctx.Err() != nil {
			cut = true
		}
		if failed != nil || cut {
			return
		}
		st := res.st
		in := st.in
		limit := int64(s.opts.MaxFindings)
		first := in.unreported == 0 // no finding of the input left out yet
		leftAt := 0                 // line of the first finding left out here
		var n int64
		for i := range res.findings {
			f := &res.findings[i]
			if limit > 0 && in.reported >= limit {
				in.capped.Store(true) // later chunks are only counted
				if in.ids[f.Rule] {
					if leftAt == 0 {
						leftAt = f.Line
					}
					in.unreported++
					continue
				}
			}
			if err := sink.Add(f); err != nil {
				failed = fmt.Errorf("writing findings: %w", err)
				r.cancel(failed) // stop reading: nothing more can be reported
				return
			}
			in.reported++
			n++
			if limit > 0 && !in.ids[f.Rule] {
				if in.ids == nil {
					in.ids = map[string]bool{}
				}
				in.ids[f.Rule] = true
				if i, ok := s.ruleIdx[f.Rule]; ok {
					in.seen[i].Store(true)
				}
			}
		}
		if res.counted > 0 {
			if leftAt == 0 || res.countAt < leftAt {
				leftAt = res.countAt
			}
			in.unreported += res.counted
		}
		if first && leftAt > 0 {
			in.capPath, in.capLine = st.path, leftAt
		}
		r.stats.Findings += n
		s.Progress.Findings.Add(n)
		if cap(res.findings) > 0 {
			clear(res.findings) // drop the strings for the collector
			fs := res.findings[:0]
			r.fslices.Put(&fs)
		}
	}
	for res := range r.results {
		if res.itemDone {
			it := get(res.item)
			it.total, it.weight, it.src, it.failed, it.end, it.in = res.streams, res.weight, res.src, res.failed, res.end, res.in
		} else {
			st := res.st
			get(st.item).streams[st.member] = st
			if st.pending == nil {
				st.pending = map[int]*result{}
			}
			st.pending[res.seq] = res
		}
		// Emit everything that is next in order.
		for {
			it := get(curItem)
			if it.total >= 0 && curMember == it.total {
				delete(items, curItem)
				r.window.Release(it.weight)
				if in := it.in; in != nil && in.unreported > 0 {
					r.stats.Unreported += in.unreported
					r.incomplete(in, in.capPath, in.capLine, fmt.Errorf("the report stops at %d findings for one input: %d more from this line on are not reported",
						s.opts.MaxFindings, in.unreported))
				}
				// A partial problem (a pattern that did not finish, findings
				// past the cap) holds back checkpoints and positions like
				// any other: the next run examines the input again.
				if it.in != nil && it.in.partial.Load() {
					it.failed = true
				}
				if it.failed {
					stalled = true
				}
				// After a cancellation the workers stop scanning: an item
				// completed then was not really read, and neither a
				// checkpoint nor an incremental position may pass it.
				read := failed == nil && !it.failed && r.ctx.Err() == nil
				if s.opts.ItemDone != nil && read && !stalled {
					s.opts.ItemDone(it.src)
				}
				if s.opts.Incremental != nil && read {
					s.opts.Incremental.Done(it.src, it.end)
				}
				curItem, curMember = curItem+1, 0
				continue
			}
			st := it.streams[curMember]
			if st == nil {
				break
			}
			next := st.pending[st.next]
			if next == nil {
				break
			}
			delete(st.pending, st.next)
			st.next++
			emit(next)
			if st.src != nil && !st.stopped {
				switch {
				case failed != nil || cut || !next.scanned || st.in.partial.Load() || st.in.unreported > 0:
					// Not wholly scanned or reported: the position
					// stays before this chunk.
					st.stopped = true
				case next.mark != nil:
					s.opts.Incremental.Progress(*st.src, *next.mark)
				}
			}
			if next.last {
				delete(it.streams, curMember)
				curMember++
			}
		}
	}
	return failed
}

// LooksBinary reports whether the start of a stream is binary: it holds a
// NUL byte, or more than one byte in ten is a control character other than
// the usual whitespace and terminal escapes. A run of NULs at the very
// start does not count when text follows it: logrotate's copytruncate
// leaves one in a log whose writer kept its offset. A head of NULs only
// is binary (nothing tells it is text).
func LooksBinary(head []byte) bool {
	if len(head) == 0 {
		return false
	}
	if head[0] == 0 {
		head = bytes.TrimLeft(head, "\x00")
		if len(head) == 0 {
			return true
		}
	}
	if bytes.IndexByte(head, 0) >= 0 {
		return true
	}
	ctrl := 0
	for _, c := range head {
		if c < 0x20 && c != '\n' && c != '\r' && c != '\t' && c != '\f' && c != '\v' && c != 0x1b && c != '\b' || c == 0x7f {
			ctrl++
		}
	}
	return ctrl*10 > len(head)
}

// CSVColumns returns the personal-data columns of a delimited stream:
// files named .csv, .tsv or .psv, or any stream whose first line reads like
// a header (delimiter-separated names, no key=value or JSON). path is the
// stream's finding path or a file's real path: only the extension of the
// last name counts.
func CSVColumns(path string, head []byte) *detect.Columns {
	nl := bytes.IndexByte(head, '\n')
	if nl < 0 {
		return nil
	}
	first := head[:nl]
	var delim byte
	switch source.Ext(path) {
	case ".csv":
		delim = ','
	case ".tsv":
		delim = '\t'
	case ".psv":
		delim = '|'
	default:
		if bytes.ContainsAny(first, "{}=[]<>:") || bytes.Count(first, []byte{','}) < 2 && bytes.Count(first, []byte{'\t'}) < 2 {
			return nil
		}
		for _, c := range first {
			if c >= '0' && c <= '9' {
				return nil // data, not names
			}
		}
	}
	return detect.HeaderColumns(first, delim)
}
