package alert

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/piiscan/piiscan/config"
)

var testTime = time.Date(2025, 3, 4, 5, 6, 7, 0, time.UTC)

// testViolations returns violations of several severities, classes,
// locations and paths.
func testViolations() []Violation {
	return []Violation{
		{Location: "logs", Rule: "email", Class: "email", Severity: "medium", Path: "/var/log/app.log", Line: 7, Masked: "a***@example.com", Fingerprint: "aa01"},
		{Location: "logs", Rule: "email", Class: "email", Severity: "medium", Path: "/var/log/app.log", Line: 3, Masked: "b***@example.org", Fingerprint: "aa02"},
		{Location: "logs", Rule: "card", Class: "credit_card", Severity: "critical", Path: "/var/log/pay.log", Line: 12, Masked: "[credit_card:…1111]", Fingerprint: "bb01"},
		{Location: "backups", Rule: "ssn", Class: "us_ssn", Severity: "high", Path: "s3://b/dump.sql", Line: 40, Masked: "***-**-1120", Fingerprint: "cc01", Reminder: true},
		{Location: "backups", Rule: "ip", Class: "ip_address", Severity: "low", Path: "s3://b/dump.sql", Line: 2, Masked: "10.0.*.*", Fingerprint: "dd01"},
		{Location: "", Rule: "email", Class: "email", Severity: "medium", Path: "/tmp/x", Line: 1, Masked: "c***@example.net", Fingerprint: "aa03", Reminder: true},
	}
}

func TestSummarizeCounts(t *testing.T) {
	tests := []struct {
		name       string
		vs         []Violation
		total      int
		new        int
		reminders  int
		bySeverity map[string]int
		byClass    map[string]int
		byLocation map[string]int
		topPaths   []PathCount
	}{
		{
			name:       "none",
			bySeverity: map[string]int{},
			byClass:    map[string]int{},
			byLocation: map[string]int{},
			topPaths:   []PathCount{},
		},
		{
			name:       "mixed",
			vs:         testViolations(),
			total:      6,
			new:        4,
			reminders:  2,
			bySeverity: map[string]int{"critical": 1, "high": 1, "medium": 3, "low": 1},
			byClass:    map[string]int{"email": 3, "credit_card": 1, "us_ssn": 1, "ip_address": 1},
			byLocation: map[string]int{"logs": 3, "backups": 2, "": 1},
			topPaths: []PathCount{
				{"/var/log/app.log", 2}, {"s3://b/dump.sql", 2}, {"/tmp/x", 1}, {"/var/log/pay.log", 1},
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := Summarize("nightly", "security", "scan01", testTime, tt.vs)
			if s.Job != "nightly" || s.Route != "security" || s.Host != "scan01" || !s.Time.Equal(testTime) {
				t.Errorf("job, route, host, time = %q, %q, %q, %v", s.Job, s.Route, s.Host, s.Time)
			}
			if len(s.ID) != 32 || strings.Trim(s.ID, "0123456789abcdef") != "" {
				t.Errorf("ID = %q, want 32 hex digits", s.ID)
			}
			if s.Total != tt.total || s.New != tt.new || s.Reminders != tt.reminders {
				t.Errorf("total, new, reminders = %d, %d, %d; want %d, %d, %d", s.Total, s.New, s.Reminders, tt.total, tt.new, tt.reminders)
			}
			for _, c := range []struct {
				name      string
				got, want map[string]int
			}{{"BySeverity", s.BySeverity, tt.bySeverity}, {"ByClass", s.ByClass, tt.byClass}, {"ByLocation", s.ByLocation, tt.byLocation}} {
				if !reflect.DeepEqual(c.got, c.want) {
					t.Errorf("%s = %v, want %v", c.name, c.got, c.want)
				}
			}
			if !reflect.DeepEqual(s.TopPaths, tt.topPaths) {
				t.Errorf("TopPaths = %v, want %v", s.TopPaths, tt.topPaths)
			}
			if s.Examples == nil {
				t.Error("Examples is nil, want empty (JSON [])")
			}
		})
	}
}

func TestSummarizeIDsDiffer(t *testing.T) {
	a := Summarize("j", "r", "h", testTime, nil)
	b := Summarize("j", "r", "h", testTime, nil)
	if a.ID == b.ID {
		t.Errorf("two summaries share ID %s", a.ID)
	}
}

