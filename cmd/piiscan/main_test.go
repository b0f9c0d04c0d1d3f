package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/piiscan/piiscan/finding"
)

// runCLI runs the command line in-process and returns its exit code,
// stdout and stderr.
func runCLI(t *testing.T, stdin string, args ...string) (int, string, string) {
	t.Helper()
	var out, errb bytes.Buffer
	code := run(args, strings.NewReader(stdin), &out, &errb)
	return code, out.String(), errb.String()
}

const examples = "../../examples"

// rawExampleValues are values in the bundled examples that must never be
// printed without --reveal.
var rawExampleValues = []string{
	"4111 1111 1111 1111", "carol.jones@example.com", "(415) 555-0123", "Tr0ub4dor&3",
	"123-45-6788", "1990-04-23", "correct-horse-battery-staple", "AKIAIOSFODNN7EXAMPLE",
	"s3cr3t-Pa55", "eyJhbGciOiJIUzI1NiJ9", "Type 2 diabetes", "metformin 500 mg", "Grace Hopper",
	"198.51.100.23", "2001:db8:85a3::8a2e:370:7334", "MIIEpAIBAAKCAQEA",
}

// testKey is the fingerprint key of the tests: random, as a real one is.
const testKey = "5c1e0a9d3b7f4286e1d0c5a7b92f38e4"

// otherKey is a second key, for runs with a key the data was not made with.
const otherKey = "a8d2f61c04b9e37d5f1a2c8e6b0d4973"

func init() {
	// Fingerprints must not depend on the user's key file.
	os.Setenv("PIISCAN_FINGERPRINT_KEY", testKey)
}

func TestScanExamples(t *testing.T) {
	code, out, errs := runCLI(t, "", "scan", "--format", "jsonl", examples)
	if code != exitFindings {
		t.Fatalf("exit %d, want %d; stderr %s", code, exitFindings, errs)
	}
	classes := map[string]int{}
	paths := map[string]bool{}
	sc := bufio.NewScanner(strings.NewReader(out))
	for sc.Scan() {
		var f finding.Finding
		if err := json.Unmarshal(sc.Bytes(), &f); err != nil {
			t.Fatalf("bad jsonl line %q: %v", sc.Text(), err)
		}
		classes[f.Class]++
		paths[f.Path] = true
	}
	for _, cl := range finding.BuiltinClasses() {
		if classes[cl] == 0 {
			t.Errorf("no %s found in the examples", cl)
		}
	}
	for _, p := range []string{
		"../../examples/backups/db-dump-2024-03-01.tar.gz!dump/notes.zip!patient-notes.txt",
		"../../examples/backups/config-backup.bak",
		"../../examples/backups/keys.zip!deploy_key.pem",
		"../../examples/logs/nginx-access.log.1.gz",
	} {
		if !paths[p] {
			t.Errorf("no finding in %s", p)
		}
	}
	for _, v := range rawExampleValues {
		if strings.Contains(out, v) || strings.Contains(errs, v) {
			t.Errorf("raw value %q printed without --reveal", v)
		}
	}
	// The default (table on a terminal, jsonl otherwise) is jsonl here.
	_, def, _ := runCLI(t, "", "scan", examples)
	if def != out {
		t.Error("default format differs from jsonl when stdout is not a terminal")
	}
}

func TestScanReveal(t *testing.T) {
	_, out, _ := runCLI(t, "", "scan", "--reveal", examples)
	for _, v := range []string{"4111 1111 1111 1111", "carol.jones@example.com", "Tr0ub4dor&3"} {
		if !strings.Contains(out, v) {
			t.Errorf("--reveal: %q missing", v)
		}
	}
}

