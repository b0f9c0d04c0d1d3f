package jobs

import (
	"archive/tar"
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/klauspost/compress/gzip"

	"github.com/piiscan/piiscan/alert"
	"github.com/piiscan/piiscan/config"
	"github.com/piiscan/piiscan/state"
)

// recordingSink keeps the summaries it is given.
type recordingSink struct {
	mu   sync.Mutex
	sent []alert.Summary
}

func (s *recordingSink) Kind() string { return "test" }
func (s *recordingSink) Send(_ context.Context, sum alert.Summary) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.sent = append(s.sent, sum)
	return nil
}

func (s *recordingSink) take() []alert.Summary {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := s.sent
	s.sent = nil
	return out
}

func tarGz(t *testing.T, name string, data []byte) []byte {
	var tb bytes.Buffer
	tw := tar.NewWriter(&tb)
	tw.WriteHeader(&tar.Header{Name: name, Mode: 0o644, Size: int64(len(data))})
	tw.Write(data)
	tw.Close()
	var gz bytes.Buffer
	zw := gzip.NewWriter(&gz)
	zw.Write(tb.Bytes())
	zw.Close()
	return gz.Bytes()
}

// reminderRun is a scan job over dir that alerts a recording sink, with
// remind_after 1d and a clock the test moves.
type reminderRun struct {
	cfg  *config.Config
	st   *state.Store
	sink *recordingSink
	now  time.Time
}

func newReminderRun(t *testing.T, dir string) *reminderRun {
	t.Helper()
	t.Setenv("PIISCAN_FINGERPRINT_KEY", "5c1e0a9d3b7f4286e1d0c5a7b92f38e4")
	cfg, err := config.Parse("test.yaml", []byte(`version: 1
rules:
  - {id: card, detector: credit_card, severity: critical}
locations:
  - {name: logs, paths: [`+dir+`]}
jobs:
  - {name: scan, schedule: "@hourly", action: scan, alerts: [sec]}
alerts:
  remind_after: 1d
  routes:
    - {name: sec, webhook: {url: "http://127.0.0.1:1/"}}
`))
	if err != nil {
		t.Fatal(err)
	}
	st, err := state.Open(filepath.Join(t.TempDir(), "state.db"), nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return &reminderRun{cfg: cfg, st: st, sink: &recordingSink{}, now: time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)}
}

// run runs the job once at h.now and returns the alerts it sent.
func (h *reminderRun) run(t *testing.T) []alert.Summary {
	t.Helper()
	r := &Runner{Config: h.cfg, State: h.st, Now: func() time.Time { return h.now },
		Sink: func(*config.Route) (alert.Sink, error) { return h.sink, nil }}
	if _, err := r.Run(context.Background(), h.cfg.JobByName("scan")); err != nil {
		t.Fatal(err)
	}
	return h.sink.take()
}

