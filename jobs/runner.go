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
	"hash/maphash"
	"log/slog"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/piiscan/piiscan/alert"
	"github.com/piiscan/piiscan/config"
	"github.com/piiscan/piiscan/finding"
	"github.com/piiscan/piiscan/internal/itempath"
	"github.com/piiscan/piiscan/metrics"
	"github.com/piiscan/piiscan/policy"
	"github.com/piiscan/piiscan/retention"
	"github.com/piiscan/piiscan/scanners"
	"github.com/piiscan/piiscan/scanners/source"
	"github.com/piiscan/piiscan/scansetup"
	"github.com/piiscan/piiscan/shard"
	"github.com/piiscan/piiscan/state"
)

// Runner runs jobs against one state store.
type Runner struct {
	Config  *config.Config
	State   *state.Store
	Metrics *metrics.Metrics
	Logger  *slog.Logger
	// Sink returns the sink of a route (default alert.New); used when
	// Deliverer is nil.
	Sink func(*config.Route) (alert.Sink, error)
	// Deliverer sends the outbox. Nil: Run makes one and, after the job,
	// delivers what waits and returns when it is sent or its time is up.
	Deliverer *Deliverer
	// DeliverIn, when set, makes Run hand the outbox to Deliverer in the
	// background with this context (the daemon), instead of waiting.
	DeliverIn context.Context
	// Now is the clock (default time.Now).
	Now func() time.Time
	// Full ignores the state: everything is scanned again.
	Full bool
	// Sharding, when set, makes scan jobs scan one shard and leave their
	// findings file where it says.
	Sharding *scansetup.Sharding
	// Version is written into findings files.
	Version string
	// CheckpointEvery is how often a long scan saves what it found and
	// how far it got (default: state.checkpoint_every, else
	// DefaultCheckpointEvery), so that a crash or a kill loses at most
	// that much work.
	CheckpointEvery time.Duration
}

// DefaultCheckpointEvery is Runner.CheckpointEvery when unset.
const DefaultCheckpointEvery = time.Minute

// checkpointViolations is how many new violations make a checkpoint
// before its time: it bounds the memory of one save.
const checkpointViolations = 100_000

// stopDeliveryTimeout bounds the delivery of the outbox after a signal
// stopped the run, or came during the delivery: the process is expected
// to be gone soon. A variable for tests.
var stopDeliveryTimeout = 5 * time.Second

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
	// New and Reminders count distinct violations alerted for the first
	// time, or again, to at least one route.
	New       int
	Reminders int
	// Queued counts the alerts this run put in the outbox (one per route
	// and checkpoint).
	Queued   int
	Problems []scanners.Problem
	// Missing are paths of the job's locations that do not exist; with
	// NothingToRead none of its paths existed, and the run examined
	// nothing.
	Missing       []string
	NothingToRead bool
	// OutputError: the shard's findings file could not be published.
	// MergeError: this shard completed the set but the merged report
	// could not be written. In both the scan itself succeeded.
	OutputError, MergeError error
	// Purge and redact jobs.
	Plan *retention.Plan
	// Alerts delivered after the run (0 when delivered in the background)
	// and still in the outbox.
	Sent, Pending int
	// DeliveryError: some routes could not be delivered (their alerts
	// wait in the outbox).
	DeliveryError error
	// Cancelled: the run was stopped before it finished; what it
	// completed is saved.
	Cancelled bool
}

// Unreadable counts the problems of a run other than paths that do not
// exist (Result.Missing names those).
func (res *Result) Unreadable() int {
	n := 0
	for _, p := range res.Problems {
		if !p.Missing {
			n++
		}
	}
	return n
}

// configError is an error of a job's configuration (its key, its
// action), as opposed to what went wrong while it ran.
type configError struct{ err error }

func (e configError) Error() string { return e.err.Error() }
func (e configError) Unwrap() error { return e.err }

