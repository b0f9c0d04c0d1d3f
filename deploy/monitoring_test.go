package deploy

import (
	"bytes"
	"encoding/json"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/model"
	"github.com/prometheus/prometheus/model/labels"
	"github.com/prometheus/prometheus/promql/parser"
	"gopkg.in/yaml.v3"

	"github.com/piiscan/piiscan/metrics"
)

const (
	dashboardFile = "grafana/piiscan-dashboard.json"
	rulesFile     = "prometheus/piiscan-rules.yaml"
)

// A family is a metric family piiscan exports.
type family struct {
	typ    dto.MetricType
	labels []string // sorted, without le and quantile
}

// exported returns the metric families of the daemon's registry
// (metrics.New), each of its vectors given one child so that it is
// gathered, and the series names Prometheus stores with their labels
// (a histogram's _bucket with le, _sum and _count).
func exported(t *testing.T) (map[string]family, map[string]map[string]bool) {
	t.Helper()
	m := metrics.New("test")
	described := map[string]bool{}
	fqName := regexp.MustCompile(`fqName: "([^"]+)"`)
	v := reflect.ValueOf(m).Elem()
	for i := range v.NumField() {
		f := v.Field(i)
		c, ok := f.Interface().(prometheus.Collector)
		if !ok || f.IsNil() {
			continue
		}
		ch := make(chan *prometheus.Desc)
		go func() { c.Describe(ch); close(ch) }()
		for d := range ch {
			if s := fqName.FindStringSubmatch(d.String()); s != nil {
				described[s[1]] = true
			}
		}
		// A vector shows in the registry once it has a child: make one,
		// with as many label values as it takes.
		if get := f.MethodByName("GetMetricWithLabelValues"); get.IsValid() {
			for n := 0; ; n++ {
				if n > 16 {
					t.Fatalf("metrics.Metrics.%s: no child with up to 16 labels", v.Type().Field(i).Name)
				}
				args := make([]reflect.Value, n)
				for j := range args {
					args[j] = reflect.ValueOf("x")
				}
				if out := get.Call(args); out[1].IsNil() {
					break
				}
			}
		}
	}
	mfs, err := m.Registry.Gather()
	if err != nil {
		t.Fatal(err)
	}
	families := map[string]family{}
	series := map[string]map[string]bool{}
	for _, mf := range mfs {
		var names []string
		for _, lp := range mf.GetMetric()[0].GetLabel() {
			names = append(names, lp.GetName())
		}
		sort.Strings(names)
		families[mf.GetName()] = family{typ: mf.GetType(), labels: names}
		set := func(name string, extra ...string) {
			s := map[string]bool{}
			for _, l := range append(slices.Clone(names), extra...) {
				s[l] = true
			}
			series[name] = s
		}
		switch mf.GetType() {
		case dto.MetricType_HISTOGRAM:
			set(mf.GetName()+"_bucket", "le")
			set(mf.GetName() + "_sum")
			set(mf.GetName() + "_count")
		case dto.MetricType_SUMMARY:
			set(mf.GetName(), "quantile")
			set(mf.GetName() + "_sum")
			set(mf.GetName() + "_count")
		default:
			set(mf.GetName())
		}
	}
	for name := range described {
		if _, ok := families[name]; !ok {
			t.Fatalf("%s is described but not gathered", name)
		}
	}
	return families, series
}

// externalSeries are the metrics of other exporters the rules use, with
// their labels (kube-state-metrics' documentation).
var externalSeries = map[string][]string{
	"kube_job_failed": {"namespace", "job_name", "condition"},
}

// promChecker checks PromQL expressions against the exported series.
type promChecker struct {
	series map[string]map[string]bool
	parser parser.Parser
	used   map[string]bool // metrics referenced
}

func newPromChecker(t *testing.T) *promChecker {
	_, series := exported(t)
	for name, ls := range externalSeries {
		s := map[string]bool{}
		for _, l := range ls {
			s[l] = true
		}
		series[name] = s
	}
	return &promChecker{series: series, parser: parser.NewParser(parser.Options{}), used: map[string]bool{}}
}

// seriesLabels returns the labels a stored series of name has: its own,
// and those Prometheus adds to every scraped series. With honor_labels
// (see the rules file) the target's job label stays on piiscan's series
// that have no job label of their own, but piiscan's job label means the
// piiscan job, so only the Go and process collectors' series may be
// selected by the target's job.
func (c *promChecker) seriesLabels(name string) (map[string]bool, bool) {
	own, ok := c.series[name]
	if !ok {
		return nil, false
	}
	s := maps.Clone(own)
	if _, external := externalSeries[name]; !external {
		s["instance"] = true
		if strings.HasPrefix(name, "go_") || strings.HasPrefix(name, "process_") {
			s["job"] = true
		}
	}
	return s, true
}

