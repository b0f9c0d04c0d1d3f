package main

import (
	"bufio"
	"bytes"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/emersion/go-smtp"
	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
	bolt "go.etcd.io/bbolt"

	"github.com/piiscan/piiscan/alert"
)

var (
	binOnce sync.Once
	binPath string
	binErr  error
)

// binary builds the piiscan binary once for the tests that run it.
func binary(t *testing.T) string {
	t.Helper()
	binOnce.Do(func() {
		dir, err := os.MkdirTemp("", "piiscan-bin-")
		if err != nil {
			binErr = err
			return
		}
		binPath = filepath.Join(dir, "piiscan")
		if out, err := exec.Command("go", "build", "-o", binPath, ".").CombinedOutput(); err != nil {
			binErr = fmt.Errorf("build: %v\n%s", err, out)
		}
	})
	if binErr != nil {
		t.Fatal(binErr)
	}
	return binPath
}

// webhookReceiver records the alerts it is sent; while down it answers 503.
type webhookReceiver struct {
	*httptest.Server
	down     atomic.Bool
	received atomic.Int64
	alerts   chan alert.Summary
	raw      chan string
	secret   string
	t        *testing.T
}

func newWebhookReceiver(t *testing.T, secret string) *webhookReceiver {
	w := &webhookReceiver{alerts: make(chan alert.Summary, 100), raw: make(chan string, 100), secret: secret, t: t}
	w.Server = httptest.NewServer(http.HandlerFunc(func(rw http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		if w.down.Load() {
			http.Error(rw, "down", http.StatusServiceUnavailable)
			return
		}
		mac := hmac.New(sha256.New, []byte(w.secret))
		mac.Write(body)
		if got := r.Header.Get("X-Piiscan-Signature"); got != "sha256="+hex.EncodeToString(mac.Sum(nil)) {
			t.Errorf("bad signature %q", got)
		}
		var s alert.Summary
		if err := json.Unmarshal(body, &s); err != nil {
			t.Errorf("alert body: %v", err)
		}
		w.received.Add(1)
		w.raw <- string(body)
		w.alerts <- s
	}))
	t.Cleanup(w.Close)
	return w
}

// next waits for the next alert.
func (w *webhookReceiver) next(within time.Duration) (alert.Summary, string, bool) {
	select {
	case s := <-w.alerts:
		return s, <-w.raw, true
	case <-time.After(within):
		return alert.Summary{}, "", false
	}
}

// smtpSink is a real SMTP server that keeps the messages it receives.
type smtpSink struct {
	addr string
	msgs chan string
}

type smtpSession struct{ sink *smtpSink }

func (s *smtpSession) Reset()                               {}
func (s *smtpSession) Logout() error                        { return nil }
func (s *smtpSession) Mail(string, *smtp.MailOptions) error { return nil }
func (s *smtpSession) Rcpt(string, *smtp.RcptOptions) error { return nil }
func (s *smtpSession) Data(r io.Reader) error {
	b, err := io.ReadAll(r)
	s.sink.msgs <- string(b)
	return err
}

func newSMTPSink(t *testing.T) *smtpSink {
	sink := &smtpSink{msgs: make(chan string, 100)}
	srv := smtp.NewServer(smtp.BackendFunc(func(*smtp.Conn) (smtp.Session, error) { return &smtpSession{sink}, nil }))
	srv.Domain = "localhost"
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	sink.addr = l.Addr().String()
	go srv.Serve(l)
	t.Cleanup(func() { srv.Close() })
	return sink
}

// daemonProc is a running `piiscan daemon`.
type daemonProc struct {
	cmd    *exec.Cmd
	addr   chan string
	mu     sync.Mutex
	stderr bytes.Buffer
	done   chan error
}

