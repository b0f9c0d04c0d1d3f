// Package jobs runs the jobs of rules.yaml: once (`piiscan run JOB`) or
// on their schedules (`piiscan daemon`). A scan job reads only what is new
// since its last run, and tells the alert routes about violations they
// have not been told about; purge and redact jobs enforce retention.
package jobs

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"slices"
	"sync"
	"time"

	"github.com/piiscan/piiscan/alert"
	"github.com/piiscan/piiscan/config"
	"github.com/piiscan/piiscan/finding"
	"github.com/piiscan/piiscan/metrics"
	"github.com/piiscan/piiscan/retention"
	"github.com/piiscan/piiscan/scanners"
	"github.com/piiscan/piiscan/scanners/bucket"
	"github.com/piiscan/piiscan/scanners/source"
	"github.com/piiscan/piiscan/shard"
	"github.com/piiscan/piiscan/state"
)

// Runner runs jobs against one state store.
type Runner struct {
	Config  *config.Config
	State   *state.Store
	Metrics *metrics.Metrics
	Logger  *slog.Logger
	// Sink returns the sink of a route (default alert.New).
	Sink func(*config.Route) (alert.Sink, error)
	// Now is the clock (default time.Now).
	Now func() time.Time
	// Full ignores the state: everything is scanned again.
	Full bool
	// Sharding, when set, makes scan jobs scan one shard and leave their
	// findings file where it says.
	Sharding *Sharding
	// Version is written into findings files.
	Version string

	sinkMu sync.Mutex
	sinks  map[string]alert.Sink
}

// Result is what one run did.
type Result struct {
	Job      string
	Started  time.Time
	Duration time.Duration
	// Scan jobs.
	Files, Unchanged, Bytes, Findings int64
	// FailFindings counts findings at or above scan.fail_on.
	FailFindings int64
	Violations   int // distinct (location, rule, fingerprint) this run
	New          int // alerted for the first time (summed over routes)
	Reminders    int
	Problems     []scanners.Problem
	// OutputError: the shard's findings file could not be published.
	// MergeError: this shard completed the set but the merged report
	// could not be written. In both the scan itself succeeded.
	OutputError, MergeError error
	// Purge and redact jobs.
	Plan *retention.Plan
	// Alerts delivered and still in the outbox.
	Sent, Pending int
	// Cancelled: the run was stopped before it finished; what it
	// completed is saved.
	Cancelled bool
}

func (r *Runner) now() time.Time {
	if r.Now != nil {
		return r.Now()
	}
	return time.Now()
}

func (r *Runner) log() *slog.Logger {
	if r.Logger != nil {
		return r.Logger
	}
	return slog.Default()
}

// Run runs job once.
func (r *Runner) Run(ctx context.Context, job *config.Job) (*Result, error) {
	res := &Result{Job: job.Name, Started: r.now()}
	log := r.log().With("job", job.Name, "action", job.Action)
	if job.Timeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, job.Timeout)
		defer cancel()
	}
	log.Info("job started", "full", r.Full)
	err := r.checkKey()
	switch {
	case err != nil:
	case job.Action == config.JobScan:
		err = r.scan(ctx, job, res, log)
	case r.Sharding != nil && r.Sharding.Shard.Sharded():
		// Every shard would plan and enforce over everything.
		err = fmt.Errorf("job %s: only scan jobs run as shards, not %s", job.Name, job.Action)
	case job.Action == config.JobPurge, job.Action == config.JobRedact:
		err = r.enforce(ctx, job, res, log)
	default:
		err = fmt.Errorf("unknown action %q", job.Action)
	}
	// Alerts waiting from this or earlier runs.
	sent, derr := r.deliver(ctx, log)
	res.Sent = sent
	if derr != nil && ctx.Err() == nil {
		log.Warn("alerts kept in the outbox", "error", derr)
	}
	res.Pending = r.State.OutboxLen()
	res.Duration = r.now().Sub(res.Started)
	if r.Metrics != nil {
		r.Metrics.Outbox.Set(float64(res.Pending))
		r.Metrics.JobDuration.WithLabelValues(job.Name).Observe(res.Duration.Seconds())
		result := "success"
		switch {
		case res.Cancelled:
			result = "cancelled"
		case err != nil:
			result = "failed"
		case res.FailFindings > 0:
			result = "findings"
		}
		r.Metrics.JobRuns.WithLabelValues(job.Name, result).Inc()
		if err == nil && !res.Cancelled {
			r.Metrics.LastSuccess.WithLabelValues(job.Name).Set(float64(r.now().Unix()))
		}
	}
	attrs := []any{"duration", res.Duration.Round(time.Millisecond).String(), "files", res.Files, "unchanged", res.Unchanged,
		"bytes", res.Bytes, "findings", res.Findings, "violations", res.Violations, "alerted", res.New,
		"reminded", res.Reminders, "alerts_sent", res.Sent, "outbox", res.Pending, "problems", len(res.Problems)}
	if err != nil {
		log.Error("job failed", append(attrs, "error", err)...)
	} else if res.Cancelled {
		log.Warn("job stopped before it finished; its progress is saved", attrs...)
	} else {
		log.Info("job finished", attrs...)
	}
	return res, err
}

