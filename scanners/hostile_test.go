package scanners

import (
	"context"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/piiscan/piiscan/finding"
)

// scanWithin scans targets like collect, but fails the test when the scan
// has not returned within limit (a hang must fail, not block the suite).
func scanWithin(t *testing.T, ctx context.Context, limit time.Duration, opts Options, targets ...string) ([]finding.Finding, *Stats, time.Duration) {
	t.Helper()
	s, err := New(opts)
	if err != nil {
		t.Fatal(err)
	}
	type ret struct {
		fs    []finding.Finding
		stats *Stats
		err   error
	}
	done := make(chan ret, 1)
	start := time.Now()
	go func() {
		var fs []finding.Finding
		stats, err := s.Scan(ctx, targets, SinkFunc(func(f *finding.Finding) error {
			fs = append(fs, *f)
			return nil
		}))
		done <- ret{fs, stats, err}
	}()
	select {
	case r := <-done:
		if r.err != nil && ctx.Err() == nil {
			t.Fatal(r.err)
		}
		return r.fs, r.stats, time.Since(start)
	case <-time.After(limit):
		t.Fatalf("the scan did not return within %v", limit)
	}
	return nil, nil, 0
}

// TestScanPEMMarkersAreLinear scans 2.7 MB of private-key BEGIN markers:
// it took 11 s (plain text: 0.08 s) and reported every marker, with
// fingerprints of 16 KiB of the lines after each.
func TestScanPEMMarkersAreLinear(t *testing.T) {
	dir := t.TempDir()
	const size = 2700 << 10
	markers := filepath.Join(dir, "markers.log")
	plain := filepath.Join(dir, "plain.log")
	writeFile(t, markers, []byte(strings.Repeat("-----BEGIN PRIVATE KEY-----\n", size/28)))
	writeFile(t, plain, accessLog(size, 3000))
	opts := testOptions(t)
	opts.Workers = 2
	best := func(path string) (time.Duration, int) {
		var min time.Duration
		var n int
		for i := range 3 {
			got, _, took := scanWithin(t, context.Background(), 60*time.Second, opts, path)
			if i == 0 || took < min {
				min = took
			}
			n = len(got)
		}
		return min, n
	}
	tp, _ := best(plain)
	tm, n := best(markers)
	if tm > 5*tp+250*time.Millisecond {
		t.Errorf("markers scanned in %v, plain text in %v", tm, tp)
	}
	// A marker without a body is no key; one alone at the end of a chunk
	// may have its body in the next chunk.
	if chunks := size/(512<<10) + 1; n > chunks {
		t.Errorf("%d findings, want at most one per chunk (%d)", n, chunks)
	}
}

func TestScanPrivateKeyFingerprintIsTheBlocks(t *testing.T) {
	const key = "-----BEGIN PRIVATE KEY-----\n" +
		"MIIEvQIBADANBgkqhkiG9w0BAQEFAASCBKcwggSjAgEAAoIBAQC7VJTUt9Us8cKj\n" +
		"MzEfYyjiWA4R4/M2bS1GB4t7NXp98C3SC6dVMvDuictGeurT8jNbvJZHtCSuYEvu\n"
	dir := t.TempDir()
	writeFile(t, filepath.Join(dir, "a.log"), []byte(key+"-----END PRIVATE KEY-----\nuser alice logged in\n"))
	writeFile(t, filepath.Join(dir, "b.log"), []byte(key+"\nuser bob logged in\n"))
	got, _ := collect(t, testOptions(t), dir)
	if len(got) != 2 || got[0].Fingerprint != got[1].Fingerprint {
		t.Errorf("findings %v: the same key, with and without its END line, wants one fingerprint", got)
	}
}
