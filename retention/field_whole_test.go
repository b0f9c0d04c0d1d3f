package retention

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/piiscan/piiscan/finding"
	"github.com/piiscan/piiscan/retention/audit"
	"github.com/piiscan/piiscan/scanners"
	"github.com/piiscan/piiscan/scansetup"
)

// One redact pass masks the value of a diagnosis or medication field
// whole, not the condition or drug word inside it ("breast [health]"):
// a second scan finds nothing, at any confidence, in FHIR resources, SQL
// columns, HL7 DG1 segments and JSON diagnosis and condition fields, and
// a second plan
// has nothing to do.
func TestRedactMasksFieldValuesWhole(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	files := map[string]string{
		"cond.ndjson": `{"resourceType": "Condition", "id": "c1", "code": {"coding": [{"system": "http://hl7.org/fhir/sid/icd-10-cm", "code": "C50.919", "display": "breast cancer"}], "text": "breast cancer"}, "subject": {"reference": "Patient/p1"}}
{"resourceType": "Condition", "id": "c2", "code": {"coding": [{"system": "http://hl7.org/fhir/sid/icd-10-cm", "code": "B20", "display": "HIV infection"}], "text": "HIV infection"}, "subject": {"reference": "Patient/p2"}}
{"resourceType": "MedicationStatement", "id": "m1", "status": "active", "medicationCodeableConcept": {"text": "insulin glargine 20 units"}, "subject": {"reference": "Patient/p2"}}
`,
		"visits.sql": "CREATE TABLE public.visits (id integer NOT NULL, diagnosis text, medication text);\n" +
			"COPY public.visits (id, diagnosis, medication) FROM stdin;\n" +
			"1\tbreast cancer\tinsulin glargine 20 units\n2\tHIV infection\tsumatriptan daily\n\\.\n",
		"adt.hl7": "MSH|^~\\&|A|B|C|D|20260101||ADT^A08|1|P|2.5.1\r" +
			"DG1|1|I10|B20^HIV infection^I10||20260101|F\r" +
			"DG1|2|I10|C50.919^breast cancer^I10||20260101|F\r",
		"app.jsonl": `{"ts":"2026-11-01T10:00:00Z","diagnosis":"breast cancer","medication":"insulin glargine 20 units"}
{"ts":"2026-11-01T10:00:01Z","diagnosis":"HIV infection and hepatitis C"}
{"ts":"2026-11-01T10:00:02Z","condition":"breast cancer","status":"active"}
`,
	}
	for name, text := range files {
		mkfile(t, filepath.Join(dir, "app", name), text, 0o640, time.Now().Add(-2*day))
	}
	// The default min_confidence: the field makes every value high.
	c := defaultRulesWith(t, dir, "locations:\n  - {name: app, paths: [$DIR/app], allowed: [ip_address], disallowed: redact}\n")
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
	for name := range files {
		if it := itemFor(p, filepath.Join(dir, "app", name)); it == nil || it.Action != RedactFile {
			t.Fatalf("first plan %v, want %s redacted", actions(p), name)
		}
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
	for name := range files {
		got, err := os.ReadFile(filepath.Join(dir, "app", name))
		if err != nil {
			t.Fatal(err)
		}
		for _, word := range []string{"breast", "cancer", "HIV", "infection", "glargine", "units", "hepatitis", "sumatriptan", "daily"} {
			if strings.Contains(string(got), word) {
				t.Errorf("redacted %s keeps %q:\n%s", name, word, got)
			}
		}
	}
	var left []string
	_, err = locationScanner(t, c, fp).Scan(ctx, []string{filepath.Join(dir, "app")}, scanners.SinkFunc(func(f *finding.Finding) error {
		left = append(left, fmt.Sprintf("%s:%d %s %s", filepath.Base(f.Path), f.Line, f.Rule, f.Confidence))
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