// checkKey makes sure the fingerprint key is the one the state was built
// with: with another key every violation would look new.
func (r *Runner) checkKey() error {
	key, _, err := r.Config.FingerprintKey()
	if err != nil {
		return fmt.Errorf("jobs compare fingerprints across runs and need a lasting key: %w", err)
	}
	return r.State.CheckKey(key)
}

// targets returns what a job reads: the scan roots of its locations, and
// whether any is in a bucket.
func targets(c *config.Config, job *config.Job) (roots []string, objects bool) {
	for _, l := range c.Locations {
		if jobCovers(job, l.Name) {
			roots = append(roots, l.ScanRoots()...)
		}
	}
	return roots, slices.ContainsFunc(roots, bucket.IsURL)
}

// outboxMaxAge is how long an alert for a route no configuration knows
// stays in the outbox.
const outboxMaxAge = 30 * 24 * time.Hour

// violationKey identifies a violation across runs.
type violationKey struct{ location, rule, fingerprint string }

func (r *Runner) scan(ctx context.Context, job *config.Job, res *Result, log *slog.Logger) error {
	c := r.Config
	s, err := NewScanSetup(ctx, c, log)
	if err != nil {
		return err
	}
	roots, objects := targets(c, job)
	if objects {
		if err := s.UseObjects(ctx); err != nil {
			return err
		}
	}
	// A shard's findings file covers its whole share: it is never an
	// incremental run's "what is new".
	full := r.Full || r.Sharding != nil && r.Sharding.Output != nil
	tracker := r.State.Tracker(job.Name, full, log)
	s.Options.Incremental = tracker
	var out *shard.Output
	if sh := r.Sharding; sh != nil {
		sh.Apply(&s.Options)
		if out, err = sh.Start(ctx, job.Name, roots, c, r.Version); err != nil {
			return err
		}
	}
	sc, err := scanners.New(s.Options)
	if err != nil {
		if out != nil {
			out.Finish(ctx, nil, false)
		}
		return err
	}
	found := map[violationKey]*finding.Finding{}
	var order []violationKey
	// Counted here and added to the metrics once: a label lookup per
	// finding would cost more than the rest of this sink.
	type counted struct {
		class, location string
		severity        finding.Severity
		disallowed      bool
	}
	counts := map[counted]int{}
	stats, err := sc.Scan(ctx, roots, scanners.SinkFunc(func(f *finding.Finding) error {
		res.Findings++
		if f.Severity >= s.FailOn {
			res.FailFindings++
		}
		counts[counted{f.Class, f.Location, f.Severity, f.Disallowed}]++
		if out != nil {
			if err := out.Add(f); err != nil {
				return fmt.Errorf("writing the findings file: %w", err)
			}
		}
		if !f.Disallowed {
			return nil
		}
		k := violationKey{f.Location, f.Rule, f.Fingerprint}
		if _, dup := found[k]; !dup {
			v := *f
			v.Value = "" // never kept
			found[k] = &v
			order = append(order, k)
		}
		return nil
	}))
	m := r.Metrics
	if m != nil {
		for k, n := range counts {
			loc := cmp.Or(k.location, "none")
			m.Findings.WithLabelValues(job.Name, k.class, k.severity.String(), loc).Add(float64(n))
			if k.disallowed {
				m.Violations.WithLabelValues(job.Name, loc, k.class).Add(float64(n))
			}
		}
	}
	if stats != nil {
		res.Files, res.Bytes, res.Unchanged, res.Problems = stats.Files, stats.Bytes, stats.Unchanged, stats.Problems
		if m != nil {
			m.FilesScanned.WithLabelValues(job.Name).Add(float64(stats.Files))
			m.BytesScanned.WithLabelValues(job.Name).Add(float64(stats.Bytes))
			m.FilesUnchanged.WithLabelValues(job.Name).Add(float64(stats.Unchanged))
			m.Unreadable.WithLabelValues(job.Name).Add(float64(len(stats.Problems)))
		}
	}
	res.Violations = len(order)
	if out != nil {
		ferr, merr := r.Sharding.Finish(ctx, out, stats, err == nil && ctx.Err() == nil, c, r.Version, log)
		if ferr != nil {
			log.Error("findings file not published", "error", ferr)
			res.OutputError = ferr
		}
		if merr != nil {
			log.Error("merge failed; run 'piiscan report merge' on the findings files", "error", merr)
			res.MergeError = merr
		}
	}
	switch {
	case ctx.Err() != nil:
		res.Cancelled = true
	case err != nil:
		return err
	default:
		tracker.Complete()
	}
	for _, p := range res.Problems {
		log.Warn("could not read", "path", p.Path, "error", p.Error)
	}

	// Decide, per route, what is new and what is due for a reminder, and
	// save it with the scan positions in one transaction.
	r.State.Lock()
	defer r.State.Unlock()
	now := r.now()
	commit := state.Commit{Files: tracker, Seen: map[string][]state.Seen{}, Forget: map[string][]state.Seen{}}
	for _, name := range job.Alerts {
		route := c.RouteByName(name)
		if route == nil {
			continue
		}
		var vs []alert.Violation
		var seen []state.Seen
		for _, k := range order {
			f := found[k]
			if !route.Covers(f.Location, f.Class, f.Severity) {
				continue
			}
			prev, ok := r.State.Seen(route.Name, k.location, k.rule, k.fingerprint)
			sv := seenOf(f, now)
			v := violationOf(sv)
			switch {
			case !ok:
				vs = append(vs, v)
			case route.RemindAfter > 0 && now.Sub(prev.LastSent) >= route.RemindAfter:
				v.Reminder = true
				sv.First = prev.First
				vs = append(vs, v)
			default:
				sv.First, sv.LastSent = prev.First, prev.LastSent
			}
			seen = append(seen, sv)
		}
		// Violations found by earlier runs in data this run did not read
		// again are still there as long as their file is.
		var gone, due []state.Seen
		if route.RemindAfter > 0 && !res.Cancelled {
			r.State.EachSeen(route.Name, func(p state.Seen) {
				k := violationKey{p.Location, p.Rule, p.Fingerprint}
				if _, inRun := found[k]; !inRun && now.Sub(p.LastSent) >= route.RemindAfter && jobCovers(job, p.Location) {
					due = append(due, p)
				}
			})
		}
		for _, p := range due {
			if file, _ := source.TopFile(p.Path); !bucket.IsURL(file) {
				if _, err := os.Stat(file); err != nil {
					gone = append(gone, p)
					continue
				}
			}
			v := violationOf(p)
			v.Reminder = true
			vs = append(vs, v)
			p.LastSent = now
			seen = append(seen, p)
		}
		commit.Forget[route.Name] = gone
		commit.Seen[route.Name] = seen
		if len(vs) == 0 {
			continue
		}
		sum := alert.Summarize(job.Name, route.Name, hostname(), now, vs)
		res.New += sum.New
		res.Reminders += sum.Reminders
		if m != nil {
			m.NewViolations.WithLabelValues(job.Name, route.Name).Add(float64(sum.New))
			m.Reminders.WithLabelValues(job.Name, route.Name).Add(float64(sum.Reminders))
		}
		body, err := json.Marshal(sum)
		if err != nil {
			return err
		}
		commit.Outbox = append(commit.Outbox, state.OutboxEntry{Route: route.Name, Job: job.Name, Created: now, Summary: body})
	}
	if _, err := r.State.Save(commit); err != nil {
		return fmt.Errorf("saving state: %w", err)
	}
	return nil
}

