package jobs

import (
	"context"
	"errors"
	"log/slog"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"

	"github.com/piiscan/piiscan/config"
	"github.com/piiscan/piiscan/metrics"
)

func testConfig(t *testing.T, dir string) *config.Config {
	t.Helper()
	c, err := config.Parse("test.yaml", []byte(`version: 1
rules:
  - {id: email, detector: email, severity: low}
locations:
  - {name: logs, paths: [`+dir+`]}
jobs:
  - {name: slow, schedule: "@every 1h", action: scan}
  - {name: boom, schedule: "@every 1h", action: scan}
`))
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// A tick that comes while the job still runs is skipped and counted; a
// panic in a job is recovered and counted.
func TestRunScheduledSkipsAndRecovers(t *testing.T) {
	cfg := testConfig(t, t.TempDir())
	release := make(chan struct{})
	var started sync.WaitGroup
	var runs atomic.Int32
	d := &Daemon{metrics: metrics.New("test"), running: map[string]*atomic.Bool{"slow": {}, "boom": {}}, jobCtx: context.Background()}
	d.cfg.Store(cfg)
	d.runJob = func(_ context.Context, _ *config.Config, job *config.Job) {
		runs.Add(1)
		if job.Name == "boom" {
			panic("detector exploded")
		}
		started.Done()
		<-release
	}
	log := slog.New(slog.DiscardHandler)
	started.Add(1)
	go d.runScheduled("slow", log)
	started.Wait()
	d.runScheduled("slow", log) // still running: skipped
	d.runScheduled("slow", log)
	close(release)
	d.wg.Wait()
	if got := value(d.metrics.SkippedRuns.WithLabelValues("slow")); got != 2 {
		t.Errorf("skipped runs = %v, want 2", got)
	}
	if runs.Load() != 1 {
		t.Errorf("%d runs, want 1", runs.Load())
	}
	// After it finished, the next tick runs it again.
	release = make(chan struct{})
	close(release)
	started.Add(1)
	d.runScheduled("slow", log)
	if runs.Load() != 2 {
		t.Errorf("%d runs, want 2", runs.Load())
	}

	d.runScheduled("boom", log) // must not take the process down
	d.runScheduled("boom", log)
	if got := value(d.metrics.Panics.WithLabelValues("boom")); got != 2 {
		t.Errorf("panics = %v, want 2", got)
	}
	if d.running["boom"].Load() {
		t.Error("a panicked job is still marked running")
	}
}

func value(c prometheus.Counter) float64 {
	var m dto.Metric
	c.Write(&m)
	return m.GetCounter().GetValue()
}

// On a stop, a job that does not finish is cancelled in time for the
// daemon to be gone within the grace period.
func TestDaemonStopsWithinGracePeriod(t *testing.T) {
	dir := t.TempDir()
	t.Setenv("PIISCAN_FINGERPRINT_KEY", "5c1e0a9d3b7f4286e1d0c5a7b92f38e4")
	cfg, err := config.Parse("test.yaml", []byte(`version: 1
rules:
  - {id: email, detector: email, severity: low}
locations:
  - {name: logs, paths: [`+dir+`]}
jobs:
  - {name: stuck, schedule: "@every 1s", action: scan}
state: {path: `+filepath.Join(dir, "state.db")+`}
daemon: {listen: "off", grace_period: 1s}
`))
	if err != nil {
		t.Fatal(err)
	}
	started := make(chan struct{}, 1)
	cancelled := make(chan struct{}, 1)
	d := &Daemon{Load: func() (*config.Config, error) { return cfg, nil }, Logger: slog.New(slog.DiscardHandler)}
	d.runJob = func(ctx context.Context, _ *config.Config, _ *config.Job) {
		started <- struct{}{}
		<-ctx.Done()
		cancelled <- struct{}{}
	}
	ctx, stop := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- d.Run(ctx) }()
	select {
	case <-started:
	case <-time.After(5 * time.Second):
		t.Fatal("the job never started")
	}
	begin := time.Now()
	stop()
	select {
	case err := <-done:
		if err != nil {
			t.Fatal(err)
		}
		if took := time.Since(begin); took > 1200*time.Millisecond {
			t.Errorf("stopped after %v, grace period 1s", took)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("the daemon did not stop")
	}
	select {
	case <-cancelled:
	default:
		t.Error("the running job was not cancelled")
	}
}

// A job scheduled "manual" is left to `piiscan run`: the daemon never
// starts it.
func TestManualJobIsNotScheduled(t *testing.T) {
	cfg, err := config.Parse("test.yaml", []byte(`version: 1
rules:
  - {id: email, detector: email, severity: low}
locations:
  - {name: logs, paths: [`+t.TempDir()+`]}
jobs:
  - {name: often, schedule: "@every 1s", action: scan}
  - {name: audit, schedule: manual, action: scan}
`))
	if err != nil {
		t.Fatal(err)
	}
	if cfg.JobByName("audit") == nil || cfg.JobByName("audit").Schedule != nil {
		t.Fatal("a manual job has a schedule")
	}
	var mu sync.Mutex
	ran := map[string]int{}
	d := &Daemon{metrics: metrics.New("test"), running: map[string]*atomic.Bool{}, jobCtx: context.Background()}
	d.cfg.Store(cfg)
	d.runJob = func(_ context.Context, _ *config.Config, job *config.Job) {
		mu.Lock()
		ran[job.Name]++
		mu.Unlock()
	}
	d.schedule(cfg, slog.New(slog.DiscardHandler))
	time.Sleep(2500 * time.Millisecond)
	d.sched.Stop()
	d.wg.Wait()
	mu.Lock()
	defer mu.Unlock()
	if ran["often"] == 0 || ran["audit"] != 0 {
		t.Errorf("runs %v: want often only", ran)
	}
}

// A rejected configuration file put back as it runs makes the reload
// status good again, though nothing is reloaded.
func TestReloadStatusRecoversWhenFileIsRestored(t *testing.T) {
	t.Setenv("PIISCAN_FINGERPRINT_KEY", testKey)
	good := testConfig(t, t.TempDir())
	d := &Daemon{metrics: metrics.New("test"), state: openState(t), running: map[string]*atomic.Bool{}}
	d.cfg.Store(good)
	d.deliverer = &Deliverer{State: d.state}
	var next func() (*config.Config, error)
	d.Load = func() (*config.Config, error) { return next() }
	log := slog.New(slog.DiscardHandler)
	status := func() float64 { return gaugeValue(t, d.metrics.ReloadSuccess) }

	next = func() (*config.Config, error) { return nil, errors.New("rules.yaml:3: bad") }
	d.reload(log, false)
	if status() != 0 {
		t.Fatal("a rejected reload left the status at 1")
	}
	next = func() (*config.Config, error) { return config.Parse("test.yaml", good.Raw()) }
	d.reload(log, false)
	if status() != 1 {
		t.Error("the running configuration is back in the file, but the reload status stays 0")
	}
	if d.sched != nil {
		t.Error("an unchanged file was reloaded")
	}
}
