package config

import (
	"path/filepath"
	"strings"
	"time"

	"github.com/piiscan/piiscan/finding"
	"github.com/piiscan/piiscan/internal/itempath"
)

// LocationSpec is a place personal data is kept (logs, backups, exports)
// and what the policy allows there.
type LocationSpec struct {
	Name string `yaml:"name"`
	// Kind describes the location: log, backup, export, or anything else.
	Kind string `yaml:"kind"`
	// Paths are directories (themselves and everything under them, never
	// a sibling whose name starts the same), bucket prefixes (folders
	// too) or globs; a path several locations hold belongs to the most
	// specific (see policy.LocationOf).
	Paths []string `yaml:"paths"`
	// Allowed are the classes the policy allows here; anything else found
	// is a violation.
	Allowed []string `yaml:"allowed"`
	// Disallowed says what to do with files holding disallowed classes:
	// report (default), redact (mask those values in place), quarantine
	// or delete the file.
	Disallowed string        `yaml:"disallowed"`
	Retention  RetentionSpec `yaml:"retention"`
	// RewriteLive lets purge and redact rewrite files that are still being
	// written (modified within live_within). Off by default: see README.
	RewriteLive bool `yaml:"rewrite_live"`
	// AllVersions makes deletions in a versioned bucket remove the
	// object's noncurrent versions too (otherwise they stay, as S3 keeps
	// them, until a lifecycle rule expires them).
	AllVersions bool `yaml:"all_versions"`
	// Policy cites the clauses this location enforces.
	Policy StringList `yaml:"policy"`
}

// RetentionSpec is how long data may stay in a location.
type RetentionSpec struct {
	// MaxAge is a duration: 30d, 13w, 1y, 36h.
	MaxAge Duration `yaml:"max_age"`
	// From is what age is measured from: mtime (the file's) or record
	// (the time inside each record).
	From string `yaml:"from"`
	// Action for expired data: delete, redact or quarantine.
	Action string `yaml:"action"`
	// TimeFields are JSON fields holding a record's time (default ts,
	// time, timestamp, @timestamp, ...).
	TimeFields []string `yaml:"time_fields"`
	// TimeZone is the zone of record times written without one (default UTC).
	TimeZone string `yaml:"time_zone"`
}

// HoldSpec is a legal hold: nothing under it is deleted or rewritten.
type HoldSpec struct {
	Paths  []string `yaml:"paths"`
	Reason string   `yaml:"reason"`
	// Until is the date the hold ends (YYYY-MM-DD); none means it stays.
	Until string `yaml:"until"`
}

// BreakerSpec limits how much one run may delete.
type BreakerSpec struct {
	// MaxFiles is the most files one run may delete or quarantine per
	// location (default 1000; 0 keeps the default, -1 disables).
	MaxFiles int `yaml:"max_files"`
	// MaxShare is the largest share of a location's files one run may
	// delete or quarantine (default 0.5; 1 disables).
	MaxShare float64 `yaml:"max_share"`
}

// EnforcementSpec holds the settings of destructive commands.
type EnforcementSpec struct {
	// Enforce makes purge, redact and erase act; otherwise they only
	// print their plan. --enforce does the same for one run.
	Enforce bool `yaml:"enforce"`
	// AuditLog is the audit log file (default ./piiscan-audit.jsonl).
	AuditLog string `yaml:"audit_log"`
	// QuarantineDir receives quarantined files (default ./piiscan-quarantine).
	QuarantineDir string `yaml:"quarantine_dir"`
	// LiveWithin: a file modified this recently is still being written
	// (default 10m).
	LiveWithin Duration    `yaml:"live_within"`
	Breaker    BreakerSpec `yaml:"breaker"`
	// MinConfidence is the least confidence (low, medium or high) a
	// finding needs for redact to rewrite it or to act on its file
	// (default high): a doubtful match is reported, never rewritten.
	MinConfidence string `yaml:"min_confidence"`
}

// AuditLogPath returns enforcement.audit_log (default piiscan-audit.jsonl).
func (c *Config) AuditLogPath() string {
	if c.File.Enforcement.AuditLog != "" {
		return c.File.Enforcement.AuditLog
	}
	return "piiscan-audit.jsonl"
}

// QuarantineDir returns enforcement.quarantine_dir (default
// piiscan-quarantine).
func (c *Config) QuarantineDir() string {
	if c.File.Enforcement.QuarantineDir != "" {
		return c.File.Enforcement.QuarantineDir
	}
	return "piiscan-quarantine"
}

