package config

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"net"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/robfig/cron/v3"

	"github.com/piiscan/piiscan/finding"
	"github.com/piiscan/piiscan/internal/itempath"
	"github.com/piiscan/piiscan/shard/shardspec"
)

// JobSpec is a scheduled job of `piiscan daemon` (and `piiscan run JOB`).
type JobSpec struct {
	Name string `yaml:"name"`
	// Schedule is a cron expression: five fields, or six with seconds
	// first; @daily-style descriptors and @every 1h; CRON_TZ=Zone first
	// for a time zone. "manual": only `piiscan run JOB` runs it (from a
	// Kubernetes CronJob, say); the daemon leaves it alone.
	Schedule string `yaml:"schedule"`
	// Action is scan, purge or redact.
	Action string `yaml:"action"`
	// Locations limits the job to these locations (default: all).
	Locations []string `yaml:"locations"`
	// Alerts names the routes the job's violations go to.
	Alerts []string `yaml:"alerts"`
	// Enforce lets a purge or redact job act; otherwise it only plans.
	Enforce bool `yaml:"enforce"`
	// Timeout stops a run that takes longer (e.g. 2h); it saves how far
	// it got. None by default.
	Timeout Duration `yaml:"timeout"`
}

// AlertsSpec configures where violations are reported.
type AlertsSpec struct {
	Routes []RouteSpec `yaml:"routes"`
	// RemindAfter re-sends a violation still present after this long
	// (default 7d; "0" never reminds).
	RemindAfter Duration `yaml:"remind_after"`
	// Retry tunes delivery: attempts per run, then the outbox.
	Retry RetrySpec `yaml:"retry"`
	// DeliveryTimeout bounds one delivery of the outbox to one route,
	// retries included (default 1m): what is not sent by then waits in the
	// outbox, and a slow sink never holds up a scan or another route.
	DeliveryTimeout Duration `yaml:"delivery_timeout"`
}

// RetrySpec tunes alert delivery retries.
type RetrySpec struct {
	Attempts int      `yaml:"attempts"` // default 4
	Initial  Duration `yaml:"initial"`  // first backoff, default 1s
	Max      Duration `yaml:"max"`      // longest backoff, default 30s
}

// RouteSpec is one alert route: which violations, and the sink they go to.
// Exactly one sink is set.
type RouteSpec struct {
	Name        string   `yaml:"name"`
	MinSeverity string   `yaml:"min_severity"` // default low
	Locations   []string `yaml:"locations"`    // default: all
	Classes     []string `yaml:"classes"`      // default: all
	// RemindAfter overrides alerts.remind_after for this route.
	RemindAfter Duration     `yaml:"remind_after"`
	Webhook     *WebhookSpec `yaml:"webhook"`
	Slack       *SlackSpec   `yaml:"slack"`
	Email       *EmailSpec   `yaml:"email"`
	Syslog      *SyslogSpec  `yaml:"syslog"`
	SNS         *SNSSpec     `yaml:"sns"`
}

// WebhookSpec posts the alert as JSON. With a secret, the header
// X-Piiscan-Signature carries "sha256=" and the hex HMAC-SHA256 of the body.
type WebhookSpec struct {
	URL string `yaml:"url"`
	// SecretEnv names the environment variable holding the HMAC key.
	SecretEnv string            `yaml:"secret_env"`
	Headers   map[string]string `yaml:"headers"`
	Timeout   Duration          `yaml:"timeout"`
}

// SlackSpec posts to a Slack incoming webhook (the URL is a secret: give
// it in URLEnv).
type SlackSpec struct {
	URL    string `yaml:"url"`
	URLEnv string `yaml:"url_env"`
}

// EmailSpec sends the alert over SMTP.
type EmailSpec struct {
	// Address is host:port of the SMTP server.
	Address string   `yaml:"address"`
	From    string   `yaml:"from"`
	To      []string `yaml:"to"`
	// StartTLS is "required" (default), "opportunistic" or "off".
	StartTLS string `yaml:"starttls"`
	// Username and PasswordEnv enable SMTP AUTH PLAIN (only over TLS).
	Username    string `yaml:"username"`
	PasswordEnv string `yaml:"password_env"`
	// InsecureSkipVerify accepts any server certificate (tests only).
	InsecureSkipVerify bool `yaml:"insecure_skip_verify"`
}

