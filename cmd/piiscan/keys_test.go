package main

import (
	"archive/tar"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/piiscan/piiscan/internal/itempath"
	"github.com/piiscan/piiscan/internal/s3test"
	"github.com/piiscan/piiscan/retention/audit"
)

// Object keys are arbitrary UTF-8: a '%' that starts no escape, '!', '?',
// '#', '+' and spaces are parts of the key, never URL escapes or archive
// member separators. Each such object is purged and redacted by its exact
// key.
func TestS3OddKeys(t *testing.T) {
	s := s3test.Start(t)
	s.Env(t)
	c := s.Client()
	ctx := context.Background()
	now := time.Now().UTC()
	s.Bucket(t, "odd")
	s.Bucket(t, "oddred")
	expired := []string{"logs/100%zz.log", "logs/50%.log", "logs/a%2Fb.log", "logs/q?x#y.log", "logs/sp ace+plus.log", "logs/x!y.log", `logs/back\slash.log`}
	for _, k := range expired {
		s.Put(t, "odd", k, []byte("x\n"))
	}
	line := `{"user":"a@example.com","card":"4111 1111 1111 1111","note":"keep me"}` + "\n"
	redactKeys := []string{"a!b.log", "dir!/c!.log", "p%zz!q.log"}
	for _, k := range redactKeys {
		s.Put(t, "oddred", k, []byte(line))
	}
	dir := t.TempDir()
	policy := s3EnforcePolicy(t, dir, `locations:
  - {name: old, paths: ["s3://odd/logs/"], retention: {max_age: 1d}}
  - {name: exports, paths: ["s3://oddred/"], allowed: [email], disallowed: redact}
`)
	t.Setenv("PIISCAN_NOW", now.Add(48*time.Hour).Format(time.RFC3339))
	get := func(b, k string) (string, error) { return objectText(ctx, c, b, k) }

	code, out, errs := runCLI(t, "", "--config", policy, "purge")
	if code != exitOK {
		t.Fatalf("dry run: exit %d\n%s\n%s", code, out, errs)
	}
	for _, k := range expired {
		// As scan output names it: a '!' is \!, a '\' is \\.
		if !strings.Contains(out, itempath.Escape("s3://odd/"+k)) {
			t.Errorf("the plan does not name s3://odd/%s:\n%s", k, out)
		}
	}
	code, out, errs = runCLI(t, "", "--config", policy, "purge", "--enforce")
	if code != exitOK {
		t.Fatalf("enforce: exit %d\n%s\n%s", code, out, errs)
	}
	for _, k := range expired {
		if _, err := get("odd", k); err == nil {
			t.Errorf("%s not deleted", k)
		}
	}
	log, _ := os.ReadFile(filepath.Join(dir, "audit.jsonl"))
	done := map[string]bool{}
	for _, l := range strings.Split(strings.TrimSpace(string(log)), "\n") {
		var e audit.Entry
		if err := json.Unmarshal([]byte(l), &e); err != nil {
			t.Fatal(err)
		}
		if e.Phase == "done" && e.Action == "delete" {
			done[e.Path] = true
		}
	}
	for _, k := range expired {
		if !done["s3://odd/"+k] {
			t.Errorf("the audit log does not record the deletion of s3://odd/%s:\n%s", k, log)
		}
	}

	t.Setenv("PIISCAN_NOW", now.Add(time.Hour).Format(time.RFC3339))
	code, out, errs = runCLI(t, "", "--config", policy, "redact", "--enforce")
	if code != exitOK {
		t.Fatalf("redact: exit %d\n%s\n%s", code, out, errs)
	}
	masked := strings.Replace(line, "4111 1111 1111 1111", "[credit_card:…1111]", 1)
	for _, k := range redactKeys {
		if got, err := get("oddred", k); err != nil || got != masked {
			t.Errorf("%s after redaction = %q, %v", k, got, err)
		}
	}
	code, out, errs = runCLI(t, "", "--config", policy, "scan", "--format", "jsonl", "s3://oddred/")
	if code != exitFindings || strings.Contains(out, "credit_card") || strings.Count(out, `"class":"email"`) != len(redactKeys) {
		t.Errorf("scan after redaction: exit %d\n%s\n%s", code, out, errs)
	}
}

// A local file whose name holds '!' is one file, not an archive member:
// it is redacted and purged by its own name.
func TestLocalBangNames(t *testing.T) {
	dir := t.TempDir()
	line := `{"user":"a@example.com","card":"4111 1111 1111 1111","note":"keep me"}` + "\n"
	red := writeOld(t, dir, "red/a!b.log", line)
	redDir := writeOld(t, dir, "red/d!/c.log", line)
	gone := writeOld(t, dir, "old/a!b.log", "x\n")
	policy := filepath.Join(dir, "rules.yaml")
	os.WriteFile(policy, []byte(fmt.Sprintf(`version: 1
rules:
  - {id: email, detector: email, severity: medium}
  - {id: card, detector: credit_card, severity: critical}
locations:
  - {name: red, paths: [%[1]s/red], allowed: [email], disallowed: redact}
  - {name: old, paths: [%[1]s/old], retention: {max_age: 1d}}
enforcement:
  audit_log: %[1]s/audit.jsonl
  quarantine_dir: %[1]s/quarantine
  breaker: {max_share: 1}
`, dir)), 0o644)

	code, out, errs := runCLI(t, "", "--config", policy, "redact", "--enforce")
	if code != exitOK {
		t.Fatalf("redact: exit %d\n%s\n%s", code, out, errs)
	}
	masked := strings.Replace(line, "4111 1111 1111 1111", "[credit_card:…1111]", 1)
	for _, p := range []string{red, redDir} {
		if got, err := os.ReadFile(p); err != nil || string(got) != masked {
			t.Errorf("%s after redaction = %q, %v", p, got, err)
		}
	}
	code, out, errs = runCLI(t, "", "--config", policy, "purge", "--enforce")
	if code != exitOK {
		t.Fatalf("purge: exit %d\n%s\n%s", code, out, errs)
	}
	if _, err := os.Stat(gone); !os.IsNotExist(err) {
		t.Errorf("%s not purged: %v", gone, err)
	}
}

// The members of an archive keep their own names in finding paths: a '!'
// in a member's name is escaped, the separator before it is not.
func TestArchiveMemberBang(t *testing.T) {
	dir := t.TempDir()
	var tb bytes.Buffer
	tw := tar.NewWriter(&tb)
	body := []byte("card 4111111111111111\n")
	tw.WriteHeader(&tar.Header{Name: "m!n.txt", Mode: 0o644, Size: int64(len(body))})
	tw.Write(body)
	tw.Close()
	archive := filepath.Join(dir, "x.tar.gz")
	os.WriteFile(archive, gzipBytes(tb.Bytes()), 0o644)
	code, out, errs := runCLI(t, "", "scan", "--format", "jsonl", archive)
	if code != exitFindings {
		t.Fatalf("exit %d\n%s\n%s", code, out, errs)
	}
	want, _ := jsonString(archive + `!m\!n.txt`)
	if !strings.Contains(out, `"path":`+want) {
		t.Errorf("member path, want %s:\n%s", want, out)
	}
}

// jsonString returns s as a JSON string literal (as reports write it).
func jsonString(s string) (string, error) {
	b, err := json.Marshal(s)
	return string(b), err
}
