package config

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/spf13/pflag"

	"github.com/piiscan/piiscan"
	"github.com/piiscan/piiscan/finding"
)

func TestDefaultRules(t *testing.T) {
	c, err := Parse("rules.yaml", piiscan.DefaultRules)
	if err != nil {
		t.Fatal(err)
	}
	// The default rules compile, and allow nothing: see scansetup's
	// TestDefaultRules.
	//
	// Every built-in detector is used, and every rule cites a policy.
	used := map[string]bool{}
	for _, r := range c.File.Rules {
		used[r.Detector] = true
		if len(r.Policy) == 0 {
			t.Errorf("rule %s cites no policy clause", r.ID)
		}
	}
	for _, cl := range finding.BuiltinClasses() {
		found := false
		for _, r := range c.Rules {
			found = found || r.Class == cl
		}
		if !found {
			t.Errorf("no rule for class %s", cl)
		}
	}
	// Health data, cards, SSNs and credentials are allowed nowhere.
	if len(c.Locations) == 0 {
		t.Error("the default policy declares no locations")
	}
	for _, l := range c.Locations {
		for _, cl := range []string{finding.ClassHealth, finding.ClassCreditCard, finding.ClassUSSSN, finding.ClassCredential} {
			if l.Allowed[cl] {
				t.Errorf("location %s allows %s", l.Name, cl)
			}
		}
		if l.MaxAge == 0 {
			t.Errorf("location %s has no retention", l.Name)
		}
	}
}

// TestDefaultRulesCitePolicies checks that every quoted clause of the
// default rules.yaml appears in the policy document it cites. The
// documents live outside the repository; the test skips without them.
func TestDefaultRulesCitePolicies(t *testing.T) {
	dir := filepath.Join("..", "..", "shared", "policies")
	if _, err := os.Stat(dir); err != nil {
		t.Skip("policy documents not found at", dir)
	}
	c, err := Parse("rules.yaml", piiscan.DefaultRules)
	if err != nil {
		t.Fatal(err)
	}
	norm := func(s string) string {
		s = strings.NewReplacer("’", "'", "“", `"`, "”", `"`).Replace(s)
		return strings.Join(strings.Fields(s), " ")
	}
	quote := regexp.MustCompile(`"(.*)"`)
	type cited struct {
		id     string
		policy []string
	}
	var all []cited
	for _, r := range c.File.Rules {
		all = append(all, cited{"rule " + r.ID, r.Policy})
	}
	for _, l := range c.File.Locations {
		if len(l.Policy) == 0 {
			t.Errorf("location %s cites no policy clause", l.Name)
		}
		all = append(all, cited{"location " + l.Name, l.Policy})
	}
	for _, r := range all {
		for _, p := range r.policy {
			id, _, _ := strings.Cut(p, " ")
			doc, err := os.ReadFile(filepath.Join(dir, c.File.Policies[id].File))
			if err != nil {
				t.Fatalf("%s: %v", r.id, err)
			}
			text := norm(string(doc))
			m := quote.FindStringSubmatch(p)
			if m == nil {
				t.Errorf("%s: clause without a quotation: %s", r.id, p)
				continue
			}
			for _, part := range strings.Split(m[1], "...") {
				if part = strings.TrimSpace(part); part != "" && !strings.Contains(text, norm(part)) {
					t.Errorf("%s: %q is not in %s", r.id, part, c.File.Policies[id].File)
				}
			}
		}
	}
}