// QuarantineLocation is the quarantine folder seen as a location, named
// "quarantine": erasure must reach the copies piiscan quarantined. It
// allows nothing, has no retention rule, and may be rewritten at once
// (only piiscan writes there).
func (c *Config) QuarantineLocation() *Location {
	q := c.QuarantineDir()
	// A local folder: config refuses an s3:// quarantine_dir.
	return &Location{Name: "quarantine", Kind: "quarantine", Paths: []string{q}, Allowed: map[string]bool{},
		Disallowed: ActionReport, RewriteLive: true, roots: []string{filepath.Clean(q)}, localRoots: []string{filepath.Clean(q)},
		localPaths: []string{q}}
}

// Retention actions and disallowed-data actions.
const (
	ActionDelete     = "delete"
	ActionRedact     = "redact"
	ActionQuarantine = "quarantine"
	ActionReport     = "report"
	FromMtime        = "mtime"
	FromRecord       = "record"
)

// Location is a validated location.
type Location struct {
	Name, Kind  string
	Paths       []string
	Allowed     map[string]bool
	Disallowed  string
	MaxAge      time.Duration // 0: no retention rule
	From        string
	Action      string
	TimeFields  []string
	TimeZone    *time.Location
	RewriteLive bool
	AllVersions bool
	Policy      string
	PolicyRef   string
	// roots as Roots returns them; localRoots and objectRoots split them,
	// and localPaths and objectPaths split Paths, by where they are, once,
	// when the file is loaded.
	roots, localRoots, objectRoots []string
	localPaths, objectPaths        []string
}

// Hold is a validated legal hold.
type Hold struct {
	Paths  []string
	Reason string
	Until  time.Time // zero: no end
	// Paths split by where they are, once, when the file is loaded.
	localPaths, objectPaths []string
}

// LocalPaths returns the patterns of Paths that name files and folders,
// in the same order.
func (h Hold) LocalPaths() []string { return h.localPaths }

// ObjectPaths returns the patterns of Paths that name bucket prefixes
// (s3://bucket/prefix), in the same order.
func (h Hold) ObjectPaths() []string { return h.objectPaths }

// Active reports whether the hold applies at now.
func (h Hold) Active(now time.Time) bool { return h.Until.IsZero() || now.Before(h.Until) }

// Roots returns the directories a location's paths live under: a
// directory path itself, or the part of a glob before its first pattern;
// a bucket prefix as a folder, ending in '/' (s3://b/app/ for s3://b/app),
// so that listing it never reads a sibling such as s3://b/app-archive/.
func (l *Location) Roots() []string { return l.roots }

// LocalRoots returns the roots of Roots that are on the file system, in
// the same order.
func (l *Location) LocalRoots() []string { return l.localRoots }

// ObjectRoots returns the roots of Roots that are bucket prefixes
// (s3://bucket/prefix/), in the same order.
func (l *Location) ObjectRoots() []string { return l.objectRoots }

// LocalPaths returns the paths and globs of Paths that name files and
// folders, in the same order.
func (l *Location) LocalPaths() []string { return l.localPaths }

// ObjectPaths returns the paths of Paths that name bucket prefixes
// (s3://bucket/prefix), in the same order.
func (l *Location) ObjectPaths() []string { return l.objectPaths }

// s3Folder returns the bucket URL u, whose prefix (or key) is prefix, as
// a folder: s3://b/app becomes s3://b/app/; s3://b and URLs ending in '/'
// are left as they are.
func s3Folder(u, prefix string) string {
	if prefix == "" || strings.HasSuffix(prefix, "/") {
		return u
	}
	return u + "/"
}

// realPaths returns, for each of a hold's local patterns whose folder
// part goes through a symbolic link, the same pattern under the real
// folder: a hold must keep a file whichever of its names a location uses.
func realPaths(local []string) []string {
	var out []string
	for _, p := range local {
		root := itempath.FixedDir(p)
		abs, err := filepath.Abs(root)
		if err != nil {
			continue
		}
		real, err := filepath.EvalSymlinks(abs)
		if err != nil || real == abs {
			continue
		}
		rest := strings.TrimPrefix(filepath.Clean(p), root)
		if !filepath.IsAbs(p) {
			if absP, err := filepath.Abs(p); err == nil {
				rest = strings.TrimPrefix(absP, abs)
			}
		}
		out = append(out, real+rest)
	}
	return out
}

