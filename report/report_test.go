package report

import (
	"bytes"
	"fmt"
	"reflect"
	"testing"
	"time"

	"github.com/piiscan/piiscan/finding"
	"github.com/piiscan/piiscan/scanners"
	"github.com/piiscan/piiscan/scanners/detect"
	"github.com/piiscan/piiscan/scanners/detect/catalog"
)

// testRules are the rules of the fixture report: built-in detectors and a
// custom pattern rule, with and without policy clauses.
func testRules() []detect.Rule {
	return []detect.Rule{
		{ID: "email", Class: finding.ClassEmail, Detector: catalog.Email,
			Severity: finding.SeverityMedium, Confidence: finding.ConfidenceHigh,
			Policy: "§4.2 Customer contact data must not be written to logs.", PolicyRef: "acme §4.2"},
		{ID: "credit-card", Class: finding.ClassCreditCard, Detector: catalog.CreditCard,
			Severity: finding.SeverityCritical, Confidence: finding.ConfidenceHigh,
			Policy: "PCI DSS 3.4: render PAN unreadable anywhere it is stored.", PolicyRef: "PCI DSS 3.4"},
		{ID: "us_ssn", Class: finding.ClassUSSSN, Detector: catalog.USSSN,
			Severity: finding.SeverityHigh, Confidence: finding.ConfidenceMedium},
		{ID: "credential_field", Class: finding.ClassCredential, Detector: catalog.CredentialField,
			Severity: finding.SeverityCritical, Confidence: finding.ConfidenceHigh,
			Policy: "§9 \"Secrets\" live in the vault, not in files.", PolicyRef: "acme §9"},
		{ID: "person-name", Class: finding.ClassPersonName, Detector: catalog.PersonNameField,
			Severity: finding.SeverityLow, Confidence: finding.ConfidenceMedium},
		{ID: "ipv4", Class: finding.ClassIPAddress, Detector: catalog.IPv4,
			Severity: finding.SeverityLow, Confidence: finding.ConfidenceLow},
		{ID: "acme.employee-id", Class: "employee_id", Pattern: `\bEMP-\d{6}\b`,
			Severity: finding.SeverityMedium, Confidence: finding.ConfidenceMedium,
			Policy: "HR-7: employee ids are internal.", PolicyRef: "HR-7"},
	}
}

func testMeta() Meta {
	return Meta{
		Version: "test",
		Rules:   testRules(),
		Targets: []string{"."},
		Start:   time.Date(2024, 5, 6, 7, 8, 9, 0, time.UTC),
	}
}

// testFindings are the findings of the fixture report. They cover several
// classes and severities, a path with a space, an archive member, a
// revealed value and an invalid UTF-8 byte in a masked value.
func testFindings() []finding.Finding {
	return []finding.Finding{
		{Path: "src/app.log", Line: 12, Column: 5, Length: 17, Class: finding.ClassEmail, Rule: "email",
			Severity: finding.SeverityMedium, Confidence: finding.ConfidenceHigh, Masked: "a***@example.com",
			Fingerprint: "0f1e2d3c4b5a69788796a5b4c3d2e1f0", Policy: "acme §4.2"},
		{Path: "data/customer exports/q1.csv", Line: 2, Column: 31, Length: 19, Class: finding.ClassCreditCard, Rule: "credit-card",
			Severity: finding.SeverityCritical, Confidence: finding.ConfidenceHigh, Masked: "4111 **** **** 1111",
			Fingerprint: "1b2c3d4e5f60718293a4b5c6d7e8f901", Policy: "PCI DSS 3.4"},
		{Path: "backup.tar.gz!dump/users.csv", Line: 7, Column: 1, Length: 11, Class: finding.ClassUSSSN, Rule: "us_ssn",
			Severity: finding.SeverityHigh, Confidence: finding.ConfidenceMedium, Masked: "***-**-6789",
			Fingerprint: "2c3d4e5f60718293a4b5c6d7e8f90112"},
		{Path: "config/prod.env", Line: 3, Column: 13, Length: 20, Class: finding.ClassCredential, Rule: "credential_field",
			Severity: finding.SeverityCritical, Confidence: finding.ConfidenceHigh, Masked: "hunt****",
			Fingerprint: "3d4e5f60718293a4b5c6d7e8f9011223", Policy: "acme §9",
			Value: "hunter2\"hunter2\\hunt"},
		{Path: "src/app.log", Line: 40, Column: 9, Length: 11, Class: finding.ClassPersonName, Rule: "person-name",
			Severity: finding.SeverityLow, Confidence: finding.ConfidenceMedium, Masked: "Z** M\xfc*****",
			Fingerprint: "4e5f60718293a4b5c6d7e8f901122334"},
		{Path: "src/app.log", Line: 41, Column: 22, Length: 12, Class: finding.ClassIPAddress, Rule: "ipv4",
			Severity: finding.SeverityLow, Confidence: finding.ConfidenceLow, Masked: "192.168.*.*",
			Fingerprint: "5f60718293a4b5c6d7e8f90112233445"},
		{Path: "src/app.log", Line: 42, Column: 1, Length: 10, Class: "employee_id", Rule: "acme.employee-id",
			Severity: finding.SeverityMedium, Confidence: finding.ConfidenceMedium, Masked: "E***6",
			Fingerprint: "60718293a4b5c6d7e8f9011223344556", Policy: "HR-7"},
	}
}