// check parses expr and returns the labels of its result (nil: a scalar).
func (c *promChecker) check(expr string) (map[string]bool, error) {
	e, err := c.parser.ParseExpr(expr)
	if err != nil {
		return nil, err
	}
	var errs []string
	out := c.labelsOf(e, func(format string, args ...any) { errs = append(errs, fmt.Sprintf(format, args...)) })
	if len(errs) > 0 {
		return nil, fmt.Errorf("%s", strings.Join(errs, "; "))
	}
	return out, nil
}

func setOf(names ...string) map[string]bool {
	s := map[string]bool{}
	for _, n := range names {
		s[n] = true
	}
	return s
}

func sortedKeys(m map[string]bool) []string {
	return slices.Sorted(maps.Keys(m))
}

// labelsOf returns the labels of e's result (nil for a scalar or string)
// and reports metrics and labels that do not exist.
func (c *promChecker) labelsOf(e parser.Expr, bad func(string, ...any)) map[string]bool {
	switch e := e.(type) {
	case *parser.NumberLiteral, *parser.StringLiteral:
		return nil
	case *parser.ParenExpr:
		return c.labelsOf(e.Expr, bad)
	case *parser.UnaryExpr:
		return c.labelsOf(e.Expr, bad)
	case *parser.SubqueryExpr:
		return c.labelsOf(e.Expr, bad)
	case *parser.StepInvariantExpr:
		return c.labelsOf(e.Expr, bad)
	case *parser.MatrixSelector:
		return c.labelsOf(e.VectorSelector, bad)
	case *parser.VectorSelector:
		ls, ok := c.seriesLabels(e.Name)
		if !ok {
			bad("%s: no such metric", e.Name)
			return map[string]bool{}
		}
		c.used[e.Name] = true
		for _, m := range e.LabelMatchers {
			if m.Name != model.MetricNameLabel && !ls[m.Name] {
				bad("%s has no label %s (it has %v)", e.Name, m.Name, sortedKeys(ls))
			}
		}
		return ls
	case *parser.Call:
		args := make([]map[string]bool, len(e.Args))
		for i, a := range e.Args {
			args[i] = c.labelsOf(a, bad)
		}
		str := func(i int) string {
			if s, ok := e.Args[i].(*parser.StringLiteral); ok {
				return s.Val
			}
			return ""
		}
		switch e.Func.Name {
		case "time", "scalar", "pi":
			return nil
		case "vector":
			return map[string]bool{}
		case "histogram_quantile":
			if !args[1]["le"] {
				bad("histogram_quantile over series without le")
			}
			out := maps.Clone(args[1])
			delete(out, "le")
			return out
		case "absent", "absent_over_time":
			out := map[string]bool{}
			if vs, ok := unwrapSelector(e.Args[0]); ok {
				for _, m := range vs.LabelMatchers {
					if m.Type == labels.MatchEqual && m.Name != model.MetricNameLabel {
						out[m.Name] = true
					}
				}
			}
			return out
		case "label_replace":
			if src := str(3); src != "" && !args[0][src] {
				bad("label_replace: no label %s", src)
			}
			out := maps.Clone(args[0])
			out[str(1)] = true
			return out
		case "label_join":
			for i := 2; i < len(e.Args); i++ {
				if !args[0][str(i)] {
					bad("label_join: no label %s", str(i))
				}
			}
			out := maps.Clone(args[0])
			out[str(1)] = true
			return out
		}
		for _, a := range args {
			if a != nil {
				return a
			}
		}
		return nil
	case *parser.AggregateExpr:
		in := c.labelsOf(e.Expr, bad)
		if e.Param != nil {
			c.labelsOf(e.Param, bad)
		}
		for _, g := range e.Grouping {
			if !in[g] {
				bad("%s by/without %s: the series have no such label (they have %v)", e.Op, g, sortedKeys(in))
			}
		}
		switch {
		case e.Op == parser.TOPK || e.Op == parser.BOTTOMK || e.Op == parser.LIMITK || e.Op == parser.LIMIT_RATIO:
			return in
		case e.Without:
			out := maps.Clone(in)
			for _, g := range e.Grouping {
				delete(out, g)
			}
			return out
		default:
			out := setOf(e.Grouping...)
			if e.Op == parser.COUNT_VALUES {
				if s, ok := e.Param.(*parser.StringLiteral); ok {
					out[s.Val] = true
				}
			}
			return out
		}
	case *parser.BinaryExpr:
		l, r := c.labelsOf(e.LHS, bad), c.labelsOf(e.RHS, bad)
		if l == nil || r == nil {
			if l == nil {
				return r
			}
			return l
		}
		vm := e.VectorMatching
		if vm == nil {
			vm = &parser.VectorMatching{}
		}
		for _, name := range vm.MatchingLabels {
			if vm.On && (!l[name] || !r[name]) || !vm.On && !l[name] && !r[name] {
				bad("%s on/ignoring %s: not on both sides (%v, %v)", e.Op, name, sortedKeys(l), sortedKeys(r))
			}
		}
		one := r
		if vm.Card == parser.CardOneToMany {
			one = l
		}
		for _, name := range vm.Include {
			if !one[name] {
				bad("%s group_left/right(%s): not on the one side (%v)", e.Op, name, sortedKeys(one))
			}
		}
		switch {
		case e.Op == parser.LAND || e.Op == parser.LUNLESS:
			return l
		case e.Op == parser.LOR:
			out := maps.Clone(l)
			maps.Copy(out, r)
			return out
		case e.Op.IsComparisonOperator() && !e.ReturnBool:
			return l
		case vm.Card == parser.CardManyToOne || vm.Card == parser.CardOneToMany:
			out := maps.Clone(l)
			if vm.Card == parser.CardOneToMany {
				out = maps.Clone(r)
			}
			for _, name := range vm.Include {
				out[name] = true
			}
			return out
		case vm.On:
			return setOf(vm.MatchingLabels...)
		default:
			out := maps.Clone(l)
			for _, name := range vm.MatchingLabels {
				delete(out, name)
			}
			return out
		}
	}
	bad("unexpected %T", e)
	return nil
}

