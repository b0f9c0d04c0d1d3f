package scanners

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// A target that does not exist is a problem of its own kind, named, and
// the targets that exist are scanned; an input that cannot be read is
// not Missing.
func TestScanMissingTarget(t *testing.T) {
	root := t.TempDir()
	present := filepath.Join(root, "present")
	writeFile(t, filepath.Join(present, "app.log"), []byte("mail ada@example.com\n"))
	locked := filepath.Join(present, "locked.log")
	writeFile(t, locked, []byte("mail bob@example.com\n"))
	if err := os.Chmod(locked, 0); err != nil {
		t.Fatal(err)
	}
	unreadable := os.Getuid() != 0 // root reads it anyway
	missing := filepath.Join(root, "not-mounted")
	got, stats := collect(t, testOptions(t), present, missing)
	if len(got) == 0 || !strings.HasSuffix(got[0].Path, "app.log") {
		t.Fatalf("findings %v: the existing target was not scanned", keys(got))
	}
	var miss []Problem
	for _, p := range stats.Problems {
		switch {
		case p.Missing:
			miss = append(miss, p)
		case p.Path != locked:
			t.Errorf("unexpected problem %+v", p)
		}
	}
	if len(miss) != 1 || miss[0].Path != missing || miss[0].Error != "does not exist" || miss[0].Partial() {
		t.Errorf("missing targets %+v, want %s: does not exist", miss, missing)
	}
	if unreadable && len(stats.Problems) != 2 {
		t.Errorf("problems %+v, want the unreadable file too, not missing", stats.Problems)
	}
	b, _ := json.Marshal(stats.Problems)
	if !strings.Contains(string(b), `"missing":true`) || strings.Count(string(b), `"missing"`) != 1 {
		t.Errorf("JSON %s", b)
	}
}
