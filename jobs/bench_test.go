package jobs

import (
	"bufio"
	"context"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/piiscan/piiscan/alert"
	"github.com/piiscan/piiscan/config"
)

// benchJob is a scan job over a log of n distinct violations (emails in a
// location that allows none), alerting a route that records.
func benchJob(b *testing.B, n int) (*Runner, *config.Job) {
	b.Helper()
	dir := b.TempDir()
	// Files of 50k findings: under scan.max_findings per input.
	const perFile = 50_000
	for file := 0; file*perFile < n; file++ {
		f, err := os.Create(filepath.Join(dir, fmt.Sprintf("app%02d.log", file)))
		if err != nil {
			b.Fatal(err)
		}
		w := bufio.NewWriter(f)
		for i := file * perFile; i < min(n, (file+1)*perFile); i++ {
			fmt.Fprintf(w, "2026-03-01T12:00:00Z INFO signup ok user=user%07d@example.com plan=free\n", i)
		}
		w.Flush()
		f.Close()
	}
	b.Setenv("PIISCAN_FINGERPRINT_KEY", testKey)
	cfg, err := config.Parse("bench.yaml", []byte(`version: 1
rules:
  - {id: email, detector: email, severity: high}
locations:
  - {name: logs, paths: [`+dir+`]}
jobs:
  - {name: scan, schedule: manual, action: scan, alerts: [sec]}
alerts:
  remind_after: 7d
  routes:
    - {name: sec, webhook: {url: "http://127.0.0.1:1/"}}
`))
	if err != nil {
		b.Fatal(err)
	}
	st := openState(b)
	sink := &recordingSink{}
	now := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	r := &Runner{Config: cfg, State: st, Logger: slog.New(slog.DiscardHandler), Now: func() time.Time { return now },
		Sink: func(*config.Route) (alert.Sink, error) { return sink, nil }}
	return r, cfg.JobByName("scan")
}

// BenchmarkFirstRun is the first run of a scan job over a log with 100k
// (1M) distinct violations: scan, decide, save in checkpoints, alert
// (issue: 9 min 50 s for 100k).
func BenchmarkFirstRun(b *testing.B) {
	for _, n := range []int{100_000, 1_000_000} {
		b.Run(fmt.Sprintf("%dk", n/1000), func(b *testing.B) {
			for b.Loop() {
				b.StopTimer()
				r, job := benchJob(b, n)
				b.StartTimer()
				res, err := r.Run(context.Background(), job)
				if err != nil || res.New != n {
					b.Fatalf("%v: %d new", err, res.New)
				}
			}
		})
	}
}

// BenchmarkIdleRun is a run with nothing new to read (two unchanged
// files) and 100k remembered violations none of which is due (issue:
// ~1 s).
func BenchmarkIdleRun100k(b *testing.B) {
	r, job := benchJob(b, 100_000)
	if _, err := r.Run(context.Background(), job); err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		res, err := r.Run(context.Background(), job)
		if err != nil || res.Unchanged != 2 || res.New+res.Reminders != 0 {
			b.Fatalf("%v: %+v", err, res)
		}
	}
}