// IsConfigError reports whether err, returned by Run, comes from the
// job's configuration (a usage error for automation) rather than from
// what happened while it ran.
func IsConfigError(err error) bool {
	var ce configError
	return errors.As(err, &ce)
}

// ErrNothingToRead means that none of a job's paths exist.
var ErrNothingToRead = errors.New("none of the job's paths exist")

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

// Run runs job once, then delivers the outbox: within its own deadline
// (alerts.delivery_timeout per route), also when the job timed out or was
// cancelled.
func (r *Runner) Run(ctx context.Context, job *config.Job) (*Result, error) {
	res := &Result{Job: job.Name, Started: r.now()}
	log := r.log().With("job", job.Name, "action", job.Action)
	parent := ctx
	if job.Timeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, job.Timeout)
		defer cancel()
	}
	log.Info("job started", "full", r.Full)
	key, err := r.checkKey()
	switch {
	case err != nil:
		err = configError{err}
	case job.Action == config.JobScan:
		err = r.scan(ctx, job, key, res, log)
	case r.Sharding != nil && r.Sharding.Shard.Sharded():
		// Every shard would plan and enforce over everything.
		err = configError{fmt.Errorf("job %s: only scan jobs run as shards, not %s", job.Name, job.Action)}
	case job.Action == config.JobPurge, job.Action == config.JobRedact:
		err = r.enforce(ctx, job, key, res, log)
	default:
		err = configError{fmt.Errorf("unknown action %q", job.Action)}
	}
	r.deliver(parent, res, log)
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
	attrs := []any{"duration", res.Duration.Round(time.Millisecond).String()}
	if job.Action == config.JobScan {
		attrs = append(attrs, "files", res.Files, "unchanged", res.Unchanged, "bytes", res.Bytes, "findings", res.Findings,
			"violations", res.Violations, "alerted", res.New, "reminded", res.Reminders, "alerts_queued", res.Queued)
	} else if res.Plan != nil {
		attrs = append(attrs, "planned", len(res.Plan.Items))
	}
	if r.DeliverIn == nil {
		attrs = append(attrs, "alerts_sent", res.Sent)
	}
	attrs = append(attrs, "outbox", res.Pending, "problems", res.Unreadable(), "missing_paths", len(res.Missing))
	if err != nil {
		log.Error("job failed", append(attrs, "error", err)...)
	} else if res.Cancelled {
		log.Warn("job stopped before it finished; its progress is saved", attrs...)
	} else {
		log.Info("job finished", attrs...)
	}
	return res, err
}

// deliver sends the outbox after a run: its own step, with its own
// deadline, whatever became of the job.
func (r *Runner) deliver(parent context.Context, res *Result, log *slog.Logger) {
	d := r.Deliverer
	if d == nil {
		d = &Deliverer{State: r.State, Metrics: r.Metrics, Logger: log, Sink: r.Sink, Now: r.Now}
	}
	if r.DeliverIn != nil {
		if r.State.OutboxLen() > 0 {
			d.Start(r.DeliverIn, r.Config)
		}
		return
	}
	// Its own deadline, not the job's; but once the process is told to
	// stop by a signal (before the delivery or during it), the process is
	// about to go: what is not sent stopDeliveryTimeout after the signal
	// waits in the outbox.
	ctx, cancel := context.WithCancel(context.WithoutCancel(parent))
	defer cancel()
	defer context.AfterFunc(parent, func() { time.AfterFunc(stopDeliveryTimeout, cancel) })()
	out := d.Deliver(ctx, r.Config)
	res.Sent, res.DeliveryError = out.Sent, out.Err()
	if res.DeliveryError != nil {
		log.Warn("alerts kept in the outbox", "error", res.DeliveryError)
	}
}

// checkKey makes sure the fingerprint key is the one the state was built
// with: with another key every violation would look new. It returns the
// key, for the job's scan.
func (r *Runner) checkKey() ([]byte, error) {
	key, err := scansetup.JobKey(r.Config)
	if err != nil {
		return nil, err
	}
	return key, r.State.CheckKey(key)
}

