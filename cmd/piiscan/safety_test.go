package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/piiscan/piiscan/retention"
)

// safetyTree writes files under dir (mtime an hour ago unless named in
// fresh) and a policy with one location, logs, that allows emails and IPs
// and redacts anything else. It returns the policy file.
func safetyTree(t *testing.T, dir string, files map[string]string, fresh ...string) string {
	t.Helper()
	hourAgo := time.Now().Add(-time.Hour)
	for rel, content := range files {
		p := filepath.Join(dir, rel)
		os.MkdirAll(filepath.Dir(p), 0o755)
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
		isFresh := false
		for _, f := range fresh {
			isFresh = isFresh || f == rel
		}
		if !isFresh {
			os.Chtimes(p, hourAgo, hourAgo)
		}
	}
	return logsPolicy(t, dir, "quarantine")
}

// logsPolicy writes dir/rules.yaml: rules for emails and card numbers and
// one location, logs (dir/logs), that allows emails and does disallowed
// with anything else, with the audit log and quarantine in dir.
func logsPolicy(t *testing.T, dir, disallowed string) string {
	t.Helper()
	policy := filepath.Join(dir, "rules.yaml")
	err := os.WriteFile(policy, []byte(fmt.Sprintf(`version: 1
rules:
  - {id: email, detector: email, severity: medium}
  - {id: card, detector: credit_card, severity: critical}
locations:
  - name: logs
    paths: [%[1]s/logs]
    allowed: [email]
    disallowed: %[2]s
enforcement:
  audit_log: %[1]s/audit.jsonl
  quarantine_dir: %[1]s/quarantine
  breaker: {max_share: 1}
`, dir, disallowed)), 0o644)
	if err != nil {
		t.Fatal(err)
	}
	return policy
}

// erase leaves a file that is still being written alone, as purge and
// redact do, and the requester's report says why.
func TestEraseLeavesLiveFiles(t *testing.T) {
	dir := t.TempDir()
	policy := safetyTree(t, dir, map[string]string{
		"logs/app.log":   "login alice@example.com\n",
		"logs/app.log.1": "login alice@example.com\n",
	}, "logs/app.log")
	report := filepath.Join(dir, "erasure.json")
	code, out, errs := runCLI(t, "", "--config", policy, "erase", "--subject", "email=alice@example.com", "--enforce", "--report", report)
	if code != exitUnreadable || !strings.Contains(errs, "the erasure is not complete") {
		t.Fatalf("an incomplete erasure: exit %d\n%s\n%s", code, out, errs)
	}
	if got, _ := os.ReadFile(filepath.Join(dir, "logs", "app.log")); string(got) != "login alice@example.com\n" {
		t.Errorf("the live file was rewritten: %q", got)
	}
	if got, _ := os.ReadFile(filepath.Join(dir, "logs", "app.log.1")); string(got) != "login [email:erased]\n" {
		t.Errorf("the rotated file: %q", got)
	}
	var rep retention.ErasureReport
	raw, _ := os.ReadFile(report)
	json.Unmarshal(raw, &rep)
	if rep.Complete || rep.Totals.Erased != 1 || rep.Totals.Kept != 1 || !strings.Contains(string(raw), "still being written") {
		t.Errorf("report:\n%s", raw)
	}
}

// Erasure reaches the copies piiscan quarantined: a right-to-deletion
// request is not met while a quarantined copy still holds the value.
func TestEraseReachesQuarantinedCopies(t *testing.T) {
	dir := t.TempDir()
	policy := safetyTree(t, dir, map[string]string{
		"logs/pay.log": "alice@example.com paid with 4111 1111 1111 1111\nbob@example.com paid\n",
	})
	if code, out, errs := runCLI(t, "", "--config", policy, "redact", "--enforce"); code != exitOK {
		t.Fatalf("redact: exit %d\n%s\n%s", code, out, errs)
	}
	q, _ := filepath.Glob(filepath.Join(dir, "quarantine", "*pay.log"))
	if len(q) != 1 {
		t.Fatalf("quarantined %v", q)
	}
	code, out, errs := runCLI(t, "", "--config", policy, "erase", "--subject", "email=alice@example.com", "--enforce")
	if code != exitOK || !strings.Contains(out, "quarantine") {
		t.Fatalf("erase: exit %d\n%s\n%s", code, out, errs)
	}
	got, _ := os.ReadFile(q[0])
	if strings.Contains(string(got), "alice@") || !strings.Contains(string(got), "bob@example.com paid") {
		t.Errorf("quarantined copy after erase: %q", got)
	}
	if fi, _ := os.Stat(q[0]); fi.Mode().Perm() != 0o600 {
		t.Errorf("quarantined copy mode %v", fi.Mode().Perm())
	}
}

