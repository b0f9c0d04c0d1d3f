package state

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/piiscan/piiscan/finding"
	"github.com/piiscan/piiscan/scanners"
	"github.com/piiscan/piiscan/scanners/detect"
	"github.com/piiscan/piiscan/scanners/source"
)

// scanWith scans dir with the tracker of job and saves its positions; it
// returns "path:line email" of each finding.
func scanWith(t *testing.T, s *Store, job, dir string, full bool) []string {
	t.Helper()
	e, err := detect.New([]detect.Rule{{ID: "email", Detector: "email", Severity: finding.SeverityLow}}, detect.Options{})
	if err != nil {
		t.Fatal(err)
	}
	tr := s.Tracker(job, full, nil)
	sc, err := scanners.New(scanners.Options{Engine: e, Workers: 2, Fingerprints: finding.NewFingerprinter([]byte("k")), Incremental: tr})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	if _, err := sc.Scan(t.Context(), []string{dir}, scanners.SinkFunc(func(f *finding.Finding) error {
		got = append(got, fmt.Sprintf("%s:%d", filepath.Base(f.Path), f.Line))
		return nil
	})); err != nil {
		t.Fatal(err)
	}
	tr.Complete()
	if _, err := s.Save(Commit{Files: tr}); err != nil {
		t.Fatal(err)
	}
	slices.Sort(got)
	return got
}

func appendLines(t *testing.T, path string, lines ...string) {
	t.Helper()
	f, err := os.OpenFile(path, os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o644)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	for _, l := range lines {
		fmt.Fprintln(f, l)
	}
}

