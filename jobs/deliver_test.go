package jobs

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"

	"github.com/piiscan/piiscan/alert"
	"github.com/piiscan/piiscan/config"
	"github.com/piiscan/piiscan/metrics"
	"github.com/piiscan/piiscan/state"
)

const testKey = "5c1e0a9d3b7f4286e1d0c5a7b92f38e4"

// receiver is a real webhook receiver: it records the alerts it gets,
// and hangs while hold is set.
type receiver struct {
	*httptest.Server
	mu    sync.Mutex
	got   []alert.Summary
	hold  chan struct{} // closed to let hanging requests go
	hangs bool
}

func newReceiver(t *testing.T, hangs bool) *receiver {
	rc := &receiver{hold: make(chan struct{}), hangs: hangs}
	rc.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		body, _ := io.ReadAll(req.Body)
		if rc.hangs {
			select {
			case <-rc.hold:
			case <-req.Context().Done():
				return
			}
		}
		var s alert.Summary
		if err := json.Unmarshal(body, &s); err == nil {
			rc.mu.Lock()
			rc.got = append(rc.got, s)
			rc.mu.Unlock()
		}
	}))
	t.Cleanup(func() {
		rc.release()
		rc.Close()
	})
	return rc
}

func (rc *receiver) release() {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	select {
	case <-rc.hold:
	default:
		close(rc.hold)
	}
}

// take returns the alerts received and forgets them.
func (rc *receiver) take() []alert.Summary {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	got := rc.got
	rc.got = nil
	return got
}

func (rc *receiver) alerts() []alert.Summary {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	return append([]alert.Summary(nil), rc.got...)
}

// alertConfig is a scan job over dir alerting two webhook routes.
func alertConfig(t *testing.T, dir, slowURL, fastURL, extra string) *config.Config {
	t.Helper()
	t.Setenv("PIISCAN_FINGERPRINT_KEY", testKey)
	c, err := config.Parse("test.yaml", []byte(fmt.Sprintf(`version: 1
rules:
  - {id: card, detector: credit_card, severity: critical}
locations:
  - {name: logs, paths: [%s]}
jobs:
  - {name: scan, schedule: manual, action: scan, alerts: [slow, fast]%s}
alerts:
  delivery_timeout: 1s
  retry: {attempts: 1}
  routes:
    - {name: slow, webhook: {url: %q}}
    - {name: fast, webhook: {url: %q}}
`, dir, extra, slowURL, fastURL)))
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func openState(t testing.TB) *state.Store {
	t.Helper()
	st, err := state.Open(filepath.Join(t.TempDir(), "state.db"), slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return st
}

// A hanging sink holds up neither the other route nor, in the daemon, the
// job; one run waits for it no longer than alerts.delivery_timeout, and
// its alert stays in the outbox.
func TestSlowSinkDoesNotStallJobsOrRoutes(t *testing.T) {
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "app.log"), []byte("card 4111 1111 1111 1111\n"), 0o644)
	slow, fast := newReceiver(t, true), newReceiver(t, false)
	cfg := alertConfig(t, dir, slow.URL, fast.URL, "")
	log := slog.New(slog.DiscardHandler)

	// One run (`piiscan run`): delivery is bounded by delivery_timeout.
	st := openState(t)
	r := &Runner{Config: cfg, State: st, Logger: log}
	start := time.Now()
	res, err := r.Run(context.Background(), cfg.JobByName("scan"))
	if err != nil {
		t.Fatal(err)
	}
	if took := time.Since(start); took > 20*time.Second {
		t.Errorf("the run took %v with a hanging sink (delivery_timeout 1s)", took)
	}
	if got := fast.alerts(); len(got) != 1 || got[0].New != 1 {
		t.Errorf("the fast route got %+v, want its one alert", got)
	}
	if res.Sent != 1 || res.Pending != 1 || res.DeliveryError == nil {
		t.Errorf("sent %d, pending %d, delivery error %v: want 1, 1 and the slow route's error", res.Sent, res.Pending, res.DeliveryError)
	}
	box, _ := st.OutboxOf("slow")
	if len(box) != 1 || box[0].Attempts != 1 {
		t.Errorf("the slow route's alert is not kept with its attempt: %+v", box)
	}

	// The daemon: the job returns while the sink still hangs.
	os.WriteFile(filepath.Join(dir, "app.log"), []byte("card 4111 1111 1111 1111\ncard 5555 5555 5555 4444\n"), 0o644)
	d := &Deliverer{State: st, Logger: log}
	dctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	r = &Runner{Config: cfg, State: st, Logger: log, Deliverer: d, DeliverIn: dctx}
	done := make(chan struct{})
	go func() {
		defer close(done)
		if _, err := r.Run(context.Background(), cfg.JobByName("scan")); err != nil {
			t.Error(err)
		}
	}()
	select {
	case <-done:
	case <-time.After(30 * time.Second):
		t.Fatal("the daemon's job waited for a hanging sink")
	}
	slow.release()
	d.Close()
	if got := fast.alerts(); len(got) != 2 {
		t.Errorf("the fast route got %d alerts, want 2", len(got))
	}
}