func TestParseErrors(t *testing.T) {
	base := "version: 1\nrules:\n  - id: mail\n    detector: email\n    severity: low\n"
	tests := []struct {
		name, yaml string
		want       []string
	}{
		{"syntax", "version: 1\nrules: [\n", []string{"x.yaml:2: did not find expected node content"}},
		{"unknown key", "version: 1\nrulez: []\n", []string{"x.yaml:2: field rulez not found"}},
		{"version", "version: 2\nrules:\n  - id: a\n    detector: email\n    severity: low\n", []string{"x.yaml:1: version: unsupported version 2"}},
		{"severity", "version: 1\nrules:\n  - id: a\n    detector: email\n    severity: hgh\n", []string{`x.yaml:5: rules[0].severity: unknown severity "hgh"`}},
		{"missing severity", "version: 1\nrules:\n  - id: a\n    detector: email\n", []string{"x.yaml:3: rules[0].severity: missing severity"}},
		{"detector", "version: 1\nrules:\n  - id: a\n    detector: emial\n    severity: low\n", []string{`x.yaml:4: rules[0].detector: unknown detector "emial"`}},
		{"pattern", "version: 1\nrules:\n  - id: a\n    class: x\n    pattern: '(['\n    severity: low\n", []string{"x.yaml:5: rules[0].pattern:"}},
		{"pattern class", "version: 1\nrules:\n  - id: a\n    pattern: 'x'\n    severity: low\n", []string{"rules[0].class: a pattern rule needs a class"}},
		{"both", "version: 1\nrules:\n  - id: a\n    detector: email\n    pattern: x\n    severity: low\n", []string{"x.yaml:5: rules[0].pattern: set detector or pattern, not both"}},
		{"duplicate", base + "  - id: mail\n    detector: ipv4\n    severity: low\n", []string{`x.yaml:6: rules[1].id: duplicate rule id "mail"`}},
		{"detector twice", base + "  - id: mail2\n    detector: email\n    severity: low\n", []string{`detector "email" is already used by rule "mail"`}},
		{"class mismatch", "version: 1\nrules:\n  - id: a\n    detector: email\n    class: ip_address\n    severity: low\n", []string{"rules[0].class: detector email finds class email, not ip_address"}},
		{"validator", "version: 1\nrules:\n  - id: a\n    class: x\n    pattern: x\n    validator: lunh\n    severity: low\n", []string{`x.yaml:6: rules[0].validator: unknown validator "lunh"`}},
		{"policy id", "version: 1\npolicies:\n  acme: {file: a.txt}\nrules:\n  - id: a\n    detector: email\n    severity: low\n    policy: ['acne §1: x']\n", []string{`x.yaml:8: rules[0].policy[0]: cites "acne"`}},
		{"region", base + "detection:\n  default_region: XX\n", []string{`x.yaml:7: detection.default_region: unknown region "XX"`}},
		{"regions", base + "detection:\n  regions: [JP, XX]\n", []string{`x.yaml:7: detection.regions[1]: unknown region "XX"`}},
		{"regions twice", base + "detection:\n  regions:\n    - jp\n    - JP\n", []string{`x.yaml:9: detection.regions[1]: region "JP" is listed twice (also regions[0])`}},
		{"size", base + "archives:\n  max_bytes: lots\n", []string{`x.yaml:7: archives.max_bytes: invalid size "lots"`}},
		{"allow class", base + "allow:\n  classes:\n    emails: {values: [a]}\n", []string{`x.yaml:8: allow.classes.emails: unknown class "emails"`}},
		{"allow cidr", base + "allow:\n  cidrs: [10.0.0.0/33]\n", []string{`allow cidr "10.0.0.0/33"`}},
		{"glob", base + "scan:\n  exclude: ['[']\n", []string{`x.yaml:7: scan.exclude: invalid glob "["`}},
		{"context window", base + "detection:\n  context_window: 99999999999\n", []string{"x.yaml:7: detection.context_window: must be between 0 (default) and 4096 bytes"}},
		{"several", "version: 1\nrules:\n  - id: A\n    detector: email\n    severity: x\n", []string{"rules[0].id", "rules[0].severity"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Parse("x.yaml", []byte(tt.yaml))
			if err == nil {
				t.Fatal("no error")
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q\ndoes not contain %q", err, w)
				}
			}
		})
	}
}

func TestRuleFields(t *testing.T) {
	c, err := Parse("x.yaml", []byte(`version: 1
policies:
  acme: {file: acme.txt, organisation: ACME}
rules:
  - id: mail
    detector: email
    severity: high
    policy: 'acme §2 Contact: "email"'
  - id: emp
    class: employee_id
    pattern: 'EMP-\d+'
    keywords: [emp]
    severity: low
    confidence: medium
    policy: ['acme §3 Staff: "ids"', 'acme §4 Other: "x"']
  - id: off
    detector: ipv4
    severity: low
    enabled: false
`))
	if err != nil {
		t.Fatal(err)
	}
	if len(c.Rules) != 2 {
		t.Fatalf("%d rules enabled, want 2", len(c.Rules))
	}
	r := c.Rules[1]
	if r.Class != "employee_id" || r.Confidence != finding.ConfidenceMedium || r.Severity != finding.SeverityLow ||
		r.PolicyRef != "acme §3 Staff; acme §4 Other" || !strings.Contains(r.Policy, `"ids"`) {
		t.Errorf("rule %+v", r)
	}
	if c.Rules[0].Class != finding.ClassEmail {
		t.Errorf("built-in rule class %q", c.Rules[0].Class)
	}
}

