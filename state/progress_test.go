package state

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"testing"

	"github.com/piiscan/piiscan/finding"
	"github.com/piiscan/piiscan/scanners"
	"github.com/piiscan/piiscan/scanners/detect"
	"github.com/piiscan/piiscan/scanners/source"
)

// trackedItem opens path and starts it with a new tracker of job.
func trackedItem(t *testing.T, s *Store, job, path string) (*Tracker, source.Item, scanners.Position) {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		t.Fatal(err)
	}
	tr := s.Tracker(job, false, nil)
	it := source.Item{Path: path, Size: fi.Size(), ModTime: fi.ModTime()}
	return tr, it, tr.Start(it, f)
}

// endOfLine returns the offset after line n (1-based) of data.
func endOfLine(data []byte, n int) int64 {
	off := 0
	for range n {
		off += bytes.IndexByte(data[off:], '\n') + 1
	}
	return int64(off)
}

// A position in progress, saved without Done, is where the next run
// resumes, with the line numbers going on from it; Done, even after it
// and saved again, wins; Progress after Done changes nothing.
func TestTrackerProgressResumes(t *testing.T) {
	dir := t.TempDir()
	s := openKeyed(t)
	log := filepath.Join(dir, "app.log")
	for i := 1; i <= 40; i++ {
		appendLines(t, log, fmt.Sprintf("line %d user%d@example.com", i, i))
	}
	data, _ := os.ReadFile(log)

	tr, it, from := trackedItem(t, s, "job", log)
	if from != (scanners.Position{}) {
		t.Fatalf("a new file starts at %+v", from)
	}
	at := scanners.Position{Offset: endOfLine(data, 25), Line: 25}
	tr.Progress(it, scanners.Position{Offset: endOfLine(data, 10), Line: 10})
	tr.Progress(it, at)
	for range 2 { // a checkpoint, then the end of the run
		if _, err := s.Save(Commit{Files: tr}); err != nil {
			t.Fatal(err)
		}
	}
	if st := fileStates(t, s, "job")[log]; st.Offset != at.Offset || st.Line != 25 || st.Whole || !st.Keyed || st.HeadLen == 0 || st.Ino == 0 {
		t.Fatalf("saved %+v, want offset %d line 25 with the file's identity", st, at.Offset)
	}
	if _, _, from := trackedItem(t, s, "job", log); from != at {
		t.Fatalf("resumes at %+v, want %+v", from, at)
	}
	// A scan resumed there reports lines 26 to 40, by their numbers.
	var want []string
	for i := 26; i <= 40; i++ {
		want = append(want, fmt.Sprintf("app.log:%d", i))
	}
	slices.Sort(want)
	if got := scanWith(t, s, "job", dir, false); !slices.Equal(got, want) {
		t.Fatalf("resumed scan: %q, want %q", got, want)
	}

	// Done wins over a position in progress, saved before or not.
	appendLines(t, log, "line 41 late@example.com")
	data, _ = os.ReadFile(log)
	tr, it, _ = trackedItem(t, s, "job", log)
	tr.Progress(it, scanners.Position{Offset: endOfLine(data, 40), Line: 40})
	if _, err := s.Save(Commit{Files: tr}); err != nil {
		t.Fatal(err)
	}
	end := scanners.Position{Offset: int64(len(data)), Line: 41}
	tr.Done(it, end)
	tr.Progress(it, scanners.Position{Offset: endOfLine(data, 40), Line: 40})
	if _, err := s.Save(Commit{Files: tr}); err != nil {
		t.Fatal(err)
	}
	if _, _, from := trackedItem(t, s, "job", log); !from.Skip {
		t.Errorf("after Done at the end: %+v, want the unchanged file skipped", from)
	}
	if st := fileStates(t, s, "job")[log]; st.Offset != end.Offset || st.Line != 41 {
		t.Errorf("saved %+v, want the Done position", st)
	}
}

