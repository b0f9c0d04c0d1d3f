package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// --max-findings caps what one file reports, says where the report stops,
// and -1 lifts the cap.
func TestScanMaxFindings(t *testing.T) {
	dir := t.TempDir()
	var b strings.Builder
	for i := range 20 {
		fmt.Fprintf(&b, "user%d@example.org logged in\n", i)
	}
	if err := os.WriteFile(filepath.Join(dir, "a.log"), []byte(b.String()), 0o600); err != nil {
		t.Fatal(err)
	}
	code, out, errs := runCLI(t, "", "scan", "--format", "jsonl", "--max-findings", "5", dir)
	if code != exitFindingsUnreadable || strings.Count(out, `"class":"email"`) != 5 {
		t.Fatalf("exit %d, %d findings; want %d and 5\n%s", code, strings.Count(out, `"class":"email"`), exitFindingsUnreadable, errs)
	}
	if !strings.Contains(errs, "piiscan: not wholly examined: "+filepath.Join(dir, "a.log")+": line 6: the report stops at 5 findings") {
		t.Errorf("stderr does not say where the report stops:\n%s", errs)
	}
	t.Setenv("PIISCAN_MAX_FINDINGS", "-1")
	if code, out, _ := runCLI(t, "", "scan", "--format", "jsonl", dir); code != exitFindings || strings.Count(out, `"class":"email"`) != 20 {
		t.Errorf("no cap: exit %d, %d findings", code, strings.Count(out, `"class":"email"`))
	}
	if code, _, errs := runCLI(t, "", "scan", "--max-findings", "-5", dir); code != exitUsage || !strings.Contains(errs, "--max-findings") {
		t.Errorf("--max-findings -5: exit %d\n%s", code, errs)
	}
}
