//go:build unix

package scanners

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/piiscan/piiscan/finding"
)

// A file listed by the walk and replaced by a named pipe before it was
// opened blocked the open forever: the scan never ended and ignored
// SIGTERM. The pipe is reported as a problem (exit 3) and the scan goes on.
func TestScanFileReplacedByNamedPipe(t *testing.T) {
	dir := t.TempDir()
	a, b := filepath.Join(dir, "a.log"), filepath.Join(dir, "b.log")
	os.WriteFile(a, []byte("user=alice@example.com\n"), 0o644)
	os.WriteFile(b, []byte("user=bob@example.com\n"), 0o644)
	opts := testOptions(t)
	opts.Owns = func(p string) bool {
		// Owns sees each item after the walk listed it, before it is
		// opened: the moment to swap the file.
		if p == b {
			os.Remove(b)
			if err := syscall.Mkfifo(b, 0o644); err != nil {
				t.Errorf("mkfifo: %v", err)
			}
		}
		return true
	}
	s, err := New(opts)
	if err != nil {
		t.Fatal(err)
	}
	type result struct {
		stats *Stats
		found []finding.Finding
		err   error
	}
	done := make(chan result, 1)
	go func() {
		var found []finding.Finding
		stats, err := s.Scan(context.Background(), []string{dir}, SinkFunc(func(f *finding.Finding) error {
			found = append(found, *f)
			return nil
		}))
		done <- result{stats, found, err}
	}()
	var r result
	select {
	case r = <-done:
	case <-time.After(20 * time.Second):
		if w, err := os.OpenFile(b, os.O_WRONLY, 0); err == nil { // let the open return
			w.Close()
		}
		<-done
		t.Fatalf("regression (opening a file replaced by a named pipe blocks): the scan was still running after 20s")
	}
	if r.err != nil {
		t.Fatalf("Scan = %v", r.err)
	}
	if len(r.stats.Problems) != 1 || r.stats.Problems[0].Path != b || !strings.Contains(r.stats.Problems[0].Error, "named pipe") {
		t.Errorf("problems %+v, want one for %s saying it is a named pipe", r.stats.Problems, b)
	}
	if len(r.found) != 1 || r.found[0].Path != a {
		t.Errorf("findings %v, want the one in %s", r.found, a)
	}
}