// A rewrite killed before its rename leaves a temporary file: the next
// run neither plans nor fails on it, and an enforcing run removes it.
func TestTemporaryFilesOfAKilledRunAreNotData(t *testing.T) {
	dir := t.TempDir()
	policy := safetyTree(t, dir, map[string]string{
		"logs/app.log.1": "alice@example.com\n",
		"logs/" + retention.TempPrefix + "00000000a1b2-app.log": "card 4111 1111 1111 1111\n",
	})
	code, out, errs := runCLI(t, "", "--config", policy, "redact")
	if code != exitOK || strings.Contains(out, retention.TempPrefix) {
		t.Fatalf("dry run: exit %d\n%s\n%s", code, out, errs)
	}
	if !strings.Contains(out, "0 files: nothing to do") {
		t.Errorf("summary:\n%s", out)
	}
	code, out, errs = runCLI(t, "", "--config", policy, "redact", "--enforce")
	if code != exitOK {
		t.Fatalf("enforce: exit %d\n%s\n%s", code, out, errs)
	}
	// Removed although nothing else was due there: it must not stay
	// hidden under a temporary name.
	if _, err := os.Lstat(filepath.Join(dir, "logs", retention.TempPrefix+"00000000a1b2-app.log")); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("the temporary file of the killed run: %v, want it removed", err)
	}
}

// The summary line names every action of the plan, erasure included.
func TestPlanSummaryNamesEveryAction(t *testing.T) {
	dir := t.TempDir()
	policy := safetyTree(t, dir, map[string]string{"logs/app.log.1": "login alice@example.com\n"})
	code, out, errs := runCLI(t, "", "--config", policy, "erase", "--subject", "email=alice@example.com")
	if code != exitOK || !strings.Contains(out, "1 file: 1 erase\n") {
		t.Errorf("exit %d\n%s\n%s", code, out, errs)
	}
}

// erase reads every file of its locations, whatever scan settings narrow a
// report to, ignores the allow list, and says when a location could not
// be searched: "nothing found" must mean nothing is there.
func TestEraseSearchesEverything(t *testing.T) {
	dir := t.TempDir()
	policy := safetyTree(t, dir, map[string]string{
		"logs/app.log.1":    "login alice@example.com\n",
		"logs/app.log.2.gz": string(gzipBytes([]byte("login alice@example.com\n"))),
	})
	data, _ := os.ReadFile(policy)
	os.WriteFile(policy, append(data, `scan: {classes: [credit_card], exclude: ["**/*.gz"], max_size: 10B, newer_than: 1s}
allow:
  patterns: ['alice@example\\.com']
`...), 0o644)
	code, out, errs := runCLI(t, "", "--config", policy, "erase", "--subject", "email=alice@example.com", "--enforce")
	if code != exitOK || !strings.Contains(out, "total     2      2") {
		t.Fatalf("exit %d\n%s\n%s", code, out, errs)
	}
	if got, _ := os.ReadFile(filepath.Join(dir, "logs", "app.log.1")); string(got) != "login [email:erased]\n" {
		t.Errorf("app.log.1: %q", got)
	}
	// A location whose folder is missing (an unmounted volume).
	os.WriteFile(policy, []byte(strings.Replace(string(data), "paths: ["+dir+"/logs]", "paths: ["+dir+"/logs, "+dir+"/gone]", 1)), 0o644)
	code, out, errs = runCLI(t, "", "--config", policy, "erase", "--subject", "email=alice@example.com", "--enforce")
	if code != exitUnreadable || !strings.Contains(out, "gone: location logs: does not exist") {
		t.Errorf("missing root: exit %d\n%s\n%s", code, out, errs)
	}
}

// Files the scanner skips as binary (a log with a hole of NUL bytes, a
// UTF-16 export) are not searched: the erasure is not complete.
func TestEraseIsNotCompleteWhenFilesWereNotSearched(t *testing.T) {
	dir := t.TempDir()
	policy := safetyTree(t, dir, map[string]string{
		"logs/app.log.1": "login bob@example.com\n",
		"logs/hole.log":  "login bob@example.com\n" + strings.Repeat("\x00\x01", 2048),
	})
	report := filepath.Join(dir, "erasure.json")
	code, out, errs := runCLI(t, "", "--config", policy, "erase", "--subject", "email=bob@example.com", "--enforce", "--report", report)
	if code != exitUnreadable || !strings.Contains(out, "skipped as binary") {
		t.Fatalf("exit %d\n%s\n%s", code, out, errs)
	}
	var rep retention.ErasureReport
	raw, _ := os.ReadFile(report)
	json.Unmarshal(raw, &rep)
	if rep.Complete || rep.Unsearched != 1 || rep.Totals.Erased != 1 {
		t.Errorf("report:\n%s", raw)
	}
}
