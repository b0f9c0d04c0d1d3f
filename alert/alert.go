// Package alert turns the new policy violations found by one job run into
// one summary per alert route and delivers it to the route's sink: a
// webhook, Slack, email, syslog or Amazon SNS.
//
// An alert never holds a raw value. A Violation carries only what the caller
// already masked and the keyed fingerprint of the value, and every sink
// renders nothing else.
//
// The package logs retries and TLS downgrades to slog.Default.
package alert

import (
	"cmp"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"os"
	"slices"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"

	"github.com/piiscan/piiscan/config"
	"github.com/piiscan/piiscan/finding"
	"github.com/piiscan/piiscan/report"
)

// Limits of a Summary.
const (
	maxTopPaths = 10
	maxExamples = 10
)

// Violation is one violation to report. It never holds a raw value.
type Violation struct {
	Location string `json:"location"`
	Rule     string `json:"rule"`
	Class    string `json:"class"`
	Severity string `json:"severity"` // low, medium, high or critical
	// Path is the finding path. In JSON a byte of invalid UTF-8 in it is
	// written \xNN (finding.EncodePath).
	Path        string `json:"path"`
	Line        int    `json:"line"`
	Masked      string `json:"masked"`
	Fingerprint string `json:"fingerprint"`
	// Reminder says the violation was reported before and is re-sent
	// because it is still present after the reminder interval.
	Reminder bool `json:"reminder,omitempty"`
}

// Summary is the content of one alert: the violations of one job run for
// one route. Its JSON form is what the webhook sink posts.
type Summary struct {
	// ID is unique per alert (random hex), for receivers to deduplicate
	// retries.
	ID    string    `json:"id"`
	Job   string    `json:"job"`
	Route string    `json:"route"`
	Host  string    `json:"host"`
	Time  time.Time `json:"time"`
	// Total is the number of violations; New and Reminders split it.
	Total     int `json:"total"`
	New       int `json:"new"`
	Reminders int `json:"reminders"`
	// BySeverity, ByClass and ByLocation count the violations.
	BySeverity map[string]int `json:"by_severity"`
	ByClass    map[string]int `json:"by_class"`
	ByLocation map[string]int `json:"by_location"`
	// TopPaths holds at most 10 paths, most violations first, ties by path.
	TopPaths []PathCount `json:"top_paths"`
	// Examples holds at most 10 violations: highest severity first, then
	// by path and line.
	Examples []Violation `json:"examples"`
}

// MarshalJSON writes v with its path encoded by finding.EncodePath, so
// that names that differ only in invalid UTF-8 stay apart.
func (v Violation) MarshalJSON() ([]byte, error) {
	type plain Violation
	p := plain(v)
	p.Path = finding.EncodePath(v.Path)
	return json.Marshal(p)
}

// UnmarshalJSON reads what MarshalJSON writes.
func (v *Violation) UnmarshalJSON(b []byte) error {
	type plain Violation
	var p plain
	if err := json.Unmarshal(b, &p); err != nil {
		return err
	}
	*v = Violation(p)
	v.Path = finding.DecodePath(p.Path)
	return nil
}

// PathCount is the number of violations in one path. In JSON the path
// is encoded as in Violation.
type PathCount struct {
	Path  string `json:"path"`
	Count int    `json:"count"`
}

// MarshalJSON writes c with its path encoded by finding.EncodePath.
func (c PathCount) MarshalJSON() ([]byte, error) {
	type plain PathCount
	return json.Marshal(plain{Path: finding.EncodePath(c.Path), Count: c.Count})
}

// UnmarshalJSON reads what MarshalJSON writes.
func (c *PathCount) UnmarshalJSON(b []byte) error {
	type plain PathCount
	var p plain
	if err := json.Unmarshal(b, &p); err != nil {
		return err
	}
	*c = PathCount{Path: finding.DecodePath(p.Path), Count: p.Count}
	return nil
}

// Summarize builds the summary of vs. Apart from the random ID, the result
// depends only on its arguments (not on the order of vs).
func Summarize(job, route, host string, now time.Time, vs []Violation) Summary {
	s := Summary{
		ID:         newID(),
		Job:        job,
		Route:      route,
		Host:       host,
		Time:       now.Round(0), // strip the monotonic clock reading
		Total:      len(vs),
		BySeverity: map[string]int{},
		ByClass:    map[string]int{},
		ByLocation: map[string]int{},
		TopPaths:   []PathCount{},
		Examples:   []Violation{},
	}
	paths := map[string]int{}
	for _, v := range vs {
		if v.Reminder {
			s.Reminders++
		}
		s.BySeverity[v.Severity]++
		s.ByClass[v.Class]++
		s.ByLocation[v.Location]++
		paths[v.Path]++
	}
	s.New = s.Total - s.Reminders

	for p, n := range paths {
		s.TopPaths = append(s.TopPaths, PathCount{Path: p, Count: n})
	}
	slices.SortFunc(s.TopPaths, func(a, b PathCount) int {
		return cmp.Or(cmp.Compare(b.Count, a.Count), strings.Compare(a.Path, b.Path))
	})
	s.TopPaths = slices.Clip(s.TopPaths[:min(len(s.TopPaths), maxTopPaths)])

	ex := slices.Clone(vs)
	slices.SortStableFunc(ex, compareExamples)
	s.Examples = append(s.Examples, ex[:min(len(ex), maxExamples)]...)
	return s
}

