package jobs

import (
	"context"
	"log/slog"
	"sync"
	"sync/atomic"
	"testing"

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
