package config

import (
	"strings"
	"testing"
	"time"

	"github.com/piiscan/piiscan/finding"
)

const jobsBase = policyBase + `locations:
  - {name: web, paths: [/var/log/nginx]}
  - {name: app, paths: [/var/log/app]}
`

func TestJobs(t *testing.T) {
	c, err := Parse("x.yaml", []byte(jobsBase+`jobs:
  - {name: hourly, schedule: "@hourly", action: scan, locations: [web], alerts: [security]}
  - {name: nightly, schedule: "CRON_TZ=Europe/Berlin 0 3 * * *", action: purge, enforce: true, timeout: 2h}
  - {name: tick, schedule: "*/5 * * * * *", action: redact}
alerts:
  remind_after: 1d
  routes:
    - name: security
      min_severity: high
      classes: [email]
      webhook: {url: "https://hooks.example.com/piiscan", secret_env: HOOK_SECRET}
    - name: mail
      remind_after: "0"
      email: {address: "smtp.example.com:587", from: "piiscan@example.com", to: ["sec@example.com"], username: u, password_env: P}
state: {path: /var/lib/piiscan/state.db}
daemon: {listen: ":9464", grace_period: 45s, log_level: debug}
`))
	if err != nil {
		t.Fatal(err)
	}
	if len(c.Jobs) != 3 || c.JobByName("nightly") == nil || c.JobByName("nope") != nil {
		t.Fatalf("jobs %+v", c.Jobs)
	}
	// CRON_TZ: 03:00 in Berlin.
	from := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	if next := c.JobByName("nightly").Schedule.Next(from); !next.Equal(time.Date(2026, 1, 1, 2, 0, 0, 0, time.UTC)) {
		t.Errorf("nightly next = %v", next)
	}
	if c.JobByName("nightly").Timeout != 2*time.Hour || c.JobByName("hourly").Timeout != 0 {
		t.Error("timeout")
	}
	// A seconds field.
	if next := c.JobByName("tick").Schedule.Next(from); next.Sub(from) != 5*time.Second {
		t.Errorf("tick next = %v", next)
	}
	sec := c.RouteByName("security")
	if sec.Kind != "webhook" || sec.MinSeverity != finding.SeverityHigh || sec.RemindAfter != 24*time.Hour {
		t.Errorf("security %+v", sec)
	}
	if !sec.Covers("web", "email", finding.SeverityCritical) || sec.Covers("web", "email", finding.SeverityMedium) || sec.Covers("web", "ip_address", finding.SeverityHigh) {
		t.Error("Covers")
	}
	if m := c.RouteByName("mail"); m.Kind != "email" || m.RemindAfter != 0 || m.MinSeverity != finding.SeverityLow {
		t.Errorf("mail %+v", m)
	}
	if c.GracePeriod() != 45*time.Second || c.Listen() != ":9464" || c.StatePath() != "/var/lib/piiscan/state.db" {
		t.Errorf("daemon settings %v %v %v", c.GracePeriod(), c.Listen(), c.StatePath())
	}
	// The container image listens on all addresses unless told otherwise.
	t.Setenv(ListenEnv, "127.0.0.1:1")
	if c.Listen() != "127.0.0.1:1" {
		t.Errorf("%s ignored: %s", ListenEnv, c.Listen())
	}
	t.Setenv(ListenEnv, "off")
	if c.Listen() != "" {
		t.Errorf("%s=off: %q", ListenEnv, c.Listen())
	}
}

