package alert

import (
	"bytes"
	"encoding/json"
	"io"
	"mime"
	"mime/quotedprintable"
	"net/mail"
	"slices"
	"strings"
	"testing"
	"time"
	"unicode/utf8"
)

// Paths an attacker can give files: terminal escapes (window title, clear
// screen, colour), a right-to-left override, a code fence with a Slack
// mention, and two names that differ only in invalid UTF-8.
var hostilePaths = []string{
	"/logs/\x1b]0;pwned\x07\x1b[2J\x1b[31mred.log",
	"/logs/invoice\u202efdp.exe",
	"/logs/```\n<!here> done```",
	"/logs/a\xff.log",
	"/logs/a\xfe.log",
}

// hostileSummary has a violation in each hostile path, and a job named
// with a bidirectional isolate.
func hostileSummary() Summary {
	var vs []Violation
	for i, p := range hostilePaths {
		vs = append(vs, Violation{Location: "logs", Rule: "email", Class: "email", Severity: "high", Path: p, Line: i + 1,
			Masked: "a***@example.com", Fingerprint: "ab"})
	}
	return Summarize("nightly\u2066", "sec", "scan01", testTime, vs)
}

// checkShown fails when text shown to people holds a control character
// other than a line break, a bidirectional control or invalid UTF-8.
func checkShown(t *testing.T, what, text string) {
	t.Helper()
	if !utf8.ValidString(text) {
		t.Errorf("%s holds invalid UTF-8:\n%q", what, text)
	}
	for _, r := range text {
		switch {
		case r < 0x20 && r != '\n' && r != '\r', r >= 0x7f && r < 0xa0:
			t.Errorf("%s holds control character %U:\n%q", what, r, text)
			return
		case r >= 0x202a && r <= 0x202e, r >= 0x2066 && r <= 0x2069, r == 0x200e, r == 0x200f, r == 0x061c:
			t.Errorf("%s holds bidirectional control %U:\n%q", what, r, text)
			return
		}
	}
}

// escapedPaths are the hostile paths as alerts show them.
var escapedPaths = []string{
	`/logs/\x1b]0;pwned\a\x1b[2J\x1b[31mred.log`,
	`/logs/invoice\u202efdp.exe`,
	`/logs/` + "```" + `\n<!here> done` + "```",
	`/logs/a\xff.log`,
	`/logs/a\xfe.log`,
}

func TestTextEscapesHostileNames(t *testing.T) {
	s := hostileSummary()
	checkShown(t, "Subject()", s.Subject())
	if !strings.Contains(s.Subject(), `job nightly\u2066`) {
		t.Errorf("subject %q", s.Subject())
	}
	text := s.Text()
	checkShown(t, "Text()", text)
	for _, want := range escapedPaths {
		if !strings.Contains(text, want) {
			t.Errorf("Text() lacks %q:\n%s", want, text)
		}
	}
}

func TestEmailEscapesHostileNames(t *testing.T) {
	s := hostileSummary()
	e, err := newEmail(validSink(t, emailRoute("127.0.0.1:25")).Email, Options{Hostname: "scan01.example.com"})
	if err != nil {
		t.Fatal(err)
	}
	msg, err := mail.ReadMessage(bytes.NewReader(e.message(s, time.Now())))
	if err != nil {
		t.Fatal(err)
	}
	subject, err := new(mime.WordDecoder).DecodeHeader(msg.Header.Get("Subject"))
	if err != nil {
		t.Fatal(err)
	}
	checkShown(t, "the email subject", subject)
	var body io.Reader = msg.Body
	if msg.Header.Get("Content-Transfer-Encoding") == "quoted-printable" {
		body = quotedprintable.NewReader(body)
	}
	data, err := io.ReadAll(body)
	if err != nil {
		t.Fatal(err)
	}
	checkShown(t, "the email body", string(data))
	for _, want := range escapedPaths {
		if !strings.Contains(string(data), want) {
			t.Errorf("the email body lacks %q:\n%s", want, data)
		}
	}
}

// A name cannot close Slack's code block (or open another), mention
// anyone, or drive what Slack shows.
func TestSlackEscapesHostileNames(t *testing.T) {
	text := slackText(hostileSummary())
	checkShown(t, "the Slack text", text)
	if n := strings.Count(text, "```"); n != 2 {
		t.Errorf("the Slack text has %d code fences, want 2 (the block's own):\n%s", n, text)
	}
	if !strings.HasSuffix(text, "\n```") {
		t.Errorf("the code block does not end the text:\n%s", text)
	}
	if strings.Contains(text, "<!") {
		t.Errorf("the Slack text holds a mention:\n%s", text)
	}
	for _, want := range []string{"`\u200b`\u200b`\\n&lt;!here&gt; done`\u200b`\u200b`", `/logs/a\xff.log`, `/logs/a\xfe.log`, `/logs/invoice\u202efdp.exe`} {
		if !strings.Contains(text, want) {
			t.Errorf("the Slack text lacks %q:\n%s", want, text)
		}
	}
}

func TestSyslogEscapesHostileNames(t *testing.T) {
	s := hostileSummary()
	l := &syslogSink{network: "udp", address: "127.0.0.1:514", appName: "piiscan", hostname: "scan01"}
	line := l.format(s, 42)
	checkShown(t, "the syslog message", line)
	if strings.ContainsAny(line, "\r\n") {
		t.Errorf("the syslog message has a line break: %q", line)
	}
	if !strings.Contains(line, `top path: `+escapedPaths[0]) {
		t.Errorf("the syslog message lacks the escaped top path: %q", line)
	}
	if !strings.Contains(line, `job="nightly\\u2066"`) {
		t.Errorf("the syslog message lacks the escaped job: %q", line)
	}
}

// The webhook's JSON, and the outbox that keeps a summary until it is
// delivered, keep paths that differ only in invalid UTF-8 apart, and read
// them back as they were.
func TestSummaryJSONKeepsInvalidUTF8Apart(t *testing.T) {
	s := hostileSummary()
	body, err := json.Marshal(s)
	if err != nil {
		t.Fatal(err)
	}
	if !utf8.Valid(body) {
		t.Fatalf("not UTF-8: %q", body)
	}
	for _, want := range []string{`"path":"/logs/a\\xff.log"`, `"path":"/logs/a\\xfe.log"`} {
		if !bytes.Contains(body, []byte(want)) {
			t.Errorf("JSON lacks %s:\n%s", want, body)
		}
	}
	var back Summary
	if err := json.Unmarshal(body, &back); err != nil {
		t.Fatal(err)
	}
	var paths, top []string
	for _, v := range back.Examples {
		paths = append(paths, v.Path)
	}
	for _, p := range back.TopPaths {
		top = append(top, p.Path)
	}
	want := slices.Clone(hostilePaths)
	slices.Sort(want)
	slices.Sort(paths)
	slices.Sort(top)
	if !slices.Equal(paths, want) || !slices.Equal(top, want) {
		t.Errorf("read back:\n examples %q\n top paths %q\nwant %q", paths, top, want)
	}
}