// openKeyed opens a new state file and gives it the fingerprint key, as
// jobs do before they scan.
func openKeyed(t *testing.T) *Store {
	t.Helper()
	s, err := Open(filepath.Join(t.TempDir(), "state.db"), nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	if err := s.CheckKey([]byte("a fingerprint key of the tests")); err != nil {
		t.Fatal(err)
	}
	return s
}

func TestTrackerAppendRotateTruncate(t *testing.T) {
	dir := t.TempDir()
	s := openKeyed(t)
	log := filepath.Join(dir, "app.log")
	appendLines(t, log, "start", "a1@example.com")
	check := func(step string, want ...string) {
		t.Helper()
		if got := scanWith(t, s, "job", dir, false); !slices.Equal(got, want) {
			t.Errorf("%s: got %q, want %q", step, got, want)
		}
	}
	check("first run", "app.log:2")
	check("nothing new")
	appendLines(t, log, "a2@example.com", "a3@example.com")
	check("appended", "app.log:3", "app.log:4")

	// Rotation: lines written just before it are still found in the
	// renamed file, and the new file is read from its start.
	appendLines(t, log, "a5@example.com")
	if err := os.Rename(log, log+".1"); err != nil {
		t.Fatal(err)
	}
	appendLines(t, log, "b1@example.com")
	check("rotated", "app.log.1:5", "app.log:1")
	check("nothing new after rotation")

	// Truncation (copytruncate): read again from the start.
	if err := os.Truncate(log, 0); err != nil {
		t.Fatal(err)
	}
	appendLines(t, log, "c1@example.com")
	check("truncated", "app.log:1")

	// Another job has its own positions.
	if got := scanWith(t, s, "other", dir, false); len(got) != 5 {
		t.Errorf("other job: %q", got)
	}
	// --full reads everything again.
	if got := scanWith(t, s, "job", dir, true); len(got) != 5 {
		t.Errorf("full: %q", got)
	}
}

// A file replaced by another with the same size and inode number but a
// different beginning is scanned as new.
func TestTrackerNewContentSameName(t *testing.T) {
	dir := t.TempDir()
	s := openKeyed(t)
	log := filepath.Join(dir, "x.log")
	os.WriteFile(log, []byte("aaaa a1@example.com\n"), 0o644)
	scanWith(t, s, "j", dir, false)
	// Same size, rewritten in place (same inode).
	f, _ := os.OpenFile(log, os.O_WRONLY, 0)
	f.WriteAt([]byte("bbbb b1@example.com\n"), 0)
	f.Close()
	if got := scanWith(t, s, "j", dir, false); !slices.Equal(got, []string{"x.log:1"}) {
		t.Errorf("rewritten file: %q", got)
	}
}

func TestOpenCorruptOrLocked(t *testing.T) {
	path := filepath.Join(t.TempDir(), "state.db")
	os.WriteFile(path, []byte(strings.Repeat("not a bbolt file ", 1000)), 0o600)
	s, err := Open(path, nil)
	if err != nil {
		t.Fatalf("corrupt file: %v", err)
	}
	matches, _ := filepath.Glob(path + ".corrupt-*")
	if len(matches) != 1 {
		t.Errorf("corrupt file not moved aside: %v", matches)
	}
	if _, err := Open(path, nil); err == nil || !strings.Contains(err.Error(), "in use") {
		t.Errorf("second open: %v", err)
	}
	s.Close()
}

func TestSeenAndOutbox(t *testing.T) {
	path := filepath.Join(t.TempDir(), "state.db")
	s, err := Open(path, nil)
	if err != nil {
		t.Fatal(err)
	}
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	v := Seen{First: now, LastSent: now, Location: "web", Rule: "email", Fingerprint: "ab12", Path: "/logs/a\xff.log"}
	ids, err := s.Save(Commit{Seen: map[string][]Seen{"sec": {v}}, Outbox: []OutboxEntry{{Route: "sec", Job: "j", Created: now, Summary: []byte(`{"total":1}`)}}})
	if err != nil || len(ids) != 1 {
		t.Fatal(ids, err)
	}
	s.Close()
	// Survives a restart.
	s, err = Open(path, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if got, ok := s.Seen("sec", "web", "email", "ab12"); !ok || !got.LastSent.Equal(now) || got.Path != v.Path {
		t.Errorf("seen %+v %v", got, ok)
	}
	if _, ok := s.Seen("other", "web", "email", "ab12"); ok {
		t.Error("seen on another route")
	}
	box, _ := s.Outbox()
	if len(box) != 1 || box[0].ID != ids[0] || string(box[0].Summary) != `{"total":1}` || s.OutboxLen() != 1 {
		t.Fatalf("outbox %+v", box)
	}
	s.Failed(box[0], fmt.Errorf("connection refused"))
	box, _ = s.Outbox()
	if box[0].Attempts != 1 || box[0].LastError != "connection refused" {
		t.Errorf("after a failure: %+v", box[0])
	}
	s.Delivered(box[0].ID)
	if s.OutboxLen() != 0 {
		t.Error("delivered entry still there")
	}
}

// Objects are skipped while their ETag stays the same.
func TestTrackerObjects(t *testing.T) {
	s := openKeyed(t)
	it := source.Item{Path: "s3://b/logs/a.log.gz", Size: 10, Version: `"e1"`}
	tr := s.Tracker("j", false, nil)
	if p := tr.Start(it, nil); p.Skip {
		t.Fatal("a new object skipped")
	}
	tr.Done(it, scanners.Position{Whole: true, Offset: 10})
	tr.Complete()
	if _, err := s.Save(Commit{Files: tr}); err != nil {
		t.Fatal(err)
	}
	tr = s.Tracker("j", false, nil)
	if p := tr.Start(it, nil); !p.Skip {
		t.Error("an unchanged object read again")
	}
	it.Version = `"e2"`
	if p := tr.Start(it, nil); p.Skip {
		t.Error("a changed object skipped")
	}
	if p := s.Tracker("j", true, nil).Start(source.Item{Path: it.Path, Version: `"e1"`}, nil); p.Skip {
		t.Error("--full skipped an object")
	}
}

func TestCheckKey(t *testing.T) {
	s, err := Open(filepath.Join(t.TempDir(), "state.db"), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if err := s.CheckKey([]byte("k1")); err != nil {
		t.Fatal(err)
	}
	if err := s.CheckKey([]byte("k1")); err != nil {
		t.Errorf("same key: %v", err)
	}
	if err := s.CheckKey([]byte("k2")); !errors.Is(err, ErrKeyChanged) {
		t.Errorf("another key: %v", err)
	}
}