// targets returns what a job reads: the scan roots of its locations, and
// whether any is in a bucket; missing are the local paths of its
// locations that do not exist.
func targets(c *config.Config, job *config.Job) (roots []string, objects bool, missing []string) {
	for _, l := range c.Locations {
		if jobCovers(job, l.Name) {
			roots = append(roots, policy.ScanRoots(l)...)
			missing = append(missing, policy.MissingRoots(l)...)
			objects = objects || len(l.ObjectRoots()) > 0 // ScanRoots keeps them all
		}
	}
	return roots, objects, missing
}

// reportMissing logs and counts the job's paths that do not exist; it
// returns ErrNothingToRead when nothing of the job exists.
func (r *Runner) reportMissing(job *config.Job, roots, missing []string, res *Result, log *slog.Logger) error {
	res.Missing = missing
	if r.Metrics != nil {
		r.Metrics.MissingPaths.WithLabelValues(job.Name).Set(float64(len(missing)))
	}
	for _, p := range missing {
		log.Warn("path of the policy does not exist: nothing there is examined", "path", itempath.Escape(p))
	}
	if len(roots) == 0 {
		res.NothingToRead = true
		if len(missing) == 0 {
			return fmt.Errorf("%w: its locations name no path", ErrNothingToRead)
		}
		return fmt.Errorf("%w (%d missing)", ErrNothingToRead, len(missing))
	}
	return nil
}

// outboxMaxAge is how long an alert for a route no configuration knows
// stays in the outbox.
const outboxMaxAge = 30 * 24 * time.Hour

// scan runs a scan job: it reads the job's paths (a shard's share of
// them when sharded), counts what it finds, writes the shard's findings
// file, and saves the violations and the alerts they call for, at
// checkpoints and at the end.
func (r *Runner) scan(ctx context.Context, job *config.Job, key []byte, res *Result, log *slog.Logger) error {
	c := r.Config
	roots, _, missing := targets(c, job)
	if err := r.reportMissing(job, roots, missing, res, log); err != nil {
		return err
	}
	s, err := scansetup.New(scansetup.Request{Config: c, Job: true, Key: key, Logger: log})
	if err != nil {
		return err
	}
	// A shard's findings file covers its whole share: it is never an
	// incremental run's "what is new".
	full := r.Full || r.Sharding != nil && r.Sharding.Output != nil
	tracker := r.State.Tracker(job.Name, full, log)
	out, err := r.startOutput(ctx, job, roots, &s.Options)
	if err != nil {
		return err
	}
	found := newRunViolations()
	found.missing = missing
	cp := &checkpointer{
		every:   cmp.Or(r.CheckpointEvery, c.CheckpointEvery(), DefaultCheckpointEvery),
		last:    time.Now(),
		stopped: ctx.Err,
		found:   found,
		save:    func() error { return r.commit(job, tracker, found, false, res, log) },
		log:     log,
	}
	s.Options.Incremental = &checkpointing{Tracker: tracker, tick: cp.tick}
	sc, err := s.Build(ctx, scansetup.Spec{Targets: roots})
	if err != nil {
		if out != nil {
			out.Finish(ctx, nil, false)
		}
		return err
	}
	sink := &jobSink{job: job, failOn: s.FailOn, res: res, counts: map[findingCount]int{}, out: out, found: found, tick: cp.tick}
	stats, err := sc.Scan(ctx, roots, sink)
	sink.record(r.Metrics)
	r.recordStats(job, stats, res)
	res.Violations = len(found.ids)
	r.finishOutput(ctx, out, stats, err == nil && ctx.Err() == nil, res, log)
	switch {
	case ctx.Err() != nil:
		res.Cancelled = true
	case err != nil:
		return err
	case len(missing) > 0:
		// What was under a path that is not there now (an unmounted
		// volume) is not forgotten: it is likely to come back.
	default:
		tracker.Complete()
	}
	for _, p := range res.Problems {
		log.Warn("could not read", "path", p.Path, "error", p.Error, "missing", p.Missing)
	}
	return r.commit(job, tracker, found, true, res, log)
}

