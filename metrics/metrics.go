// Package metrics defines piiscan's Prometheus metrics.
package metrics

import (
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
)

// Metrics are the collectors of one piiscan process, registered on their
// own registry (with the Go and process collectors).
type Metrics struct {
	Registry *prometheus.Registry

	BytesScanned    *prometheus.CounterVec // job
	FilesScanned    *prometheus.CounterVec // job
	FilesUnchanged  *prometheus.CounterVec // job
	Unreadable      *prometheus.CounterVec // job
	MissingPaths    *prometheus.GaugeVec   // job
	Findings        *prometheus.CounterVec // job, class, severity, location
	Violations      *prometheus.CounterVec // job, location, class
	NewViolations   *prometheus.CounterVec // job, route
	Reminders       *prometheus.CounterVec // job, route
	RecordsPurged   *prometheus.CounterVec // job, location
	BytesPurged     *prometheus.CounterVec // job, location
	FilesDeleted    *prometheus.CounterVec // job, location
	ValuesRedacted  *prometheus.CounterVec // job, location
	RecordsRedacted *prometheus.CounterVec // job, location
	ActionsFailed   *prometheus.CounterVec // job
	JobRuns         *prometheus.CounterVec // job, result
	JobDuration     *prometheus.HistogramVec
	LastSuccess     *prometheus.GaugeVec // job
	SkippedRuns     *prometheus.CounterVec
	Panics          *prometheus.CounterVec
	Running         *prometheus.GaugeVec
	AlertsSent      *prometheus.CounterVec // route, sink
	AlertFailures   *prometheus.CounterVec // route, sink
	Outbox          prometheus.Gauge
	Reloads         *prometheus.CounterVec // result
	ReloadSuccess   prometheus.Gauge
	Info            *prometheus.GaugeVec // version
}

// New returns the metrics, registered.
func New(version string) *Metrics {
	r := prometheus.NewRegistry()
	f := func(c prometheus.Collector) { r.MustRegister(c) }
	counter := func(name, help string, labels ...string) *prometheus.CounterVec {
		c := prometheus.NewCounterVec(prometheus.CounterOpts{Namespace: "piiscan", Name: name, Help: help}, labels)
		f(c)
		return c
	}
	gauge := func(name, help string, labels ...string) *prometheus.GaugeVec {
		g := prometheus.NewGaugeVec(prometheus.GaugeOpts{Namespace: "piiscan", Name: name, Help: help}, labels)
		f(g)
		return g
	}
	m := &Metrics{Registry: r}
	f(collectors.NewGoCollector())
	f(collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	m.BytesScanned = counter("scanned_bytes_total", "Bytes of content scanned (after decompression).", "job")
	m.FilesScanned = counter("scanned_files_total", "Files and objects opened for scanning.", "job")
	m.FilesUnchanged = counter("unchanged_files_total", "Files and objects skipped because an earlier run scanned them and they did not change.", "job")
	m.Unreadable = counter("unreadable_total", "Inputs that could not be read (or only in part).", "job")
	m.MissingPaths = gauge("job_missing_paths", "Paths of the job's locations that did not exist in its last run.", "job")
	m.Findings = counter("findings_total", "Findings, by class, severity and policy location (\"none\" outside every location).", "job", "class", "severity", "location")
	m.Violations = counter("violations_total", "Findings of a class the location does not allow.", "job", "location", "class")
	m.NewViolations = counter("alerted_violations_total", "Violations alerted for the first time, by route.", "job", "route")
	m.Reminders = counter("reminded_violations_total", "Violations alerted again after the reminder interval, by route.", "job", "route")
	m.RecordsPurged = counter("purged_records_total", "Expired records dropped.", "job", "location")
	m.BytesPurged = counter("purged_bytes_total", "Bytes removed by purges (dropped records and deleted files).", "job", "location")
	m.FilesDeleted = counter("deleted_files_total", "Files and objects deleted or quarantined.", "job", "location")
	m.ValuesRedacted = counter("redacted_values_total", "Values masked by redaction.", "job", "location")
	m.RecordsRedacted = counter("redacted_records_total", "Records (lines) changed by redaction.", "job", "location")
	m.ActionsFailed = counter("failed_actions_total", "Retention actions that failed.", "job")
	m.JobRuns = counter("job_runs_total", "Job runs, by result (success, findings, failed, cancelled).", "job", "result")
	m.JobDuration = prometheus.NewHistogramVec(prometheus.HistogramOpts{Namespace: "piiscan", Name: "job_duration_seconds",
		Help: "Duration of job runs.", Buckets: prometheus.ExponentialBuckets(0.01, 4, 10)}, []string{"job"})
	f(m.JobDuration)
	m.LastSuccess = gauge("job_last_success_timestamp_seconds", "Unix time of the last run of a job that completed.", "job")
	m.SkippedRuns = counter("job_skipped_runs_total", "Scheduled runs skipped because the previous run of the job was still going.", "job")
	m.Panics = counter("job_panics_total", "Job runs that panicked (recovered).", "job")
	m.Running = gauge("job_running", "1 while a job runs.", "job")
	m.AlertsSent = counter("alerts_sent_total", "Alerts delivered.", "route", "sink")
	m.AlertFailures = counter("alert_failures_total", "Alert deliveries that failed after their retries (kept in the outbox).", "route", "sink")
	m.Outbox = prometheus.NewGauge(prometheus.GaugeOpts{Namespace: "piiscan", Name: "outbox_alerts", Help: "Alerts waiting in the outbox."})
	f(m.Outbox)
	m.Reloads = counter("config_reloads_total", "Configuration reloads, by result (success, failure).", "result")
	m.ReloadSuccess = prometheus.NewGauge(prometheus.GaugeOpts{Namespace: "piiscan", Name: "config_last_reload_successful", Help: "1 if the last configuration reload succeeded."})
	f(m.ReloadSuccess)
	m.Info = gauge("build_info", "Always 1; the version label says which piiscan runs.", "version")
	m.Info.WithLabelValues(version).Set(1)
	m.ReloadSuccess.Set(1)
	return m
}