func TestSummarizeTopPaths(t *testing.T) {
	// Path p00 has 1 violation, p01 2, ..., with ties at 5 violations
	// among pa, pb and pc.
	var vs []Violation
	add := func(path string, n int) {
		for i := range n {
			vs = append(vs, Violation{Path: path, Line: i + 1, Severity: "low", Class: "email"})
		}
	}
	for i := range 9 {
		add(fmt.Sprintf("p%02d", i), i+1)
	}
	add("pc", 5)
	add("pa", 5)
	add("pb", 5)
	rand.Shuffle(len(vs), func(i, j int) { vs[i], vs[j] = vs[j], vs[i] })

	s := Summarize("j", "r", "h", testTime, vs)
	want := []PathCount{
		{"p08", 9}, {"p07", 8}, {"p06", 7}, {"p05", 6},
		{"p04", 5}, {"pa", 5}, {"pb", 5}, {"pc", 5},
		{"p03", 4}, {"p02", 3},
	}
	if !reflect.DeepEqual(s.TopPaths, want) {
		t.Errorf("TopPaths =\n%v\nwant\n%v", s.TopPaths, want)
	}
}

func TestSummarizeExamples(t *testing.T) {
	vs := []Violation{
		{Path: "b", Line: 2, Severity: "low", Fingerprint: "1"},
		{Path: "a", Line: 9, Severity: "high", Fingerprint: "2"},
		{Path: "a", Line: 3, Severity: "high", Fingerprint: "3"},
		{Path: "z", Line: 1, Severity: "critical", Fingerprint: "4"},
		{Path: "a", Line: 1, Severity: "medium", Fingerprint: "5"},
		{Path: "a", Line: 1, Severity: "bogus", Fingerprint: "6"},
	}
	for i := range 10 {
		vs = append(vs, Violation{Path: "c", Line: i + 1, Severity: "low", Fingerprint: fmt.Sprintf("c%d", i)})
	}
	want := []string{"4", "3", "2", "5", "1", "c0", "c1", "c2", "c3", "c4"}

	for range 5 {
		rand.Shuffle(len(vs), func(i, j int) { vs[i], vs[j] = vs[j], vs[i] })
		in := slices.Clone(vs)
		s := Summarize("j", "r", "h", testTime, vs)
		var got []string
		for _, v := range s.Examples {
			got = append(got, v.Fingerprint)
		}
		if !slices.Equal(got, want) {
			t.Fatalf("Examples = %v, want %v", got, want)
		}
		if !slices.Equal(vs, in) {
			t.Fatal("Summarize reordered its argument")
		}
	}
}

func TestSubject(t *testing.T) {
	tests := []struct {
		new, reminders int
		want           string
	}{
		{12, 0, "piiscan: 12 new violations (job nightly, route security)"},
		{1, 0, "piiscan: 1 new violation (job nightly, route security)"},
		{12, 3, "piiscan: 12 new violations, 3 reminders (job nightly, route security)"},
		{1, 1, "piiscan: 1 new violation, 1 reminder (job nightly, route security)"},
		{0, 2, "piiscan: reminder: 2 open violations (job nightly, route security)"},
		{0, 0, "piiscan: no violations (job nightly, route security)"},
	}
	for _, tt := range tests {
		s := Summary{Job: "nightly", Route: "security", Total: tt.new + tt.reminders, New: tt.new, Reminders: tt.reminders}
		if got := s.Subject(); got != tt.want {
			t.Errorf("new %d, reminders %d: Subject() = %q, want %q", tt.new, tt.reminders, got, tt.want)
		}
	}
}

func TestText(t *testing.T) {
	vs := testViolations()
	vs = append(vs, Violation{Location: "logs", Class: "email", Severity: "low", Path: "/var/log/evil\nFake: line", Line: 1, Masked: "d***@example.com", Fingerprint: "ee01"})
	s := Summarize("nightly", "security", "scan01", testTime, vs)
	text := s.Text()

	for _, want := range []string{
		"piiscan found 7 policy violations (5 new, 2 reminders of violations still present).",
		"Job:       nightly",
		"Route:     security",
		"Host:      scan01",
		"Time:      2025-03-04T05:06:07Z",
		"Alert ID:  " + s.ID,
		"By severity:\n  1  critical\n  1  high\n  3  medium\n  2  low\n",
		"By class:\n  4  email\n",
		"By location:\n  4  logs\n  2  backups\n  1  -\n",
		"Top paths:\n  2  /var/log/app.log\n  2  s3://b/dump.sql\n",
		"Examples (7 of 7; values are masked):",
		"critical  credit_card  /var/log/pay.log:12",
		"[credit_card:…1111]",
		"fingerprint bb01",
		"***-**-1120",
		"rule ssn, location backups (reminder)",
		`/var/log/evil\nFake: line:1`,
	} {
		if !strings.Contains(text, want) {
			t.Errorf("Text() lacks %q:\n%s", want, text)
		}
	}
	for line := range strings.Lines(text) {
		if strings.HasPrefix(line, "Fake:") {
			t.Errorf("a path forged a line: %q", line)
		}
	}
	// Examples are in order: critical first.
	if i, j := strings.Index(text, "bb01"), strings.Index(text, "cc01"); i < 0 || j < 0 || i > j {
		t.Errorf("critical example not before high one:\n%s", text)
	}
}