func TestJobErrors(t *testing.T) {
	for _, tc := range []struct{ yaml, want string }{
		{"jobs:\n  - {name: a, schedule: '61 * * * *', action: scan}\n", "x.yaml:10: jobs[0].schedule: \"61 * * * *\": end of range"},
		{"jobs:\n  - {name: a, schedule: '@daily', action: delete}\n", `jobs[0].action: unknown action "delete"`},
		{"shards: {count: 10001}\n", "shards.count: 10001: want 1 to 10000"},
		{"shards: {output: 's3:///x'}\n", "shards.output"},
		{"jobs:\n  - {name: a, schedule: '@daily', action: scan, enforce: true}\n", "jobs[0].enforce: a scan job changes nothing"},
		{"jobs:\n  - {name: a, schedule: '@daily', action: scan, locations: [db]}\n", `jobs[0].locations[0]: unknown location "db"`},
		{"jobs:\n  - {name: a, schedule: '@daily', action: scan, alerts: [pager]}\n", `jobs[0].alerts[0]: unknown alert route "pager"`},
		{"jobs:\n  - {name: a, schedule: '@daily', action: scan}\n  - {name: a, schedule: '@daily', action: scan}\n", `duplicate job name "a"`},
		{"alerts:\n  routes:\n    - {name: r}\n", `route "r" has no sink`},
		{"alerts:\n  retry: {attempts: 99999999999}\n", "alerts.retry.attempts: must be between 0 (default) and 100"},
		{"alerts:\n  retry: {initial: 1m, max: 1s}\n", "alerts.retry.initial: 1m0s is longer than retry.max (1s)"},
		{"alerts:\n  routes:\n    - {name: r, slack: {url_env: S}, syslog: {address: 'h:514'}}\n", "has 2 sinks"},
		{"alerts:\n  routes:\n    - {name: r, webhook: {url: 'ftp://x'}}\n", "alerts.routes[0].webhook.url: invalid URL"},
		{"alerts:\n  routes:\n    - {name: r, email: {address: h, from: a@b.c, to: [x@y.z]}}\n", "email.address: want host:port"},
		{"alerts:\n  routes:\n    - {name: r, email: {address: 'h:25', from: a@b.c, to: [x@y.z], starttls: 'off', username: u}}\n", "it needs starttls"},
		{"alerts:\n  routes:\n    - {name: r, min_severity: loud, sns: {topic_arn: 'arn:aws:sns:eu-west-1:1:t'}}\n", `unknown severity "loud"`},
		{"daemon: {grace_period: soon}\n", "daemon.grace_period: invalid duration"},
		{"jobs:\n  - {name: a, schedule: '@daily', action: scan, timeout: 1 day}\n", "jobs[0].timeout: invalid duration"},
		{"jobs:\n  - {name: a, schedule: '@daily', action: purge, alerts: [r]}\nalerts:\n  routes:\n    - {name: r, slack: {url_env: S}}\n", "jobs[0].alerts: alerts come from scan jobs"},
		{"daemon: {listen: 9464}\n", "daemon.listen: want host:port"},
	} {
		_, err := Parse("x.yaml", []byte(jobsBase+tc.yaml))
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: got %v, want %q", tc.yaml, err, tc.want)
		}
	}
}

// Every duration of rules.yaml takes the one grammar of ParseDuration: 1d
// is a day also where only Go durations (24h) were accepted before, and Go
// durations stay valid everywhere.
func TestDurationsOneGrammar(t *testing.T) {
	c, err := Parse("x.yaml", []byte(jobsBase+`jobs:
  - {name: a, schedule: '@daily', action: purge, timeout: 1d}
  - {name: b, schedule: '@daily', action: purge, timeout: 1h30m}
alerts:
  remind_after: 2d
  delivery_timeout: 1d
  retry: {initial: 1d, max: 1w}
  routes:
    - {name: r, remind_after: 36h, webhook: {url: "https://hooks.example.com/x", timeout: 1d}}
state: {checkpoint_every: 1d}
daemon: {grace_period: 1d}
`))
	if err != nil {
		t.Fatal(err)
	}
	const day = 24 * time.Hour
	if got := c.JobByName("a").Timeout; got != day {
		t.Errorf("timeout 1d = %v", got)
	}
	if got := c.JobByName("b").Timeout; got != 90*time.Minute {
		t.Errorf("timeout 1h30m = %v", got)
	}
	if _, initial, max := c.RetryPolicy(); initial != day || max != 7*day {
		t.Errorf("retry 1d, 1w = %v, %v", initial, max)
	}
	if c.DeliveryTimeout() != day || c.CheckpointEvery() != day || c.GracePeriod() != day {
		t.Errorf("1d read as %v, %v, %v", c.DeliveryTimeout(), c.CheckpointEvery(), c.GracePeriod())
	}
	if r := c.RouteByName("r"); r.RemindAfter != 36*time.Hour {
		t.Errorf("remind_after 36h = %v", r.RemindAfter)
	}
	for _, v := range []string{"0", "0d", "-1h", "soon", "1e3s"} {
		_, err := Parse("x.yaml", []byte(jobsBase+"jobs:\n  - {name: a, schedule: '@daily', action: scan, timeout: '"+v+"'}\n"))
		if err == nil || !strings.Contains(err.Error(), `jobs[0].timeout: invalid duration "`+v+`" (want e.g. 90m, 2h)`) {
			t.Errorf("timeout %q: got %v", v, err)
		}
	}
}