// SyslogSpec sends one RFC 5424 message.
type SyslogSpec struct {
	Network  string `yaml:"network"` // udp (default), tcp or unix
	Address  string `yaml:"address"`
	Facility string `yaml:"facility"` // default auth
	Tag      string `yaml:"tag"`      // APP-NAME, default piiscan
}

// SNSSpec publishes to an AWS SNS topic (credentials the SDK's way).
type SNSSpec struct {
	TopicARN string `yaml:"topic_arn"`
	Region   string `yaml:"region"`
	Endpoint string `yaml:"endpoint_url"`
}

// StateSpec configures the daemon's state store.
type StateSpec struct {
	// Path of the state file (default ./piiscan-state.db).
	Path string `yaml:"path"`
	// CheckpointEvery is how often a long scan job saves what it found and
	// how far it got (default 1m): a kill loses at most that much work.
	CheckpointEvery Duration `yaml:"checkpoint_every"`
}

// ShardsSpec configures sharded scans: `--shard INDEX/COUNT`, or a
// Kubernetes Indexed Job whose pods each scan one shard.
type ShardsSpec struct {
	// Count is the number of shards when JOB_COMPLETION_INDEX gives the
	// index (the Job's completions). PIISCAN_SHARD_COUNT overrides it.
	Count int `yaml:"count"`
	// Output is where every shard leaves its findings file for `piiscan
	// report merge`: a directory or s3://bucket/prefix/.
	// --shard-output and PIISCAN_SHARD_OUTPUT override it.
	Output string `yaml:"output"`
	// Report, when set, is where the shard that completes the set writes
	// the merged report: a file or s3://bucket/key named .sarif, .json,
	// .jsonl or .txt. --shard-report and PIISCAN_SHARD_REPORT override it.
	Report string `yaml:"report"`
}

// DaemonSpec configures `piiscan daemon`.
type DaemonSpec struct {
	// Listen is the address of /healthz, /readyz and /metrics (default
	// 127.0.0.1:9464; "" keeps the default, "off" disables).
	Listen string `yaml:"listen"`
	// GracePeriod is how long the daemon takes at most to stop after
	// SIGTERM (default 30s): running jobs may finish in the first four
	// fifths, then they are cancelled and save how far they got.
	GracePeriod Duration `yaml:"grace_period"`
	LogLevel    string   `yaml:"log_level"`  // debug, info (default), warn, error
	LogFormat   string   `yaml:"log_format"` // json (default) or text
}

// Job is a validated job.
type Job struct {
	JobSpec
	Schedule cron.Schedule
	Timeout  time.Duration // 0: none
}

// Route is a validated alert route.
type Route struct {
	RouteSpec
	MinSeverity finding.Severity
	RemindAfter time.Duration
	// Kind is the sink: webhook, slack, email, syslog or sns.
	Kind string
	// Sink holds the sink's settings, validated.
	Sink Sink
}

// Covers reports whether the route takes a violation of class in location.
func (r *Route) Covers(location, class string, sev finding.Severity) bool {
	if sev < r.MinSeverity {
		return false
	}
	if len(r.Locations) > 0 && !slices.Contains(r.Locations, location) {
		return false
	}
	return len(r.Classes) == 0 || slices.Contains(r.Classes, class)
}

// Job actions.
const (
	JobScan   = "scan"
	JobPurge  = "purge"
	JobRedact = "redact"
)

// Defaults of the daemon settings.
const (
	DefaultListen      = "127.0.0.1:9464"
	DefaultGracePeriod = 30 * time.Second
	DefaultRemindAfter = 7 * 24 * time.Hour
	DefaultStatePath   = "piiscan-state.db"
)

// ScheduleManual is the schedule of a job the daemon does not run.
const ScheduleManual = "manual"

// CronParser parses job schedules: an optional seconds field, descriptors
// such as @daily and @every, and CRON_TZ=.
var CronParser = cron.NewParser(cron.SecondOptional | cron.Minute | cron.Hour | cron.Dom | cron.Month | cron.Dow | cron.Descriptor)