// unwrapSelector returns the vector selector e is, perhaps in a range.
func unwrapSelector(e parser.Expr) (*parser.VectorSelector, bool) {
	switch e := e.(type) {
	case *parser.VectorSelector:
		return e, true
	case *parser.MatrixSelector:
		return unwrapSelector(e.VectorSelector)
	case *parser.ParenExpr:
		return unwrapSelector(e.Expr)
	}
	return nil, false
}

// The checker itself: a misspelt metric, a label a metric lacks, a by()
// on a label the aggregated series lack, all fail.
func TestPromChecker(t *testing.T) {
	c := newPromChecker(t)
	for expr, want := range map[string]string{
		`sum by (job) (rate(piiscan_scanned_bytes_total[5m]))`:                                             "[job]",
		`histogram_quantile(0.9, sum by (job, le) (rate(piiscan_job_duration_seconds_bucket[1h])))`:        "[job]",
		`piiscan_outbox_alerts > 0 and delta(piiscan_outbox_alerts[1h]) > 0`:                               "[instance]",
		`sum by (job) (piiscan_job_runs_total) unless on (job) piiscan_job_last_success_timestamp_seconds`: "[job]",
		`absent(piiscan_build_info{version="1"})`:                                                          "[version]",
		`max by (instance) (go_goroutines and on (instance) piiscan_build_info)`:                           "[instance]",
		`time() - piiscan_job_last_success_timestamp_seconds > 3600`:                                       "[instance job]",
		`sum(rate(piiscan_scanned_byte_total[5m]))`:                                                        "error",
		`sum by (class) (rate(piiscan_scanned_bytes_total[5m]))`:                                           "error",
		`piiscan_outbox_alerts{job="x"}`:                                                                   "error",
		`piiscan_alerts_sent_total{location="x"}`:                                                          "error",
		`histogram_quantile(0.9, sum by (job) (rate(piiscan_job_duration_seconds_bucket[1h])))`:            "error",
		`piiscan_job_running * on (route) piiscan_alerts_sent_total`:                                       "error",
		`sum by (job) (rate(piiscan_scanned_bytes_total[5m])`:                                              "error",
	} {
		got, err := c.check(expr)
		s := fmt.Sprint(sortedKeys(got))
		if err != nil {
			s = "error"
		}
		if s != want {
			t.Errorf("%s: %s (%v), want %s", expr, s, err, want)
		}
	}
}

