package alert

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"unicode/utf8"

	"github.com/piiscan/piiscan/config"
)

// Webhook headers.
const (
	// SignatureHeader carries "sha256=" and the hex HMAC-SHA256 of the
	// request body, keyed with the route's secret.
	SignatureHeader = "X-Piiscan-Signature"
	// IDHeader carries Summary.ID.
	IDHeader = "X-Piiscan-Alert-Id"
)

// webhookSink posts the Summary as JSON.
type webhookSink struct {
	client  *http.Client
	url     string
	shown   string // url for error messages: no credentials, no query
	headers map[string]string
	secret  []byte // HMAC key; nil for none
}

var _ Sink = (*webhookSink)(nil)

func newWebhook(spec *config.Webhook, opts Options) (*webhookSink, error) {
	w := &webhookSink{
		client:  opts.HTTPClient,
		url:     spec.URL.String(),
		shown:   shownURL(spec.URL, false),
		headers: spec.Headers,
	}
	if spec.Timeout > 0 {
		c := *opts.HTTPClient
		c.Timeout = spec.Timeout
		w.client = &c
	}
	if spec.SecretEnv != "" {
		secret, err := config.Secret(spec.SecretEnv)
		if err != nil {
			return nil, fmt.Errorf("webhook secret: %w", err)
		}
		w.secret = []byte(secret)
	}
	return w, nil
}

func (w *webhookSink) Kind() string { return "webhook" }

func (w *webhookSink) Send(ctx context.Context, s Summary) error {
	body, err := json.Marshal(s)
	if err != nil {
		return Permanent(fmt.Errorf("webhook: encoding the summary: %w", err))
	}
	h := make(http.Header)
	h.Set("User-Agent", "piiscan")
	for k, v := range w.headers {
		h.Set(k, v)
	}
	h.Set("Content-Type", "application/json")
	h.Set(IDHeader, s.ID)
	if w.secret != nil {
		h.Set(SignatureHeader, Sign(w.secret, body))
	}
	if err := post(ctx, w.client, w.url, h, body); err != nil {
		return fmt.Errorf("webhook %s: %w", w.shown, err)
	}
	return nil
}

// Sign returns the value of the X-Piiscan-Signature header for body:
// "sha256=" and the hex HMAC-SHA256 of body keyed with secret. A receiver
// checks it with hmac.Equal.
func Sign(secret, body []byte) string {
	mac := hmac.New(sha256.New, secret)
	mac.Write(body)
	return "sha256=" + hex.EncodeToString(mac.Sum(nil))
}

// slackSink posts to a Slack incoming webhook.
type slackSink struct {
	client *http.Client
	url    string // a secret: it is never shown
	shown  string
}

var _ Sink = (*slackSink)(nil)

func newSlack(spec *config.SlackSpec, opts Options) (*slackSink, error) {
	target := spec.URL
	if spec.URLEnv != "" {
		var err error
		if target, err = config.Secret(spec.URLEnv); err != nil {
			return nil, fmt.Errorf("slack URL: %w", err)
		}
	}
	u, err := parseHTTPURL(target)
	if err != nil {
		// The URL is a secret: do not repeat it.
		return nil, errors.New("slack: invalid webhook URL (want https://hooks.slack.com/services/...)")
	}
	return &slackSink{client: opts.HTTPClient, url: target, shown: shownURL(u, true)}, nil
}

func (k *slackSink) Kind() string { return "slack" }

func (k *slackSink) Send(ctx context.Context, s Summary) error {
	body, err := json.Marshal(struct {
		Text string `json:"text"`
	}{slackText(s)})
	if err != nil {
		return Permanent(fmt.Errorf("slack: encoding the message: %w", err))
	}
	h := make(http.Header)
	h.Set("User-Agent", "piiscan")
	h.Set("Content-Type", "application/json")
	if err := post(ctx, k.client, k.url, h, body); err != nil {
		return fmt.Errorf("slack webhook %s: %w", k.shown, err)
	}
	return nil
}

