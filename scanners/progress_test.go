package scanners

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/piiscan/piiscan/finding"
	"github.com/piiscan/piiscan/scanners/source"
)

// progressLog writes a plain log of about size bytes with an address
// every 997th line and one on its third line from the end.
func progressLog(size int) []byte {
	var b bytes.Buffer
	for i := 1; b.Len() < size; i++ {
		if i%997 == 0 {
			fmt.Fprintf(&b, "login ok for user%d@example.com from the web\n", i)
			continue
		}
		b.WriteString("request handled path=/api/items status ok took little\n")
	}
	b.WriteString("request handled path=/api/items status ok took little\n")
	b.WriteString("password reset mailed to late.one@example.com\n")
	b.WriteString("request handled path=/api/items status ok took little\n")
	b.WriteString("shutting down\n")
	return b.Bytes()
}

// cancellingIncremental is memIncremental that cancels the scan at its
// n-th Progress call (n > 0).
type cancellingIncremental struct {
	*memIncremental
	n      int
	cancel context.CancelFunc
}

func (c *cancellingIncremental) Progress(it source.Item, at Position) {
	c.memIncremental.Progress(it, at)
	c.mu.Lock()
	n := len(c.progress)
	c.mu.Unlock()
	if n == c.n {
		c.cancel()
	}
}

// A scan cancelled in the middle of a big plain file keeps how far it got
// there, on a line boundary, with every finding before that point
// reported and none after it; the next scan resumes there and reports the
// rest, once. The bytes read before the cancellation are counted.
func TestProgressSurvivesCancel(t *testing.T) {
	data := progressLog(3 << 20)
	dir := t.TempDir()
	path := filepath.Join(dir, "app.log")
	writeFile(t, path, data)
	base := testOptions(t)
	base.ChunkSize = 32 << 10 // some 100 chunks
	want := keys(mustCollect(t, base, path))
	lastLine := bytes.Count(data, []byte("\n")) - 2 // late.one
	lineOf := func(k string) int {
		// path:line:column+length rule
		rest := strings.TrimPrefix(k, path+":")
		var l int
		fmt.Sscanf(rest[:strings.IndexByte(rest, ':')], "%d", &l)
		return l
	}
	if len(want) < 50 || lineOf(want[len(want)-1]) != lastLine {
		t.Fatalf("reference scan: %d findings, last %q, want one on line %d", len(want), want[len(want)-1], lastLine)
	}

	tests := []struct {
		name string
		// How the first scan is stopped: after this many findings
		// reached the sink, at this Progress call, or at the first
		// finding after this many bytes were read.
		findings, progress int
		read               int64
	}{
		{name: "sink after 1 finding", findings: 1},
		{name: "sink after 5 findings", findings: 5},
		{name: "sink after 20 findings", findings: 20},
		{name: "third progress", progress: 3},
		{name: "tenth progress", progress: 10},
		{name: "finding after 1 MB read", read: 1 << 20},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for range 5 { // the timing of the workers varies
				inc := &memIncremental{pos: map[string]Position{}}
				opts := base
				opts.Incremental = inc
				ctx, cancel := context.WithCancel(t.Context())
				defer cancel()
				if tt.progress > 0 {
					opts.Incremental = &cancellingIncremental{memIncremental: inc, n: tt.progress, cancel: cancel}
				}
				s, err := New(opts)
				if err != nil {
					t.Fatal(err)
				}
				var first []string
				stats, err := s.Scan(ctx, []string{path}, SinkFunc(func(f *finding.Finding) error {
					first = append(first, key(*f))
					if len(first) == tt.findings || tt.read > 0 && s.Progress.ReadBytes.Load() >= tt.read {
						cancel()
					}
					return nil
				}))
				if !errors.Is(err, context.Canceled) {
					t.Fatalf("first scan: %v, want it cancelled", err)
				}
				if stats.Bytes <= 0 {
					t.Errorf("a cancelled scan counts %d bytes", stats.Bytes)
				}
				pos, ok := inc.pos[path]
				// Chunks scanned before the cancellation are still
				// reported, in order: with the workers ahead, that may
				// be the whole file.
				if !ok || pos.Offset <= 0 || pos.Offset > int64(len(data)) {
					t.Fatalf("position %+v (kept: %v), want one in the file", pos, ok)
				}
				if data[pos.Offset-1] != '\n' || pos.Line != bytes.Count(data[:pos.Offset], []byte("\n")) {
					t.Fatalf("position %+v is not the end of line %d", pos, bytes.Count(data[:pos.Offset], []byte("\n")))
				}
				// Progress only ever moves forward, on line ends.
				prev := int64(0)
				for _, p := range inc.progress {
					if p.at.Offset <= prev || data[p.at.Offset-1] != '\n' {
						t.Fatalf("progress %+v after %d", p.at, prev)
					}
					prev = p.at.Offset
				}
				// What was reported is exactly what lies before the
				// position: nothing skipped, nothing reported ahead.
				var before, after []string
				for _, k := range want {
					if lineOf(k) <= pos.Line {
						before = append(before, k)
					} else {
						after = append(after, k)
					}
				}
				if !slices.Equal(first, before) {
					t.Fatalf("first scan reported %d findings, position at line %d with %d findings before it:\n%q\n%q", len(first), pos.Line, len(before), first, before)
				}
				t.Logf("stopped at line %d offset %d of %d, %d bytes read, %d reported, %d after", pos.Line, pos.Offset, len(data), stats.Bytes, len(first), len(after))
				second := keys(mustCollect(t, opts, path))
				if !slices.Equal(second, after) {
					t.Fatalf("resumed at line %d: %d findings, want the %d after it", pos.Line, len(second), len(after))
				}
				if end := inc.pos[path]; end.Offset != int64(len(data)) {
					t.Fatalf("after the second scan: position %+v, want the end", end)
				}
			}
		})
	}
}

// Only the item whose findings are being reported makes progress: a file
// read ahead of it keeps its old position when the scan is cancelled.
func TestProgressOnlyForTheItemInTurn(t *testing.T) {
	dir := t.TempDir()
	a, b := filepath.Join(dir, "a.log"), filepath.Join(dir, "b.log")
	writeFile(t, a, progressLog(2<<20))
	sizeA := int64(len(progressLog(2 << 20)))
	writeFile(t, b, progressLog(2<<20))
	for range 5 {
		inc := &memIncremental{pos: map[string]Position{}}
		opts := testOptions(t)
		opts.ChunkSize = 32 << 10
		opts.Readers = 2 // b is read while a is reported
		opts.Incremental = inc
		s, err := New(opts)
		if err != nil {
			t.Fatal(err)
		}
		ctx, cancel := context.WithCancel(t.Context())
		var n atomic.Int64
		s.Scan(ctx, []string{dir}, SinkFunc(func(f *finding.Finding) error {
			if n.Add(1) == 10 {
				cancel()
			}
			return nil
		}))
		cancel()
		if p := inc.pos[a]; p.Offset <= 0 {
			t.Fatalf("a.log: position %+v", p)
		}
		// b.log moves only once a.log was reported to its end (which
		// may happen after the cancellation, when the workers were
		// ahead).
		seenB := false
		for _, p := range inc.progress {
			switch {
			case p.path == b:
				seenB = true
			case seenB:
				t.Fatalf("progress of a.log after b.log's: %+v", inc.progress)
			}
		}
		if _, ok := inc.pos[b]; ok && inc.pos[a].Offset != sizeA {
			t.Fatalf("b.log has a position %+v before a.log was done (a: %+v of %d)", inc.pos[b], inc.pos[a], sizeA)
		}
	}
}
