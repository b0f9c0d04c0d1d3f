package main

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/klauspost/compress/gzip"
)

// purgeTree writes a policy and logs under dir: a location kept 30 days by
// mtime and one purged by record time. It returns the policy file.
func purgeTree(t *testing.T, dir string) string {
	t.Helper()
	now := time.Date(2024, 6, 1, 0, 0, 0, 0, time.UTC)
	write := func(rel, content string, age time.Duration) {
		p := filepath.Join(dir, rel)
		os.MkdirAll(filepath.Dir(p), 0o755)
		os.WriteFile(p, []byte(content), 0o644)
		os.Chtimes(p, now.Add(-age), now.Add(-age))
	}
	write("web/access.log.1", "192.0.2.1 - - [01/May/2024:00:00:00 +0000] \"GET /\" 200 1\n", 2*24*time.Hour)
	write("web/access.log.9", "192.0.2.1 - - [01/Apr/2024:00:00:00 +0000] \"GET /\" 200 1\n", 45*24*time.Hour)
	write("app/app.jsonl", `{"ts":"2024-04-01T00:00:00Z","msg":"old"}`+"\n"+`{"ts":"2024-05-30T00:00:00Z","msg":"new"}`+"\n", 24*time.Hour)
	policy := filepath.Join(dir, "rules.yaml")
	os.WriteFile(policy, []byte(fmt.Sprintf(`version: 1
rules:
  - id: ip
    detector: ipv4
    severity: low
locations:
  - name: web
    paths: [%[1]s/web]
    retention: {max_age: 30d}
  - name: app
    paths: [%[1]s/app]
    retention: {max_age: 30d, from: record}
enforcement:
  audit_log: %[1]s/audit.jsonl
  breaker: {max_share: 1}
`, dir)), 0o644)
	return policy
}

func TestPurgeCommand(t *testing.T) {
	dir := t.TempDir()
	policy := purgeTree(t, dir)
	t.Setenv("PIISCAN_NOW", "2024-06-01T00:00:00Z")
	code, out, errs := runCLI(t, "", "--config", policy, "purge")
	if code != exitOK {
		t.Fatalf("dry run: exit %d %s", code, errs)
	}
	for _, want := range []string{"DRY RUN", "delete", "access.log.9", "drop-records", "1 of 2 dropped", "app.jsonl"} {
		if !strings.Contains(out, want) {
			t.Errorf("plan lacks %q:\n%s", want, out)
		}
	}
	if _, err := os.Stat(filepath.Join(dir, "web", "access.log.9")); err != nil {
		t.Fatal("the dry run deleted a file")
	}
	code, out, errs = runCLI(t, "", "--config", policy, "purge", "--enforce")
	if code != exitOK || !strings.Contains(out, "ENFORCED") {
		t.Fatalf("enforce: exit %d\n%s\n%s", code, out, errs)
	}
	if _, err := os.Stat(filepath.Join(dir, "web", "access.log.9")); !os.IsNotExist(err) {
		t.Error("expired file not deleted")
	}
	if got, _ := os.ReadFile(filepath.Join(dir, "app", "app.jsonl")); string(got) != `{"ts":"2024-05-30T00:00:00Z","msg":"new"}`+"\n" {
		t.Errorf("app.jsonl = %q", got)
	}
	code, out, _ = runCLI(t, "", "--config", policy, "audit", "verify")
	if code != exitOK || !strings.Contains(out, "4 entries, chain intact") {
		t.Errorf("verify: exit %d %q", code, out)
	}
	// Edit an entry: verify names the line after it.
	log := filepath.Join(dir, "audit.jsonl")
	data, _ := os.ReadFile(log)
	os.WriteFile(log, bytes.Replace(data, []byte(`"action":"delete"`), []byte(`"action":"keep"`), 1), 0o600)
	code, _, errs = runCLI(t, "", "--config", policy, "audit", "verify")
	if code != exitFindings || !strings.Contains(errs, "chain broken at line 2") {
		t.Errorf("tampered: exit %d %q", code, errs)
	}
	// Usage errors.
	if code, _, errs := runCLI(t, "", "--config", policy, "purge", "--now", "yesterday"); code != exitUsage || !strings.Contains(errs, "--now") {
		t.Errorf("bad --now: %d %s", code, errs)
	}
	if code, _, errs := runCLI(t, "", "--config", policy, "purge", "--location", "nope"); code != exitUsage || !strings.Contains(errs, `no location named "nope"`) {
		t.Errorf("bad --location: %d %s", code, errs)
	}
}

func TestPurgeBreakerExitCode(t *testing.T) {
	dir := t.TempDir()
	policy := purgeTree(t, dir)
	data, _ := os.ReadFile(policy)
	os.WriteFile(policy, bytes.Replace(data, []byte("max_share: 1"), []byte("max_share: 0.4"), 1), 0o644)
	t.Setenv("PIISCAN_NOW", "2024-06-01T00:00:00Z")
	code, _, errs := runCLI(t, "", "--config", policy, "purge", "--enforce")
	if code != exitBreaker || !strings.Contains(errs, "circuit breaker tripped") {
		t.Errorf("exit %d %s", code, errs)
	}
	if _, err := os.Stat(filepath.Join(dir, "web", "access.log.9")); err != nil {
		t.Error("the breaker let a file be deleted")
	}
}

func gzipBytes(p []byte) []byte {
	var b bytes.Buffer
	w := gzip.NewWriter(&b)
	w.Write(p)
	w.Close()
	return b.Bytes()
}

func newGzipReader(data []byte) (*gzip.Reader, error) { return gzip.NewReader(bytes.NewReader(data)) }