func startDaemon(t *testing.T, cfg string, env ...string) (*daemonProc, string) {
	t.Helper()
	d := &daemonProc{addr: make(chan string, 1), done: make(chan error, 1)}
	d.cmd = exec.Command(binary(t), "--config", cfg, "daemon")
	d.cmd.Env = append(os.Environ(), env...)
	pr, pw := io.Pipe()
	d.cmd.Stderr = pw
	if err := d.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() {
		sc := bufio.NewScanner(pr)
		for sc.Scan() {
			line := sc.Text()
			d.mu.Lock()
			d.stderr.WriteString(line + "\n")
			d.mu.Unlock()
			var rec map[string]any
			if json.Unmarshal([]byte(line), &rec) == nil && strings.HasPrefix(fmt.Sprint(rec["msg"]), "serving /healthz") {
				d.addr <- fmt.Sprint(rec["addr"])
			}
		}
	}()
	go func() {
		d.done <- d.cmd.Wait()
		pw.Close()
	}()
	t.Cleanup(func() {
		d.cmd.Process.Kill()
		if t.Failed() {
			t.Logf("daemon log:\n%s", d.log())
		}
	})
	select {
	case a := <-d.addr:
		return d, a
	case err := <-d.done:
		t.Fatalf("daemon exited: %v\n%s", err, d.log())
	case <-time.After(20 * time.Second):
		t.Fatalf("daemon did not start:\n%s", d.log())
	}
	return nil, ""
}

func (d *daemonProc) log() string {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.stderr.String()
}

// stop sends SIGTERM and returns how long it took and the exit error.
func (d *daemonProc) stop(t *testing.T, within time.Duration) (time.Duration, error) {
	start := time.Now()
	d.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case err := <-d.done:
		return time.Since(start), err
	case <-time.After(within):
		t.Fatalf("daemon did not stop within %v:\n%s", within, d.log())
	}
	return 0, nil
}

