package retention

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	piiscan "github.com/piiscan/piiscan"
	"github.com/piiscan/piiscan/config"
	"github.com/piiscan/piiscan/finding"
	"github.com/piiscan/piiscan/retention/audit"
	"github.com/piiscan/piiscan/scanners"
	"github.com/piiscan/piiscan/scansetup"
)

// defaultRulesWith parses piiscan's default rules, and a pattern rule of
// the kind a user adds, with the locations, holds and enforcement of yaml
// ($DIR is dir) in place of its own.
func defaultRulesWith(t *testing.T, dir, yaml string) *config.Config {
	t.Helper()
	rules := string(piiscan.DefaultRules)
	// A pattern rule whose value is whatever follows its keyword: it
	// would take a mask for a name.
	rules = strings.Replace(rules, "\nrules:\n", "\nrules:\n"+`  - id: patient-name
    class: person_name
    pattern: '(?i)\bpatient:\s*(?<value>[^,\n]+)'
    keywords: [patient]
    severity: high
`, 1)
	cut := strings.Index(rules, "\nlocations:")
	if cut < 0 {
		t.Fatal("rules.yaml has no locations")
	}
	end := strings.Index(rules, "\nallow:")
	if end < 0 {
		t.Fatal("rules.yaml has no allow")
	}
	c, err := config.Parse("test.yaml", []byte(rules[:cut+1]+rules[end+1:]+"\n"+strings.ReplaceAll(yaml, "$DIR", dir)))
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// Redaction writes masks ("[credential]", "[person_name]", "[health]")
// that the scan must not report again: a second redact of the same file
// has nothing to do, however the mask sits in its line.
func TestRedactTwiceHasNothingToDo(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	const text = `2026-11-01T10:00:00Z level=info msg="login" user=alice password=hunter2!Secret
2026-11-01T10:00:01Z level=info {"name":"Alice Smith","diagnosis":"type 2 diabetes","password":"s3cr3t-Pa55w0rd"}
2026-11-01T10:00:02Z level=warn patient Bob Jones diagnosed with asthma, prescribed salbutamol
2026-11-01T10:00:03Z level=info Authorization: Bearer eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.abc
2026-11-01T10:00:04Z level=info ward=3 patient: Carol Baker, bed 2
`
	path := filepath.Join(dir, "app", "app.log")
	mkfile(t, path, text, 0o640, time.Now().Add(-2*day))
	for _, name := range []string{"customers.csv", "app.jsonl", "auth.log"} {
		var src string
		switch name {
		case "customers.csv":
			src = "../examples/exports/customers.csv"
		default:
			src = "../examples/logs/" + name
		}
		b, err := os.ReadFile(src)
		if err != nil {
			t.Fatal(err)
		}
		mkfile(t, filepath.Join(dir, "app", name), string(b), 0o640, time.Now().Add(-2*day))
	}
	// Every match is rewritten, doubtful ones too, so that every mask
	// is put to the test of the second scan.
	c := defaultRulesWith(t, dir, "locations:\n  - {name: app, paths: [$DIR/app], allowed: [ip_address], disallowed: redact}\nenforcement: {min_confidence: low}\n")
	fp := finding.NewFingerprinter([]byte("k"))
	plan := func() *Plan {
		t.Helper()
		p, err := PlanRedact(ctx, c, locationScanner(t, c, fp), PlanOptions{})
		if err != nil {
			t.Fatal(err)
		}
		return p
	}
	p := plan()
	if it := itemFor(p, path); it == nil || it.Action != RedactFile {
		t.Fatalf("first plan %v, want %s redacted", actions(p), path)
	}
	e, err := scansetup.Engine(c)
	if err != nil {
		t.Fatal(err)
	}
	x := &Executor{Config: c, Enforce: true, Engine: e, Fingerprints: fp,
		Audit: audit.Open(filepath.Join(t.TempDir(), "audit.jsonl"), []byte("k"))}
	defer x.Close()
	if err := x.Apply(ctx, p); err != nil {
		t.Fatal(err)
	}
	got, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	for _, mask := range []string{"[credential]", "[person_name]", "[health]"} {
		if !strings.Contains(string(got), mask) {
			t.Errorf("redacted file has no %s:\n%s", mask, got)
		}
	}
	var left []string
	_, err = locationScanner(t, c, fp).Scan(ctx, []string{filepath.Join(dir, "app")}, scanners.SinkFunc(func(f *finding.Finding) error {
		switch f.Class {
		case finding.ClassCredential, finding.ClassPersonName, finding.ClassHealth:
			left = append(left, fmt.Sprintf("%s:%d %s", filepath.Base(f.Path), f.Line, f.Class))
		}
		return nil
	}))
	if err != nil {
		t.Fatal(err)
	}
	if len(left) > 0 {
		t.Errorf("a scan of the redacted files finds %q", left)
	}
	again := plan()
	for _, it := range again.Items {
		t.Errorf("second plan: %s %s (%s)", it.Action, filepath.Base(it.Path), it.Reason)
	}
}
