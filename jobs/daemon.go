package jobs

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"path/filepath"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/fsnotify/fsnotify"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"github.com/robfig/cron/v3"

	"github.com/piiscan/piiscan/config"
	"github.com/piiscan/piiscan/metrics"
	"github.com/piiscan/piiscan/state"
)

// Daemon runs the jobs of a configuration on their schedules, serves
// health and metrics, and reloads the configuration when it changes.
type Daemon struct {
	// ConfigPath is watched for changes ("" for the built-in config,
	// which never changes).
	ConfigPath string
	// Load reads and validates the configuration.
	Load    func() (*config.Config, error)
	Logger  *slog.Logger
	Version string
	// Listening, when set, receives the address of the HTTP server.
	Listening func(addr string)

	cfg     atomic.Pointer[config.Config]
	state   *state.Store
	metrics *metrics.Metrics
	ready   atomic.Bool
	// reloadFailed: the last reload was rejected (see reload).
	reloadFailed atomic.Bool
	// deliverer sends the outbox in the background, route by route, with
	// deliverCtx (cancelled when the grace period ends).
	deliverer  *Deliverer
	deliverCtx context.Context

	mu      sync.Mutex
	sched   *cron.Cron
	running map[string]*atomic.Bool // by job name, across reloads
	// jobCtx is cancelled when the grace period after a stop ends.
	jobCtx    context.Context
	cancelJob context.CancelFunc
	wg        sync.WaitGroup
	// runJob replaces the runner in tests.
	runJob func(ctx context.Context, cfg *config.Config, job *config.Job)
}

// Run runs until ctx ends (SIGTERM, SIGINT): then it stops scheduling,
// lets running jobs finish within the grace period (after which they are
// cancelled and save how far they got), and returns nil.
func (d *Daemon) Run(ctx context.Context) error {
	log := d.Logger
	if log == nil {
		log = slog.Default()
	}
	cfg, err := d.Load()
	if err != nil {
		return err
	}
	key, _, err := cfg.FingerprintKey()
	if err != nil {
		return fmt.Errorf("the daemon compares fingerprints across runs and needs a lasting key: %w", err)
	}
	d.cfg.Store(cfg)
	d.metrics = metrics.New(d.Version)
	st, err := state.Open(cfg.StatePath(), log)
	if err != nil {
		return err
	}
	d.state = st
	stuck := false
	defer func() {
		// A job that did not stop may be inside a transaction, and Close
		// would wait for it; bbolt's file stays consistent without it (the
		// transaction is simply not committed) and exiting frees the lock.
		if !stuck {
			st.Close()
		}
	}()
	if err := st.CheckKey(key); err != nil {
		return err
	}
	d.metrics.Outbox.Set(float64(st.OutboxLen()))
	d.running = map[string]*atomic.Bool{}
	d.jobCtx, d.cancelJob = context.WithCancel(context.Background())
	defer d.cancelJob()
	var stopDelivery context.CancelFunc
	d.deliverCtx, stopDelivery = context.WithCancel(context.Background())
	defer stopDelivery()
	d.deliverer = &Deliverer{State: st, Metrics: d.metrics, Logger: log}

	srv, err := d.serve(cfg.Listen(), log)
	if err != nil {
		return err
	}
	stopRetry := d.retryOutbox(log)
	d.schedule(cfg, log)
	d.ready.Store(true)
	log.Info("daemon started", "jobs", len(cfg.Jobs), "listen", cfg.Listen(), "state", cfg.StatePath(), "version", d.Version)

	reload := make(chan struct{}, 1)
	hup := make(chan os.Signal, 1)
	signal.Notify(hup, syscall.SIGHUP)
	defer signal.Stop(hup)
	stopWatch := d.watch(reload, log)
	defer stopWatch()

loop:
	for {
		select {
		case <-ctx.Done():
			break loop
		case <-hup:
			log.Info("SIGHUP: reloading the configuration")
			d.reload(log, true)
		case <-reload:
			d.reload(log, false)
		}
	}

	// Shut down: no new runs; running ones get the grace period.
	d.ready.Store(false)
	stopRetry()
	d.mu.Lock()
	stopped := d.sched.Stop()
	d.mu.Unlock()
	grace := d.cfg.Load().GracePeriod()
	graceEnd := time.Now().Add(grace)
	log.Info("stopping: waiting for running jobs", "grace_period", grace.String())
	done := make(chan struct{})
	go func() {
		<-stopped.Done()
		d.wg.Wait()
		close(done)
	}()
	// Jobs may finish during the first four fifths of the grace period;
	// then they are cancelled and have the rest, less a second to stop
	// alert delivery and the HTTP server, to save how far they got, so the
	// daemon is gone within the grace period (before an orchestrator sends
	// SIGKILL).
	finish := grace * 4 / 5
	select {
	case <-done:
	case <-time.After(finish):
		log.Warn("grace period nearly over: cancelling running jobs; they save how far they got")
		d.cancelJob()
		select {
		case <-done:
		case <-time.After(max(grace-finish-time.Second, (grace-finish)/2)):
			log.Error("jobs did not stop after cancellation; exiting without them")
			stuck = true
		}
	}
	// Alerts being delivered get what is left of the grace period, less
	// a second to stop them and the HTTP server.
	delivered := make(chan struct{})
	go func() {
		d.deliverer.Close()
		close(delivered)
	}()
	select {
	case <-delivered:
	case <-time.After(time.Until(graceEnd) - time.Second):
		stopDelivery()
		select {
		case <-delivered:
		case <-time.After(500 * time.Millisecond):
			log.Error("alert delivery did not stop; exiting without it (the alerts stay in the outbox)")
			stuck = true
		}
	}
	if srv != nil {
		sctx, cancel := context.WithTimeout(context.Background(), max(time.Until(graceEnd), 100*time.Millisecond))
		srv.Shutdown(sctx)
		cancel()
	}
	log.Info("daemon stopped")
	return nil
}

