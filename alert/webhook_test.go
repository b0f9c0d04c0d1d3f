package alert

import (
	"context"
	"crypto/hmac"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/piiscan/piiscan/config"
)

// httpRequest is a request an httpReceiver got.
type httpRequest struct {
	Method, Path string
	Header       http.Header
	Body         []byte
}

// httpReceiver records requests and answers them with the statuses given,
// in turn, then 200.
type httpReceiver struct {
	*httptest.Server
	mu       sync.Mutex
	requests []httpRequest
	statuses []int
}

func newHTTPReceiver(t *testing.T, statuses ...int) *httpReceiver {
	t.Helper()
	r := &httpReceiver{statuses: statuses}
	r.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		body, err := io.ReadAll(req.Body)
		if err != nil {
			t.Errorf("reading request: %v", err)
		}
		r.mu.Lock()
		r.requests = append(r.requests, httpRequest{req.Method, req.URL.Path, req.Header.Clone(), body})
		status := http.StatusOK
		if n := len(r.requests); n <= len(r.statuses) {
			status = r.statuses[n-1]
		}
		r.mu.Unlock()
		w.WriteHeader(status)
		if status != http.StatusOK {
			io.WriteString(w, "nope\n")
		}
	}))
	t.Cleanup(r.Close)
	return r
}

func (r *httpReceiver) Requests() []httpRequest {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]httpRequest(nil), r.requests...)
}

func webhookRoute(url, secretEnv string) *config.Route {
	return &config.Route{
		RouteSpec: config.RouteSpec{Name: "security", Webhook: &config.WebhookSpec{
			URL:       url,
			SecretEnv: secretEnv,
			Headers:   map[string]string{"Authorization": "Bearer t0ken", "X-Team": "sec"},
		}},
		Kind: "webhook",
	}
}

var fastRetry = Retry{Attempts: 3, Initial: time.Millisecond, Max: 5 * time.Millisecond}

func TestWebhook(t *testing.T) {
	const secret = "hmac-key"
	t.Setenv("PIISCAN_TEST_WEBHOOK_SECRET", secret)
	rcv := newHTTPReceiver(t)
	sink, err := New(webhookRoute(rcv.URL+"/hook", "PIISCAN_TEST_WEBHOOK_SECRET"), Options{HTTPClient: rcv.Client()})
	if err != nil {
		t.Fatal(err)
	}
	if sink.Kind() != "webhook" {
		t.Errorf("Kind() = %q", sink.Kind())
	}
	s := Summarize("nightly", "security", "scan01", testTime, testViolations())
	if err := Deliver(t.Context(), sink, s, fastRetry); err != nil {
		t.Fatal(err)
	}

	reqs := rcv.Requests()
	if len(reqs) != 1 {
		t.Fatalf("%d requests, want 1", len(reqs))
	}
	req := reqs[0]
	if req.Method != http.MethodPost || req.Path != "/hook" {
		t.Errorf("request %s %s, want POST /hook", req.Method, req.Path)
	}
	for k, want := range map[string]string{
		"Content-Type":  "application/json",
		"Authorization": "Bearer t0ken",
		"X-Team":        "sec",
		IDHeader:        s.ID,
	} {
		if got := req.Header.Get(k); got != want {
			t.Errorf("header %s = %q, want %q", k, got, want)
		}
	}
	if got, want := req.Header.Get(SignatureHeader), Sign([]byte(secret), req.Body); !hmac.Equal([]byte(got), []byte(want)) {
		t.Errorf("signature %q, want %q", got, want)
	}
	if !strings.HasPrefix(req.Header.Get(SignatureHeader), "sha256=") || len(req.Header.Get(SignatureHeader)) != len("sha256=")+64 {
		t.Errorf("signature %q, want sha256= and 64 hex digits", req.Header.Get(SignatureHeader))
	}

	var got Summary
	if err := json.Unmarshal(req.Body, &got); err != nil {
		t.Fatalf("body does not decode: %v\n%s", err, req.Body)
	}
	if !got.Time.Equal(s.Time) {
		t.Errorf("time %v, want %v", got.Time, s.Time)
	}
	got.Time = s.Time
	if !reflect.DeepEqual(got, s) {
		t.Errorf("body decodes to\n%+v\nwant\n%+v", got, s)
	}
}

