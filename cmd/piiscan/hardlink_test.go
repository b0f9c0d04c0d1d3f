package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/piiscan/piiscan/retention"
)

// A log with a second name outside the location (a hard link) is not
// erased, since the data would stay at the other name: the requester's
// report says so, the erasure is not complete (exit 3), and neither name
// changes.
func TestEraseRefusesAFileWithAnotherName(t *testing.T) {
	dir := t.TempDir()
	content := "login alice@example.com ok\n"
	policy := safetyTree(t, dir, map[string]string{"logs/app.log": content})
	other := filepath.Join(t.TempDir(), "app.log")
	if err := os.Link(filepath.Join(dir, "logs", "app.log"), other); err != nil {
		t.Skip("no hard links here:", err)
	}
	report := filepath.Join(dir, "erasure.json")
	code, out, errs := runCLI(t, "", "--config", policy, "erase", "--subject", "email=alice@example.com", "--enforce", "--report", report)
	if code != exitUnreadable {
		t.Errorf("exit %d, want %d\n%s\n%s", code, exitUnreadable, out, errs)
	}
	var rep retention.ErasureReport
	raw, _ := os.ReadFile(report)
	if err := json.Unmarshal(raw, &rep); err != nil {
		t.Fatal(err)
	}
	if rep.Complete || rep.Totals.Erased != 0 || rep.Totals.Kept != 1 || !strings.Contains(string(raw), "data remains reachable") {
		t.Errorf("report:\n%s", raw)
	}
	for _, p := range []string{filepath.Join(dir, "logs", "app.log"), other} {
		if got, _ := os.ReadFile(p); string(got) != content {
			t.Errorf("%s: %q", p, got)
		}
	}
}