func jobCovers(job *config.Job, location string) bool {
	return len(job.Locations) == 0 || slices.Contains(job.Locations, location)
}

// seenOf is the remembered form of a violation found now: masked value
// and fingerprint, never the raw value.
func seenOf(f *finding.Finding, now time.Time) state.Seen {
	return state.Seen{First: now, LastSent: now, Location: f.Location, Rule: f.Rule, Class: f.Class,
		Severity: f.Severity.String(), Path: f.Path, Line: f.Line, Masked: f.Masked, Fingerprint: f.Fingerprint}
}

// violationOf is what an alert says of a remembered violation.
func violationOf(s state.Seen) alert.Violation {
	return alert.Violation{Location: s.Location, Rule: s.Rule, Class: s.Class, Severity: s.Severity,
		Path: s.Path, Line: s.Line, Masked: s.Masked, Fingerprint: s.Fingerprint}
}

func hostname() string {
	h, _ := os.Hostname()
	return h
}

// sink returns (and caches) the sink of a route.
func (r *Runner) sink(route *config.Route) (alert.Sink, error) {
	r.sinkMu.Lock()
	defer r.sinkMu.Unlock()
	if s := r.sinks[route.Name]; s != nil {
		return s, nil
	}
	mk := r.Sink
	if mk == nil {
		mk = func(rt *config.Route) (alert.Sink, error) { return alert.New(rt, alert.Options{Hostname: hostname()}) }
	}
	s, err := mk(route)
	if err != nil {
		return nil, err
	}
	if r.sinks == nil {
		r.sinks = map[string]alert.Sink{}
	}
	r.sinks[route.Name] = s
	return s, nil
}