// Violations are alerted once, then as reminders after remind_after while
// their file exists, also when the file is not read again; a violation
// whose file is gone is forgotten.
func TestRunnerRemindersAndDedup(t *testing.T) {
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "app.log"), []byte("card 4111 1111 1111 1111\n"), 0o644)
	os.WriteFile(filepath.Join(dir, "dump.tar.gz"), tarGz(t, "users.csv", []byte("card 5555 5555 5555 4444\n")), 0o644)
	h := newReminderRun(t, dir)
	cfg, st, sink := h.cfg, h.st, h.sink
	run := func() []alert.Summary { return h.run(t) }
	if got := run(); len(got) != 1 || got[0].New != 2 || got[0].Reminders != 0 {
		t.Fatalf("first run: %+v", got)
	}
	h.now = h.now.Add(time.Hour)
	if got := run(); len(got) != 0 {
		t.Fatalf("second run alerted again: %+v", got)
	}
	h.now = h.now.Add(25 * time.Hour)
	if got := run(); len(got) != 1 || got[0].New != 0 || got[0].Reminders != 2 {
		t.Fatalf("reminder run: %+v", got)
	}
	h.now = h.now.Add(time.Hour)
	if got := run(); len(got) != 0 {
		t.Fatalf("reminded twice: %+v", got)
	}
	os.Remove(filepath.Join(dir, "app.log"))
	h.now = h.now.Add(25 * time.Hour)
	got := run()
	if len(got) != 1 || got[0].Reminders != 1 || got[0].Examples[0].Path != filepath.Join(dir, "dump.tar.gz")+"!users.csv" {
		t.Fatalf("after the log was removed: %+v", got)
	}
	// Another fingerprint key would make every violation look new.
	t.Setenv("PIISCAN_FINGERPRINT_KEY", "a8d2f61c04b9e37d5f1a2c8e6b0d4973")
	r := &Runner{Config: cfg, State: st, Sink: func(*config.Route) (alert.Sink, error) { return sink, nil }}
	if _, err := r.Run(context.Background(), cfg.JobByName("scan")); !errors.Is(err, state.ErrKeyChanged) {
		t.Errorf("changed key: %v", err)
	}
	if got := sink.take(); len(got) != 0 {
		t.Errorf("alerts with a changed key: %+v", got)
	}
}

// A violation in a file whose name holds '!' is reminded of while that
// file exists, not while a file named like the part before the '!' does.
func TestRunnerRemindsOfFileNameWithBang(t *testing.T) {
	dir := t.TempDir()
	bang := filepath.Join(dir, "app!2026-11.log")
	os.WriteFile(bang, []byte("card 4111 1111 1111 1111\n"), 0o644)
	h := newReminderRun(t, dir)
	run := func() []alert.Summary { return h.run(t) }
	if got := run(); len(got) != 1 || got[0].New != 1 {
		t.Fatalf("first run: %+v", got)
	}
	h.now = h.now.Add(25 * time.Hour) // the file is unchanged: not read again
	if got := run(); len(got) != 1 || got[0].Reminders != 1 {
		t.Fatalf("reminder run: %+v", got)
	}
	os.Remove(bang)
	h.now = h.now.Add(25 * time.Hour)
	if got := run(); len(got) != 0 {
		t.Fatalf("reminded of a removed file: %+v", got)
	}
}

// A file the scan did not wholly examine (findings past the cap) is read
// again by the next run, which reports the problem again, rather than
// skipped as unchanged with the problem forgotten.
func TestRunnerRescansPartialFiles(t *testing.T) {
	dir := t.TempDir()
	var b bytes.Buffer
	for range 5 {
		b.WriteString("card 4111 1111 1111 1111\n")
	}
	os.WriteFile(filepath.Join(dir, "app.log"), b.Bytes(), 0o644)
	t.Setenv("PIISCAN_FINGERPRINT_KEY", "5c1e0a9d3b7f4286e1d0c5a7b92f38e4")
	cfg, err := config.Parse("test.yaml", []byte(`version: 1
rules:
  - {id: card, detector: credit_card, severity: critical}
locations:
  - {name: logs, paths: [`+dir+`]}
scan:
  max_findings: 2
jobs:
  - {name: scan, schedule: "@hourly", action: scan}
`))
	if err != nil {
		t.Fatal(err)
	}
	st, err := state.Open(filepath.Join(t.TempDir(), "state.db"), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	r := &Runner{Config: cfg, State: st}
	for run := range 2 {
		res, err := r.Run(context.Background(), cfg.JobByName("scan"))
		if err != nil {
			t.Fatal(err)
		}
		if res.Unchanged != 0 || res.Findings != 2 || len(res.Problems) != 1 || !res.Problems[0].Partial() {
			t.Errorf("run %d: %d unchanged, %d findings, problems %+v; want the file read again and its cap reported", run+1, res.Unchanged, res.Findings, res.Problems)
		}
	}
}