// schedule replaces the scheduler with one for cfg's jobs.
func (d *Daemon) schedule(cfg *config.Config, log *slog.Logger) {
	c := cron.New(cron.WithLocation(time.Local))
	for _, j := range cfg.Jobs {
		job := j
		if job.Schedule == nil {
			log.Info("job left to 'piiscan run'", "job", job.Name, "schedule", config.ScheduleManual)
			continue
		}
		c.Schedule(job.Schedule, cron.FuncJob(func() { d.runScheduled(job.Name, log) }))
		log.Info("job scheduled", "job", job.Name, "schedule", job.JobSpec.Schedule, "action", job.Action)
	}
	d.mu.Lock()
	old := d.sched
	d.sched = c
	for _, j := range cfg.Jobs {
		if d.running[j.Name] == nil {
			d.running[j.Name] = &atomic.Bool{}
		}
	}
	d.mu.Unlock()
	if old != nil {
		old.Stop() // no more ticks; a running job finishes
	}
	c.Start()
}

// runScheduled runs a job unless its previous run is still going, and
// survives a panic in it.
func (d *Daemon) runScheduled(name string, log *slog.Logger) {
	cfg := d.cfg.Load()
	job := cfg.JobByName(name)
	if job == nil {
		return
	}
	d.mu.Lock()
	flag := d.running[name]
	d.mu.Unlock()
	if flag == nil || !flag.CompareAndSwap(false, true) {
		d.metrics.SkippedRuns.WithLabelValues(name).Inc()
		log.Warn("previous run still going: this run is skipped", "job", name)
		return
	}
	d.wg.Add(1)
	defer d.wg.Done()
	defer flag.Store(false)
	d.metrics.Running.WithLabelValues(name).Set(1)
	defer d.metrics.Running.WithLabelValues(name).Set(0)
	defer func() {
		if p := recover(); p != nil {
			d.metrics.Panics.WithLabelValues(name).Inc()
			d.metrics.JobRuns.WithLabelValues(name, "failed").Inc()
			log.Error("job panicked: recovered, the daemon goes on", "job", name, "panic", fmt.Sprint(p))
		}
	}()
	if d.runJob != nil {
		d.runJob(d.jobCtx, cfg, job)
		return
	}
	r := &Runner{Config: cfg, State: d.state, Metrics: d.metrics, Logger: log, Deliverer: d.deliverer, DeliverIn: d.deliverCtx}
	r.Run(d.jobCtx, job)
}

// outboxRetryEvery is how often the daemon tries again to deliver alerts
// left in the outbox.
var outboxRetryEvery = time.Minute

// retryOutbox delivers what waits in the outbox now and then every
// outboxRetryEvery, between job runs; it returns the function that stops
// it.
func (d *Daemon) retryOutbox(log *slog.Logger) (stop func()) {
	done := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		t := time.NewTicker(outboxRetryEvery)
		defer t.Stop()
		for {
			if d.state.OutboxLen() > 0 {
				d.deliverer.Start(d.deliverCtx, d.cfg.Load())
			}
			select {
			case <-done:
				return
			case <-t.C:
			}
		}
	}()
	return func() {
		close(done)
		wg.Wait()
	}
}