// Alerts in the outbox are delivered after a run that timed out or was
// cancelled: delivery does not depend on the scan finishing.
func TestOutboxDeliveredAfterTimeoutAndCancel(t *testing.T) {
	for _, how := range []string{"timeout", "cancel"} {
		t.Run(how, func(t *testing.T) {
			dir := t.TempDir()
			// Enough data that the scan is still going when it is stopped.
			line := strings.Repeat("user=someone action=login ok ", 8) + "\n"
			big := strings.Repeat(line, 300_000)
			os.WriteFile(filepath.Join(dir, "big.log"), []byte(big), 0o644)
			rc := newReceiver(t, false)
			extra := ""
			if how == "timeout" {
				extra = ", timeout: 50ms"
			}
			cfg := alertConfig(t, dir, rc.URL, rc.URL, extra)
			st := openState(t)
			// An alert an earlier run could not deliver.
			sum, _ := json.Marshal(alert.Summary{ID: "earlier", Route: "fast", Job: "scan", New: 1, Total: 1})
			if _, err := st.Save(state.Commit{Outbox: []state.OutboxEntry{{Route: "fast", Job: "scan", Created: time.Now(), Summary: sum}}}); err != nil {
				t.Fatal(err)
			}
			ctx, cancel := context.WithCancel(context.Background())
			if how == "cancel" {
				cancel()
			}
			defer cancel()
			r := &Runner{Config: cfg, State: st, Logger: slog.New(slog.DiscardHandler)}
			res, _ := r.Run(ctx, cfg.JobByName("scan"))
			if !res.Cancelled {
				t.Fatalf("the run was not stopped: %+v", res)
			}
			if got := rc.alerts(); len(got) != 1 || got[0].ID != "earlier" {
				t.Errorf("receiver got %+v, want the waiting alert", got)
			}
			if res.Pending != 0 {
				t.Errorf("%d alerts still in the outbox", res.Pending)
			}
		})
	}
}

// A violation alerted to two routes is one violation alerted, not two.
func TestAlertedCountsViolationsNotRoutes(t *testing.T) {
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "app.log"), []byte("card 4111 1111 1111 1111\ncard 5555 5555 5555 4444\n"), 0o644)
	rc := newReceiver(t, false)
	cfg := alertConfig(t, dir, rc.URL, rc.URL, "")
	r := &Runner{Config: cfg, State: openState(t), Logger: slog.New(slog.DiscardHandler)}
	res, err := r.Run(context.Background(), cfg.JobByName("scan"))
	if err != nil {
		t.Fatal(err)
	}
	if res.New != 2 || res.Queued != 2 || res.Sent != 2 {
		t.Errorf("alerted %d, queued %d, sent %d: want 2 violations in 2 alerts", res.New, res.Queued, res.Sent)
	}
}

