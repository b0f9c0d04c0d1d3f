package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/piiscan/piiscan/internal/s3test"
)

// A job's location s3://b/web is the folder web/: its scan does not read
// web-archive/ beside it, nor report a finding there under web.
func TestRunJobLocationPrefixIsFolder(t *testing.T) {
	s := s3test.Start(t)
	s.Env(t)
	s.Bucket(t, "sib")
	s.Put(t, "sib", "web/app.log", []byte("bob@example.com\n"))
	s.Put(t, "sib", "web-archive/old.log", []byte("carol@example.com\n"))
	s.Put(t, "sib", "web.log", []byte("dave@example.com\n"))
	dir := t.TempDir()
	policy := filepath.Join(dir, "rules.yaml")
	os.WriteFile(policy, []byte(fmt.Sprintf(`version: 1
s3: {path_style: true}
rules:
  - {id: email, detector: email, severity: medium}
locations:
  - {name: web, paths: ["s3://sib/web"]}
jobs:
  - {name: audit, schedule: manual, action: scan}
state: {path: %s}
`, filepath.Join(dir, "state.db"))), 0o644)
	out := filepath.Join(dir, "out")
	if code, _, errs := runCLI(t, "", "--config", policy, "run", "audit", "--shard", "0/1", "--shard-output", out); code != exitFindings {
		t.Fatalf("exit %d\n%s", code, errs)
	}
	b, err := os.ReadFile(filepath.Join(out, "shard-00000-of-00001.jsonl"))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(b), "s3://sib/web/app.log") || strings.Contains(string(b), "web-archive") || strings.Contains(string(b), "web.log") {
		t.Errorf("findings file:\n%s", b)
	}
}