// grafanaVars replaces the dashboard's variables in an expression by
// values the PromQL parser takes; an unknown variable is an error.
var grafanaVar = regexp.MustCompile(`\$\{?(\w+)(?::\w+)?\}?|\[\[(\w+)\]\]`)

func substitute(expr string, vars map[string]string) (string, error) {
	var unknown []string
	out := grafanaVar.ReplaceAllStringFunc(expr, func(m string) string {
		s := grafanaVar.FindStringSubmatch(m)
		name := s[1] + s[2]
		if v, ok := vars[name]; ok {
			return v
		}
		unknown = append(unknown, name)
		return m
	})
	if len(unknown) > 0 {
		return "", fmt.Errorf("unknown variables %v", unknown)
	}
	return out, nil
}

// legendLabels are the {{label}} references of a legend or title format.
var legendLabel = regexp.MustCompile(`\{\{\s*(\w+)\s*\}\}`)

type dashboard struct {
	Title         string                    `json:"title"`
	UID           string                    `json:"uid"`
	SchemaVersion int                       `json:"schemaVersion"`
	Panels        []panel                   `json:"panels"`
	Templating    struct{ List []variable } `json:"templating"`
	Annotations   struct {
		List []struct {
			Name        string      `json:"name"`
			Datasource  *datasource `json:"datasource"`
			Expr        string      `json:"expr"`
			TitleFormat string      `json:"titleFormat"`
			BuiltIn     int         `json:"builtIn"`
		} `json:"list"`
	} `json:"annotations"`
}

type datasource struct {
	Type string `json:"type"`
	UID  string `json:"uid"`
}

type panel struct {
	ID         int                      `json:"id"`
	Type       string                   `json:"type"`
	Title      string                   `json:"title"`
	Datasource *datasource              `json:"datasource"`
	GridPos    struct{ H, W, X, Y int } `json:"gridPos"`
	Targets    []struct {
		RefID        string      `json:"refId"`
		Expr         string      `json:"expr"`
		LegendFormat string      `json:"legendFormat"`
		Datasource   *datasource `json:"datasource"`
	} `json:"targets"`
	Panels []panel `json:"panels"`
}

type variable struct {
	Type       string          `json:"type"`
	Name       string          `json:"name"`
	Query      json.RawMessage `json:"query"`
	Datasource *datasource     `json:"datasource"`
	AllValue   string          `json:"allValue"`
}