// startOutput applies the run's sharding to o and starts the shard's
// findings file; nil when the run writes none.
func (r *Runner) startOutput(ctx context.Context, job *config.Job, roots []string, o *scanners.Options) (*shard.Output, error) {
	sh := r.Sharding
	if sh == nil {
		return nil, nil
	}
	sh.Apply(o)
	return sh.Start(ctx, job.Name, roots, r.Config, r.Version)
}

// finishOutput publishes the shard's findings file when the scan finished
// (otherwise throws it away), and merges the report when this shard
// completed the set. Neither fails the scan: res keeps the errors.
func (r *Runner) finishOutput(ctx context.Context, out *shard.Output, stats *scanners.Stats, finished bool, res *Result, log *slog.Logger) {
	if out == nil {
		return
	}
	ferr, merr := r.Sharding.Finish(ctx, out, stats, finished, r.Config, r.Version, log)
	if ferr != nil {
		log.Error("findings file not published", "error", ferr)
		res.OutputError = ferr
	}
	if merr != nil {
		log.Error("merge failed; run 'piiscan report merge' on the findings files", "error", merr)
		res.MergeError = merr
	}
}

// recordStats puts what the scan read into res and the metrics.
func (r *Runner) recordStats(job *config.Job, stats *scanners.Stats, res *Result) {
	if stats == nil {
		return
	}
	res.Files, res.Bytes, res.Unchanged, res.Problems = stats.Files, stats.Bytes, stats.Unchanged, stats.Problems
	if m := r.Metrics; m != nil {
		m.FilesScanned.WithLabelValues(job.Name).Add(float64(stats.Files))
		m.BytesScanned.WithLabelValues(job.Name).Add(float64(stats.Bytes))
		m.FilesUnchanged.WithLabelValues(job.Name).Add(float64(stats.Unchanged))
		m.Unreadable.WithLabelValues(job.Name).Add(float64(res.Unreadable()))
	}
}

// findingCount is what the findings metrics count by.
type findingCount struct {
	class, location string
	severity        finding.Severity
	disallowed      bool
}

// jobSink takes a scan job's findings: it counts them, writes them to the
// shard's findings file, keeps the violations, and gives the checkpointer
// its chance after each.
type jobSink struct {
	job    *config.Job
	failOn finding.Severity
	res    *Result
	// counts is added to the metrics once, by record: a label lookup per
	// finding would cost more than the rest of this sink.
	counts map[findingCount]int
	out    *shard.Output // nil: no findings file
	found  *runViolations
	tick   func()
}

// Add implements scanners.Sink.
func (s *jobSink) Add(f *finding.Finding) error {
	if f.Location != "" && !jobCovers(s.job, f.Location) {
		// Read only because a glob's directory is scanned whole:
		// another location's file, not this job's to report.
		return nil
	}
	s.res.Findings++
	if f.Severity >= s.failOn {
		s.res.FailFindings++
	}
	s.counts[findingCount{f.Class, f.Location, f.Severity, f.Disallowed}]++
	if s.out != nil {
		if err := s.out.Add(f); err != nil {
			return fmt.Errorf("writing the findings file: %w", err)
		}
	}
	if f.Disallowed {
		s.found.add(f)
	}
	s.tick()
	return nil
}

// record adds the counts to m (nil: none).
func (s *jobSink) record(m *metrics.Metrics) {
	if m == nil {
		return
	}
	for k, n := range s.counts {
		loc := cmp.Or(k.location, "none")
		m.Findings.WithLabelValues(s.job.Name, k.class, k.severity.String(), loc).Add(float64(n))
		if k.disallowed {
			m.Violations.WithLabelValues(s.job.Name, loc, k.class).Add(float64(n))
		}
	}
}

