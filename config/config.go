// Package config loads and validates piiscan's policy file, rules.yaml:
// the detection rules with the policy clauses they enforce, allowlists,
// and defaults for every command-line option. Every error names the file,
// line and key it is about.
package config

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"maps"
	"math"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/piiscan/piiscan/finding"
	"github.com/piiscan/piiscan/internal/itempath"
	"github.com/piiscan/piiscan/scanners/allow"
	"github.com/piiscan/piiscan/scanners/detect/catalog"
)

// File is the YAML document of rules.yaml.
type File struct {
	Version     int                  `yaml:"version"`
	Scan        ScanSpec             `yaml:"scan"`
	Detection   DetectionSpec        `yaml:"detection"`
	Archives    ArchiveSpec          `yaml:"archives"`
	Fingerprint FingerprintSpec      `yaml:"fingerprint"`
	Policies    map[string]PolicyDoc `yaml:"policies"`
	Rules       []RuleSpec           `yaml:"rules"`
	Allow       AllowSpec            `yaml:"allow"`
	S3          S3Spec               `yaml:"s3"`
	Locations   []LocationSpec       `yaml:"locations"`
	Holds       []HoldSpec           `yaml:"holds"`
	Enforcement EnforcementSpec      `yaml:"enforcement"`
	Jobs        []JobSpec            `yaml:"jobs"`
	Alerts      AlertsSpec           `yaml:"alerts"`
	State       StateSpec            `yaml:"state"`
	Daemon      DaemonSpec           `yaml:"daemon"`
	Shards      ShardsSpec           `yaml:"shards"`
}

// ScanSpec holds defaults for `piiscan scan` options. Flags and PIISCAN_*
// environment variables override them (see ScanOptions).
type ScanSpec struct {
	Format         string   `yaml:"format"`
	Output         string   `yaml:"output"`
	FailOn         string   `yaml:"fail_on"`
	Workers        int      `yaml:"workers"`
	Progress       string   `yaml:"progress"`
	FollowSymlinks bool     `yaml:"follow_symlinks"`
	Include        []string `yaml:"include"`
	Exclude        []string `yaml:"exclude"`
	Classes        []string `yaml:"classes"`
	Reveal         bool     `yaml:"reveal"`
	// MaxSize skips files and objects larger than this (e.g. 2GiB).
	MaxSize string `yaml:"max_size"`
	// MaxFindings caps the findings reported per input (-1: no cap).
	MaxFindings *int `yaml:"max_findings"`
	// NewerThan skips files and objects modified longer ago (e.g. 30d).
	NewerThan Duration `yaml:"newer_than"`
	// Checkpoint is a file that lets an interrupted scan of s3:// targets
	// resume where it stopped.
	Checkpoint string `yaml:"checkpoint"`
}

// S3Spec configures object storage. Credentials come the AWS SDK's way
// (environment, shared config and profiles, IRSA and pod identity,
// instance roles), never from this file.
type S3Spec struct {
	Region      string `yaml:"region"`
	Profile     string `yaml:"profile"`
	EndpointURL string `yaml:"endpoint_url"`
	PathStyle   bool   `yaml:"path_style"`
	MaxAttempts int    `yaml:"max_attempts"`
	// Concurrency is the number of objects read at once (default 16).
	Concurrency int `yaml:"concurrency"`
}

// DetectionSpec tunes the detectors.
type DetectionSpec struct {
	DefaultRegion string `yaml:"default_region"`
	// Regions are more ISO 3166 regions whose national-format phone
	// numbers are looked for everywhere, besides default_region's.
	Regions       []string `yaml:"regions"`
	ContextWindow int      `yaml:"context_window"`
}

// ArchiveSpec limits how compressed files and archives are read.
type ArchiveSpec struct {
	MaxDepth int    `yaml:"max_depth"`
	MaxBytes string `yaml:"max_bytes"`
	MaxRatio int64  `yaml:"max_ratio"`
	// MaxEntries is the most entries one zip archive may list.
	MaxEntries int `yaml:"max_entries"`
}