func testStats() *scanners.Stats {
	return &scanners.Stats{
		Files:    12,
		Streams:  15,
		Binary:   2,
		Skipped:  1,
		Bytes:    1536000,
		Findings: 7,
		Problems: []scanners.Problem{
			{Path: "secret/locked.txt", Error: "open secret/locked.txt: permission denied"},
			{Path: "backup.tar.gz!dump/broken.zip", Error: "zip: not a valid zip file"},
		},
		Duration: 2345 * time.Millisecond,
	}
}

// render writes findings through a report of the given format.
func render(t testing.TB, format Format, meta Meta, fs []finding.Finding, st *scanners.Stats) []byte {
	t.Helper()
	var buf bytes.Buffer
	w, err := New(format, &buf, meta)
	if err != nil {
		t.Fatalf("New(%q): %v", format, err)
	}
	for i := range fs {
		if err := w.Add(&fs[i]); err != nil {
			t.Fatalf("%s: Add: %v", format, err)
		}
	}
	if err := w.Close(st); err != nil {
		t.Fatalf("%s: Close: %v", format, err)
	}
	return buf.Bytes()
}

func TestParseFormat(t *testing.T) {
	tests := []struct {
		in      string
		want    Format
		wantErr bool
	}{
		{"table", FormatTable, false},
		{"jsonl", FormatJSONL, false},
		{"json", FormatJSON, false},
		{"sarif", FormatSARIF, false},
		{"", "", true},
		{"JSON", "", true},
		{"ndjson", "", true},
		{"sarif ", "", true},
		{"text", "", true},
	}
	for _, tt := range tests {
		got, err := ParseFormat(tt.in)
		if (err != nil) != tt.wantErr || got != tt.want {
			t.Errorf("ParseFormat(%q) = %q, %v; want %q, error %v", tt.in, got, err, tt.want, tt.wantErr)
		}
	}
	_, err := ParseFormat("xml")
	if want := `unknown format "xml" (want table, jsonl, json or sarif)`; err == nil || err.Error() != want {
		t.Errorf("ParseFormat(xml) error = %v, want %q", err, want)
	}
}

func TestFormats(t *testing.T) {
	want := []Format{"table", "jsonl", "json", "sarif"}
	if got := Formats(); !reflect.DeepEqual(got, want) {
		t.Errorf("Formats() = %q, want %q", got, want)
	}
	for _, f := range Formats() {
		if got, err := ParseFormat(string(f)); err != nil || got != f {
			t.Errorf("ParseFormat(%q) = %q, %v", f, got, err)
		}
		w, err := New(f, &bytes.Buffer{}, Meta{})
		if err != nil || w == nil {
			t.Errorf("New(%q) = %v, %v", f, w, err)
		}
	}
}