// A long scan saves checkpoints: several alerts per route, and every
// violation alerted exactly once over them.
func TestCheckpointsAlertEachViolationOnce(t *testing.T) {
	dir := t.TempDir()
	cards := []string{"4111 1111 1111 1111", "5555 5555 5555 4444", "4012 8888 8888 1881", "3782 822463 10005", "6011 1111 1111 1117"}
	for i, c := range cards {
		os.WriteFile(filepath.Join(dir, fmt.Sprintf("app%d.log", i)), []byte("card "+c+"\ncard "+cards[0]+"\n"), 0o644)
	}
	rc := newReceiver(t, false)
	cfg := alertConfig(t, dir, rc.URL, rc.URL, "")
	st := openState(t)
	r := &Runner{Config: cfg, State: st, Logger: slog.New(slog.DiscardHandler), CheckpointEvery: time.Nanosecond}
	res, err := r.Run(context.Background(), cfg.JobByName("scan"))
	if err != nil {
		t.Fatal(err)
	}
	got := rc.alerts()
	total := 0
	for _, s := range got {
		total += s.New
	}
	if len(got) <= 2 || total != 2*len(cards) || res.New != len(cards) {
		t.Errorf("%d alerts with %d new (run says %d): want more than one alert per route and each of %d violations once per route",
			len(got), total, res.New, len(cards))
	}
	// Nothing is new on the next run.
	res, err = r.Run(context.Background(), cfg.JobByName("scan"))
	if err != nil || res.New != 0 {
		t.Errorf("second run: %d new, %v", res.New, err)
	}
}

// Paths of the policy that do not exist are named; a job none of whose
// paths exist fails instead of succeeding silently.
func TestMissingPaths(t *testing.T) {
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "app.log"), []byte("card 4111 1111 1111 1111\n"), 0o644)
	gone := filepath.Join(dir, "not-mounted")
	t.Setenv("PIISCAN_FINGERPRINT_KEY", testKey)
	parse := func(paths string) *config.Config {
		c, err := config.Parse("test.yaml", []byte(`version: 1
rules:
  - {id: card, detector: credit_card, severity: critical}
locations:
  - {name: logs, paths: [`+paths+`], retention: {max_age: 30d, from: mtime, action: delete}}
jobs:
  - {name: scan, schedule: manual, action: scan}
  - {name: purge, schedule: manual, action: purge}
`))
		if err != nil {
			t.Fatal(err)
		}
		return c
	}
	m := metrics.New("test")
	for _, job := range []string{"scan", "purge"} {
		cfg := parse(dir + ", " + gone)
		r := &Runner{Config: cfg, State: openState(t), Logger: slog.New(slog.DiscardHandler), Metrics: m}
		res, err := r.Run(context.Background(), cfg.JobByName(job))
		if err != nil || res.NothingToRead || len(res.Missing) != 1 || res.Missing[0] != gone {
			t.Errorf("%s with one path missing: %v, missing %q", job, err, res.Missing)
		}
		cfg = parse(gone)
		r = &Runner{Config: cfg, State: openState(t), Logger: slog.New(slog.DiscardHandler), Metrics: m}
		res, err = r.Run(context.Background(), cfg.JobByName(job))
		if !errors.Is(err, ErrNothingToRead) || !res.NothingToRead || len(res.Missing) != 1 {
			t.Errorf("%s with every path missing: %v, %+v", job, err, res)
		}
	}
	if v := gaugeValue(t, m.MissingPaths.WithLabelValues("scan")); v != 1 {
		t.Errorf("piiscan_job_missing_paths = %v, want 1", v)
	}
}

func gaugeValue(t *testing.T, g prometheus.Gauge) float64 {
	t.Helper()
	var m dto.Metric
	if err := g.Write(&m); err != nil {
		t.Fatal(err)
	}
	return m.GetGauge().GetValue()
}