// FingerprintSpec says where the fingerprint key comes from. The
// environment variable PIISCAN_FINGERPRINT_KEY takes precedence.
type FingerprintSpec struct {
	Key     string `yaml:"key"`
	KeyFile string `yaml:"key_file"`
}

// PolicyDoc is a published privacy policy the rules are derived from.
type PolicyDoc struct {
	File         string `yaml:"file"`
	Organisation string `yaml:"organisation"`
}

// RuleSpec is one rule in rules.yaml.
type RuleSpec struct {
	ID          string     `yaml:"id"`
	Description string     `yaml:"description"`
	Class       string     `yaml:"class"`
	Detector    string     `yaml:"detector"`
	Pattern     string     `yaml:"pattern"`
	Keywords    []string   `yaml:"keywords"`
	Validator   string     `yaml:"validator"`
	Severity    string     `yaml:"severity"`
	Confidence  string     `yaml:"confidence"`
	Policy      StringList `yaml:"policy"`
	Enabled     *bool      `yaml:"enabled"`
}

// AllowSpec is an allowlist: global entries, and entries per class.
type AllowSpec struct {
	AllowEntries `yaml:",inline"`
	Classes      map[string]AllowEntries `yaml:"classes"`
}

// AllowEntries are allowed values and places.
type AllowEntries struct {
	Values   []string `yaml:"values"`
	Patterns []string `yaml:"patterns"`
	CIDRs    []string `yaml:"cidrs"`
	Paths    []string `yaml:"paths"`
}

// StringList is a YAML string or list of strings.
type StringList []string

// UnmarshalYAML accepts a scalar or a sequence.
func (s *StringList) UnmarshalYAML(n *yaml.Node) error {
	if n.Kind == yaml.ScalarNode {
		*s = StringList{n.Value}
		return nil
	}
	var l []string
	if err := n.Decode(&l); err != nil {
		return err
	}
	*s = l
	return nil
}

// Config is a loaded and validated rules.yaml.
type Config struct {
	// Name is the file name, or "rules.yaml (built in)".
	Name string
	File File
	// Rules are the enabled rules, checked.
	Rules []Rule
	// Limits are the archive limits.
	Limits ArchiveLimits
	// Locations, holds and enforcement settings of destructive commands.
	Locations  []*Location
	Holds      []Hold
	LiveWithin time.Duration
	// MinConfidence is enforcement.min_confidence: redact rewrites, and
	// acts on the files of, findings of at least this confidence.
	MinConfidence finding.Confidence
	// Jobs and alert routes of the daemon.
	Jobs   []*Job
	Routes []*Route
	grace  time.Duration
	retry  retryPolicy
	// checkpointEvery is state.checkpoint_every (0: unset).
	checkpointEvery time.Duration
	doc             *document
	raw             []byte
}

// Rule is an enabled rule of rules.yaml, checked: a built-in detector
// (Detector set, Class its class) or a pattern (Pattern set). It is the
// rule detect compiles (catalog.Rule).
type Rule = catalog.Rule

// ArchiveLimits are the archives settings: how deep, how large and how
// compressed the archives and compressed files read may be (0: the
// default).
type ArchiveLimits struct {
	MaxDepth   int
	MaxBytes   int64
	MaxRatio   int64
	MaxEntries int
}

// Raw returns the bytes the config was loaded from.
func (c *Config) Raw() []byte { return c.raw }

// Line returns the line of a key in the config file (0 if absent).
func (c *Config) Line(path ...any) int { return c.doc.line(path...) }

var (
	ruleIDRe = regexp.MustCompile(`^[a-z0-9][a-z0-9_.-]*$`)
	classRe  = regexp.MustCompile(`^[a-z][a-z0-9_]*$`)
)

// Load parses and validates a rules.yaml read from r. name is used in
// error messages.
func Load(name string, r io.Reader) (*Config, error) {
	data, err := io.ReadAll(r)
	if err != nil {
		return nil, fmt.Errorf("reading %s: %w", name, err)
	}
	return Parse(name, data)
}