func TestWebhookUnsigned(t *testing.T) {
	rcv := newHTTPReceiver(t)
	sink, err := New(webhookRoute(rcv.URL, ""), Options{HTTPClient: rcv.Client()})
	if err != nil {
		t.Fatal(err)
	}
	if err := sink.Send(t.Context(), Summarize("j", "r", "h", testTime, nil)); err != nil {
		t.Fatal(err)
	}
	if h := rcv.Requests()[0].Header; h.Get(SignatureHeader) != "" || h.Get(IDHeader) == "" {
		t.Errorf("signature %q, id %q; want none and one", h.Get(SignatureHeader), h.Get(IDHeader))
	}
}

func TestWebhookStatus(t *testing.T) {
	tests := []struct {
		name      string
		statuses  []int
		wantErr   bool
		permanent bool
		requests  int
	}{
		{"ok", []int{200}, false, false, 1},
		{"accepted", []int{202}, false, false, 1},
		{"500 then 200", []int{500, 200}, false, false, 2},
		{"429 and 408 are retried", []int{429, 408, 204}, false, false, 3},
		{"503 thrice", []int{503, 503, 503}, true, false, 3},
		{"400 is permanent", []int{400}, true, true, 1},
		{"404 is permanent", []int{404}, true, true, 1},
		{"500 then 401", []int{500, 401}, true, true, 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rcv := newHTTPReceiver(t, tt.statuses...)
			sink, err := New(webhookRoute(rcv.URL+"/hook?token=secret", ""), Options{HTTPClient: rcv.Client()})
			if err != nil {
				t.Fatal(err)
			}
			err = Deliver(t.Context(), sink, Summarize("j", "r", "h", testTime, nil), fastRetry)
			if (err != nil) != tt.wantErr || IsPermanent(err) != tt.permanent {
				t.Errorf("Deliver = %v (permanent %v), want error %v, permanent %v", err, IsPermanent(err), tt.wantErr, tt.permanent)
			}
			if err != nil {
				last := tt.statuses[len(tt.statuses)-1]
				if !strings.Contains(err.Error(), http.StatusText(last)) {
					t.Errorf("error %q does not give the status %d", err, last)
				}
				if strings.Contains(err.Error(), "token=secret") {
					t.Errorf("error %q shows the query", err)
				}
			}
			if n := len(rcv.Requests()); n != tt.requests {
				t.Errorf("%d requests, want %d", n, tt.requests)
			}
		})
	}
}

func TestWebhookContext(t *testing.T) {
	t.Run("canceled during backoff", func(t *testing.T) {
		ctx, cancel := context.WithCancel(t.Context())
		defer cancel()
		var mu sync.Mutex
		requests := 0
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			mu.Lock()
			requests++
			mu.Unlock()
			cancel()
			w.WriteHeader(http.StatusInternalServerError)
		}))
		defer srv.Close()
		sink, err := New(webhookRoute(srv.URL, ""), Options{HTTPClient: srv.Client()})
		if err != nil {
			t.Fatal(err)
		}
		err = Deliver(ctx, sink, Summarize("j", "r", "h", testTime, nil), Retry{Attempts: 5, Initial: time.Minute, Max: time.Minute})
		if !errors.Is(err, context.Canceled) {
			t.Errorf("Deliver = %v, want context.Canceled", err)
		}
		mu.Lock()
		defer mu.Unlock()
		if requests != 1 {
			t.Errorf("%d requests, want 1", requests)
		}
	})

	// A receiver that does not answer: the request ends with ctx, or with
	// the route's timeout.
	hang := func(t *testing.T) *httptest.Server {
		release := make(chan struct{})
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			select {
			case <-r.Context().Done():
			case <-release:
			}
		}))
		t.Cleanup(func() { close(release); srv.Close() })
		return srv
	}
	t.Run("deadline", func(t *testing.T) {
		srv := hang(t)
		sink, err := New(webhookRoute(srv.URL, ""), Options{HTTPClient: srv.Client()})
		if err != nil {
			t.Fatal(err)
		}
		ctx, cancel := context.WithTimeout(t.Context(), 50*time.Millisecond)
		defer cancel()
		err = Deliver(ctx, sink, Summarize("j", "r", "h", testTime, nil), fastRetry)
		if !errors.Is(err, context.DeadlineExceeded) {
			t.Errorf("Deliver = %v, want context.DeadlineExceeded", err)
		}
	})
	t.Run("route timeout", func(t *testing.T) {
		srv := hang(t)
		route := webhookRoute(srv.URL, "")
		route.Webhook.Timeout = "50ms"
		sink, err := New(route, Options{HTTPClient: srv.Client()})
		if err != nil {
			t.Fatal(err)
		}
		start := time.Now()
		err = sink.Send(t.Context(), Summarize("j", "r", "h", testTime, nil))
		if err == nil || IsPermanent(err) {
			t.Errorf("Send = %v, want a transient error", err)
		}
		if d := time.Since(start); d > time.Second {
			t.Errorf("Send took %v with a 50ms timeout", d)
		}
	})
}