// checkpointer saves, from the collector (so that positions never pass a
// finding not yet in found), what was found and how far the scan got,
// once a while. One that fails is logged and tried again at the next:
// what it held stays for the next commit.
type checkpointer struct {
	every time.Duration
	// last is by the wall clock, not Runner.now: a test's clock may
	// stand still.
	last    time.Time
	stopped func() error // the run's context's Err
	found   *runViolations
	save    func() error
	log     *slog.Logger
}

// tick saves a checkpoint when one is due.
func (c *checkpointer) tick() {
	if time.Since(c.last) < c.every && len(c.found.batch) < checkpointViolations || c.stopped() != nil {
		return // (once stopped, the final commit saves it all)
	}
	if err := c.save(); err != nil {
		c.log.Error("checkpoint not saved; trying again at the next", "error", err)
	}
	c.last = time.Now()
}

// checkpointing is the scan's Incremental: the job's tracker, and a
// chance to save a checkpoint whenever the scan moves past an input.
type checkpointing struct {
	*state.Tracker
	tick func()
}

// Done implements scanners.Incremental.
func (c *checkpointing) Done(it source.Item, end scanners.Position) {
	c.Tracker.Done(it, end)
	c.tick()
}

// Progress implements scanners.Incremental.
func (c *checkpointing) Progress(it source.Item, at scanners.Position) {
	c.Tracker.Progress(it, at)
	c.tick()
}

// runViolations are the distinct violations of one run: those found since
// the last checkpoint in full, the others by a 128-bit hash of their
// identity (a run may find millions).
type runViolations struct {
	seeds [2]maphash.Seed
	ids   map[[2]uint64]struct{}
	batch []*finding.Finding // since the last checkpoint
	// missing are the job's paths that do not exist this run: violations
	// remembered under them are neither reminded of nor forgotten.
	missing []string
}

func newRunViolations() *runViolations {
	return &runViolations{seeds: [2]maphash.Seed{maphash.MakeSeed(), maphash.MakeSeed()}, ids: map[[2]uint64]struct{}{}}
}

// id identifies a violation across runs: (location, rule, fingerprint).
func (v *runViolations) id(location, rule, fingerprint string) [2]uint64 {
	var out [2]uint64
	for i, seed := range v.seeds {
		var h maphash.Hash
		h.SetSeed(seed)
		h.WriteString(location)
		h.WriteByte(0)
		h.WriteString(rule)
		h.WriteByte(0)
		h.WriteString(fingerprint)
		out[i] = h.Sum64()
	}
	return out
}

// add remembers f unless the run found it already.
func (v *runViolations) add(f *finding.Finding) {
	id := v.id(f.Location, f.Rule, f.Fingerprint)
	if _, dup := v.ids[id]; dup {
		return
	}
	v.ids[id] = struct{}{}
	c := *f
	c.Value = "" // never kept
	v.batch = append(v.batch, &c)
}

// underMissing reports whether path is under one of the job's paths that
// do not exist this run.
func (v *runViolations) underMissing(path string) bool {
	for _, m := range v.missing {
		if path == m || strings.HasPrefix(path, strings.TrimSuffix(m, "/")+"/") {
			return true
		}
	}
	return false
}

