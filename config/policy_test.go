package config

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

const policyBase = "version: 1\nrules:\n  - id: m\n    detector: email\n    severity: low\n"

func TestLocations(t *testing.T) {
	c, err := Parse("x.yaml", []byte(policyBase+`locations:
  - name: web
    kind: log
    paths: [/var/log/nginx, "/srv/app/**/*.log"]
    allowed: [ip_address]
    disallowed: redact
    retention: {max_age: 30d, from: record, action: delete, time_fields: [ts], time_zone: Europe/Paris}
  - name: backups
    paths: [/backups]
    retention: {max_age: 13w}
holds:
  - paths: [/backups/2024-incident/**]
    reason: litigation 2024-17
    until: 2027-01-01
enforcement:
  live_within: 30m
  breaker: {max_files: 50, max_share: 0.25}
`))
	if err != nil {
		t.Fatal(err)
	}
	web, bk := c.Locations[0], c.Locations[1]
	if web.MaxAge != 30*24*time.Hour || web.From != FromRecord || web.Action != ActionDelete || web.Disallowed != ActionRedact ||
		!web.Allowed["ip_address"] || web.TimeZone.String() != "Europe/Paris" {
		t.Errorf("web %+v", web)
	}
	if got := strings.Join(web.Roots(), ","); got != "/var/log/nginx,/srv/app" {
		t.Errorf("roots %s", got)
	}
	if bk.From != FromMtime || bk.Action != ActionDelete || bk.Disallowed != ActionReport || bk.MaxAge != 13*7*24*time.Hour {
		t.Errorf("defaults %+v", bk)
	}
	h := c.Holds[0] // coverage: policy.TestCovers
	if !h.Active(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)) || h.Active(time.Date(2027, 1, 2, 0, 0, 0, 0, time.UTC)) {
		t.Error("hold end")
	}
	if c.LiveWithin != 30*time.Minute {
		t.Errorf("live_within %v", c.LiveWithin)
	}
}

func TestPolicyErrors(t *testing.T) {
	tests := []struct{ yaml, want string }{
		{"locations:\n  - paths: [/x]\n", "x.yaml:7: locations[0].name: missing location name"},
		{"locations:\n  - name: a\n", "locations[0].paths: a location needs at least one path"},
		{"locations:\n  - name: a\n    paths: ['/**']\n", "would make the whole file system"},
		{"locations:\n  - name: a\n    paths: [/x]\n    allowed: [emails]\n", `locations[0].allowed[0]: unknown class "emails"`},
		{"locations:\n  - name: a\n    paths: [/x]\n    retention: {max_age: 30 days}\n", `locations[0].retention.max_age: invalid duration "30 days"`},
		{"locations:\n  - name: a\n    paths: [/x]\n    retention: {max_age: 0d}\n", "a retention of 0 deletes everything"},
		{"locations:\n  - name: a\n    paths: [/x]\n    retention:\n      max_age: 999y\n", `x.yaml:10: locations[0].retention.max_age: duration "999y" is too long (at most 292y)`},
		{"locations:\n  - name: a\n    paths: [/x]\n    retention: {max_age: NaNd}\n", `x.yaml:9: locations[0].retention.max_age: invalid duration "NaNd"`},
		{"locations:\n  - name: a\n    paths: [/x]\n    retention: {max_age: 1d, from: ctime}\n", `unknown value "ctime" (want mtime or record)`},
		{"locations:\n  - name: a\n    paths: [/x]\n    retention: {max_age: 1d, action: shred}\n", `unknown action "shred"`},
		{"locations:\n  - name: a\n    paths: [/x]\n    retention: {action: delete}\n", "from and action need a max_age"},
		{"locations:\n  - name: a\n    paths: [/x]\n    disallowed: shred\n", `unknown action "shred" (want report, redact, quarantine or delete)`},
		{"locations:\n  - name: a\n    paths: [/x]\n  - name: a\n    paths: [/y]\n", `duplicate location name "a"`},
		{"holds:\n  - paths: [/x]\n", "holds[0].reason: a hold needs a reason"},
		{"holds:\n  - paths: [real/logs/case1]\n    reason: r\n", `holds[0].paths[0]: "real/logs/case1": a hold's path must be absolute`},
		{"holds:\n  - paths: [/x]\n    reason: r\n    until: soon\n", `holds[0].until: invalid date "soon"`},
		{"enforcement:\n  breaker: {max_share: 2}\n", "enforcement.breaker.max_share: must be between 0 and 1"},
		{"enforcement:\n  breaker: {max_share: .nan}\n", "enforcement.breaker.max_share: must be between 0 and 1"},
		{"enforcement:\n  audit_log: s3://b/audit.jsonl\n", `enforcement.audit_log: "s3://b/audit.jsonl": the audit log is a local file`},
		{"enforcement:\n  quarantine_dir: s3://b/q\n", `enforcement.quarantine_dir: "s3://b/q": quarantined copies are kept in a local folder`},
	}
	for _, tt := range tests {
		_, err := Parse("x.yaml", []byte(policyBase+tt.yaml))
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%q: error %v, want %q", tt.yaml, err, tt.want)
		}
	}
}