func TestSlack(t *testing.T) {
	rcv := newHTTPReceiver(t)
	t.Setenv("PIISCAN_TEST_SLACK_URL", rcv.URL+"/services/T0/B0/SECRETTOKEN")
	route := &config.Route{RouteSpec: config.RouteSpec{Name: "chat", Slack: &config.SlackSpec{URLEnv: "PIISCAN_TEST_SLACK_URL"}}, Kind: "slack"}
	sink, err := New(route, Options{HTTPClient: rcv.Client()})
	if err != nil {
		t.Fatal(err)
	}
	if sink.Kind() != "slack" {
		t.Errorf("Kind() = %q", sink.Kind())
	}
	vs := append(testViolations(), Violation{Class: "email", Severity: "low", Path: "/srv/<b>&co", Masked: "x***@example.com"})
	s := Summarize("nightly", "chat", "scan01", testTime, vs)
	if err := sink.Send(t.Context(), s); err != nil {
		t.Fatal(err)
	}
	req := rcv.Requests()[0]
	if req.Path != "/services/T0/B0/SECRETTOKEN" || req.Header.Get("Content-Type") != "application/json" {
		t.Errorf("request to %s, type %q", req.Path, req.Header.Get("Content-Type"))
	}
	var msg map[string]any
	if err := json.Unmarshal(req.Body, &msg); err != nil {
		t.Fatalf("body is not JSON: %v\n%s", err, req.Body)
	}
	text, ok := msg["text"].(string)
	if !ok || len(msg) != 1 {
		t.Fatalf("body %s, want only a text", req.Body)
	}
	for _, want := range []string{"*" + s.Subject() + "*\n```\n", "fingerprint bb01", "/srv/&lt;b&gt;&amp;co", "```"} {
		if !strings.Contains(text, want) {
			t.Errorf("text lacks %q:\n%s", want, text)
		}
	}

	// Errors never show the URL, a secret.
	rcv.mu.Lock()
	rcv.statuses, rcv.requests = []int{404}, nil
	rcv.mu.Unlock()
	err = sink.Send(t.Context(), s)
	if !IsPermanent(err) || strings.Contains(err.Error(), "SECRETTOKEN") {
		t.Errorf("Send = %v, want a permanent error without the URL", err)
	}
}

func TestSlackTextTruncated(t *testing.T) {
	s := Summarize("nightly", "chat", "scan01", testTime, []Violation{
		{Class: "email", Severity: "low", Path: strings.Repeat("é<", 30000), Masked: "a***@example.com"},
	})
	text := slackText(s)
	if n := utf8.RuneCountInString(text); n > maxSlackText {
		t.Errorf("text has %d characters, more than %d", n, maxSlackText)
	}
	if !strings.HasPrefix(text, "*"+s.Subject()+"*\n```\n") || !strings.HasSuffix(text, "… (truncated)\n```") {
		t.Errorf("truncated text is not a closed code block: %q...%q", text[:80], text[len(text)-80:])
	}
	if !utf8.ValidString(text) {
		t.Error("truncated text is not valid UTF-8")
	}
}