// JobByName returns the job called name, or nil.
func (c *Config) JobByName(name string) *Job {
	for _, j := range c.Jobs {
		if j.Name == name {
			return j
		}
	}
	return nil
}

// RouteByName returns the route called name, or nil.
func (c *Config) RouteByName(name string) *Route {
	for _, r := range c.Routes {
		if r.Name == name {
			return r
		}
	}
	return nil
}

// GracePeriod returns daemon.grace_period.
func (c *Config) GracePeriod() time.Duration { return c.grace }

// Digest identifies the rules a scan ran with, so that shards of different
// configurations are not merged: "sha256:" and the hex SHA-256 of the file.
func (c *Config) Digest() string {
	sum := sha256.Sum256(c.raw)
	return "sha256:" + hex.EncodeToString(sum[:])
}

// StatePath returns state.path.
func (c *Config) StatePath() string {
	if c.File.State.Path != "" {
		return c.File.State.Path
	}
	return DefaultStatePath
}

// ListenEnv overrides daemon.listen (the container image sets it to
// ":9464" so that probes and scrapes reach the pod).
const ListenEnv = EnvPrefix + "_DAEMON_LISTEN"

// Listen returns daemon.listen, or PIISCAN_DAEMON_LISTEN when set ("" when
// disabled).
func (c *Config) Listen() string {
	l := c.File.Daemon.Listen
	if v, ok := os.LookupEnv(ListenEnv); ok && v != "" {
		l = v
	}
	switch l {
	case "":
		return DefaultListen
	case "off":
		return ""
	}
	return l
}

// maxAttempts bounds alerts.retry.attempts: a run that retries longer
// holds up the alerts behind it, and the outbox retries later anyway.
const maxAttempts = 100

// RetryPolicy returns alerts.retry with defaults.
func (c *Config) RetryPolicy() (attempts int, initial, max time.Duration) {
	return c.retry.attempts, c.retry.initial, c.retry.max
}

// CheckpointEvery returns state.checkpoint_every (0: the default).
func (c *Config) CheckpointEvery() time.Duration { return c.checkpointEvery }

// DefaultDeliveryTimeout is alerts.delivery_timeout when unset.
const DefaultDeliveryTimeout = time.Minute

// DeliveryTimeout returns alerts.delivery_timeout with its default.
func (c *Config) DeliveryTimeout() time.Duration {
	if c.retry.deliveryTimeout == 0 {
		return DefaultDeliveryTimeout
	}
	return c.retry.deliveryTimeout
}

// retryPolicy is alerts.retry and alerts.delivery_timeout, parsed.
type retryPolicy struct {
	attempts        int
	initial, max    time.Duration
	deliveryTimeout time.Duration
}

// knownClasses returns the built-in classes and those of the rules.
func (c *Config) knownClasses() map[string]bool {
	classes := map[string]bool{}
	for _, cl := range finding.BuiltinClasses() {
		classes[cl] = true
	}
	for _, r := range c.Rules {
		classes[r.Class] = true
	}
	return classes
}

// validateJobs checks jobs, alert routes, state, shards and daemon
// settings.
func (c *Config) validateJobs() Errors {
	ck := &checker{doc: c.doc}
	remind := c.validateAlerts(ck)
	c.checkpointEvery = ck.positive([]any{"state", "checkpoint_every"}, c.File.State.CheckpointEvery, 0, "30s, 5m, 1d")
	c.validateRetry(ck)
	c.validateShards(ck)
	routes := c.validateRoutes(ck, remind)
	c.validateJobList(ck, routes)
	c.validateDaemon(ck)
	return ck.errs
}

// validateAlerts reads alerts.remind_after, which it returns, and the
// delivery settings.
func (c *Config) validateAlerts(ck *checker) (remind time.Duration) {
	f := &c.File
	remind = ck.reminder([]any{"alerts", "remind_after"}, f.Alerts.RemindAfter, DefaultRemindAfter)
	c.retry = retryPolicy{attempts: 4,
		initial:         ck.positive([]any{"alerts", "retry", "initial"}, f.Alerts.Retry.Initial, time.Second, "1s, 2m"),
		max:             ck.positive([]any{"alerts", "retry", "max"}, f.Alerts.Retry.Max, 30*time.Second, "1s, 2m"),
		deliveryTimeout: ck.positive([]any{"alerts", "delivery_timeout"}, f.Alerts.DeliveryTimeout, DefaultDeliveryTimeout, "30s, 5m, 1d")}
	return remind
}