// A job that times out keeps how far it got in a big file: repeated
// timed-out runs get through it and find the violation at its end, once.
func TestTimedOutRunsMakeProgress(t *testing.T) {
	dir := t.TempDir()
	// Digits everywhere: the card detector looks at every line.
	line := "2026-03-01 12:00:01 id=1234567 amount=4411.22 ref=99887766 order 5512 3456 7890 1233 tel 0301 2345678\n"
	body := strings.Repeat(line, 32<<20/len(line)) + "card 4111 1111 1111 1111\n"
	os.WriteFile(filepath.Join(dir, "big.log"), []byte(body), 0o644)
	rc := newReceiver(t, false)
	log := slog.New(slog.DiscardHandler)

	// The timeout is a fraction of what a whole scan takes here (the race
	// detector or a loaded machine make it slower).
	cfg := alertConfig(t, dir, rc.URL, rc.URL, "")
	start := time.Now()
	if _, err := (&Runner{Config: cfg, State: openState(t), Logger: log}).Run(context.Background(), cfg.JobByName("scan")); err != nil {
		t.Fatal(err)
	}
	timeout := max(time.Since(start)/4, 5*time.Millisecond)
	rc.take()

	cfg = alertConfig(t, dir, rc.URL, rc.URL, ", timeout: "+timeout.String())
	r := &Runner{Config: cfg, State: openState(t), Logger: log}
	timedOut, alerted := 0, 0
	for run := 0; ; run++ {
		if run == 200 {
			t.Fatalf("no end after %d runs with a timeout of %v", run, timeout)
		}
		res, err := r.Run(context.Background(), cfg.JobByName("scan"))
		// The card may be reported by a run that timed out just after.
		alerted += res.New
		if res.Cancelled {
			timedOut++
			continue
		}
		if err != nil || alerted != 1 {
			t.Fatalf("last run: %v; %d alerted in all", err, alerted)
		}
		if timedOut > 0 && res.Bytes >= int64(len(body)) {
			t.Errorf("after %d timed-out runs the last one read %d bytes of %d: it did not resume", timedOut, res.Bytes, len(body))
		}
		break
	}
	if timedOut == 0 {
		t.Logf("nothing timed out within %v", timeout)
	}
	if got := rc.take(); len(got) != 2 { // one per route
		t.Errorf("%d alerts, want the violation once per route", len(got))
	}
}

// A path that is missing for a while (a volume not mounted) loses neither
// the positions nor the violations remembered under it: when it is back,
// nothing is alerted again as new.
func TestMissingPathIsNotForgotten(t *testing.T) {
	dir := t.TempDir()
	vol := filepath.Join(dir, "vol")
	os.MkdirAll(vol, 0o755)
	os.WriteFile(filepath.Join(vol, "app.log"), []byte("card 4111 1111 1111 1111\n"), 0o644)
	other := filepath.Join(dir, "other")
	os.MkdirAll(other, 0o755)
	h := newReminderRun(t, vol+", "+other)
	if got := h.run(t); len(got) != 1 || got[0].New != 1 {
		t.Fatalf("first run: %+v", got)
	}
	os.Rename(vol, vol+".unmounted")
	h.now = h.now.Add(25 * time.Hour) // the violation is due for a reminder
	if got := h.run(t); len(got) != 0 {
		t.Errorf("run with the volume away alerted: %+v", got)
	}
	os.Rename(vol+".unmounted", vol)
	// The same card logged again.
	f, _ := os.OpenFile(filepath.Join(vol, "app.log"), os.O_APPEND|os.O_WRONLY, 0)
	f.WriteString("card 4111 1111 1111 1111\n")
	f.Close()
	h.now = h.now.Add(time.Hour)
	got := h.run(t)
	for _, s := range got {
		if s.New != 0 {
			t.Errorf("the violation came back as new: %+v", s)
		}
	}
}