// maxSlackText is the longest text Slack takes in a message; it truncates
// longer ones.
const maxSlackText = 40000

// slackText renders s in Slack's mrkdwn: the subject in bold, then the text
// in a code block. Names in the text are escaped (report.Safe), and a run
// of backticks in one cannot close the block (slackEscape).
func slackText(s Summary) string {
	const (
		fence = "```"
		cut   = "… (truncated)\n"
	)
	head := "*" + slackEscape(s.Subject()) + "*\n" + fence + "\n"
	body := slackEscape(s.Text())
	if utf8.RuneCountInString(head)+utf8.RuneCountInString(body)+len(fence) > maxSlackText {
		budget := maxSlackText - utf8.RuneCountInString(head) - utf8.RuneCountInString(cut) - len(fence)
		body = truncateRunes(body, budget) + cut
	}
	return head + body + fence
}

// slackEscape escapes the three characters Slack's mrkdwn requires, and
// puts a zero-width space (U+200B) between any two backticks, so that
// "```" in a name neither closes the code block nor opens one.
func slackEscape(s string) string {
	s = slackEscaper.Replace(s)
	if !strings.Contains(s, "``") {
		return s
	}
	var b strings.Builder
	b.Grow(len(s) + 8)
	for i := 0; i < len(s); i++ {
		b.WriteByte(s[i])
		if s[i] == '`' && i+1 < len(s) && s[i+1] == '`' {
			b.WriteString("\u200b")
		}
	}
	return b.String()
}

var slackEscaper = strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;")

// truncateRunes returns the first n runes of s, cut after a newline when
// there is one, and never inside an escape such as "&amp;".
func truncateRunes(s string, n int) string {
	i, runes := 0, 0
	for i < len(s) && runes < n {
		_, size := utf8.DecodeRuneInString(s[i:])
		i += size
		runes++
	}
	t := s[:i]
	if nl := strings.LastIndexByte(t, '\n'); nl > 0 {
		return t[:nl+1]
	}
	if amp := strings.LastIndexByte(t, '&'); amp >= 0 && !strings.Contains(t[amp:], ";") {
		return t[:amp]
	}
	return t
}

// post sends body to target and checks the response status. Errors do not
// repeat target, which may hold a secret.
func post(ctx context.Context, client *http.Client, target string, h http.Header, body []byte) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, target, bytes.NewReader(body))
	if err != nil {
		return Permanent(errors.New("invalid request"))
	}
	req.Header = h
	resp, err := client.Do(req)
	if err != nil {
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err // the same, without the URL
		}
		return err
	}
	defer resp.Body.Close()
	snippet, _ := io.ReadAll(io.LimitReader(resp.Body, 256))
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10)) // let the connection be reused
	if resp.StatusCode >= 200 && resp.StatusCode < 300 {
		return nil
	}
	err = fmt.Errorf("server returned %s", resp.Status)
	if msg := strings.TrimSpace(oneLine(strings.ToValidUTF8(string(snippet), "?"))); msg != "" {
		err = fmt.Errorf("server returned %s: %s", resp.Status, msg)
	}
	if permanentStatus(resp.StatusCode) {
		return Permanent(err)
	}
	return err
}

// parseHTTPURL parses an http or https URL.
func parseHTTPURL(s string) (*url.URL, error) {
	u, err := url.Parse(s)
	if err != nil {
		return nil, err
	}
	if (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("invalid URL %q (want http:// or https://)", u.Redacted())
	}
	return u, nil
}

// shownURL returns u without credentials and query, and with hidePath
// without its path either, for error messages.
func shownURL(u *url.URL, hidePath bool) string {
	s := u.Scheme + "://" + u.Host
	if hidePath {
		return s + "/…"
	}
	s += u.EscapedPath()
	if u.RawQuery != "" {
		s += "?…"
	}
	return s
}