func TestExitCodes(t *testing.T) {
	dir := t.TempDir()
	clean := filepath.Join(dir, "clean")
	medium := filepath.Join(dir, "medium")
	os.MkdirAll(clean, 0o755)
	os.MkdirAll(medium, 0o755)
	os.WriteFile(filepath.Join(clean, "a.log"), []byte("GET /healthz 200\nall good\n"), 0o644)
	os.WriteFile(filepath.Join(medium, "a.log"), []byte("mail bob@example.com\n"), 0o644)
	os.WriteFile(filepath.Join(dir, "broken.gz"), []byte("\x1f\x8b\x08\x00garbage"), 0o644)
	badCfg := filepath.Join(dir, "bad.yaml")
	os.WriteFile(badCfg, []byte("version: 1\nrules:\n  - id: m\n    detector: email\n    severity: loud\n"), 0o644)

	tests := []struct {
		name string
		env  map[string]string
		args []string
		code int
		err  string // substring of stderr
	}{
		{"nothing found", nil, []string{"scan", clean}, exitOK, ""},
		{"findings", nil, []string{"scan", medium}, exitFindings, ""},
		{"below fail-on", nil, []string{"scan", "--fail-on", "high", medium}, exitOK, ""},
		{"fail-on none", nil, []string{"scan", "--fail-on", "none", medium}, exitOK, ""},
		{"fail-on from env", map[string]string{"PIISCAN_FAIL_ON": "critical"}, []string{"scan", medium}, exitOK, ""},
		{"flag beats env", map[string]string{"PIISCAN_FAIL_ON": "critical"}, []string{"scan", "--fail-on", "low", medium}, exitFindings, ""},
		{"unreadable", nil, []string{"scan", clean, filepath.Join(dir, "broken.gz")}, exitUnreadable, "cannot read " + filepath.Join(dir, "broken.gz")},
		{"findings and unreadable", nil, []string{"scan", medium, filepath.Join(dir, "broken.gz")}, exitFindingsUnreadable, "cannot read"},
		{"missing target", nil, []string{"scan", filepath.Join(dir, "nope")}, exitUnreadable, "nope: does not exist"},
		{"no target", nil, []string{"scan"}, exitUsage, "requires at least 1 arg"},
		{"bad flag", nil, []string{"scan", "--frmat", "json", clean}, exitUsage, "unknown flag: --frmat"},
		{"bad format", nil, []string{"scan", "--format", "xml", clean}, exitUsage, `--format: unknown value "xml"`},
		{"bad env", map[string]string{"PIISCAN_WORKERS": "lots"}, []string{"scan", clean}, exitUsage, "PIISCAN_WORKERS: want a whole number"},
		{"bad config", nil, []string{"scan", "--config", badCfg, clean}, exitUsage, badCfg + `:5: rules[0].severity: unknown severity "loud"`},
		{"missing config", nil, []string{"scan", "--config", filepath.Join(dir, "none.yaml"), clean}, exitUsage, "none.yaml: no such file"},
		{"bad class", nil, []string{"scan", "--class", "emails", clean}, exitUsage, `--class: unknown class "emails"`},
		{"bucket URL without a bucket", nil, []string{"scan", clean, "s3://"}, exitUsage, `"s3://" names no bucket`},
		{"bucket URL with an empty bucket", nil, []string{"scan", "s3:///key"}, exitUsage, `"s3:///key" names no bucket`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for k, v := range tt.env {
				t.Setenv(k, v)
			}
			code, _, errs := runCLI(t, "", tt.args...)
			if code != tt.code || !strings.Contains(errs, tt.err) {
				t.Errorf("exit %d, stderr %q; want exit %d and %q", code, errs, tt.code, tt.err)
			}
		})
	}
}

func TestScanOutputFile(t *testing.T) {
	dir := t.TempDir()
	report := filepath.Join(dir, "report.sarif")
	code, out, _ := runCLI(t, "", "scan", "--format", "sarif", "--output", report, examples)
	if code != exitFindings || out != "" {
		t.Fatalf("exit %d, stdout %q", code, out)
	}
	fi, err := os.Stat(report)
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Perm() != 0o600 {
		t.Errorf("report mode %v, want 0600", fi.Mode().Perm())
	}
	var doc map[string]any
	data, _ := os.ReadFile(report)
	if err := json.Unmarshal(data, &doc); err != nil || doc["version"] != "2.1.0" {
		t.Errorf("not a SARIF document: %v", err)
	}
	entries, _ := os.ReadDir(dir)
	if len(entries) != 1 {
		t.Errorf("temporary files left: %v", entries)
	}
}

func TestScanStdinAndClassFilter(t *testing.T) {
	code, out, _ := runCLI(t, "line one\ncard 4111-1111-1111-1111 mail a@example.com\n", "scan", "--class", "credit_card", "-")
	if code != exitFindings {
		t.Fatalf("exit %d", code)
	}
	want := `{"path":"-","line":2,"column":6,"length":19,"class":"credit_card"`
	if !strings.HasPrefix(out, want) || strings.Count(out, "\n") != 1 {
		t.Errorf("got %q", out)
	}
}

func TestTableFormat(t *testing.T) {
	_, out, _ := runCLI(t, "", "scan", "--format", "table", filepath.Join(examples, "logs"))
	for _, want := range []string{"PATH", "PLACE", "(disallowed)", "credit_card", "4111 **** **** 1111", "TOP PATHS", "By severity: critical"} {
		if !strings.Contains(out, want) {
			t.Errorf("table lacks %q:\n%s", want, out)
		}
	}
}

func TestRulesList(t *testing.T) {
	code, out, _ := runCLI(t, "", "rules", "list")
	if code != exitOK {
		t.Fatalf("exit %d", code)
	}
	for _, want := range []string{"credit-card", "credit_card", "critical", "detector credit_card",
		"cloudlex §07 User Access and Choice", "[CloudLex, 004_b571978dd60b25ce.txt]", "google-id", "persistent_id"} {
		if !strings.Contains(out, want) {
			t.Errorf("rules list lacks %q", want)
		}
	}
}

func TestRulesTest(t *testing.T) {
	code, out, _ := runCLI(t, "patient diagnosed with asthma, google_id=123456789012345678901\n", "rules", "test")
	if code != exitOK {
		t.Fatalf("exit %d", code)
	}
	if !strings.Contains(out, "health-condition") || !strings.Contains(out, "google-id") || strings.Contains(out, "asthma") {
		t.Errorf("rules test output:\n%s", out)
	}
	_, out, _ = runCLI(t, "patient diagnosed with asthma\n", "rules", "test", "--reveal")
	if !strings.Contains(out, "asthma") {
		t.Errorf("rules test --reveal output:\n%s", out)
	}
}

func TestVersion(t *testing.T) {
	code, out, _ := runCLI(t, "", "version")
	if code != exitOK || !strings.HasPrefix(out, "piiscan ") {
		t.Errorf("exit %d, %q", code, out)
	}
}