// validatePolicy checks locations, holds and enforcement settings.
func (c *Config) validatePolicy() Errors {
	ck := &checker{doc: c.doc}
	c.validateLocations(ck)
	c.validateHolds(ck)
	c.validateEnforcement(ck)
	return ck.errs
}

// validateLocations checks locations and builds c.Locations.
func (c *Config) validateLocations(ck *checker) {
	classes := c.knownClasses()
	names := map[string]int{}
	for i, ls := range c.File.Locations {
		at := func(k ...any) []any { return append([]any{"locations", i}, k...) }
		if ls.Name == "" {
			ck.bad(at("name"), "missing location name")
		} else if j, dup := names[ls.Name]; dup {
			ck.bad(at("name"), "duplicate location name %q (also locations[%d])", ls.Name, j)
		}
		names[ls.Name] = i
		c.Locations = append(c.Locations, validateLocation(ck, at, ls, classes))
	}
}

// validateLocation checks the location ls at at().
func validateLocation(ck *checker, at func(k ...any) []any, ls LocationSpec, classes map[string]bool) *Location {
	loc := &Location{Name: ls.Name, Kind: ls.Kind, Allowed: map[string]bool{}, Disallowed: ls.Disallowed,
		RewriteLive: ls.RewriteLive, AllVersions: ls.AllVersions, Policy: strings.Join(ls.Policy, "; "), PolicyRef: policyRefs(ls.Policy)}
	validateLocationPaths(ck, at, &ls, loc)
	for k, cl := range ls.Allowed {
		if !classes[cl] {
			ck.bad(at("allowed", k), "unknown class %q", cl)
		}
		loc.Allowed[cl] = true
	}
	switch ls.Disallowed {
	case "":
		loc.Disallowed = ActionReport
	case ActionReport, ActionRedact, ActionQuarantine, ActionDelete:
	default:
		ck.bad(at("disallowed"), "unknown action %q (want report, redact, quarantine or delete)", ls.Disallowed)
	}
	validateRetention(ck, at, ls.Retention, loc)
	return loc
}

// validateLocationPaths checks the paths of the location ls at at(), and
// sets loc's paths and roots.
func validateLocationPaths(ck *checker, at func(k ...any) []any, ls *LocationSpec, loc *Location) {
	bad := ck.bad
	if len(ls.Paths) == 0 {
		bad(at("paths"), "a location needs at least one path or glob")
	}
	for k, p := range ls.Paths {
		if itempath.IsObject(p) {
			_, prefix, err := itempath.ParseObject(p)
			if err != nil || itempath.HasMeta(p) {
				bad(at("paths", k), "%q: name a bucket and an optional prefix (s3://bucket/prefix/), without globs", p)
				continue
			}
			root := s3Folder(p, prefix)
			loc.Paths = append(loc.Paths, p)
			loc.objectPaths = append(loc.objectPaths, p)
			loc.roots = append(loc.roots, root)
			loc.objectRoots = append(loc.objectRoots, root)
			continue
		}
		if itempath.HasMeta(p) && itempath.CheckGlob(filepath.ToSlash(p)) != nil {
			// itempath.CheckGlob's text, naming the path as written.
			bad(at("paths", k), "invalid glob %q", p)
			continue
		}
		root := itempath.FixedDir(p)
		if root == "/" || root == "." && itempath.HasMeta(p) {
			bad(at("paths", k), "%q would make the whole file system (or working directory) a location: name a directory", p)
			continue
		}
		loc.Paths = append(loc.Paths, p)
		loc.localPaths = append(loc.localPaths, p)
		loc.roots = append(loc.roots, root)
		loc.localRoots = append(loc.localRoots, root)
	}
}

