package report

import (
	"io"
	"runtime"
	"testing"

	"github.com/piiscan/piiscan/scanners"
)

// TestStreamingDoesNotRetainFindings writes many findings through each
// machine-readable format and checks that the heap does not grow with
// them: the writers keep counts, not findings.
func TestStreamingDoesNotRetainFindings(t *testing.T) {
	const n = 100_000
	for _, format := range []Format{FormatJSONL, FormatJSON, FormatSARIF, FormatTable} {
		t.Run(string(format), func(t *testing.T) {
			w, err := New(format, io.Discard, testMeta())
			if err != nil {
				t.Fatal(err)
			}
			fs := testFindings()
			var before, after runtime.MemStats
			runtime.GC()
			runtime.ReadMemStats(&before)
			for i := range n {
				f := &fs[i%len(fs)]
				f.Line = i + 1
				f.Column = i%80 + 1
				if err := w.Add(f); err != nil {
					t.Fatal(err)
				}
			}
			runtime.GC()
			runtime.ReadMemStats(&after)
			// 100k findings retained would take well over 10 MiB.
			if grew := int64(after.HeapAlloc) - int64(before.HeapAlloc); grew > 4<<20 {
				t.Errorf("heap grew by %d bytes after %d findings", grew, n)
			}
			if err := w.Close(&scanners.Stats{Findings: n}); err != nil {
				t.Fatal(err)
			}
			runtime.KeepAlive(w)
		})
	}
}

// TestJSONLAddDoesNotAllocate checks that the steady state of the jsonl
// writer allocates nothing per finding.
func TestJSONLAddDoesNotAllocate(t *testing.T) {
	w := newJSONL(io.Discard)
	fs := testFindings()
	i := 0
	allocs := testing.AllocsPerRun(1000, func() {
		f := &fs[i%len(fs)]
		i++
		f.Line = i
		if err := w.Add(f); err != nil {
			t.Fatal(err)
		}
	})
	if allocs > 0 {
		t.Errorf("Add allocates %.1f times per finding, want 0", allocs)
	}
}