// A position in progress keeps the identity checks of a Done one: a file
// rewritten in place with another beginning is read from its start.
func TestTrackerProgressIdentity(t *testing.T) {
	dir := t.TempDir()
	s := openKeyed(t)
	log := filepath.Join(dir, "x.log")
	os.WriteFile(log, []byte("aaaa a1@example.com\naaaa a2@example.com\n"), 0o644)
	tr, it, _ := trackedItem(t, s, "j", log)
	tr.Progress(it, scanners.Position{Offset: 20, Line: 1})
	if _, err := s.Save(Commit{Files: tr}); err != nil {
		t.Fatal(err)
	}
	f, _ := os.OpenFile(log, os.O_WRONLY, 0)
	f.WriteAt([]byte("bbbb"), 0)
	f.Close()
	if _, _, from := trackedItem(t, s, "j", log); from != (scanners.Position{}) {
		t.Errorf("another file under the same inode resumes at %+v", from)
	}
}

// A job run cut short keeps how far it got inside the file being
// reported; files behind it keep the position of the run before. The next
// run reports what is left, once.
func TestTrackerCancelledRunResumes(t *testing.T) {
	dir := t.TempDir()
	s := openKeyed(t)
	a, b := filepath.Join(dir, "a.log"), filepath.Join(dir, "b.log")
	appendLines(t, b, "b1@example.com")
	scanWith(t, s, "job", dir, false)
	before := fileStates(t, s, "job")[b]
	var lines []string
	for i := 1; i <= 40000; i++ {
		if i%500 == 0 {
			lines = append(lines, fmt.Sprintf("user%d@example.com signed in", i))
		} else {
			lines = append(lines, "nothing to see on this line, just some text")
		}
	}
	appendLines(t, a, lines...)
	appendLines(t, b, "b2@example.com")

	e, err := detect.New([]detect.Rule{{ID: "email", Detector: "email", Severity: finding.SeverityLow}}, detect.Options{})
	if err != nil {
		t.Fatal(err)
	}
	tr := s.Tracker("job", false, nil)
	sc, err := scanners.New(scanners.Options{Engine: e, Workers: 2, ChunkSize: 32 << 10,
		Fingerprints: finding.NewFingerprinter([]byte("k")), Incremental: tr})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	// Checkpoints while the scan runs.
	var wg sync.WaitGroup
	wg.Go(func() {
		for ctx.Err() == nil {
			if _, err := s.Save(Commit{Files: tr}); err != nil {
				t.Error(err)
				return
			}
		}
	})
	var first []string
	stats, err := sc.Scan(ctx, []string{dir}, scanners.SinkFunc(func(f *finding.Finding) error {
		first = append(first, fmt.Sprintf("%s:%d", filepath.Base(f.Path), f.Line))
		if len(first) == 20 {
			cancel()
		}
		return nil
	}))
	wg.Wait()
	if !errors.Is(err, context.Canceled) || stats.Bytes == 0 {
		t.Fatalf("cancelled scan: %v, %d bytes", err, stats.Bytes)
	}
	if _, err := s.Save(Commit{Files: tr}); err != nil { // the end of the run
		t.Fatal(err)
	}
	st := fileStates(t, s, "job")
	// Chunks scanned before the cancellation are still reported: with
	// the workers ahead, that may be all of a.log.
	if st[a].Line < 10000 || st[a].Line > 40000 {
		t.Fatalf("a.log saved at line %d, want one past the 20th finding", st[a].Line)
	}
	if got := st[b]; st[a].Line < 40000 && (got.Offset != before.Offset || got.Line != before.Line || got.Size != before.Size || !bytes.Equal(got.Head, before.Head)) {
		t.Fatalf("b.log, not reached: %+v, want its earlier position %+v (a.log: %+v)", st[b], before, st[a])
	}
	second := scanWith(t, s, "job", dir, false)
	var want []string
	for i := 500; i <= 40000; i += 500 {
		want = append(want, fmt.Sprintf("a.log:%d", i))
	}
	want = append(want, "b.log:2")
	got := append(first, second...)
	slices.Sort(got)
	slices.Sort(want)
	if !slices.Equal(got, want) {
		t.Errorf("cancelled run %q then %q; want each once: %q", first, second, want)
	}
}
