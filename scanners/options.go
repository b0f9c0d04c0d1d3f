package scanners

import (
	"io"
	"log/slog"
	"os"

	"github.com/piiscan/piiscan/finding"
	"github.com/piiscan/piiscan/policy"
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
	Place func(path string) *policy.Placement
	// Sources are where targets other than files come from, asked in
	// order before the files on disk (source.Files with Walk), which take
	// every target no source handles. nil means an S3 source without a
	// client (bucket.Source{}): s3:// targets are then problems, not
	// paths.
	Sources []source.Source
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

// Sink receives the findings of a scan. Findings of one stream arrive in
// order; Add is never called concurrently.
type Sink interface {
	Add(f *finding.Finding) error
}

// SinkFunc adapts a function to Sink.
type SinkFunc func(*finding.Finding) error

// Add calls f.
func (f SinkFunc) Add(x *finding.Finding) error { return f(x) }