func TestNewUnknownFormat(t *testing.T) {
	w, err := New("xml", &bytes.Buffer{}, testMeta())
	if err == nil || w != nil {
		t.Fatalf("New(xml) = %v, %v; want nil and an error", w, err)
	}
	if want := `unknown format "xml"`; err.Error() != want {
		t.Errorf("New(xml) error = %q, want %q", err, want)
	}
}

func TestTop(t *testing.T) {
	m := map[string]int64{"b": 3, "a": 3, "c": 10, "d": 1, "e": 3, "f": 2}
	tests := []struct {
		n    int
		want []Count
	}{
		{0, []Count{{"c", 10}, {"a", 3}, {"b", 3}, {"e", 3}, {"f", 2}, {"d", 1}}},
		{-1, []Count{{"c", 10}, {"a", 3}, {"b", 3}, {"e", 3}, {"f", 2}, {"d", 1}}},
		{3, []Count{{"c", 10}, {"a", 3}, {"b", 3}}},
		{1, []Count{{"c", 10}}},
		{6, []Count{{"c", 10}, {"a", 3}, {"b", 3}, {"e", 3}, {"f", 2}, {"d", 1}}},
		{100, []Count{{"c", 10}, {"a", 3}, {"b", 3}, {"e", 3}, {"f", 2}, {"d", 1}}},
	}
	for _, tt := range tests {
		if got := Top(m, tt.n); !reflect.DeepEqual(got, tt.want) {
			t.Errorf("Top(m, %d) = %v, want %v", tt.n, got, tt.want)
		}
	}
	if got := Top(nil, 5); got == nil || len(got) != 0 {
		t.Errorf("Top(nil, 5) = %#v, want an empty slice", got)
	}
}

func TestSummaryAdd(t *testing.T) {
	s := newSummary()
	fs := testFindings()
	for i := range fs {
		s.Add(&fs[i])
	}
	want := Summary{
		Total: 7,
		ByClass: map[string]int64{"email": 1, "credit_card": 1, "us_ssn": 1, "credential": 1,
			"person_name": 1, "ip_address": 1, "employee_id": 1},
		BySeverity: map[string]int64{"critical": 2, "high": 1, "medium": 2, "low": 2},
		ByPath: map[string]int64{"src/app.log": 4, "data/customer exports/q1.csv": 1,
			"backup.tar.gz!dump/users.csv": 1, "config/prod.env": 1},
		ByRule: map[string]int64{"email": 1, "credit-card": 1, "us_ssn": 1, "credential_field": 1,
			"person-name": 1, "ipv4": 1, "acme.employee-id": 1},
		ByLocation: map[string]int64{},
	}
	if !reflect.DeepEqual(s, want) {
		t.Errorf("Summary = %+v\nwant %+v", s, want)
	}
}

func TestHumanBytes(t *testing.T) {
	tests := []struct {
		n    int64
		want string
	}{
		{0, "0 B"},
		{1023, "1023 B"},
		{1024, "1.0 KiB"},
		{1536, "1.5 KiB"},
		{1536000, "1.5 MiB"},
		{1 << 30, "1.0 GiB"},
		{5 << 40, "5.0 TiB"},
		{1 << 62, "4.0 EiB"},
	}
	for _, tt := range tests {
		if got := humanBytes(tt.n); got != tt.want {
			t.Errorf("humanBytes(%d) = %q, want %q", tt.n, got, tt.want)
		}
	}
}

// errWriter fails every write.
type errWriter struct{}

func (errWriter) Write([]byte) (int, error) { return 0, fmt.Errorf("disk full") }

func TestWriteErrors(t *testing.T) {
	for _, format := range Formats() {
		w, err := New(format, errWriter{}, testMeta())
		if err != nil {
			t.Fatalf("New(%q): %v", format, err)
		}
		fs := testFindings()
		for i := range fs {
			w.Add(&fs[i]) // buffered: errors may only show on Close
		}
		if err := w.Close(testStats()); err == nil {
			t.Errorf("%s: Close on a failing writer returned nil", format)
		}
	}
}