// A signal that comes while `piiscan run` delivers the outbox after its
// job (the job itself finished) ends the delivery stopDeliveryTimeout
// later, not alerts.delivery_timeout later: an orchestrator's SIGKILL
// follows soon. The alert stays in the outbox.
func TestSignalDuringDeliveryEndsIt(t *testing.T) {
	old := stopDeliveryTimeout
	stopDeliveryTimeout = 100 * time.Millisecond
	t.Cleanup(func() { stopDeliveryTimeout = old })
	arrived := make(chan struct{})
	var once sync.Once
	hang := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		io.Copy(io.Discard, req.Body)
		once.Do(func() { close(arrived) })
		<-req.Context().Done()
	}))
	t.Cleanup(hang.Close)
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "app.log"), []byte("card 4111 1111 1111 1111\n"), 0o644)
	t.Setenv("PIISCAN_FINGERPRINT_KEY", testKey)
	cfg, err := config.Parse("test.yaml", []byte(fmt.Sprintf(`version: 1
rules:
  - {id: card, detector: credit_card, severity: critical}
locations:
  - {name: logs, paths: [%s]}
jobs:
  - {name: scan, schedule: manual, action: scan, alerts: [hang]}
alerts:
  delivery_timeout: 1m
  retry: {attempts: 1}
  routes:
    - {name: hang, webhook: {url: %q}}
`, dir, hang.URL)))
	if err != nil {
		t.Fatal(err)
	}
	st := openState(t)
	r := &Runner{Config: cfg, State: st, Logger: slog.New(slog.DiscardHandler)}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	type ran struct {
		res *Result
		err error
	}
	done := make(chan ran, 1)
	go func() {
		res, err := r.Run(ctx, cfg.JobByName("scan"))
		done <- ran{res, err}
	}()
	select {
	case <-arrived:
	case <-time.After(30 * time.Second):
		t.Fatal("the alert never reached the sink")
	}
	cancel() // SIGTERM during the delivery
	var got ran
	select {
	case got = <-done:
	case <-time.After(10 * time.Second):
		t.Fatal("the run still delivers 10s after the signal (delivery_timeout 1m): the signal is ignored")
	}
	if got.err != nil || got.res.Cancelled {
		t.Errorf("the job had finished: err %v, cancelled %v", got.err, got.res.Cancelled)
	}
	if got.res.Pending != 1 || got.res.DeliveryError == nil {
		t.Errorf("pending %d, delivery error %v: want the alert kept in the outbox", got.res.Pending, got.res.DeliveryError)
	}
}

// A job reports only what lies in its locations, also when a glob makes
// it read a directory other locations share; a key other than the
// state's is a configuration error, and new settings take either
// duration grammar.
func TestJobKeepsToItsLocations(t *testing.T) {
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "a.log"), []byte("card 4111 1111 1111 1111\n"), 0o644)
	os.WriteFile(filepath.Join(dir, "b.gz.nomatch"), []byte("nothing\n"), 0o644)
	t.Setenv("PIISCAN_FINGERPRINT_KEY", testKey)
	cfg, err := config.Parse("test.yaml", []byte(`version: 1
rules:
  - {id: card, detector: credit_card, severity: critical}
locations:
  - {name: globbed, paths: ["`+dir+`/*.nomatch"]}
  - {name: logs, paths: [`+dir+`]}
jobs:
  - {name: scan, schedule: manual, action: scan, locations: [globbed]}
alerts:
  delivery_timeout: 1d
state: {checkpoint_every: 1d}
`))
	if err != nil {
		t.Fatal(err)
	}
	if cfg.DeliveryTimeout() != 24*time.Hour || cfg.CheckpointEvery() != 24*time.Hour {
		t.Errorf("1d read as %v and %v", cfg.DeliveryTimeout(), cfg.CheckpointEvery())
	}
	st := openState(t)
	r := &Runner{Config: cfg, State: st, Logger: slog.New(slog.DiscardHandler)}
	res, err := r.Run(context.Background(), cfg.JobByName("scan"))
	if err != nil || res.Findings != 0 || res.Violations != 0 {
		t.Errorf("job of location globbed: %v, %d findings, %d violations: want none of location logs", err, res.Findings, res.Violations)
	}
	t.Setenv("PIISCAN_FINGERPRINT_KEY", "a8d2f61c04b9e37d5f1a2c8e6b0d4973")
	if _, err := r.Run(context.Background(), cfg.JobByName("scan")); !IsConfigError(err) || !errors.Is(err, state.ErrKeyChanged) {
		t.Errorf("another key: %v, want a configuration error", err)
	}
}