// deliver sends what waits in the outbox, oldest first; what fails stays
// for the next run.
func (r *Runner) deliver(ctx context.Context, log *slog.Logger) (sent int, err error) {
	r.State.Lock()
	defer r.State.Unlock()
	box, err := r.State.Outbox()
	if err != nil {
		return 0, err
	}
	attempts, initial, max := r.Config.RetryPolicy()
	var errs []error
	down := map[string]bool{} // routes that failed in this run
	for _, e := range box {
		if ctx.Err() != nil {
			return sent, ctx.Err()
		}
		if down[e.Route] {
			continue
		}
		route := r.Config.RouteByName(e.Route)
		if route == nil {
			// Another configuration (a renamed route, another rules.yaml
			// on the same state) may still send it; give up after a month.
			if r.now().Sub(e.Created) > outboxMaxAge {
				log.Error("alert for an unknown route dropped after a month in the outbox", "route", e.Route, "created", e.Created)
				r.State.Delivered(e.ID)
			} else {
				log.Warn("alert for a route not in this configuration: kept in the outbox", "route", e.Route, "created", e.Created)
			}
			continue
		}
		var sum alert.Summary
		if err := json.Unmarshal(e.Summary, &sum); err != nil {
			log.Error("unreadable alert in the outbox: dropped", "route", e.Route, "error", err)
			r.State.Delivered(e.ID)
			continue
		}
		sink, err := r.sink(route)
		if err == nil {
			err = alert.Deliver(ctx, sink, sum, alert.Retry{Attempts: attempts, Initial: initial, Max: max})
		}
		if err != nil {
			if r.Metrics != nil {
				r.Metrics.AlertFailures.WithLabelValues(route.Name, route.Kind).Inc()
			}
			log.Warn("alert not delivered: kept in the outbox", "route", route.Name, "sink", route.Kind, "attempts", e.Attempts+1, "error", err)
			r.State.Failed(e, err)
			down[route.Name] = true // its other alerts wait for the next run
			errs = append(errs, fmt.Errorf("route %s: %w", route.Name, err))
			continue
		}
		if r.Metrics != nil {
			r.Metrics.AlertsSent.WithLabelValues(route.Name, route.Kind).Inc()
		}
		log.Info("alert sent", "route", route.Name, "sink", route.Kind, "violations", sum.Total, "alert_id", sum.ID)
		sent++
		if err := r.State.Delivered(e.ID); err != nil {
			return sent, err
		}
	}
	return sent, errors.Join(errs...)
}