// validateRetry checks alerts.retry.attempts, and that the backoff
// validateAlerts read grows.
func (c *Config) validateRetry(ck *checker) {
	if a := c.File.Alerts.Retry.Attempts; a < 0 || a > maxAttempts {
		ck.bad([]any{"alerts", "retry", "attempts"}, "must be between 0 (default) and %d: what is not delivered waits in the outbox", maxAttempts)
	} else if a > 0 {
		c.retry.attempts = a
	}
	if c.retry.initial > c.retry.max {
		ck.bad([]any{"alerts", "retry", "initial"}, "%v is longer than retry.max (%v)", c.retry.initial, c.retry.max)
	}
}

// validateShards checks the shards settings.
func (c *Config) validateShards(ck *checker) {
	f := &c.File
	bad := ck.bad
	if f.Shards.Count < 0 || f.Shards.Count > shardspec.MaxCount {
		bad([]any{"shards", "count"}, "%d: want 1 to %d (or leave it out)", f.Shards.Count, shardspec.MaxCount)
	}
	if r := f.Shards.Report; r != "" {
		if _, err := shardspec.ReportFormat(r); err != nil {
			bad([]any{"shards", "report"}, "%v", err)
		}
	}
	// The output is a local folder or a bucket prefix; a prefix's URL
	// must name a bucket.
	if o := f.Shards.Output; itempath.IsObject(o) {
		if _, _, err := itempath.ParseObject(o); err != nil {
			bad([]any{"shards", "output"}, "%v", err)
		}
	}
}

// validateRoutes checks alerts.routes, builds c.Routes and returns the
// index of each route by name.
func (c *Config) validateRoutes(ck *checker, remind time.Duration) map[string]int {
	locations := c.locationNames()
	classes := c.knownClasses()
	routes := map[string]int{}
	for i, rs := range c.File.Alerts.Routes {
		at := func(k ...any) []any { return append([]any{"alerts", "routes", i}, k...) }
		if !ruleIDRe.MatchString(rs.Name) {
			ck.bad(at("name"), "route name %q: use lower-case letters, digits, '-', '_' and '.'", rs.Name)
		} else if j, dup := routes[rs.Name]; dup {
			ck.bad(at("name"), "duplicate route name %q (also alerts.routes[%d])", rs.Name, j)
		}
		routes[rs.Name] = i
		r := &Route{RouteSpec: rs, MinSeverity: finding.SeverityLow}
		if rs.MinSeverity != "" {
			sev, err := finding.ParseSeverity(rs.MinSeverity)
			if err != nil {
				ck.bad(at("min_severity"), "unknown severity %q", rs.MinSeverity)
			}
			r.MinSeverity = sev
		}
		r.RemindAfter = ck.reminder(at("remind_after"), rs.RemindAfter, remind)
		ck.known(at, "locations", rs.Locations, locations, "location")
		ck.known(at, "classes", rs.Classes, classes, "class")
		r.Sink, r.Kind = validateSink(ck, at, &rs)
		c.Routes = append(c.Routes, r)
	}
	return routes
}

// validateSink checks the sink of the route rs at at(), and returns it and
// its kind: exactly one sink is set.
func validateSink(ck *checker, at func(k ...any) []any, rs *RouteSpec) (Sink, string) {
	sink, errs := rs.sink()
	for _, e := range errs {
		ck.bad(at(e.Key...), "%s", e.Msg)
	}
	var kinds []string
	for _, k := range []struct {
		name string
		set  bool
	}{{"webhook", rs.Webhook != nil}, {"slack", rs.Slack != nil}, {"email", rs.Email != nil}, {"syslog", rs.Syslog != nil}, {"sns", rs.SNS != nil}} {
		if k.set {
			kinds = append(kinds, k.name)
		}
	}
	switch len(kinds) {
	case 0:
		ck.bad(at(), "route %q has no sink: set one of webhook, slack, email, syslog, sns", rs.Name)
	case 1:
		return sink, kinds[0]
	default:
		ck.bad(at(), "route %q has %d sinks (%s): one per route", rs.Name, len(kinds), strings.Join(kinds, ", "))
	}
	return sink, ""
}

