package main

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/piiscan/piiscan/retention/audit"
)

// jsonPath matches the path field of a JSON line as written, escapes and
// all.
var jsonPath = regexp.MustCompile(`"path":"((?:[^"\\]|\\.)*)"`)

// A file whose name holds '!' (and one with a '\') is named the same way
// in scan output, in the plan that redacts it and in its audit entries:
// the path a scan shows (\! for a '!') is what to look for in the plan
// and the audit log. audit verify reads the path back to the real name.
func TestBangPathsReadTheSameInScanPlanAndAudit(t *testing.T) {
	dir := t.TempDir()
	card := "paid with 4111 1111 1111 1111\n"
	bang := writeOld(t, dir, "logs/report!2026-11.log", card)
	slash := writeOld(t, dir, `logs/back\slash.log`, card)
	policy := logsPolicy(t, dir, "redact")

	code, scanText, errs := runCLI(t, "", "--config", policy, "scan", "--format", "table", filepath.Join(dir, "logs"))
	if code != exitFindings {
		t.Fatalf("scan: exit %d\n%s\n%s", code, scanText, errs)
	}
	code, scanJSON, errs := runCLI(t, "", "--config", policy, "scan", "--format", "jsonl", filepath.Join(dir, "logs"))
	if code != exitFindings {
		t.Fatalf("scan: exit %d\n%s\n%s", code, scanJSON, errs)
	}
	code, plan, errs := runCLI(t, "", "--config", policy, "redact", "--enforce")
	if code != exitOK {
		t.Fatalf("redact: exit %d\n%s\n%s", code, plan, errs)
	}
	log, err := os.ReadFile(filepath.Join(dir, "audit.jsonl"))
	if err != nil {
		t.Fatal(err)
	}
	inJSON := func(data []byte) map[string]bool {
		out := map[string]bool{}
		for _, m := range jsonPath.FindAllSubmatch(data, -1) {
			out[string(m[1])] = true
		}
		return out
	}
	scanned, audited := inJSON([]byte(scanJSON)), inJSON(log)
	for _, p := range []string{bang, slash} {
		shown := strings.ReplaceAll(strings.ReplaceAll(p, `\`, `\\`), "!", `\!`)
		if !strings.Contains(scanText, shown) {
			t.Fatalf("scan output does not show %s as %s:\n%s", filepath.Base(p), shown, scanText)
		}
		if !strings.Contains(plan, shown) {
			t.Errorf("the plan does not show %s as scan output does (%s):\n%s", filepath.Base(p), shown, plan)
		}
		asJSON := strings.ReplaceAll(shown, `\`, `\\`)
		if !scanned[asJSON] {
			t.Fatalf("jsonl scan output has no path %s:\n%s", asJSON, scanJSON)
		}
		if !audited[asJSON] {
			t.Errorf("the audit log does not name %s as scan output does (%s):\n%s", filepath.Base(p), asJSON, log)
		}
	}
	if got, _ := os.ReadFile(bang); strings.Contains(string(got), "4111") {
		t.Errorf("%s was not redacted", filepath.Base(bang))
	}
	if got, _ := os.ReadFile(slash); strings.Contains(string(got), "4111") {
		t.Errorf("%s was not redacted", filepath.Base(slash))
	}
}

// audit verify lists an intent a stopped run left as settled when a
// later run did the same action on the same path (every version it
// planned deleted or gone), with the path as scan output writes it; one
// no later run finished stays unfinished, with the versions it may have
// deleted.
func TestAuditVerifySettledByALaterRun(t *testing.T) {
	_, policy, log := enforcedLog(t)
	l := audit.Open(log, []byte(testKey))
	begin := func(path string, versions ...string) *audit.Pending {
		t.Helper()
		p, err := l.Begin(audit.Entry{Action: "delete", Location: "exports", Path: path})
		if err != nil {
			t.Fatal(err)
		}
		var vs []audit.VersionOutcome
		for _, v := range versions {
			vs = append(vs, audit.VersionOutcome{Version: v})
		}
		if len(vs) > 0 {
			if err := l.Planned(audit.Plan{Pending: p, Versions: vs}); err != nil {
				t.Fatal(err)
			}
		}
		return p
	}
	killed := begin("s3://b/report!2026-11.log", "v1", "v2")
	other := begin("s3://b/other.log", "w1")
	later := begin("s3://b/report!2026-11.log", "v2")
	if err := later.Done(audit.Entry{Versions: []audit.VersionOutcome{{Version: "v2", Outcome: audit.VersionDeleted}}}); err != nil {
		t.Fatal(err)
	}
	code, out, errs := runCLI(t, "", "--config", policy, "audit", "verify")
	if code != exitOK {
		t.Fatalf("audit verify: exit %d\n%s\n%s", code, out, errs)
	}
	for _, want := range []string{
		"1 action started but not recorded as finished",
		fmt.Sprintf("  seq %d delete exports s3://b/other.log at ", other.Seq()),
		"; may have deleted versions w1\n",
		"1 action of stopped runs settled by a later run",
		fmt.Sprintf("  seq %d delete exports s3://b/report\\!2026-11.log at ", killed.Seq()),
		fmt.Sprintf(": settled by a later run (seq %d); versions deleted by a later run: v2; gone before a later run listed them: v1\n", later.Seq()+2),
	} {
		if !strings.Contains(out, want) {
			t.Errorf("audit verify output lacks %q:\n%s", want, out)
		}
	}
}
