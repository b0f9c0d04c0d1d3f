package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/piiscan/piiscan/internal/s3test"
)

// bangTree writes a location that enforces "disallowed: redact" holding
// report (clean) and report!2026-11.log (a card number and an email), and
// returns the policy file and the two files.
func bangTree(t *testing.T) (policy, clean, dirty string) {
	t.Helper()
	dir := t.TempDir()
	clean = writeOld(t, dir, "logs/report", bangClean)
	dirty = writeOld(t, dir, "logs/report!2026-11.log", "paid with 4111 1111 1111 1111 by ada@example.com\n")
	policy = logsPolicy(t, dir, "redact")
	return policy, clean, dirty
}

// writeOld writes data to dir/rel, making its folders, modified two days
// ago (older than a retention of 1d), and returns its path.
func writeOld(t *testing.T, dir, rel, data string) string {
	t.Helper()
	p := filepath.Join(dir, rel)
	os.MkdirAll(filepath.Dir(p), 0o755)
	if err := os.WriteFile(p, []byte(data), 0o640); err != nil {
		t.Fatal(err)
	}
	old := time.Now().Add(-48 * time.Hour)
	os.Chtimes(p, old, old)
	return p
}

const bangClean = "nothing personal here\n"

// A file whose name holds '!' is a file, not the member of an archive
// named like the part before the '!'.
func TestRedactFileNameWithBang(t *testing.T) {
	policy, clean, dirty := bangTree(t)
	code, out, errs := runCLI(t, "", "--config", policy, "redact", "--enforce")
	if code != exitOK {
		t.Fatalf("redact: exit %d\n%s\n%s", code, out, errs)
	}
	if got, _ := os.ReadFile(dirty); string(got) != "paid with [credit_card:…1111] by ada@example.com\n" {
		t.Errorf("redact left %s as:\n%s", filepath.Base(dirty), got)
	}
	if got, err := os.ReadFile(clean); err != nil || string(got) != bangClean {
		t.Errorf("redact touched the clean file %s: %q, %v", filepath.Base(clean), got, err)
	}
	if q, _ := filepath.Glob(filepath.Join(filepath.Dir(policy), "quarantine", "*")); len(q) > 0 {
		t.Errorf("redact quarantined %q", q)
	}
	if rawCard.MatchString(out + errs) {
		t.Errorf("redact printed a raw card number:\n%s\n%s", out, errs)
	}
}

func TestEraseFileNameWithBang(t *testing.T) {
	policy, clean, dirty := bangTree(t)
	code, out, errs := runCLI(t, "", "--config", policy, "erase", "--subject", "email=ada@example.com", "--enforce")
	if code != exitOK {
		t.Fatalf("erase: exit %d\n%s\n%s", code, out, errs)
	}
	if got, _ := os.ReadFile(dirty); string(got) != "paid with 4111 1111 1111 1111 by [email:erased]\n" {
		t.Errorf("erase left %s as:\n%s", filepath.Base(dirty), got)
	}
	if got, err := os.ReadFile(clean); err != nil || string(got) != bangClean {
		t.Errorf("erase touched the clean file %s: %q, %v", filepath.Base(clean), got, err)
	}
	if strings.Contains(out+errs, "inside an archive") || strings.Contains(out+errs, "ada@") {
		t.Errorf("erase output:\n%s\n%s", out, errs)
	}
}

// The same for objects: a key holding '!' names one object.
func TestRedactObjectKeyWithBang(t *testing.T) {
	s := s3test.Start(t)
	s.Env(t)
	s.Bucket(t, "red")
	s.Put(t, "red", "report", []byte(bangClean))
	s.Put(t, "red", "report!2026-11.log", []byte("paid with 4111 1111 1111 1111 by ada@example.com\n"))
	dir := t.TempDir()
	policy := s3EnforcePolicy(t, dir, `locations:
  - {name: exports, paths: ["s3://red/"], allowed: [email], disallowed: redact}
`)
	t.Setenv("PIISCAN_NOW", time.Now().Add(time.Hour).UTC().Format(time.RFC3339))

	code, out, errs := runCLI(t, "", "--config", policy, "redact", "--enforce")
	if code != exitOK {
		t.Fatalf("redact: exit %d\n%s\n%s", code, out, errs)
	}
	get := func(k string) string { return string(s.Get(t, "red", k)) }
	if got := get("report!2026-11.log"); got != "paid with [credit_card:…1111] by ada@example.com\n" {
		t.Errorf("redact left the object as:\n%s", got)
	}
	if got := get("report"); got != bangClean {
		t.Errorf("redact touched the clean object: %q", got)
	}
}
