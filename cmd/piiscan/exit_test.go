package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// A run with findings that also could not read an input exits 5, not 1:
// automation must learn that the findings may not be all there are.
func TestRunJobFindingsAndUnreadable(t *testing.T) {
	dir := t.TempDir()
	logs := filepath.Join(dir, "logs")
	os.MkdirAll(logs, 0o755)
	appendTo(t, filepath.Join(logs, "app.log"), cardLine(0))
	policy := filepath.Join(dir, "rules.yaml")
	os.WriteFile(policy, []byte(fmt.Sprintf(`version: 1
rules:
  - {id: card, detector: credit_card, severity: critical}
locations:
  - {name: app-logs, paths: [%s]}
jobs:
  - {name: nightly, schedule: "@daily", action: scan}
state: {path: %s}
`, logs, filepath.Join(dir, "state.db"))), 0o644)
	t.Setenv("PIISCAN_FINGERPRINT_KEY", testKey)
	run := func() (int, string) {
		code, _, errs := runCLI(t, "", "--config", policy, "run", "--full", "nightly")
		return code, errs
	}
	if code, errs := run(); code != exitFindings {
		t.Fatalf("findings: exit %d, want %d\n%s", code, exitFindings, errs)
	}
	os.WriteFile(filepath.Join(logs, "broken.gz"), []byte("\x1f\x8b\x08\x00garbage"), 0o644)
	if code, errs := run(); code != exitFindingsUnreadable || !strings.Contains(errs, "could not be read") {
		t.Errorf("findings and an unreadable file: exit %d, want %d\n%s", code, exitFindingsUnreadable, errs)
	}
	t.Setenv("PIISCAN_FAIL_ON", "none")
	if code, errs := run(); code != exitUnreadable {
		t.Errorf("unreadable, findings below fail_on: exit %d, want %d\n%s", code, exitUnreadable, errs)
	}
}