// validateJobList checks jobs and builds c.Jobs; routes are the alert
// routes by name.
func (c *Config) validateJobList(ck *checker, routes map[string]int) {
	locations := c.locationNames()
	jobs := map[string]int{}
	for i, js := range c.File.Jobs {
		at := func(k ...any) []any { return append([]any{"jobs", i}, k...) }
		if !ruleIDRe.MatchString(js.Name) {
			ck.bad(at("name"), "job name %q: use lower-case letters, digits, '-', '_' and '.'", js.Name)
		} else if k, dup := jobs[js.Name]; dup {
			ck.bad(at("name"), "duplicate job name %q (also jobs[%d])", js.Name, k)
		}
		jobs[js.Name] = i
		c.Jobs = append(c.Jobs, c.validateJob(ck, at, js, locations, routes))
	}
}

// validateJob checks the job js at at().
func (c *Config) validateJob(ck *checker, at func(k ...any) []any, js JobSpec, locations map[string]bool, routes map[string]int) *Job {
	j := &Job{JobSpec: js, Schedule: validateSchedule(ck, at, js.Schedule)}
	switch js.Action {
	case JobScan, JobPurge, JobRedact:
	case "":
		ck.bad(at("action"), "missing action (scan, purge or redact)")
	default:
		ck.bad(at("action"), "unknown action %q (want scan, purge or redact)", js.Action)
	}
	j.Timeout = ck.positive(at("timeout"), js.Timeout, 0, "90m, 2h")
	if js.Enforce && js.Action == JobScan {
		ck.bad(at("enforce"), "a scan job changes nothing: enforce is for purge and redact")
	}
	ck.known(at, "locations", js.Locations, locations, "location")
	if len(c.Locations) == 0 {
		ck.bad(at(), "job %q has nothing to work on: declare locations", js.Name)
	}
	for k, r := range js.Alerts {
		if _, ok := routes[r]; !ok {
			ck.bad(at("alerts", k), "unknown alert route %q", r)
		}
	}
	if len(js.Alerts) > 0 && js.Action != JobScan && js.Action != "" {
		ck.bad(at("alerts"), "alerts come from scan jobs: schedule a scan job over the same locations (%s jobs report through metrics and logs)", js.Action)
	}
	return j
}

// validateSchedule parses the schedule of the job at at(): nil for a
// manual job, run by `piiscan run` only.
func validateSchedule(ck *checker, at func(k ...any) []any, schedule string) cron.Schedule {
	switch {
	case schedule == ScheduleManual:
		return nil
	case schedule == "":
		ck.bad(at("schedule"), "missing schedule (cron, e.g. \"0 * * * *\", \"@daily\", \"CRON_TZ=Europe/Berlin 0 3 * * *\")")
		return nil
	}
	s, err := CronParser.Parse(schedule)
	if err != nil {
		ck.bad(at("schedule"), "%q: %v", schedule, err)
		return nil
	}
	return s
}

// validateDaemon checks the daemon settings.
func (c *Config) validateDaemon(ck *checker) {
	dm := &c.File.Daemon
	c.grace = ck.positive([]any{"daemon", "grace_period"}, dm.GracePeriod, DefaultGracePeriod, "30s")
	if l := dm.Listen; l != "" && l != "off" {
		if _, _, err := net.SplitHostPort(l); err != nil {
			ck.bad([]any{"daemon", "listen"}, "want host:port or \"off\", got %q", l)
		}
	}
	switch dm.LogLevel {
	case "", "debug", "info", "warn", "error":
	default:
		ck.bad([]any{"daemon", "log_level"}, "unknown level %q (want debug, info, warn or error)", dm.LogLevel)
	}
	switch dm.LogFormat {
	case "", "json", "text":
	default:
		ck.bad([]any{"daemon", "log_format"}, "unknown format %q (want json or text)", dm.LogFormat)
	}
}

// Secret reads a secret from the environment variable name.
func Secret(name string) (string, error) {
	if name == "" {
		return "", nil
	}
	v, ok := os.LookupEnv(name)
	if !ok || v == "" {
		return "", fmt.Errorf("environment variable %s is not set", name)
	}
	return v, nil
}
