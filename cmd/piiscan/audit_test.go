package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/piiscan/piiscan/retention/audit"
)

// enforcedLog runs an enforcing purge over purgeTree and returns the
// policy and the audit log it wrote (an intent and a result for each of two actions).
func enforcedLog(t *testing.T) (dir, policy, log string) {
	t.Helper()
	dir = t.TempDir()
	policy = purgeTree(t, dir)
	t.Setenv("PIISCAN_NOW", "2024-06-01T00:00:00Z")
	if code, out, errs := runCLI(t, "", "--config", policy, "purge", "--enforce"); code != exitOK {
		t.Fatalf("purge: exit %d\n%s\n%s", code, out, errs)
	}
	return dir, policy, filepath.Join(dir, "audit.jsonl")
}

func TestEnforceActsOnNothingWhenTheAuditLogCannotBeWritten(t *testing.T) {
	tests := []struct {
		name   string
		damage func(t *testing.T, dir, policy string)
		want   string
	}{
		{"directory missing", func(t *testing.T, dir, policy string) {
			data, _ := os.ReadFile(policy)
			data = bytes.Replace(data, []byte("audit_log: "+dir+"/audit.jsonl"), []byte("audit_log: "+dir+"/gone/audit.jsonl"), 1)
			os.WriteFile(policy, data, 0o644)
		}, "does not exist"},
		{"last line cut", func(t *testing.T, dir, policy string) {
			path := filepath.Join(dir, "audit.jsonl")
			if err := audit.Open(path, []byte(testKey)).Append(audit.Entry{Action: "delete", Path: "a"}, audit.Entry{Action: "delete", Path: "b"}); err != nil {
				t.Fatal(err)
			}
			data, _ := os.ReadFile(path)
			os.WriteFile(path, data[:len(data)-30], 0o600)
		}, "cut short"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			policy := purgeTree(t, dir)
			t.Setenv("PIISCAN_NOW", "2024-06-01T00:00:00Z")
			tt.damage(t, dir, policy)
			app, _ := os.ReadFile(filepath.Join(dir, "app", "app.jsonl"))
			code, out, errs := runCLI(t, "", "--config", policy, "purge", "--enforce")
			if code == exitOK || code == exitUnreadable || !strings.Contains(errs, tt.want) || !strings.Contains(errs, "nothing was done") {
				t.Errorf("exit %d, stderr %q; want a failure saying %q and that nothing was done\n%s", code, errs, tt.want, out)
			}
			if _, err := os.Stat(filepath.Join(dir, "web", "access.log.9")); err != nil {
				t.Error("an expired file was deleted without an audit trail")
			}
			if now, _ := os.ReadFile(filepath.Join(dir, "app", "app.jsonl")); !bytes.Equal(now, app) {
				t.Error("a log was rewritten without an audit trail")
			}
		})
	}
}

func TestAuditVerifyDetectsChangedEnd(t *testing.T) {
	tests := []struct {
		name   string
		change func(lines [][]byte) [][]byte
		want   string
	}{
		{"last entry edited", func(lines [][]byte) [][]byte {
			last := bytes.Replace(lines[len(lines)-1], []byte(`"path":"`), []byte(`"path":"/elsewhere`), 1)
			return append(lines[:len(lines)-1:len(lines)-1], last)
		}, "edited"},
		{"last entry removed", func(lines [][]byte) [][]byte { return lines[:len(lines)-1] }, "removed"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, policy, log := enforcedLog(t)
			data, _ := os.ReadFile(log)
			os.WriteFile(log, bytes.Join(tt.change(bytes.SplitAfter(bytes.TrimSuffix(data, []byte("\n")), []byte("\n"))), nil), 0o600)
			code, out, errs := runCLI(t, "", "--config", policy, "audit", "verify")
			if code != exitFindings || !strings.Contains(errs, tt.want) {
				t.Errorf("verify: exit %d, stderr %q, stdout %q; want exit %d and %q", code, errs, out, exitFindings, tt.want)
			}
		})
	}
}

