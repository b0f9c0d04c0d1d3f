package scanners

import (
	"errors"
	"fmt"
	"io/fs"
	"sync/atomic"
	"time"

	"github.com/piiscan/piiscan/finding"
	"github.com/piiscan/piiscan/internal/itempath"
	"github.com/piiscan/piiscan/scanners/source"
)

// Problem is an input that could not be read, fully or at all, or whose
// scan is incomplete: a pattern that timed out on one of its lines ("line
// 12: rule \"x\": pattern timed out after 250ms"), findings past
// Options.MaxFindings. Path is written like a finding's path: escaped,
// ARCHIVE!MEMBER for members (see itempath.Join).
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

// Seconds returns Duration in seconds to the millisecond, as reports write
// it: 2.272, not the 2.2720000000000002 that Duration.Seconds gives for a
// rounded duration.
func (s *Stats) Seconds() float64 {
	return float64(s.Duration.Round(time.Millisecond).Milliseconds()) / 1000
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
		if top, _ := itempath.Outer(p.Path); top == path {
			return true
		}
	}
	return false
}

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
	if errors.As(err, &pe) && (pe.Path == path || itempath.Escape(pe.Path) == path) {
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

// unchanged counts an item an incremental scan skipped.
func (r *run) unchanged() {
	r.mu.Lock()
	r.stats.Unchanged++
	r.mu.Unlock()
}

func (r *run) addBytes(n int64) {
	r.mu.Lock()
	r.stats.Bytes += n
	r.mu.Unlock()
}

// EncodeProblems returns ps with their paths as reports and findings files
// write them (finding.EncodePath), leaving ps as it is.
func EncodeProblems(ps []Problem) []Problem {
	if ps == nil {
		return nil
	}
	out := make([]Problem, len(ps))
	for i, p := range ps {
		out[i] = p
		out[i].Path = finding.EncodePath(p.Path)
	}
	return out
}

// DecodeProblems undoes EncodeProblems in place.
func DecodeProblems(ps []Problem) {
	for i := range ps {
		ps[i].Path = finding.DecodePath(ps[i].Path)
	}
}
