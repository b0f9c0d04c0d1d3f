package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// A run with findings that also could not read an input exits 5, not 1:
// automation must learn that the findings may not be all there are.
func TestRunJobFindingsAndUnreadable(t *testing.T) {
	logs, policy := cardLogsPolicy(t, `jobs:
  - {name: nightly, schedule: "@daily", action: scan}
`)
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