// Parse parses and validates a rules.yaml held in data.
func Parse(name string, data []byte) (*Config, error) {
	c := &Config{Name: name, raw: data, doc: &document{name: name}}
	var root yaml.Node
	if err := yaml.Unmarshal(data, &root); err != nil {
		return nil, yamlErrors(name, err)
	}
	if err := checkExpansion(name, &root); err != nil {
		return nil, err
	}
	c.doc.root = &root
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	if err := dec.Decode(&c.File); err != nil && !errors.Is(err, io.EOF) {
		return nil, yamlErrors(name, err)
	}
	errs := c.validate()
	errs = append(errs, c.validatePolicy()...)
	errs = append(errs, c.validateJobs()...)
	if len(errs) > 0 {
		return nil, errs
	}
	return c, nil
}

// validate checks the sections of rules.yaml that describe detection and
// scans, and fills in Rules and Limits.
func (c *Config) validate() Errors {
	ck := &checker{doc: c.doc}
	c.checkVersion(ck)
	c.checkRules(ck)
	if len(ck.errs) == 0 {
		c.checkDetectorsUsedOnce(ck)
	}
	c.checkDetection(ck)
	c.checkAllow(ck)
	c.checkArchives(ck)
	c.checkS3(ck)
	c.checkScan(ck)
	return ck.errs
}

// checkVersion checks version and the policies rules may cite.
func (c *Config) checkVersion(ck *checker) {
	f := &c.File
	if f.Version != 1 {
		ck.bad([]any{"version"}, "unsupported version %d (want 1)", f.Version)
	}
	for id, p := range f.Policies {
		if p.File == "" {
			ck.bad([]any{"policies", id, "file"}, "missing: name the policy document this id stands for")
		}
	}
}

// checkRules checks each rule and collects the enabled ones in c.Rules.
func (c *Config) checkRules(ck *checker) {
	f := &c.File
	policyIDs := slices.Sorted(maps.Keys(f.Policies))
	if len(f.Rules) == 0 {
		ck.bad([]any{"rules"}, "no rules: a policy needs at least one")
	}
	seen := map[string]int{}
	for i, rs := range f.Rules {
		at := func(key string) []any { return []any{"rules", i, key} }
		if rs.ID == "" {
			ck.bad(at("id"), "missing rule id")
		} else if !ruleIDRe.MatchString(rs.ID) {
			ck.bad(at("id"), "rule id %q: use lower-case letters, digits, '-', '_' and '.'", rs.ID)
		} else if j, dup := seen[rs.ID]; dup {
			ck.bad(at("id"), "duplicate rule id %q (also rules[%d])", rs.ID, j)
		}
		seen[rs.ID] = i
		sev, err := finding.ParseSeverity(rs.Severity)
		if err != nil {
			if rs.Severity == "" {
				err = errors.New("missing severity (low, medium, high or critical)")
			}
			ck.bad(at("severity"), "%v", err)
		}
		conf := finding.ConfidenceHigh
		if rs.Confidence != "" {
			if conf, err = finding.ParseConfidence(rs.Confidence); err != nil {
				ck.bad(at("confidence"), "%v", err)
			}
		}
		if rs.Class != "" && !classRe.MatchString(rs.Class) {
			ck.bad(at("class"), "class %q: use lower-case letters, digits and '_'", rs.Class)
		}
		rs.Class = c.checkRuleKind(ck, i)
		if len(policyIDs) > 0 {
			for n, p := range rs.Policy {
				id, _, _ := strings.Cut(p, " ")
				if _, ok := f.Policies[id]; !ok {
					ck.bad([]any{"rules", i, "policy", n}, "cites %q: start with a policy id declared under policies (%s)", id, strings.Join(policyIDs, ", "))
				}
			}
		}
		if rs.Enabled != nil && !*rs.Enabled {
			continue
		}
		c.Rules = append(c.Rules, Rule{
			ID: rs.ID, Class: rs.Class, Detector: rs.Detector, Pattern: rs.Pattern, Keywords: rs.Keywords,
			Validator: rs.Validator, Severity: sev, Confidence: conf, Policy: strings.Join(rs.Policy, "; "),
			PolicyRef: policyRefs(rs.Policy),
		})
	}
}