// compareExamples orders violations for Summary.Examples: highest severity
// first, then path and line, then the remaining fields so that the order
// does not depend on the input's.
func compareExamples(a, b Violation) int {
	return cmp.Or(
		cmp.Compare(severityRank(b.Severity), severityRank(a.Severity)),
		strings.Compare(a.Path, b.Path),
		cmp.Compare(a.Line, b.Line),
		strings.Compare(a.Class, b.Class),
		strings.Compare(a.Rule, b.Rule),
		strings.Compare(a.Location, b.Location),
		strings.Compare(a.Fingerprint, b.Fingerprint),
		strings.Compare(a.Masked, b.Masked),
	)
}

// severityRank returns the order of a severity name; 0 for an unknown one.
func severityRank(name string) int {
	sev, err := finding.ParseSeverity(name)
	if err != nil {
		return 0
	}
	return int(sev)
}

// newID returns 128 random bits in hex.
func newID() string {
	var b [16]byte
	_, _ = rand.Read(b[:]) // never fails
	return hex.EncodeToString(b[:])
}

// Subject returns a one-line subject, for example
// "piiscan: 12 new violations, 3 reminders (job nightly, route security)".
func (s Summary) Subject() string {
	var what string
	switch {
	case s.New > 0 && s.Reminders > 0:
		what = report.Plural(s.New, "new violation") + ", " + report.Plural(s.Reminders, "reminder")
	case s.Reminders > 0:
		what = "reminder: " + report.Plural(s.Reminders, "open violation")
	case s.New > 0:
		what = report.Plural(s.New, "new violation")
	default:
		what = "no violations"
	}
	return oneLine(fmt.Sprintf("piiscan: %s (job %s, route %s)", what, s.Job, s.Route))
}

// Text renders the body of the alert as plain text: the counts by
// severity, class and location, the top paths, and examples with their
// masked values and fingerprints. Email, syslog, Slack and SNS use it
// (with Subject).
func (s Summary) Text() string {
	var b strings.Builder
	fmt.Fprintf(&b, "piiscan found %s", report.Plural(s.Total, "policy violation"))
	if s.Reminders > 0 {
		fmt.Fprintf(&b, " (%d new, %s of violations still present)", s.New, report.Plural(s.Reminders, "reminder"))
	}
	b.WriteString(".\n\n")

	tw := tabwriter.NewWriter(&b, 0, 0, 2, ' ', 0)
	fmt.Fprintf(tw, "Job:\t%s\n", oneLine(s.Job))
	fmt.Fprintf(tw, "Route:\t%s\n", oneLine(s.Route))
	fmt.Fprintf(tw, "Host:\t%s\n", oneLine(s.Host))
	fmt.Fprintf(tw, "Time:\t%s\n", s.Time.Format(time.RFC3339))
	fmt.Fprintf(tw, "Alert ID:\t%s\n", s.ID)
	tw.Flush()

	section := func(title string, counts []count) {
		if len(counts) == 0 {
			return
		}
		fmt.Fprintf(&b, "\n%s:\n", title)
		w := 0
		for _, c := range counts {
			w = max(w, len(strconv.Itoa(c.n)))
		}
		for _, c := range counts {
			fmt.Fprintf(&b, "  %*d  %s\n", w, c.n, c.name)
		}
	}
	section("By severity", sortedCounts(s.BySeverity, true))
	section("By class", sortedCounts(s.ByClass, false))
	section("By location", sortedCounts(s.ByLocation, false))

	top := make([]count, len(s.TopPaths))
	for i, p := range s.TopPaths {
		top[i] = count{name: oneLine(p.Path), n: p.Count}
	}
	section("Top paths", top)

	if len(s.Examples) > 0 {
		fmt.Fprintf(&b, "\nExamples (%d of %d; values are masked):\n", len(s.Examples), s.Total)
		tw := tabwriter.NewWriter(&b, 0, 0, 2, ' ', 0)
		for _, v := range s.Examples {
			fmt.Fprintf(tw, "  %s\t%s\t%s:%d\t%s\tfingerprint %s\trule %s, location %s",
				orNone(v.Severity), orNone(v.Class), oneLine(v.Path), v.Line, orNone(v.Masked),
				orNone(v.Fingerprint), orNone(v.Rule), orNone(v.Location))
			if v.Reminder {
				fmt.Fprint(tw, " (reminder)")
			}
			fmt.Fprint(tw, "\n")
		}
		tw.Flush()
	}
	return b.String()
}