// enforce runs a purge or redact job.
func (r *Runner) enforce(ctx context.Context, job *config.Job, res *Result, log *slog.Logger) error {
	c := r.Config
	now := r.now()
	opts := retention.PlanOptions{Now: now, Locations: job.Locations}
	var s *ScanSetup
	if _, objects := targets(c, job); objects {
		set, err := jobSettings(c)
		if err != nil {
			return err
		}
		if opts.Objects, err = ObjectClient(ctx, set); err != nil {
			return err
		}
	}
	var plan *retention.Plan
	var err error
	if job.Action == config.JobPurge {
		plan, err = retention.PlanPurge(ctx, c, opts)
	} else {
		s, err = NewScanSetup(ctx, c, log)
		if err != nil {
			return err
		}
		if opts.Objects != nil {
			s.useClient(opts.Objects)
		}
		sc, err2 := scanners.New(EnforcementScan(s.Options, false))
		if err2 != nil {
			return err2
		}
		plan, err = retention.PlanRedact(ctx, c, sc, opts)
	}
	if err != nil {
		return err
	}
	res.Plan = plan
	auditLog, err := AuditLog(c, job.Enforce)
	if err != nil {
		return err
	}
	x := &retention.Executor{Config: c, Enforce: job.Enforce, Audit: auditLog, Logger: log, Objects: opts.Objects}
	if s != nil {
		x.Engine, x.Allow, x.Fingerprints = s.Engine, c.Allow, s.Fingerprints
	}
	defer x.Close()
	applyErr := x.Apply(ctx, plan)
	if ctx.Err() != nil {
		res.Cancelled = true
	}
	failed := 0
	for _, it := range plan.Items {
		if it.Err != nil {
			failed++
			log.Warn("retention action failed", "path", it.Path, "action", it.Action, "error", it.Err)
		}
		if !it.Done || r.Metrics == nil {
			continue
		}
		m, loc := r.Metrics, it.Location.Name
		switch it.Action {
		case retention.Delete, retention.Quarantine:
			m.FilesDeleted.WithLabelValues(job.Name, loc).Inc()
			m.BytesPurged.WithLabelValues(job.Name, loc).Add(float64(it.Snap.Size))
		case retention.DropRecords:
			m.RecordsPurged.WithLabelValues(job.Name, loc).Add(float64(it.Stats.Dropped))
			m.BytesPurged.WithLabelValues(job.Name, loc).Add(float64(max(0, it.Stats.BytesIn-it.Stats.BytesOut)))
		}
		if it.Masked.Values > 0 {
			m.ValuesRedacted.WithLabelValues(job.Name, loc).Add(float64(it.Masked.Values))
			m.RecordsRedacted.WithLabelValues(job.Name, loc).Add(float64(it.Masked.Lines))
		}
	}
	if r.Metrics != nil && failed > 0 {
		r.Metrics.ActionsFailed.WithLabelValues(job.Name).Add(float64(failed))
	}
	for _, p := range plan.Problems {
		res.Problems = append(res.Problems, p) // its reason, Missing for a root that does not exist
	}
	if !job.Enforce {
		log.Info("dry run: set enforce: true on the job to act", "planned", len(plan.Items))
	}
	if applyErr != nil && !res.Cancelled {
		return applyErr
	}
	if failed > 0 {
		return fmt.Errorf("%d retention actions failed", failed)
	}
	return nil
}