// checkRuleKind checks that rules[i] names a built-in detector or has a
// pattern, and returns its class: a built-in detector's own class when
// the rule names none.
func (c *Config) checkRuleKind(ck *checker, i int) string {
	rs := &c.File.Rules[i]
	at := func(key string) []any { return []any{"rules", i, key} }
	switch {
	case rs.Detector != "" && rs.Pattern != "":
		ck.bad(at("pattern"), "set detector or pattern, not both")
	case rs.Detector != "":
		b, ok := catalog.Lookup(rs.Detector)
		if !ok {
			ck.bad(at("detector"), "unknown detector %q (want one of %s)", rs.Detector, catalog.DetectorNames())
		} else if rs.Class != "" && rs.Class != b.Class {
			ck.bad(at("class"), "detector %s finds class %s, not %s", rs.Detector, b.Class, rs.Class)
		} else {
			rs.Class = b.Class
		}
		if len(rs.Keywords) > 0 || rs.Validator != "" {
			ck.bad(at("detector"), "keywords and validator apply to pattern rules only")
		}
	case rs.Pattern != "":
		if rs.Class == "" {
			ck.bad(at("class"), "a pattern rule needs a class")
		}
		if rs.Validator != "" {
			if err := catalog.CheckValidator(rs.Validator); err != nil {
				ck.bad(at("validator"), "%v", err)
			}
		}
		if _, err := catalog.CompileRule(rs.Pattern, rs.Keywords); err != nil {
			ck.bad(at("pattern"), "%v", err)
		}
	default:
		ck.bad([]any{"rules", i}, "rule %q needs a detector (built-in) or a pattern (custom)", rs.ID)
	}
	return rs.Class
}

// checkDetectorsUsedOnce checks that no two enabled rules use one built-in
// detector.
func (c *Config) checkDetectorsUsedOnce(ck *checker) {
	usedBy := map[string]string{}
	for _, r := range c.Rules {
		if r.Detector == "" {
			continue
		}
		if first, ok := usedBy[r.Detector]; ok {
			ck.bad([]any{"rules"}, "%v", catalog.DetectorUsed(r.ID, r.Detector, first))
			return
		}
		usedBy[r.Detector] = r.ID
	}
}

// checkDetection checks the phone regions and the context window.
func (c *Config) checkDetection(ck *checker) {
	d := &c.File.Detection
	if d.DefaultRegion != "" && !validRegion(strings.ToUpper(d.DefaultRegion)) {
		ck.bad([]any{"detection", "default_region"}, "unknown region %q (an ISO 3166 code such as US, GB, DE)", d.DefaultRegion)
	}
	seen := map[string]int{}
	for n, r := range d.Regions {
		u := strings.ToUpper(strings.TrimSpace(r))
		switch j, dup := seen[u]; {
		case !validRegion(u):
			ck.bad([]any{"detection", "regions", n}, "unknown region %q (an ISO 3166 code such as JP, IL, CN)", r)
		case dup:
			ck.bad([]any{"detection", "regions", n}, "region %q is listed twice (also regions[%d])", r, j)
		}
		seen[u] = n
	}
	if w := d.ContextWindow; w < 0 || w > maxContextWindow {
		ck.bad([]any{"detection", "context_window"}, "must be between 0 (default) and %d bytes", maxContextWindow)
	}
}

// checkAllow checks the allowlist: its classes, and that its entries
// compile as a scan compiles them.
func (c *Config) checkAllow(ck *checker) {
	classes := c.knownClasses()
	byClass := map[string]allow.Rules{}
	for cl, e := range c.File.Allow.Classes {
		if !classes[cl] {
			ck.bad([]any{"allow", "classes", cl}, "unknown class %q", cl)
		}
		byClass[cl] = allow.Rules(e)
	}
	if _, _, err := allow.CompileAll(allow.Rules(c.File.Allow.AllowEntries), byClass); err != nil {
		ck.bad([]any{"allow"}, "%v", err)
	}
}