func TestParseDuration(t *testing.T) {
	for in, want := range map[string]time.Duration{"30d": 720 * time.Hour, "13w": 13 * 168 * time.Hour, "1y": 8760 * time.Hour, "36h": 36 * time.Hour, "1.5d": 36 * time.Hour, "90m": 90 * time.Minute} {
		if got, err := ParseDuration(in); err != nil || got != want {
			t.Errorf("ParseDuration(%q) = %v, %v", in, got, err)
		}
	}
	bad := []string{"", "d", "-1d", "30 days", "1x",
		// Each of these once wrapped to a negative age, so that every
		// file looked expired.
		"999y", "300y", "293y", "106752d", "15251w", "infd", "NaNd", "Infinityy", "+Infd",
		"1e3d", "0x10d", "+1d", "1_0d", ".5d", "5.d", "1..5d", "3000000h", "-5h"}
	for _, bad := range bad {
		if _, err := ParseDuration(bad); err == nil {
			t.Errorf("ParseDuration(%q) accepted", bad)
		}
	}
	// The longest period that fits is accepted as itself.
	if got, err := ParseDuration("292y"); err != nil || got != 292*365*24*time.Hour {
		t.Errorf("ParseDuration(292y) = %v, %v", got, err)
	}
}

// TestPathsByPlace checks that a location's roots and a hold's paths are
// split once, at load, into local ones and bucket prefixes, in order.
func TestPathsByPlace(t *testing.T) {
	c, err := Parse("x.yaml", []byte(policyBase+`locations:
  - name: mixed
    paths: [/var/log/app, "s3://logs/app", "/srv/*/x.log", "s3://other/"]
holds:
  - paths: ["s3://logs/app/2024/", /var/log/app/keep, "keep-*"]
    reason: r
`))
	if err != nil {
		t.Fatal(err)
	}
	l, h := c.Locations[0], c.Holds[0]
	for _, tc := range []struct {
		name string
		got  []string
		want string
	}{
		{"roots", l.Roots(), "/var/log/app,s3://logs/app/,/srv,s3://other/"},
		{"local roots", l.LocalRoots(), "/var/log/app,/srv"},
		{"object roots", l.ObjectRoots(), "s3://logs/app/,s3://other/"},
		{"hold local", h.LocalPaths(), "/var/log/app/keep,keep-*"},
		{"hold objects", h.ObjectPaths(), "s3://logs/app/2024/"},
	} {
		if got := strings.Join(tc.got, ","); got != tc.want {
			t.Errorf("%s: %s, want %s", tc.name, got, tc.want)
		}
	}
	if q := c.QuarantineLocation(); strings.Join(q.LocalRoots(), ",") != strings.Join(q.Roots(), ",") || len(q.ObjectRoots()) != 0 {
		t.Errorf("quarantine roots %v %v", q.LocalRoots(), q.ObjectRoots())
	}
}

// TestLocationPathsByPlace checks that a location's paths are split once,
// at load, into local ones and bucket prefixes, in order, and that a
// hold's local paths include those under a symbolic link's real folder.
func TestLocationPathsByPlace(t *testing.T) {
	dir, err := filepath.EvalSymlinks(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	if err := os.Mkdir(filepath.Join(dir, "real"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(filepath.Join(dir, "real"), filepath.Join(dir, "link")); err != nil {
		t.Fatal(err)
	}
	link := filepath.ToSlash(filepath.Join(dir, "link"))
	real := filepath.ToSlash(filepath.Join(dir, "real"))
	c, err := Parse("x.yaml", []byte(policyBase+`locations:
  - name: mixed
    paths: [/var/log/app, "s3://logs/app", "/srv/*/x.log", "s3://other/", rel]
holds:
  - paths: ["s3://logs/app/2024/", "`+link+`/keep-*", "keep-*", "s3://b"]
    reason: r
`))
	if err != nil {
		t.Fatal(err)
	}
	l, h, q := c.Locations[0], c.Holds[0], c.QuarantineLocation()
	for _, tc := range []struct {
		name string
		got  []string
		want string
	}{
		{"local paths", l.LocalPaths(), "/var/log/app,/srv/*/x.log,rel"},
		{"object paths", l.ObjectPaths(), "s3://logs/app,s3://other/"},
		{"hold paths", h.Paths, "s3://logs/app/2024/," + link + "/keep-*,keep-*,s3://b," + real + "/keep-*"},
		{"hold local", h.LocalPaths(), link + "/keep-*,keep-*," + real + "/keep-*"},
		{"hold objects", h.ObjectPaths(), "s3://logs/app/2024/,s3://b"},
		{"quarantine local", q.LocalPaths(), "piiscan-quarantine"},
		{"quarantine objects", q.ObjectPaths(), ""},
	} {
		if got := filepath.ToSlash(strings.Join(tc.got, ",")); got != tc.want {
			t.Errorf("%s: %s, want %s", tc.name, got, tc.want)
		}
	}
}
