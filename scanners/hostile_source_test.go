package scanners

import (
	"bytes"
	"compress/gzip"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/piiscan/piiscan/finding"
)

// A .gz cut short that decompresses to less than 512 bytes was reported
// unreadable with no findings (exit 3, and the PII in it unreported). It
// is scanned, then reported as damaged.
func TestScanShortTruncatedGzip(t *testing.T) {
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	zw.Write([]byte("2024-05-01 login ok user=alice@example.com\n"))
	zw.Close()
	gz := buf.Bytes()
	dir := t.TempDir()
	p := filepath.Join(dir, "app.log.gz")
	if err := os.WriteFile(p, gz[:len(gz)-8], 0o644); err != nil { // no trailer
		t.Fatal(err)
	}
	found, stats := collect(t, testOptions(t), dir)
	var emails int
	for _, f := range found {
		if f.Class == finding.ClassEmail && f.Path == p {
			emails++
		}
	}
	if emails != 1 {
		t.Errorf("%d email findings in %s, want 1 (findings %v)", emails, p, found)
	}
	if len(stats.Problems) != 1 || stats.Problems[0].Path != p || !strings.Contains(stats.Problems[0].Error, "corrupt or truncated") {
		t.Errorf("problems %+v, want one saying %s is truncated", stats.Problems, p)
	}
}