// checkArchives checks the archive limits and sets c.Limits.
func (c *Config) checkArchives(ck *checker) {
	a := &c.File.Archives
	c.Limits = ArchiveLimits{MaxDepth: a.MaxDepth, MaxRatio: a.MaxRatio, MaxEntries: a.MaxEntries}
	if a.MaxBytes != "" {
		n, err := ParseSize(a.MaxBytes)
		if err != nil {
			ck.bad([]any{"archives", "max_bytes"}, "%v", err)
		}
		c.Limits.MaxBytes = n
	}
	if a.MaxDepth < 0 {
		ck.bad([]any{"archives", "max_depth"}, "must not be negative")
	}
	if a.MaxRatio < 0 {
		ck.bad([]any{"archives", "max_ratio"}, "must not be negative")
	}
	if a.MaxEntries < 0 {
		ck.bad([]any{"archives", "max_entries"}, "must not be negative")
	}
}

// checkS3 checks the object storage settings.
func (c *Config) checkS3(ck *checker) {
	s := &c.File.S3
	if u := s.EndpointURL; u != "" {
		if pu, err := url.Parse(u); err != nil || pu.Scheme == "" || pu.Host == "" {
			ck.bad([]any{"s3", "endpoint_url"}, "invalid URL %q (want e.g. https://s3.example.com)", u)
		}
	}
	if s.MaxAttempts < 0 {
		ck.bad([]any{"s3", "max_attempts"}, "must not be negative")
	}
	if s.Concurrency < 0 || s.Concurrency > MaxS3Concurrency {
		ck.bad([]any{"s3", "concurrency"}, "must be between 0 (the default, 16) and %d", MaxS3Concurrency)
	}
}

// checkScan checks the defaults of scan options.
func (c *Config) checkScan(ck *checker) {
	f := &c.File
	if err := itempath.CheckGlobs(f.Scan.Include); err != nil {
		ck.bad([]any{"scan", "include"}, "%v", err)
	}
	if err := itempath.CheckGlobs(f.Scan.Exclude); err != nil {
		ck.bad([]any{"scan", "exclude"}, "%v", err)
	}
}

// policyRefs shortens clauses to their references: the text before the
// first ':' of each ("cloudlex §07 User Access and Choice: \"We will not
// ...\"" becomes "cloudlex §07 User Access and Choice").
func policyRefs(clauses []string) string {
	refs := make([]string, 0, len(clauses))
	for _, c := range clauses {
		ref, _, _ := strings.Cut(c, ": ")
		refs = append(refs, strings.TrimSpace(ref))
	}
	return strings.Join(refs, "; ")
}

// Region returns the default phone region (US when unset).
func (c *Config) Region() string {
	if r := strings.ToUpper(c.File.Detection.DefaultRegion); r != "" {
		return r
	}
	return "US"
}

// maxContextWindow bounds detection.context_window: the bytes around a
// candidate searched for context words, so work per candidate stays small.
const maxContextWindow = 4096

// ParseSize parses a byte size: 1048576, 512KiB, 64MiB, 16GiB, 1TiB, or
// decimal 10MB, 2GB.
func ParseSize(s string) (int64, error) {
	t := strings.TrimSpace(s)
	units := []struct {
		suffix string
		mult   int64
	}{
		{"TiB", 1 << 40}, {"GiB", 1 << 30}, {"MiB", 1 << 20}, {"KiB", 1 << 10},
		{"TB", 1e12}, {"GB", 1e9}, {"MB", 1e6}, {"KB", 1e3}, {"B", 1},
	}
	mult := int64(1)
	for _, u := range units {
		if strings.HasSuffix(t, u.suffix) {
			t, mult = strings.TrimSpace(strings.TrimSuffix(t, u.suffix)), u.mult
			break
		}
	}
	n, err := strconv.ParseInt(t, 10, 64)
	if err != nil || n < 0 {
		return 0, fmt.Errorf("invalid size %q (use bytes or a unit: KiB, MiB, GiB, TiB)", s)
	}
	if n > math.MaxInt64/mult {
		return 0, fmt.Errorf("size %q is too large", s)
	}
	return n * mult, nil
}