type count struct {
	name string
	n    int
}

// sortedCounts returns the entries of m, most first, ties by name; or, for
// severities, highest severity first.
func sortedCounts(m map[string]int, bySeverity bool) []count {
	counts := make([]count, 0, len(m))
	for k, n := range m {
		counts = append(counts, count{name: k, n: n})
	}
	slices.SortFunc(counts, func(a, b count) int {
		if bySeverity {
			if c := cmp.Compare(severityRank(b.name), severityRank(a.name)); c != 0 {
				return c
			}
		}
		return cmp.Or(cmp.Compare(b.n, a.n), strings.Compare(a.name, b.name))
	})
	for i := range counts {
		counts[i].name = orNone(counts[i].name)
	}
	return counts
}

// oneLine escapes control characters (newlines above all), bidirectional
// controls and invalid UTF-8 (report.Safe), so that s cannot break the
// layout of a message, forge lines in it or reorder what it shows.
func oneLine(s string) string { return report.Safe(s) }

// orNone is oneLine(s), or "-" for an empty s.
func orNone(s string) string {
	if s == "" {
		return "-"
	}
	return oneLine(s)
}

// Sink delivers summaries. The sinks New returns are safe for concurrent
// use.
type Sink interface {
	// Kind is the kind of sink: webhook, slack, email, syslog or sns.
	Kind() string
	// Send delivers s once. An error that retrying cannot fix is marked
	// with Permanent.
	Send(ctx context.Context, s Summary) error
}

// Options are shared by the sinks.
type Options struct {
	// HTTPClient is used by the webhook and Slack sinks, and by SNS when
	// AWS is nil. Default: a client with a 10s timeout.
	HTTPClient *http.Client
	// Hostname names this host in syslog messages, SMTP EHLO and email
	// Message-IDs. Default: os.Hostname.
	Hostname string
	// AWS, when set, is used for SNS (otherwise config.LoadDefaultConfig
	// with the route's region).
	AWS *aws.Config
}

// DefaultHTTPTimeout is the timeout of the default Options.HTTPClient.
const DefaultHTTPTimeout = 10 * time.Second

// New returns the sink of a route. The secrets a route names (webhook
// secret_env, slack url_env, email password_env) are read from the
// environment here: a missing secret is an error.
func New(r *config.Route, opts Options) (Sink, error) {
	if opts.HTTPClient == nil {
		opts.HTTPClient = &http.Client{Timeout: DefaultHTTPTimeout}
	}
	if opts.Hostname == "" {
		opts.Hostname, _ = os.Hostname()
	}
	var (
		sink Sink
		err  error
	)
	// The configuration validated the sink and makes sure exactly one is
	// set; a Route built by hand has its settings validated here, by the
	// same code.
	s := r.Sink
	if s == (config.Sink{}) {
		s, err = r.ValidateSink()
	}
	switch {
	case err != nil:
	case s.Webhook != nil:
		sink, err = newWebhook(s.Webhook, opts)
	case s.Slack != nil:
		sink, err = newSlack(s.Slack, opts)
	case s.Email != nil:
		sink, err = newEmail(s.Email, opts)
	case s.Syslog != nil:
		sink, err = newSyslog(s.Syslog, opts)
	case s.SNS != nil:
		sink, err = newSNS(s.SNS, opts)
	default:
		err = fmt.Errorf("no %s sink configured", cmp.Or(r.Kind, "alert"))
	}
	if err != nil {
		return nil, Permanent(fmt.Errorf("alert route %q: %w", r.Name, err))
	}
	return sink, nil
}

// Permanent marks an error that retrying cannot fix: an HTTP 4xx other than
// 408 and 429, an SMTP 5xx, a bad configuration. It returns nil for a nil
// err.
func Permanent(err error) error {
	if err == nil {
		return nil
	}
	return &permanentError{err: err}
}

// IsPermanent reports whether err, or an error it wraps, was marked with
// Permanent.
func IsPermanent(err error) bool {
	var p *permanentError
	return errors.As(err, &p)
}

type permanentError struct{ err error }

func (e *permanentError) Error() string { return e.err.Error() }
func (e *permanentError) Unwrap() error { return e.err }

// permanentStatus reports whether an HTTP response status is one that
// retrying the same request cannot change.
func permanentStatus(code int) bool {
	return code >= 400 && code < 500 && code != http.StatusRequestTimeout && code != http.StatusTooManyRequests
}