// The dashboard's every query parses and asks for metrics and labels the
// daemon exports; its legends name labels the queries return.
func TestGrafanaDashboard(t *testing.T) {
	b, err := os.ReadFile(dashboardFile)
	if err != nil {
		t.Fatal(err)
	}
	var d dashboard
	dec := json.NewDecoder(bytes.NewReader(b))
	if err := dec.Decode(&d); err != nil {
		t.Fatalf("%s: %v", dashboardFile, err)
	}
	if d.Title == "" || d.UID == "" || d.SchemaVersion < 36 {
		t.Errorf("%s: title %q, uid %q, schemaVersion %d: want a title, a uid and schemaVersion 36 or later", dashboardFile, d.Title, d.UID, d.SchemaVersion)
	}
	c := newPromChecker(t)
	vars := map[string]string{"__rate_interval": "5m", "__interval": "1m", "__range": "1d"}
	ds := "${datasource}"
	var haveDS bool
	for _, v := range d.Templating.List {
		switch v.Type {
		case "datasource":
			var q string
			if json.Unmarshal(v.Query, &q) != nil || q != "prometheus" || v.Name != "datasource" {
				t.Errorf("variable %s: want a Prometheus data source variable named datasource", v.Name)
			}
			haveDS = true
		case "query":
			var q struct{ Query string }
			if err := json.Unmarshal(v.Query, &q); err != nil {
				json.Unmarshal(v.Query, &q.Query)
			}
			m := regexp.MustCompile(`^label_values\((\w+),\s*(\w+)\)$`).FindStringSubmatch(q.Query)
			if m == nil {
				t.Errorf("variable %s: query %q: want label_values(metric, label)", v.Name, q.Query)
				continue
			}
			if ls, ok := c.seriesLabels(m[1]); !ok || !ls[m[2]] {
				t.Errorf("variable %s: %s has no label %s", v.Name, m[1], m[2])
			}
			if v.Datasource == nil || v.Datasource.UID != ds {
				t.Errorf("variable %s: data source %v, want %s", v.Name, v.Datasource, ds)
			}
			vars[v.Name] = ".+"
			if v.AllValue != "" && v.AllValue != ".+" && v.AllValue != ".*" {
				t.Errorf("variable %s: allValue %q", v.Name, v.AllValue)
			}
		default:
			t.Errorf("variable %s: unexpected type %s", v.Name, v.Type)
		}
	}
	if !haveDS {
		t.Error("no data source variable: the dashboard cannot be imported against another Prometheus")
	}

	checkQuery := func(where, expr, legend string) {
		s, err := substitute(expr, vars)
		if err != nil {
			t.Errorf("%s: %v", where, err)
			return
		}
		out, err := c.check(s)
		if err != nil {
			t.Errorf("%s: %s: %v", where, expr, err)
			return
		}
		for _, m := range legendLabel.FindAllStringSubmatch(legend, -1) {
			if !out[m[1]] {
				t.Errorf("%s: legend %q names %s, which %s does not return (it returns %v)", where, legend, m[1], expr, sortedKeys(out))
			}
		}
	}
	ids := map[int]bool{}
	var walk func(ps []panel)
	var queries int
	walk = func(ps []panel) {
		for _, p := range ps {
			where := fmt.Sprintf("panel %d %q", p.ID, p.Title)
			if p.ID == 0 || ids[p.ID] {
				t.Errorf("%s: panel ids must be set and unique", where)
			}
			ids[p.ID] = true
			if p.Title == "" || p.GridPos.W <= 0 || p.GridPos.H <= 0 || p.GridPos.X+p.GridPos.W > 24 {
				t.Errorf("%s: a title and a gridPos within the 24 columns", where)
			}
			walk(p.Panels)
			if p.Type == "row" {
				continue
			}
			if !slices.Contains([]string{"timeseries", "stat", "table", "gauge", "bargauge", "text"}, p.Type) {
				t.Errorf("%s: unexpected type %s", where, p.Type)
			}
			if p.Datasource == nil || p.Datasource.UID != ds || len(p.Targets) == 0 {
				t.Errorf("%s: want queries of data source %s", where, ds)
			}
			for _, tg := range p.Targets {
				if tg.Datasource != nil && tg.Datasource.UID != ds {
					t.Errorf("%s %s: data source %s", where, tg.RefID, tg.Datasource.UID)
				}
				if tg.Expr == "" {
					t.Errorf("%s %s: no expr", where, tg.RefID)
					continue
				}
				queries++
				checkQuery(where+" "+tg.RefID, tg.Expr, tg.LegendFormat)
			}
		}
	}
	walk(d.Panels)
	for _, a := range d.Annotations.List {
		if a.BuiltIn == 0 {
			checkQuery("annotation "+a.Name, a.Expr, a.TitleFormat)
		}
	}
	t.Logf("%d queries in %d panels", queries, len(ids))

	// What the dashboard is for.
	for _, m := range []string{
		"piiscan_scanned_bytes_total", "piiscan_scanned_files_total", "piiscan_findings_total", "piiscan_violations_total",
		"piiscan_job_runs_total", "piiscan_job_duration_seconds_bucket", "piiscan_job_last_success_timestamp_seconds",
		"piiscan_alerts_sent_total", "piiscan_alert_failures_total", "piiscan_outbox_alerts", "piiscan_config_last_reload_successful",
	} {
		if !c.used[m] {
			t.Errorf("the dashboard does not show %s", m)
		}
	}
	families, _ := exported(t)
	for name := range families {
		if strings.HasPrefix(name, "piiscan_") && !c.used[name] && !c.used[name+"_bucket"] && !c.used[name+"_count"] {
			t.Logf("not on the dashboard: %s", name)
		}
	}
}

// ruleFile is Prometheus' rule file format (model/rulefmt, whose
// package brings Prometheus' query engine along: decoded here strictly
// instead).
type ruleFile struct {
	Groups []struct {
		Name     string `yaml:"name"`
		Interval string `yaml:"interval"`
		Rules    []struct {
			Alert         string            `yaml:"alert"`
			Record        string            `yaml:"record"`
			Expr          string            `yaml:"expr"`
			For           string            `yaml:"for"`
			KeepFiringFor string            `yaml:"keep_firing_for"`
			Labels        map[string]string `yaml:"labels"`
			Annotations   map[string]string `yaml:"annotations"`
		} `yaml:"rules"`
	} `yaml:"groups"`
}

// templateLabel is a $labels.NAME reference of an annotation template.
var templateLabel = regexp.MustCompile(`\$labels\.(\w+)`)