// commit decides, per route, which violations found since the last
// checkpoint are new and which are due for a reminder, and saves that
// with the scan positions and the alerts in one transaction. The final
// commit of a run that went through also reminds of violations found by
// earlier runs in data this one did not read again.
func (r *Runner) commit(job *config.Job, tracker *state.Tracker, found *runViolations, final bool, res *Result, log *slog.Logger) error {
	c := r.Config
	r.State.Lock()
	defer r.State.Unlock()
	now := r.now()
	batch := found.batch
	commit := state.Commit{Files: tracker, Seen: map[string][]state.Seen{}, Forget: map[string][]state.Seen{}}
	// Per violation of the batch: alerted as new, or as a reminder, to
	// some route (counted once however many routes).
	isNew := make([]bool, len(batch))
	isReminder := make([]bool, len(batch))
	// Earlier violations reminded of, over routes, counted once each.
	reminded := map[[2]uint64]bool{}
	var counted []alert.Summary
	for _, name := range job.Alerts {
		route := c.RouteByName(name)
		if route == nil {
			continue
		}
		vs, seen, err := r.batchAlerts(route, batch, now, isNew, isReminder)
		if err != nil {
			return err
		}
		// Violations found by earlier runs in data this run did not read
		// again are still there as long as their file is.
		var due []state.Seen
		var dueIDs [][2]uint64 // of due, hashed once
		if final && route.RemindAfter > 0 && !res.Cancelled {
			if due, dueIDs, err = r.earlierDue(job, route, found, now); err != nil {
				return err
			}
		}
		dvs, dseen, gone := remindEarlier(due, dueIDs, found, now, reminded)
		vs, seen = append(vs, dvs...), append(seen, dseen...)
		commit.Forget[route.Name] = gone
		commit.Seen[route.Name] = seen
		if len(vs) == 0 {
			continue
		}
		sum := alert.Summarize(job.Name, route.Name, hostname(), now, vs)
		counted = append(counted, sum)
		body, err := json.Marshal(sum)
		if err != nil {
			return err
		}
		commit.Outbox = append(commit.Outbox, state.OutboxEntry{Route: route.Name, Job: job.Name, Created: now, Summary: body})
	}
	if _, err := r.State.Save(commit); err != nil {
		return fmt.Errorf("saving state: %w", err)
	}
	// Counted once saved: a commit that fails is made again.
	if m := r.Metrics; m != nil {
		for _, sum := range counted {
			m.NewViolations.WithLabelValues(job.Name, sum.Route).Add(float64(sum.New))
			m.Reminders.WithLabelValues(job.Name, sum.Route).Add(float64(sum.Reminders))
		}
	}
	for i := range batch {
		if isNew[i] {
			res.New++
		} else if isReminder[i] {
			res.Reminders++
		}
	}
	res.Reminders += len(reminded)
	res.Queued += len(commit.Outbox)
	found.batch = nil
	if !final {
		log.Debug("checkpoint saved", "violations", len(batch), "alerts_queued", len(commit.Outbox))
	}
	return nil
}

// batchAlerts decides which violations of batch route alerts of: those it
// was never told about, and those its last alert of is older than
// remind_after. It marks them in isNew and isReminder, and returns the
// alerts and what the route remembers of every violation of batch it
// covers.
func (r *Runner) batchAlerts(route *config.Route, batch []*finding.Finding, now time.Time, isNew, isReminder []bool) (vs []alert.Violation, seen []state.Seen, err error) {
	vs = make([]alert.Violation, 0, len(batch))
	seen = make([]state.Seen, 0, len(batch))
	err = r.State.ViewSeen(route.Name, func(get func(location, rule, fingerprint string) (state.Seen, bool)) error {
		for i, f := range batch {
			if !route.Covers(f.Location, f.Class, f.Severity) {
				continue
			}
			prev, ok := get(f.Location, f.Rule, f.Fingerprint)
			sv := seenOf(f, now)
			v := violationOf(sv)
			switch {
			case !ok:
				vs = append(vs, v)
				isNew[i] = true
			case route.RemindAfter > 0 && now.Sub(prev.LastSent) >= route.RemindAfter:
				v.Reminder = true
				sv.First = prev.First
				vs = append(vs, v)
				isReminder[i] = true
			default:
				sv.First, sv.LastSent = prev.First, prev.LastSent
			}
			seen = append(seen, sv)
		}
		return nil
	})
	if err != nil {
		return nil, nil, fmt.Errorf("reading the state: %w", err)
	}
	return vs, seen, nil
}

