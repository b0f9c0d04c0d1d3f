package config

import (
	"strings"
	"testing"
	"time"
)

// Config validates each sink once and hands the sinks typed settings,
// with the checks the sinks used to make again when they were built.
func TestSinks(t *testing.T) {
	c, err := Parse("x.yaml", []byte(jobsBase+`alerts:
  routes:
    - {name: hook, webhook: {url: "https://hooks.example.com/p?q=1", timeout: 1d}}
    - {name: mail, email: {address: "smtp.example.com:587", from: "P <p@example.com>", to: [a@example.com], username: u, password_env: P}}
    - {name: siem, syslog: {address: "h:514", facility: local0}}
    - {name: pager, sns: {topic_arn: "arn:aws:sns:eu-west-1:123456789012:t.fifo"}}
`))
	if err != nil {
		t.Fatal(err)
	}
	if w := c.RouteByName("hook").Sink.Webhook; w == nil || w.URL.Host != "hooks.example.com" || w.Timeout != 24*time.Hour {
		t.Errorf("webhook %+v", w)
	}
	if e := c.RouteByName("mail").Sink.Email; e == nil || e.Host != "smtp.example.com" || e.From.Address != "p@example.com" || len(e.To) != 1 || e.StartTLS != StartTLSRequired {
		t.Errorf("email %+v", e)
	}
	if s := c.RouteByName("siem").Sink.Syslog; s == nil || s.Network != "udp" || s.Facility != 16 || s.Tag != "piiscan" {
		t.Errorf("syslog %+v", s)
	}
	if s := c.RouteByName("pager").Sink.SNS; s == nil || s.Topic.Region != "eu-west-1" || s.Topic.Resource != "t.fifo" {
		t.Errorf("sns %+v", s)
	}

	for _, tc := range []struct{ yaml, want string }{
		{"    - {name: r, sns: {topic_arn: 'arn:aws:s3:::bucket'}}\n", `alerts.routes[0].sns.topic_arn: want a topic ARN (arn:aws:sns:REGION:ACCOUNT:NAME), got "arn:aws:s3:::bucket"`},
		{"    - {name: r, email: {address: 'h:25', from: a@b.c, to: [x@y.z], username: u}}\n", "alerts.routes[0].email.username: username without password_env"},
		{"    - {name: r, webhook: {url: 'https://h/', timeout: 0s}}\n", `alerts.routes[0].webhook.timeout: invalid duration "0s" (want e.g. 10s)`},
	} {
		_, err := Parse("x.yaml", []byte(jobsBase+"alerts:\n  routes:\n"+tc.yaml))
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: got %v, want %q", tc.yaml, err, tc.want)
		}
	}

	// A route built without a Config is validated by the same code.
	rs := RouteSpec{Name: "r", Email: &EmailSpec{Address: "h:25", From: "nobody", To: []string{"x@y.z"}}}
	if _, err := rs.ValidateSink(); err == nil || err.Error() != `email.from: invalid address "nobody"` {
		t.Errorf("ValidateSink: %v", err)
	}
}

// A bad webhook URL is reported without the password it holds, as the
// webhook sink reported it before the sinks were validated here.
func TestWebhookURLErrorHidesPassword(t *testing.T) {
	_, err := Parse("x.yaml", []byte(jobsBase+"alerts:\n  routes:\n    - {name: r, webhook: {url: 'ftp://u:s3cret@h/'}}\n"))
	if err == nil {
		t.Fatal("ftp URL accepted")
	}
	if !strings.Contains(err.Error(), `webhook.url: invalid URL "ftp://u:xxxxx@h/"`) || strings.Contains(err.Error(), "s3cret") {
		t.Errorf("got %v, want the URL with its password hidden", err)
	}
}