func TestParseSize(t *testing.T) {
	tests := map[string]int64{"0": 0, "1024": 1024, "16GiB": 16 << 30, "64 MiB": 64 << 20, "10MB": 10e6, "3B": 3, "1TiB": 1 << 40}
	for in, want := range tests {
		if got, err := ParseSize(in); err != nil || got != want {
			t.Errorf("ParseSize(%q) = %d, %v; want %d", in, got, err, want)
		}
	}
	for _, bad := range []string{"", "x", "-1", "1.5GiB", "GiB", "9000000TiB", "9223372036854775807KB"} {
		if _, err := ParseSize(bad); err == nil {
			t.Errorf("ParseSize(%q) accepted", bad)
		}
	}
}

func TestSettingsPrecedence(t *testing.T) {
	c, err := Parse("x.yaml", []byte("version: 1\nscan:\n  fail_on: high\n  workers: 3\n  exclude: [a, b]\nrules:\n  - id: m\n    detector: email\n    severity: low\n"))
	if err != nil {
		t.Fatal(err)
	}
	newFlags := func() *pflag.FlagSet {
		fs := pflag.NewFlagSet("x", pflag.ContinueOnError)
		fs.String("fail-on", "", "")
		fs.Int("workers", 0, "")
		fs.StringArray("exclude", nil, "")
		return fs
	}
	// File only.
	s, err := NewSettings(c, newFlags(), ScanOptions)
	if err != nil {
		t.Fatal(err)
	}
	if sev, _ := s.Severity("scan.fail_on"); sev != finding.SeverityHigh {
		t.Errorf("file: fail_on %v", sev)
	}
	if w, _ := s.Workers(); w != 3 {
		t.Errorf("file: workers %d", w)
	}
	if g := s.List("scan.exclude"); strings.Join(g, ",") != "a,b" {
		t.Errorf("file: exclude %q", g)
	}
	// The environment beats the file.
	t.Setenv("PIISCAN_FAIL_ON", "medium")
	t.Setenv("PIISCAN_EXCLUDE", "x, y")
	s, _ = NewSettings(c, newFlags(), ScanOptions)
	if sev, _ := s.Severity("scan.fail_on"); sev != finding.SeverityMedium {
		t.Errorf("env: fail_on %v", sev)
	}
	if g := s.List("scan.exclude"); strings.Join(g, ",") != "x,y" {
		t.Errorf("env: exclude %q", g)
	}
	t.Setenv("PIISCAN_FAIL_ON", FailNever)
	s, _ = NewSettings(c, newFlags(), ScanOptions)
	if sev, err := s.Severity("scan.fail_on"); err != nil || sev <= finding.SeverityCritical {
		t.Errorf("fail_on none: %v %v", sev, err)
	}
	t.Setenv("PIISCAN_FAIL_ON", "medium")
	// A flag beats the environment.
	fs := newFlags()
	fs.Parse([]string{"--fail-on", "critical", "--exclude", "z"})
	s, _ = NewSettings(c, fs, ScanOptions)
	if sev, _ := s.Severity("scan.fail_on"); sev != finding.SeverityCritical {
		t.Errorf("flag: fail_on %v", sev)
	}
	if g := s.List("scan.exclude"); strings.Join(g, ",") != "z" {
		t.Errorf("flag: exclude %q", g)
	}
	// Errors name where the bad value came from.
	t.Setenv("PIISCAN_WORKERS", "many")
	s, _ = NewSettings(c, newFlags(), ScanOptions)
	if _, err := s.Workers(); err == nil || !strings.HasPrefix(err.Error(), "PIISCAN_WORKERS: ") {
		t.Errorf("env error: %v", err)
	}
	fs = newFlags()
	fs.Parse([]string{"--fail-on", "severe"})
	s, _ = NewSettings(c, fs, ScanOptions)
	if _, err := s.Severity("scan.fail_on"); err == nil || !strings.HasPrefix(err.Error(), "--fail-on: ") {
		t.Errorf("flag error: %v", err)
	}
	c2, _ := Parse("x.yaml", []byte("version: 1\nscan:\n  progress: sometimes\nrules:\n  - id: m\n    detector: email\n    severity: low\n"))
	s, _ = NewSettings(c2, newFlags(), ScanOptions)
	if _, err := s.OneOf("scan.progress", "auto", "always", "never"); err == nil || !strings.HasPrefix(err.Error(), "x.yaml:3: scan.progress: ") {
		t.Errorf("file error: %v", err)
	}
}

