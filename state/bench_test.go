package state

import (
	"encoding/hex"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/piiscan/piiscan/scanners"
	"github.com/piiscan/piiscan/scanners/source"
)

// genSeen returns n distinct violations in random key order, all alerted
// at now, spread over 3 locations, 4 rules and 1000 files.
func genSeen(n int, seed uint64, now time.Time) []Seen {
	r := rand.New(rand.NewPCG(seed, 1))
	locs := []string{"web", "app", "db"}
	rules := []string{"email", "ssn", "iban", "phone"}
	out := make([]Seen, n)
	var fp [16]byte
	for i := range out {
		for j := range fp {
			fp[j] = byte(r.Uint32())
		}
		out[i] = Seen{First: now, LastSent: now, Location: locs[r.IntN(len(locs))], Rule: rules[r.IntN(len(rules))],
			Class: "email", Severity: "high", Path: "/var/log/app/app-" + strconv.Itoa(r.IntN(1000)) + ".log",
			Line: r.IntN(100000), Masked: "j***@example.com", Fingerprint: hex.EncodeToString(fp[:])}
	}
	return out
}

var benchNow = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)

func openBench(b *testing.B) (*Store, string) {
	b.Helper()
	path := filepath.Join(b.TempDir(), "state.db")
	s, err := Open(path, slog.New(slog.DiscardHandler))
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { s.Close() })
	return s, path
}

func fileSize(b *testing.B, path string) float64 {
	b.Helper()
	fi, err := os.Stat(path)
	if err != nil {
		b.Fatal(err)
	}
	return float64(fi.Size())
}

// BenchmarkSave saves distinct violations in one commit into a new state
// file (100k, 1M), and commits of 10k (5k new, 5k reminded) into a state
// holding 1M. file-bytes is the size of the state file after.
func BenchmarkSave(b *testing.B) {
	for _, tt := range []struct {
		name string
		n    int
	}{{"100k", 100_000}, {"1M", 1_000_000}} {
		b.Run(tt.name, func(b *testing.B) {
			list := genSeen(tt.n, 1, benchNow)
			var size float64
			for range b.N {
				b.StopTimer()
				s, path := openBench(b)
				b.StartTimer()
				if _, err := s.Save(Commit{Seen: map[string][]Seen{"sec": list}}); err != nil {
					b.Fatal(err)
				}
				b.StopTimer()
				size = fileSize(b, path)
				s.Close()
				b.StartTimer()
			}
			b.ReportMetric(size, "file-bytes")
		})
	}
	b.Run("10k-onto-1M", func(b *testing.B) {
		s, path := openBench(b)
		base := genSeen(1_000_000, 1, benchNow)
		if _, err := s.Save(Commit{Seen: map[string][]Seen{"sec": base}}); err != nil {
			b.Fatal(err)
		}
		r := rand.New(rand.NewPCG(2, 2))
		seed := uint64(100)
		for b.Loop() {
			seed++
			now := benchNow.Add(time.Duration(seed) * time.Hour)
			delta := genSeen(5000, seed, now)
			for range 5000 {
				v := base[r.IntN(len(base))]
				v.LastSent = now
				delta = append(delta, v)
			}
			if _, err := s.Save(Commit{Seen: map[string][]Seen{"sec": delta}}); err != nil {
				b.Fatal(err)
			}
		}
		b.ReportMetric(fileSize(b, path), "file-bytes")
	})
}

// BenchmarkIdleTick looks for due reminders on a route remembering 100k
// violations, none of them due.
func BenchmarkIdleTick(b *testing.B) {
	s, _ := openBench(b)
	if _, err := s.Save(Commit{Seen: map[string][]Seen{"sec": genSeen(100_000, 1, benchNow)}}); err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		n := 0
		if err := s.EachDue("sec", benchNow.Add(-time.Hour), func(Seen) error { n++; return nil }); err != nil || n != 0 {
			b.Fatal(n, err)
		}
	}
}

// benchTracker returns a tracker of job "job" in s that has n files done,
// as a scan leaves them: started (visited) and Done at their end.
func benchTracker(b testing.TB, s *Store, n int) (*Tracker, []string) {
	b.Helper()
	if err := s.CheckKey([]byte("5c1e0a9d3b7f4286e1d0c5a7b92f38e4")); err != nil {
		b.Fatal(err)
	}
	tr := s.Tracker("job", false, nil)
	paths := make([]string, n)
	for i := range paths {
		paths[i] = fmt.Sprintf("/var/log/app/host-%03d/app-%06d.log", i%500, i)
		st := FileState{Dev: 2049, Ino: uint64(1000 + i), Size: 1 << 20, ModTime: benchNow, HeadLen: headSize,
			Head: []byte("0123456789abcdef"), Keyed: true}
		tr.started[paths[i]] = st
		tr.visited[paths[i]] = true
		tr.Done(source.Item{Path: paths[i]}, scanners.Position{Offset: st.Size, Line: 20_000})
	}
	return tr, paths
}

// BenchmarkTrackerSave saves the positions of a scan of 200k files: the
// first save of them all into a new state file, and checkpoints of the
// same run with 1k of them moved on since the last save. pages/op is
// what a save wrote (bbolt's TxStats).
func BenchmarkTrackerSave(b *testing.B) {
	const n = 200_000
	b.Run("first-200k", func(b *testing.B) {
		var pages int64
		for range b.N {
			b.StopTimer()
			s, _ := openBench(b)
			tr, _ := benchTracker(b, s, n)
			before := pagesWritten(s)
			b.StartTimer()
			if _, err := s.Save(Commit{Files: tr}); err != nil {
				b.Fatal(err)
			}
			b.StopTimer()
			pages += pagesWritten(s) - before
			s.Close()
			b.StartTimer()
		}
		b.ReportMetric(float64(pages)/float64(b.N), "pages/op")
	})
	b.Run("checkpoint-1k-of-200k", func(b *testing.B) {
		s, _ := openBench(b)
		tr, paths := benchTracker(b, s, n)
		if _, err := s.Save(Commit{Files: tr}); err != nil {
			b.Fatal(err)
		}
		r := rand.New(rand.NewPCG(3, 3))
		before := pagesWritten(s)
		line := 20_000
		for b.Loop() {
			line++
			for range 1000 {
				p := paths[r.IntN(len(paths))]
				tr.Done(source.Item{Path: p}, scanners.Position{Offset: int64(line) * 50, Line: line})
			}
			if _, err := s.Save(Commit{Files: tr}); err != nil {
				b.Fatal(err)
			}
		}
		b.ReportMetric(float64(pagesWritten(s)-before)/float64(b.N), "pages/op")
	})
}