// reload loads the configuration again; an invalid one is rejected and
// the running one stays. A file event that left the content as it was
// (a touch, a chmod) changes nothing unless forced (SIGHUP).
func (d *Daemon) reload(log *slog.Logger, force bool) {
	cfg, err := d.Load()
	if err == nil && !force && bytes.Equal(cfg.Raw(), d.cfg.Load().Raw()) {
		// A rejected file was put back as it runs: nothing to reload, and
		// the configuration in use is the file's again.
		if d.reloadFailed.Swap(false) {
			d.metrics.ReloadSuccess.Set(1)
			log.Info("configuration file is the running configuration again")
		}
		return
	}
	if !force {
		log.Info("configuration file changed: reloading")
	}
	if err == nil {
		key, _, kerr := cfg.FingerprintKey()
		if kerr == nil {
			kerr = d.state.CheckKey(key)
		}
		err = kerr
	}
	if err != nil {
		d.metrics.Reloads.WithLabelValues("failure").Inc()
		d.metrics.ReloadSuccess.Set(0)
		d.reloadFailed.Store(true)
		log.Error("new configuration rejected: the running one stays", "error", err)
		return
	}
	old := d.cfg.Load()
	if cfg.StatePath() != old.StatePath() || cfg.Listen() != old.Listen() {
		log.Warn("state.path and daemon.listen take effect after a restart")
	}
	d.cfg.Store(cfg)
	d.schedule(cfg, log)
	d.metrics.Reloads.WithLabelValues("success").Inc()
	d.metrics.ReloadSuccess.Set(1)
	d.reloadFailed.Store(false)
	log.Info("configuration reloaded", "jobs", len(cfg.Jobs))
}

// watch signals reload when the configuration file changes. It watches
// the directory, so editors that replace the file and Kubernetes
// ConfigMap updates (a symlink swap) are seen.
func (d *Daemon) watch(reload chan<- struct{}, log *slog.Logger) func() {
	if d.ConfigPath == "" {
		return func() {}
	}
	w, err := fsnotify.NewWatcher()
	if err != nil {
		log.Warn("cannot watch the configuration file; reload with SIGHUP", "error", err)
		return func() {}
	}
	dir := filepath.Dir(d.ConfigPath)
	if err := w.Add(dir); err != nil {
		log.Warn("cannot watch the configuration file; reload with SIGHUP", "error", err)
		w.Close()
		return func() {}
	}
	base := filepath.Base(d.ConfigPath)
	go func() {
		var timer *time.Timer
		for {
			select {
			case ev, ok := <-w.Events:
				if !ok {
					return
				}
				if filepath.Base(ev.Name) != base && filepath.Base(ev.Name) != "..data" {
					continue
				}
				// Debounce: editors write in several steps.
				if timer != nil {
					timer.Stop()
				}
				timer = time.AfterFunc(300*time.Millisecond, func() {
					select {
					case reload <- struct{}{}:
					default:
					}
				})
			case err, ok := <-w.Errors:
				if !ok {
					return
				}
				log.Warn("watching the configuration file", "error", err)
			}
		}
	}()
	return func() { w.Close() }
}

// serve starts /healthz, /readyz and /metrics.
func (d *Daemon) serve(addr string, log *slog.Logger) (*http.Server, error) {
	if addr == "" {
		return nil, nil
	}
	mux := http.NewServeMux()
	mux.HandleFunc("/healthz", func(w http.ResponseWriter, _ *http.Request) {
		w.Write([]byte("ok\n"))
	})
	mux.HandleFunc("/readyz", func(w http.ResponseWriter, _ *http.Request) {
		if !d.ready.Load() {
			http.Error(w, "not ready", http.StatusServiceUnavailable)
			return
		}
		w.Write([]byte("ready\n"))
	})
	mux.Handle("/metrics", promhttp.HandlerFor(d.metrics.Registry, promhttp.HandlerOpts{ErrorLog: slog.NewLogLogger(log.Handler(), slog.LevelError)}))
	l, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("daemon.listen: %w", err)
	}
	if d.Listening != nil {
		d.Listening(l.Addr().String())
	}
	log.Info("serving /healthz, /readyz and /metrics", "addr", l.Addr().String())
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 5 * time.Second}
	go func() {
		if err := srv.Serve(l); err != nil && !errors.Is(err, http.ErrServerClosed) {
			log.Error("HTTP server", "error", err)
		}
	}()
	return srv, nil
}