// scrape returns the metric families of /metrics.
func scrape(t *testing.T, addr string) map[string]*dto.MetricFamily {
	t.Helper()
	resp, err := http.Get("http://" + addr + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	parser := expfmt.NewTextParser(model.UTF8Validation)
	fams, err := parser.TextToMetricFamilies(resp.Body)
	if err != nil {
		t.Fatalf("/metrics does not parse: %v", err)
	}
	return fams
}

// metricValue sums the samples of a family whose labels include want.
func metricValue(fams map[string]*dto.MetricFamily, name string, want map[string]string) float64 {
	f := fams[name]
	if f == nil {
		return 0
	}
	sum := 0.0
next:
	for _, m := range f.GetMetric() {
		labels := map[string]string{}
		for _, l := range m.GetLabel() {
			labels[l.GetName()] = l.GetValue()
		}
		for k, v := range want {
			if labels[k] != v {
				continue next
			}
		}
		switch {
		case m.Counter != nil:
			sum += m.GetCounter().GetValue()
		case m.Gauge != nil:
			sum += m.GetGauge().GetValue()
		}
	}
	return sum
}

func waitFor(t *testing.T, what string, within time.Duration, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(within)
	for time.Now().Before(deadline) {
		if cond() {
			return
		}
		time.Sleep(100 * time.Millisecond)
	}
	t.Fatalf("timed out waiting for %s", what)
}

func appendTo(t *testing.T, path string, lines ...string) {
	t.Helper()
	f, err := os.OpenFile(path, os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o644)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	for _, l := range lines {
		fmt.Fprintln(f, l)
	}
}

// Card numbers used below; none may appear in any alert.
var rawCards = []string{"4111111111111111", "5555555555554444", "378282246310005", "6011111111111117", "4012888888881881", "5105105105105100"}

// cardLogsPolicy writes a log with a card number in a new folder, and a
// rules.yaml beside it with a card rule, the folder as location app-logs,
// the sections (jobs, alerts), and a state file; it returns the folder
// and the rules.yaml.
func cardLogsPolicy(t *testing.T, sections string) (logs, policy string) {
	t.Helper()
	dir := t.TempDir()
	logs = filepath.Join(dir, "logs")
	os.MkdirAll(logs, 0o755)
	appendTo(t, filepath.Join(logs, "app.log"), cardLine(0))
	policy = filepath.Join(dir, "rules.yaml")
	os.WriteFile(policy, []byte(fmt.Sprintf(`version: 1
rules:
  - {id: card, detector: credit_card, severity: critical}
locations:
  - {name: app-logs, paths: [%s]}
%sstate: {path: %s}
`, logs, sections, filepath.Join(dir, "state.db"))), 0o644)
	return logs, policy
}

func cardLine(i int) string {
	c := rawCards[i]
	return fmt.Sprintf(`{"ts":"2026-11-29T10:00:0%dZ","msg":"payment","card":"%s","user":"u%d@example.com"}`, i, c, i)
}

func TestDaemon(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the binary")
	}
	hook := newWebhookReceiver(t, "hook-secret")
	mail := newSMTPSink(t)
	dir := t.TempDir()
	logs := filepath.Join(dir, "logs")
	os.MkdirAll(logs, 0o755)
	app := filepath.Join(logs, "app.log")
	appendTo(t, app, "service started", cardLine(0))
	policy := filepath.Join(dir, "rules.yaml")
	cfgText := fmt.Sprintf(`version: 1
rules:
  - {id: email, detector: email, severity: medium}
  - {id: card, detector: credit_card, severity: critical}
locations:
  - {name: app-logs, paths: [%[1]s], allowed: [email]}
jobs:
  - {name: watch, schedule: "* * * * * *", action: scan, alerts: [security, mail]}
alerts:
  retry: {attempts: 2, initial: 10ms, max: 50ms}
  routes:
    - {name: security, min_severity: high, webhook: {url: "%[2]s", secret_env: HOOK_SECRET}}
    - {name: mail, email: {address: "%[3]s", from: "piiscan@example.com", to: ["security@example.com"], starttls: "off"}}
state: {path: %[4]s}
daemon: {listen: "127.0.0.1:0", grace_period: 5s}
`, logs, hook.URL, mail.addr, filepath.Join(dir, "state", "piiscan.db"))
	os.WriteFile(policy, []byte(cfgText), 0o644)
	env := []string{"PIISCAN_FINGERPRINT_KEY=" + testKey, "HOOK_SECRET=hook-secret"}

	d, addr := startDaemon(t, policy, env...)
	noRaw := func(where, s string) {
		t.Helper()
		for _, c := range rawCards {
			if strings.Contains(s, c) {
				t.Errorf("%s holds a raw card number %s", where, c)
			}
		}
	}

	// 1. The first run alerts both routes, masked.
	s, raw, ok := hook.next(10 * time.Second)
	if !ok {
		t.Fatal("no webhook alert")
	}
	if s.Job != "watch" || s.Route != "security" || s.New != 1 || s.ByClass["credit_card"] != 1 || len(s.Examples) != 1 ||
		!strings.Contains(s.Examples[0].Masked, "1111") || s.Examples[0].Fingerprint == "" {
		t.Errorf("first alert %+v", s)
	}
	noRaw("webhook alert", raw)
	select {
	case m := <-mail.msgs:
		noRaw("e-mail alert", m)
		if !strings.Contains(m, "Subject: ") || !strings.Contains(m, "app.log") {
			t.Errorf("e-mail:\n%s", m)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("no e-mail alert")
	}

	// 2. Appended lines are scanned; old ones are not alerted again.
	appendTo(t, app, cardLine(1))
	s, raw, ok = hook.next(10 * time.Second)
	if !ok || s.Total != 1 || s.Examples[0].Line != 3 || !strings.Contains(s.Examples[0].Masked, "4444") {
		t.Fatalf("after append: %v %+v", ok, s)
	}
	noRaw("webhook alert", raw)

	// 3. Rotation: lines written just before it, and the new file, are
	// both scanned, once.
	appendTo(t, app, cardLine(2))
	os.Rename(app, app+".1")
	appendTo(t, app, cardLine(3))
	got := map[string]int{}
	for len(got) < 2 {
		s, _, ok = hook.next(10 * time.Second)
		if !ok {
			t.Fatalf("after rotation: got %v", got)
		}
		for _, e := range s.Examples {
			got[fmt.Sprintf("%s:%d", filepath.Base(e.Path), e.Line)]++
		}
	}
	if got["app.log.1:4"] != 1 || got["app.log:1"] != 1 || len(got) != 2 {
		t.Errorf("after rotation: %v", got)
	}

	// 4. A receiver that is down gets the alert from the outbox later.
	hook.down.Store(true)
	appendTo(t, app, cardLine(4))
	waitFor(t, "a failed delivery", 10*time.Second, func() bool {
		f := scrape(t, addr)
		return metricValue(f, "piiscan_alert_failures_total", map[string]string{"route": "security"}) >= 1 &&
			metricValue(f, "piiscan_outbox_alerts", nil) >= 1
	})
	hook.down.Store(false)
	s, _, ok = hook.next(10 * time.Second)
	if !ok || s.Total != 1 || !strings.Contains(s.Examples[0].Masked, "1881") {
		t.Fatalf("from the outbox: %v %+v", ok, s)
	}
	waitFor(t, "an empty outbox", 5*time.Second, func() bool {
		return metricValue(scrape(t, addr), "piiscan_outbox_alerts", nil) == 0
	})

	// 5. /metrics matches the work done.
	fams := scrape(t, addr)
	if v, n := metricValue(fams, "piiscan_alerts_sent_total", map[string]string{"route": "security", "sink": "webhook"}), hook.received.Load(); v != float64(n) || n < 4 {
		t.Errorf("alerts_sent_total{route=security} = %v, the receiver got %d", v, n)
	}
	if v := metricValue(fams, "piiscan_violations_total", map[string]string{"job": "watch", "class": "credit_card"}); v != 5 {
		t.Errorf("violations_total = %v, want 5 (each card line scanned once)", v)
	}
	if v := metricValue(fams, "piiscan_findings_total", map[string]string{"job": "watch", "class": "email", "location": "app-logs"}); v != 5 {
		t.Errorf("findings_total{class=email} = %v, want 5", v)
	}
	if v := metricValue(fams, "piiscan_job_runs_total", map[string]string{"job": "watch"}); v < 5 {
		t.Errorf("job_runs_total = %v", v)
	}
	if v := metricValue(fams, "piiscan_job_last_success_timestamp_seconds", map[string]string{"job": "watch"}); v < float64(time.Now().Add(-time.Minute).Unix()) {
		t.Errorf("last success %v", v)
	}
	for _, path := range []string{"/healthz", "/readyz"} {
		resp, err := http.Get("http://" + addr + path)
		if err != nil || resp.StatusCode != 200 {
			t.Errorf("%s: %v %v", path, resp, err)
		} else {
			resp.Body.Close()
		}
	}

	// 6. A broken configuration is rejected; the old one keeps working.
	os.WriteFile(policy, []byte(cfgText+"jobs: [oops\n"), 0o644)
	waitFor(t, "a rejected reload", 10*time.Second, func() bool {
		return metricValue(scrape(t, addr), "piiscan_config_reloads_total", map[string]string{"result": "failure"}) >= 1
	})
	if v := metricValue(scrape(t, addr), "piiscan_config_last_reload_successful", nil); v != 0 {
		t.Errorf("config_last_reload_successful = %v after a bad config", v)
	}
	appendTo(t, app, cardLine(5))
	if s, _, ok = hook.next(10 * time.Second); !ok || s.Total != 1 {
		t.Fatalf("after a rejected reload: %v %+v", ok, s)
	}
	os.WriteFile(policy, []byte(cfgText), 0o644)

	// 7. SIGTERM: a clean exit within the grace period.
	took, err := d.stop(t, 15*time.Second)
	if err != nil || took > 6*time.Second {
		t.Errorf("SIGTERM: %v after %v", err, took)
	}

	// 8. After a restart nothing is alerted twice.
	d, addr = startDaemon(t, policy, env...)
	waitFor(t, "two runs after the restart", 10*time.Second, func() bool {
		return metricValue(scrape(t, addr), "piiscan_job_runs_total", map[string]string{"job": "watch"}) >= 2
	})
	if s, _, ok := hook.next(500 * time.Millisecond); ok {
		t.Errorf("duplicate alert after a restart: %+v", s)
	}
	if v := metricValue(scrape(t, addr), "piiscan_scanned_bytes_total", nil); v != 0 {
		t.Errorf("the restarted daemon scanned %v bytes of old data", v)
	}
	d.stop(t, 15*time.Second)
}

// `piiscan run JOB` is the entry point of a cron-scheduled container: one
// run, the scan exit codes, the same state as the daemon.
func TestRunJob(t *testing.T) {
	hook := newWebhookReceiver(t, "s")
	_, policy := cardLogsPolicy(t, fmt.Sprintf(`jobs:
  - {name: nightly, schedule: "@daily", action: scan, alerts: [hook]}
  - {name: expire, schedule: "@daily", action: purge}
alerts:
  routes:
    - {name: hook, webhook: {url: "%s", secret_env: S}}
`, hook.URL))
	t.Setenv("PIISCAN_FINGERPRINT_KEY", testKey)
	t.Setenv("S", "s")
	run := func(args ...string) (int, string) {
		code, _, errs := runCLI(t, "", append([]string{"--config", policy, "run"}, args...)...)
		return code, errs
	}
	if code, errs := run("nightly"); code != exitFindings {
		t.Fatalf("first run: exit %d\n%s", code, errs)
	}
	if s, raw, ok := hook.next(5 * time.Second); !ok || s.Total != 1 || strings.Contains(raw, rawCards[0]) {
		t.Fatalf("alert %v %+v", ok, s)
	}
	if code, errs := run("nightly"); code != exitOK {
		t.Errorf("nothing new: exit %d\n%s", code, errs)
	}
	if code, _ := run("nightly", "--full"); code != exitFindings {
		t.Errorf("--full: exit %d", code)
	}
	if s, _, ok := hook.next(300 * time.Millisecond); ok {
		t.Errorf("--full alerted an old violation again: %+v", s)
	}
	if code, errs := run("expire"); code != exitOK {
		t.Errorf("purge job: exit %d\n%s", code, errs)
	}
	if code, errs := run("weekly"); code != exitUsage || !strings.Contains(errs, `no job "weekly"`) {
		t.Errorf("unknown job: exit %d %s", code, errs)
	}
}

// The exit codes of run for paths that do not exist, and for a state
// file another piiscan holds.
func TestRunJobMissingPathsAndHeldState(t *testing.T) {
	dir := t.TempDir()
	logs := filepath.Join(dir, "logs")
	os.MkdirAll(logs, 0o755)
	appendTo(t, filepath.Join(logs, "app.log"), "nothing to see\n")
	gone := filepath.Join(dir, "not-mounted")
	statePath := filepath.Join(dir, "state.db")
	policy := filepath.Join(dir, "rules.yaml")
	write := func(paths string) {
		os.WriteFile(policy, []byte(fmt.Sprintf(`version: 1
rules:
  - {id: card, detector: credit_card, severity: critical}
locations:
  - {name: app-logs, paths: [%s], retention: {max_age: 30d, from: mtime, action: delete}}
jobs:
  - {name: scan, schedule: "@daily", action: scan}
  - {name: expire, schedule: "@daily", action: purge}
state: {path: %s}
`, paths, statePath)), 0o644)
	}
	t.Setenv("PIISCAN_FINGERPRINT_KEY", testKey)
	run := func(args ...string) (int, string) {
		code, _, errs := runCLI(t, "", append([]string{"--config", policy, "run"}, args...)...)
		return code, errs
	}
	write(logs + ", " + gone)
	for _, job := range []string{"scan", "expire"} {
		if code, errs := run(job); code != exitOK || !strings.Contains(errs, gone) {
			t.Errorf("%s with one path missing: exit %d, want 0 and the path named\n%s", job, code, errs)
		}
	}
	write(gone)
	for _, job := range []string{"scan", "expire"} {
		if code, errs := run(job); code != exitUnreadable || !strings.Contains(errs, "examined nothing") || !strings.Contains(errs, gone) {
			t.Errorf("%s with every path missing: exit %d, want 3 naming the path\n%s", job, code, errs)
		}
	}

	// Another piiscan holds the state: run waits for it, within --wait-lock.
	write(logs)
	db, err := bolt.Open(statePath, 0o600, nil)
	if err != nil {
		t.Fatal(err)
	}
	if code, errs := run("scan", "--wait-lock", "200ms"); code != exitUsage || !strings.Contains(errs, "another piiscan") {
		t.Errorf("held state, short wait: exit %d\n%s", code, errs)
	}
	time.AfterFunc(3*time.Second, func() { db.Close() }) // longer than Open's own 2 s
	if code, errs := run("scan", "--wait-lock", "30s"); code != exitOK {
		t.Errorf("state let go while waiting: exit %d\n%s", code, errs)
	}
}
