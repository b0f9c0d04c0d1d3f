package alert

import (
	"bytes"
	"io"
	"mime/quotedprintable"
	"net/url"
	"slices"
	"strings"
	"testing"

	"github.com/piiscan/piiscan/config"
	"github.com/piiscan/piiscan/finding"
)

// rawValues are personal data as a scanner finds it, by class.
var rawValues = []struct{ class, raw string }{
	{finding.ClassCreditCard, "4111111111111111"},
	{finding.ClassCreditCard, "5500 0000 0000 0004"},
	{finding.ClassEmail, "alice@example.com"},
	{finding.ClassUSSSN, "078-05-1120"},
	{finding.ClassPhoneNumber, "+1 415 555 2671"},
	{finding.ClassIPAddress, "203.0.113.42"},
	{finding.ClassPersonName, "Alice Liddell"},
	{finding.ClassCredential, "AKIAIOSFODNN7EXAMPLE"},
	{finding.ClassDateOfBirth, "1990-04-12"},
	{finding.ClassPostalAddress, "221B Baker Street"},
}

// rawForms returns the forms in which raw could leak: as is, lower-case,
// URL- and JSON-escaped, and its digits alone.
func rawForms(raw string) []string {
	forms := []string{raw, strings.ToLower(raw), url.QueryEscape(raw), strings.ReplaceAll(raw, "+", `\u002b`)}
	digits := strings.Map(func(r rune) rune {
		if r >= '0' && r <= '9' {
			return r
		}
		return -1
	}, raw)
	if len(digits) >= 8 {
		forms = append(forms, digits)
	}
	slices.Sort(forms)
	return slices.Compact(forms)
}

// TestNoRawValues delivers violations of raw values, masked as the scanner
// masks them, through every sink to real receivers, and checks that no
// raw value appears in anything a receiver gets.
func TestNoRawValues(t *testing.T) {
	fp := finding.NewFingerprinter([]byte("test key"))
	var vs []Violation
	for i, v := range rawValues {
		masked := finding.Mask(v.class, []byte(v.raw))
		for _, form := range rawForms(v.raw) {
			if strings.Contains(masked, form) {
				t.Fatalf("finding.Mask(%s, %q) = %q reveals it", v.class, v.raw, masked)
			}
		}
		vs = append(vs, Violation{
			Location:    "backups",
			Rule:        v.class,
			Class:       v.class,
			Severity:    []string{"low", "medium", "high", "critical"}[i%4],
			Path:        "s3://dumps/users.csv",
			Line:        i + 1,
			Masked:      masked,
			Fingerprint: fp.Sum(v.class, []byte(v.raw)),
			Reminder:    i%3 == 0,
		})
	}
	s := Summarize("nightly", "all", "scan01", testTime, vs)

	outputs := map[string][]byte{
		"Subject": []byte(s.Subject()),
		"Text":    []byte(s.Text()),
	}

	// Webhook and Slack.
	web := newHTTPReceiver(t)
	slack := newHTTPReceiver(t)
	t.Setenv("PIISCAN_TEST_SLACK_URL", slack.URL+"/services/T/B/X")
	t.Setenv("PIISCAN_TEST_WEBHOOK_SECRET", "k")
	// Email.
	be := &smtpBackend{}
	smtpAddr := startSMTP(t, be, true)
	// Syslog.
	syslogAddr, receiveSyslog := listenPacket(t, "udp", "127.0.0.1:0")
	// SNS.
	sns := newSNSReceiver(t, "", 0)

	routes := []*config.Route{
		webhookRoute(web.URL, "PIISCAN_TEST_WEBHOOK_SECRET"),
		{RouteSpec: config.RouteSpec{Name: "chat", Slack: &config.SlackSpec{URLEnv: "PIISCAN_TEST_SLACK_URL"}}, Kind: "slack"},
		emailRoute(smtpAddr),
		syslogRoute("udp", syslogAddr),
		snsRoute("arn:aws:sns:us-east-1:123456789012:alerts", "", sns.URL),
	}
	for _, r := range routes {
		sink, err := New(r, Options{AWS: testAWSConfig("us-east-1"), Hostname: "scan01"})
		if err != nil {
			t.Fatal(err)
		}
		if err := Deliver(t.Context(), sink, s, fastRetry); err != nil {
			t.Fatalf("%s: %v", r.Kind, err)
		}
	}

	outputs["webhook body"] = web.Requests()[0].Body
	outputs["slack body"] = slack.Requests()[0].Body
	msg := be.Messages()[0].Data
	outputs["email message"] = msg
	if _, body, ok := bytes.Cut(msg, []byte("\r\n\r\n")); ok {
		decoded, err := io.ReadAll(quotedprintable.NewReader(bytes.NewReader(body)))
		if err != nil {
			t.Fatal(err)
		}
		outputs["email body, decoded"] = decoded
	}
	outputs["syslog message"] = receiveSyslog()
	p := sns.Publishes()[0]
	outputs["SNS request body"] = p.Body
	outputs["SNS message"] = []byte(p.Form.Get("Message"))
	outputs["SNS subject"] = []byte(p.Form.Get("Subject"))

	for name, out := range outputs {
		if len(out) == 0 {
			t.Errorf("%s: empty", name)
		}
		for _, v := range rawValues {
			for _, form := range rawForms(v.raw) {
				if bytes.Contains(out, []byte(form)) {
					t.Errorf("%s reveals %s value %q (as %q)", name, v.class, v.raw, form)
				}
			}
		}
	}
	// The masked values and fingerprints do get through.
	for _, name := range []string{"webhook body", "email body, decoded", "SNS message"} {
		for _, v := range vs {
			if !bytes.Contains(outputs[name], []byte(v.Fingerprint)) {
				t.Errorf("%s lacks fingerprint %s", name, v.Fingerprint)
			}
		}
	}
}