// The alerting rules are well formed, and each watches metrics and labels
// the daemon exports.
func TestPrometheusRules(t *testing.T) {
	b, err := os.ReadFile(rulesFile)
	if err != nil {
		t.Fatal(err)
	}
	var f ruleFile
	dec := yaml.NewDecoder(bytes.NewReader(b))
	dec.KnownFields(true)
	if err := dec.Decode(&f); err != nil {
		t.Fatalf("%s: %v", rulesFile, err)
	}
	if len(f.Groups) == 0 {
		t.Fatalf("%s: no groups", rulesFile)
	}
	c := newPromChecker(t)
	groups, alerts := map[string]bool{}, map[string]bool{}
	for _, g := range f.Groups {
		if g.Name == "" || groups[g.Name] || len(g.Rules) == 0 {
			t.Errorf("group %q: a unique name and rules", g.Name)
		}
		groups[g.Name] = true
		if g.Interval != "" {
			if _, err := model.ParseDuration(g.Interval); err != nil {
				t.Errorf("group %s: interval: %v", g.Name, err)
			}
		}
		for _, r := range g.Rules {
			name := r.Alert
			if r.Record != "" || !regexp.MustCompile(`^Piiscan[A-Z][A-Za-z0-9]+$`).MatchString(name) || alerts[name] {
				t.Errorf("group %s: rule %q%q: want alerting rules with unique names Piiscan...", g.Name, r.Alert, r.Record)
			}
			alerts[name] = true
			for what, d := range map[string]string{"for": r.For, "keep_firing_for": r.KeepFiringFor} {
				if d != "" {
					if _, err := model.ParseDuration(d); err != nil {
						t.Errorf("%s: %s: %v", name, what, err)
					}
				}
			}
			if sev := r.Labels["severity"]; !slices.Contains([]string{"critical", "warning", "info"}, sev) {
				t.Errorf("%s: labels.severity %q: want critical, warning or info", name, sev)
			}
			if strings.TrimSpace(r.Annotations["summary"]) == "" || strings.TrimSpace(r.Annotations["description"]) == "" {
				t.Errorf("%s: annotations.summary and annotations.description are needed", name)
			}
			out, err := c.check(r.Expr)
			if err != nil {
				t.Errorf("%s: %s: %v", name, r.Expr, err)
				continue
			}
			for k, v := range r.Annotations {
				for _, m := range templateLabel.FindAllStringSubmatch(v, -1) {
					if !out[m[1]] {
						t.Errorf("%s: annotations.%s uses $labels.%s, which the expression does not return (%v)", name, k, m[1], sortedKeys(out))
					}
				}
			}
		}
	}
	// What the rules are for.
	for _, m := range []string{
		"piiscan_job_runs_total", "piiscan_job_last_success_timestamp_seconds", "piiscan_outbox_alerts",
		"piiscan_alert_failures_total", "piiscan_config_last_reload_successful", "piiscan_job_running",
		"piiscan_job_skipped_runs_total",
	} {
		if !c.used[m] {
			t.Errorf("no rule watches %s", m)
		}
	}
}

// README's table of metrics lists exactly what the daemon exports, with
// the same labels.
func TestReadmeMetricsTable(t *testing.T) {
	b, err := os.ReadFile(filepath.Join(repo, "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	row := regexp.MustCompile("(?m)^\\| `(piiscan_\\w+)` \\|([^|]*)\\|")
	readme := map[string]string{}
	for _, m := range row.FindAllStringSubmatch(string(b), -1) {
		if _, dup := readme[m[1]]; dup {
			t.Errorf("README lists %s twice", m[1])
		}
		var ls []string
		for _, l := range strings.Split(m[2], ",") {
			if l = strings.TrimSpace(l); l != "" {
				ls = append(ls, l)
			}
		}
		sort.Strings(ls)
		readme[m[1]] = strings.Join(ls, ", ")
	}
	if len(readme) == 0 {
		t.Fatal("README has no table of metrics")
	}
	families, _ := exported(t)
	for name, f := range families {
		if !strings.HasPrefix(name, "piiscan_") {
			continue
		}
		got, ok := readme[name]
		if !ok {
			t.Errorf("README's table of metrics lacks %s (labels %s)", name, strings.Join(f.labels, ", "))
		} else if want := strings.Join(f.labels, ", "); got != want {
			t.Errorf("README: %s has labels %q, the registry %q", name, got, want)
		}
	}
	for name := range readme {
		if _, ok := families[name]; !ok {
			t.Errorf("README lists %s, which piiscan does not export", name)
		}
	}
}