func TestAuditVerifyNamesWrongKey(t *testing.T) {
	_, policy, _ := enforcedLog(t)
	t.Setenv("PIISCAN_FINGERPRINT_KEY", otherKey)
	code, _, errs := runCLI(t, "", "--config", policy, "audit", "verify")
	if code != exitUsage || !strings.Contains(errs, "written with another key (key id "+audit.KeyID([]byte(testKey))+", this key "+audit.KeyID([]byte(otherKey))+")") || strings.Contains(errs, "chain broken") {
		t.Errorf("exit %d, stderr %q; want exit %d naming the other key", code, errs, exitUsage)
	}
}

func TestAuditVerifyPrintsAndChecksHead(t *testing.T) {
	_, policy, log := enforcedLog(t)
	code, out, _ := runCLI(t, "", "--config", policy, "audit", "verify")
	res, err := audit.Verify(log, []byte(testKey))
	if err != nil {
		t.Fatal(err)
	}
	head := audit.Head{Entries: res.Entries, Hash: res.Head}.String()
	if code != exitOK || !strings.Contains(out, "4 entries, chain intact; head "+head) {
		t.Fatalf("verify: exit %d %q", code, out)
	}
	if err := audit.Open(log, []byte(testKey)).Append(audit.Entry{Action: "delete", Path: "later"}); err != nil {
		t.Fatal(err)
	}
	if code, out, errs := runCLI(t, "", "--config", policy, "audit", "verify", "--head", head); code != exitOK {
		t.Errorf("a grown log fails its earlier head: exit %d %s %s", code, out, errs)
	}
	other := "4:" + strings.Repeat("ab", 32)
	if code, _, errs := runCLI(t, "", "--config", policy, "audit", "verify", "--head", other); code != exitFindings || !strings.Contains(errs, "does not hold the head "+other) {
		t.Errorf("another head: exit %d %q", code, errs)
	}
	if code, _, errs := runCLI(t, "", "--config", policy, "audit", "verify", "--head", "nope"); code != exitUsage || !strings.Contains(errs, "--head") {
		t.Errorf("bad --head: exit %d %q", code, errs)
	}
}

func TestAuditVerifyListsUnfinishedActions(t *testing.T) {
	_, policy, log := enforcedLog(t)
	l := audit.Open(log, []byte(testKey))
	if _, err := l.Begin(audit.Entry{Action: "delete", Location: "web", Path: "/logs/app.log", Rule: "retention"}); err != nil {
		t.Fatal(err)
	}
	p, err := l.Begin(audit.Entry{Action: "rewrite", Location: "app", Path: "/logs/b.log"})
	if err != nil {
		t.Fatal(err)
	}
	if err := p.Done(audit.Entry{Records: 3}); err != nil {
		t.Fatal(err)
	}
	code, out, errs := runCLI(t, "", "--config", policy, "audit", "verify")
	if code != exitOK || !strings.Contains(out, "7 entries, chain intact") ||
		!strings.Contains(out, "1 action started but not recorded as finished") ||
		!strings.Contains(out, "  seq 5 delete web /logs/app.log at ") || strings.Contains(out, "b.log") {
		t.Errorf("verify: exit %d\n%s\n%s", code, out, errs)
	}
}

// A log written with a key from before weak keys were refused can still
// be verified with it.
func TestAuditVerifyWithAWeakOldKey(t *testing.T) {
	_, policy, log := enforcedLog(t)
	const weak = "k"
	os.Remove(log)
	os.Remove(log + ".head")
	if err := audit.Open(log, []byte(weak)).Append(audit.Entry{Action: "delete", Path: "a"}); err != nil {
		t.Fatal(err)
	}
	t.Setenv("PIISCAN_FINGERPRINT_KEY", weak)
	code, out, errs := runCLI(t, "", "--config", policy, "audit", "verify")
	if code != exitOK || !strings.Contains(out, "1 entries, chain intact") {
		t.Errorf("exit %d, stdout %q, stderr %q; want the chain verified", code, out, errs)
	}
}