func TestResolve(t *testing.T) {
	dir := t.TempDir()
	t.Chdir(dir)
	c, err := Resolve("", piiscan.DefaultRules)
	if err != nil || c.Name != "rules.yaml (built in)" {
		t.Fatalf("built in: %v %v", c, err)
	}
	os.WriteFile("rules.yaml", []byte("version: 1\nrules:\n  - id: m\n    detector: email\n    severity: low\n"), 0o644)
	c, err = Resolve("", piiscan.DefaultRules)
	if err != nil || c.Name != "rules.yaml" || len(c.Rules) != 1 {
		t.Fatalf("./rules.yaml: %v", err)
	}
	if _, err := Resolve("nope.yaml", piiscan.DefaultRules); err == nil || !strings.Contains(err.Error(), "nope.yaml: no such file") {
		t.Errorf("missing file: %v", err)
	}
}

func TestFingerprintKey(t *testing.T) {
	t.Setenv("XDG_CONFIG_HOME", t.TempDir())
	t.Setenv("HOME", t.TempDir())
	c, _ := Parse("x.yaml", []byte("version: 1\nrules:\n  - id: m\n    detector: email\n    severity: low\n"))
	k1, from, err := c.FingerprintKey()
	if err != nil || len(k1) != 64 || !strings.HasSuffix(from, "fingerprint.key (new)") {
		t.Fatalf("new key: %q %q %v", k1, from, err)
	}
	k2, _, _ := c.FingerprintKey()
	if string(k1) != string(k2) {
		t.Error("per-user key changed between runs")
	}
	const envKey = "0f3a9e5c27b14d86a1c0e7f2935bd468"
	t.Setenv("PIISCAN_FINGERPRINT_KEY", envKey)
	if k, from, _ := c.FingerprintKey(); string(k) != envKey || from != "PIISCAN_FINGERPRINT_KEY" {
		t.Errorf("env key: %q %q", k, from)
	}
}

func TestArchiveLimits(t *testing.T) {
	const head = "version: 1\nrules:\n  - id: m\n    detector: email\n    severity: low\n"
	c, err := Parse("x.yaml", []byte(head+"archives:\n  max_depth: 2\n  max_bytes: 1GiB\n  max_ratio: 50\n  max_entries: 5000\n"))
	if err != nil {
		t.Fatal(err)
	}
	if l := c.Limits; l.MaxDepth != 2 || l.MaxBytes != 1<<30 || l.MaxRatio != 50 || l.MaxEntries != 5000 {
		t.Errorf("limits = %+v", l)
	}
	if _, err := Parse("x.yaml", []byte(head+"archives:\n  max_entries: -1\n")); err == nil || !strings.Contains(err.Error(), "x.yaml:7: archives.max_entries: must not be negative") {
		t.Errorf("negative max_entries: %v", err)
	}
}

func TestMaxFindingsSetting(t *testing.T) {
	for _, tt := range []struct {
		yaml string
		want int
		err  string
	}{
		{"", 0, ""},
		{"scan:\n  max_findings: 500\n", 500, ""},
		{"scan:\n  max_findings: -1\n", -1, ""},
		{"scan:\n  max_findings: -2\n", 0, "scan.max_findings: must be -1 (no limit), 0 (default) or more"},
	} {
		c, err := Parse("x.yaml", []byte("version: 1\nrules:\n  - id: m\n    detector: email\n    severity: low\n"+tt.yaml))
		if err != nil {
			t.Fatal(err)
		}
		set, err := NewSettings(c, pflag.NewFlagSet("scan", pflag.ContinueOnError), ScanOptions)
		if err != nil {
			t.Fatal(err)
		}
		n, err := set.MaxFindings()
		if tt.err != "" {
			if err == nil || !strings.Contains(err.Error(), tt.err) {
				t.Errorf("%q: error %v, want %q", tt.yaml, err, tt.err)
			}
			continue
		}
		if err != nil || n != tt.want {
			t.Errorf("%q: %d, %v; want %d", tt.yaml, n, err, tt.want)
		}
	}
}

func TestWorkersBounded(t *testing.T) {
	c, err := Parse("x.yaml", []byte("version: 1\nscan:\n  workers: 100000000\nrules:\n  - id: m\n    detector: email\n    severity: low\n"))
	if err != nil {
		t.Fatal(err)
	}
	set, err := NewSettings(c, pflag.NewFlagSet("scan", pflag.ContinueOnError), ScanOptions)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := set.Workers(); err == nil || !strings.Contains(err.Error(), "x.yaml:3: scan.workers: must be between 0 (one per CPU) and 1024") {
		t.Errorf("workers 10⁸: %v", err)
	}
}