// earlierDue returns the violations of the job's locations that route is
// due to be reminded of and this run did not find, with their ids.
func (r *Runner) earlierDue(job *config.Job, route *config.Route, found *runViolations, now time.Time) (due []state.Seen, ids [][2]uint64, err error) {
	err = r.State.EachDue(route.Name, now.Add(-route.RemindAfter), func(p state.Seen) error {
		if !jobCovers(job, p.Location) {
			return nil
		}
		id := found.id(p.Location, p.Rule, p.Fingerprint)
		if _, ok := found.ids[id]; !ok { // not found by this run
			due = append(due, p)
			ids = append(ids, id)
		}
		return nil
	})
	if err != nil {
		return nil, nil, fmt.Errorf("reading the state: %w", err)
	}
	return due, ids, nil
}

// remindEarlier returns the reminders of due (violations earlier runs
// found, ids their ids) whose file is still there, marking their ids in
// reminded, and what the route remembers of them; gone are those whose
// file is not, to be forgotten. Objects are not looked for, and files
// under the job's missing paths are neither reminded of nor forgotten.
func remindEarlier(due []state.Seen, ids [][2]uint64, found *runViolations, now time.Time, reminded map[[2]uint64]bool) (vs []alert.Violation, seen, gone []state.Seen) {
	for i, p := range due {
		if file, ok := localFile(p.Path); ok {
			if found.underMissing(file) {
				continue // not there this run, and not known to be gone
			}
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
		reminded[ids[i]] = true
	}
	return vs, seen, gone
}

// localFile returns the local file the finding path p is in, and false
// when p is in an object. A violation earlier runs found is remembered
// by its path alone, so its path is read to tell which: this is the one
// place package jobs tells an object from a file (see remindEarlier).
func localFile(p string) (file string, ok bool) {
	file, _ = itempath.Outer(p)
	return file, !itempath.IsObject(file)
}

// hostname names this machine in the alerts a job queues.
func hostname() string {
	h, _ := os.Hostname()
	return h
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

// enforce runs a purge or redact job.
func (r *Runner) enforce(ctx context.Context, job *config.Job, key []byte, res *Result, log *slog.Logger) error {
	c := r.Config
	now := r.now()
	opts := retention.PlanOptions{Now: now, Locations: job.Locations}
	var s *scansetup.Setup
	roots, objects, missing := targets(c, job)
	if err := r.reportMissing(job, roots, missing, res, log); err != nil {
		return err
	}
	var plan *retention.Plan
	var err error
	if job.Action == config.JobPurge {
		if objects {
			set, err := scansetup.JobSettings(c)
			if err != nil {
				return err
			}
			if opts.Objects, err = scansetup.ObjectClient(ctx, set); err != nil {
				return err
			}
		}
		plan, err = retention.PlanPurge(ctx, c, opts)
	} else {
		s, err = scansetup.New(scansetup.Request{Config: c, Job: true, Key: key, Logger: log})
		if err != nil {
			return err
		}
		// The enforcement scan, with an S3 client when a root is in a
		// bucket: the plan and its execution reach objects through it.
		sc, err2 := s.Build(ctx, scansetup.Spec{Targets: roots, Enforce: true})
		if err2 != nil {
			return err2
		}
		opts.Objects = s.Objects
		plan, err = retention.PlanRedact(ctx, c, sc, opts)
	}
	if err != nil {
		return err
	}
	res.Plan = plan
	auditLog, err := scansetup.AuditLog(c, job.Enforce)
	if err != nil {
		return err
	}
	x := &retention.Executor{Config: c, Enforce: job.Enforce, Audit: auditLog, Logger: log, Objects: opts.Objects}
	if s != nil {
		x.Engine, x.Allow, x.Fingerprints = s.Options.Engine, s.Options.Allow, s.Options.Fingerprints
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
		if !p.Missing {                        // those were named by reportMissing
			log.Warn("could not examine", "path", p.Path, "error", p.Error)
		}
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