func TestPermanent(t *testing.T) {
	base := errors.New("boom")
	tests := []struct {
		name string
		err  error
		want bool
	}{
		{"nil", nil, false},
		{"plain", base, false},
		{"permanent", Permanent(base), true},
		{"wrapped", fmt.Errorf("send: %w", Permanent(base)), true},
	}
	for _, tt := range tests {
		if got := IsPermanent(tt.err); got != tt.want {
			t.Errorf("%s: IsPermanent = %v, want %v", tt.name, got, tt.want)
		}
	}
	if Permanent(nil) != nil {
		t.Error("Permanent(nil) != nil")
	}
	if err := Permanent(base); !errors.Is(err, base) || err.Error() != "boom" {
		t.Errorf("Permanent(base) = %v, does not wrap base", err)
	}
}

func TestNewErrors(t *testing.T) {
	t.Setenv("PIISCAN_TEST_EMPTY", "")
	route := func(rs config.RouteSpec) *config.Route {
		return &config.Route{RouteSpec: rs}
	}
	tests := []struct {
		name  string
		route *config.Route
		want  string
	}{
		{"no sink", route(config.RouteSpec{Name: "r"}), "no alert sink"},
		{"kind without spec", &config.Route{RouteSpec: config.RouteSpec{Name: "r"}, Kind: "slack"}, "no slack sink"},
		{"webhook secret missing", route(config.RouteSpec{Name: "r", Webhook: &config.WebhookSpec{URL: "http://x", SecretEnv: "PIISCAN_TEST_UNSET_VARIABLE"}}), "PIISCAN_TEST_UNSET_VARIABLE"},
		{"webhook bad URL", route(config.RouteSpec{Name: "r", Webhook: &config.WebhookSpec{URL: "ftp://x"}}), "invalid URL"},
		{"slack URL missing", route(config.RouteSpec{Name: "r", Slack: &config.SlackSpec{URLEnv: "PIISCAN_TEST_EMPTY"}}), "PIISCAN_TEST_EMPTY"},
		{"email password missing", route(config.RouteSpec{Name: "r", Email: &config.EmailSpec{Address: "h:25", From: "a@b.c", To: []string{"d@e.f"}, Username: "u", PasswordEnv: "PIISCAN_TEST_UNSET_VARIABLE"}}), "PIISCAN_TEST_UNSET_VARIABLE"},
		{"email bad from", route(config.RouteSpec{Name: "r", Email: &config.EmailSpec{Address: "h:25", From: "nobody", To: []string{"d@e.f"}}}), "from"},
		{"syslog bad facility", route(config.RouteSpec{Name: "r", Syslog: &config.SyslogSpec{Address: "h:514", Facility: "nope"}}), "facility"},
		{"sns bad ARN", route(config.RouteSpec{Name: "r", SNS: &config.SNSSpec{TopicARN: "topic"}}), "topic ARN"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := New(tt.route, Options{})
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("New: error %v, want one mentioning %q", err, tt.want)
			}
			if !IsPermanent(err) {
				t.Errorf("New: error %v is not permanent", err)
			}
		})
	}
}

func TestNewSlackURLNotShown(t *testing.T) {
	t.Setenv("PIISCAN_TEST_SLACK_URL", "hooks.slack.com/services/T0/B0/SECRETTOKEN")
	_, err := New(&config.Route{RouteSpec: config.RouteSpec{Name: "r", Slack: &config.SlackSpec{URLEnv: "PIISCAN_TEST_SLACK_URL"}}, Kind: "slack"}, Options{})
	if err == nil || strings.Contains(err.Error(), "SECRETTOKEN") {
		t.Fatalf("New: error %v, want one that does not repeat the URL", err)
	}
}