// validateRetention checks the retention rule rs of the location at at(),
// and sets loc's.
func validateRetention(ck *checker, at func(k ...any) []any, rs RetentionSpec, loc *Location) {
	if rs.MaxAge == "" {
		if rs.From != "" || rs.Action != "" {
			ck.bad(at("retention", "max_age"), "missing: from and action need a max_age")
		}
		return
	}
	age, err := rs.MaxAge.Parse(0)
	if err != nil {
		ck.bad(at("retention", "max_age"), "%v", err)
	} else if age == 0 {
		ck.bad(at("retention", "max_age"), "a retention of 0 deletes everything: leave max_age out for no retention rule")
	}
	loc.MaxAge = age
	loc.From = rs.From
	switch rs.From {
	case "":
		loc.From = FromMtime
	case FromMtime, FromRecord:
	default:
		ck.bad(at("retention", "from"), "unknown value %q (want mtime or record)", rs.From)
	}
	loc.Action = rs.Action
	switch rs.Action {
	case "":
		loc.Action = ActionDelete
	case ActionDelete, ActionRedact, ActionQuarantine:
	default:
		ck.bad(at("retention", "action"), "unknown action %q (want delete, redact or quarantine)", rs.Action)
	}
	loc.TimeFields = rs.TimeFields
	loc.TimeZone = time.UTC
	if rs.TimeZone != "" {
		z, err := time.LoadLocation(rs.TimeZone)
		if err != nil {
			ck.bad(at("retention", "time_zone"), "%v", err)
		} else {
			loc.TimeZone = z
		}
	}
	if loc.From == FromRecord && loc.Action == ActionQuarantine {
		ck.bad(at("retention", "action"), "records cannot be quarantined one by one: use delete or redact with from: record")
	}
}

// validateHolds checks the legal holds and builds c.Holds.
func (c *Config) validateHolds(ck *checker) {
	bad := ck.bad
	for i, hs := range c.File.Holds {
		at := func(k ...any) []any { return append([]any{"holds", i}, k...) }
		h := Hold{Reason: hs.Reason}
		if len(hs.Paths) == 0 {
			bad(at("paths"), "a hold needs at least one path or glob")
		}
		for k, hp := range hs.Paths {
			if itempath.IsObject(hp) {
				h.objectPaths = append(h.objectPaths, hp)
				continue
			}
			if strings.ContainsRune(filepath.ToSlash(hp), '/') && !filepath.IsAbs(hp) {
				bad(at("paths", k), "%q: a hold's path must be absolute (a relative one would hold a different place in each working directory), or a name or glob without '/' that matches file and folder names anywhere", hp)
			}
			h.localPaths = append(h.localPaths, hp)
		}
		// The patterns as written, then each local one under its real
		// folder (see realPaths), which is local too.
		real := realPaths(h.localPaths)
		h.Paths = append(append([]string(nil), hs.Paths...), real...)
		h.localPaths = append(h.localPaths, real...)
		if hs.Reason == "" {
			bad(at("reason"), "a hold needs a reason (it is shown in plans and reports)")
		}
		if hs.Until != "" {
			t, err := time.Parse("2006-01-02", hs.Until)
			if err != nil {
				bad(at("until"), "invalid date %q (want YYYY-MM-DD)", hs.Until)
			}
			h.Until = t
		}
		c.Holds = append(c.Holds, h)
	}
}

// validateEnforcement checks the enforcement settings.
func (c *Config) validateEnforcement(ck *checker) {
	e := c.File.Enforcement
	live, err := e.LiveWithin.Parse(10 * time.Minute)
	if err != nil {
		ck.bad([]any{"enforcement", "live_within"}, "%v", err)
	}
	c.LiveWithin = live
	c.MinConfidence = finding.ConfidenceHigh
	if e.MinConfidence != "" {
		conf, err := finding.ParseConfidence(e.MinConfidence)
		if err != nil {
			ck.bad([]any{"enforcement", "min_confidence"}, "%q: want low, medium or high", e.MinConfidence)
		}
		c.MinConfidence = conf
	}
	if s := e.Breaker.MaxShare; !(s >= 0 && s <= 1) { // also NaN
		ck.bad([]any{"enforcement", "breaker", "max_share"}, "must be between 0 and 1")
	}
	if e.Breaker.MaxFiles < -1 {
		ck.bad([]any{"enforcement", "breaker", "max_files"}, "must be -1 (no limit), 0 (default) or more")
	}
	// Both are written on this machine (appended and synced, or renamed
	// into): an s3:// URL would be taken for a local folder named s3:,
	// which locations would not know as piiscan's own.
	if itempath.IsObject(e.AuditLog) {
		ck.bad([]any{"enforcement", "audit_log"}, "%q: the audit log is a local file; name a path on this machine", e.AuditLog)
	}
	if itempath.IsObject(e.QuarantineDir) {
		ck.bad([]any{"enforcement", "quarantine_dir"}, "%q: quarantined copies are kept in a local folder; name a path on this machine", e.QuarantineDir)
	}
}
