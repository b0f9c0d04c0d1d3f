package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// The plan purge prints names each root that does not exist, apart from
// the paths it could not examine.
func TestPurgeNamesMissingRoot(t *testing.T) {
	dir := t.TempDir()
	policy := purgeTree(t, dir)
	data, _ := os.ReadFile(policy)
	gone := filepath.Join(dir, "not-mounted")
	data = []byte(strings.Replace(string(data), "enforcement:", fmt.Sprintf("  - name: cold\n    paths: [%s]\n    retention: {max_age: 30d}\nenforcement:", gone), 1))
	os.WriteFile(policy, data, 0o644)
	t.Setenv("PIISCAN_NOW", "2024-06-01T00:00:00Z")
	_, out, errs := runCLI(t, "", "--config", policy, "purge")
	if want := "missing " + gone + ": location cold: does not exist"; !strings.Contains(out, want) {
		t.Errorf("plan lacks %q:\n%s\n%s", want, out, errs)
	}
}
