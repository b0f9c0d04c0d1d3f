package policy

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/piiscan/piiscan/config"
)

const policyBase = "version: 1\nrules:\n  - id: m\n    detector: email\n    severity: low\n"

// parse parses the policy of a test, which must be valid.
func parse(t *testing.T, yaml string) *config.Config {
	t.Helper()
	c, err := config.Parse("x.yaml", []byte(policyBase+yaml))
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// TestContains: a directory holds what is below it, never a sibling whose
// name starts the same; a glob holds what it matches.
func TestContains(t *testing.T) {
	c := parse(t, `locations:
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
`)
	web := c.Locations[0]
	for path, want := range map[string]bool{
		"/var/log/nginx/access.log":  true,
		"/var/log/nginx":             true,
		"/var/log/nginxx/a.log":      false,
		"/srv/app/a/b/c.log":         true,
		"/srv/app/a/b/c.txt":         false,
		"/srv/app/x.log":             true,
		"/var/log/nginx/../auth.log": false,
	} {
		if got := Contains(web, path); got != want {
			t.Errorf("Contains(%s) = %v", path, got)
		}
	}
}

func TestLocationsRelativePaths(t *testing.T) {
	dir := t.TempDir()
	t.Chdir(dir)
	c, err := config.Parse("x.yaml", []byte(policyBase+"locations:\n  - name: l\n    paths: [logs, 'exports/*.csv']\n"))
	if err != nil {
		t.Fatal(err)
	}
	l := c.Locations[0]
	if !Contains(l, "logs/a.log") || !Contains(l, filepath.Join(dir, "logs", "b", "c.log")) || !Contains(l, "exports/x.csv") || Contains(l, "exports/x.txt") {
		t.Error("relative paths")
	}
}

// TestLocationOfMostSpecific places files and objects: a path that is not a
// glob is a directory (never a sibling sharing its first letters), and of
// the locations containing a path the most specific wins.
func TestLocationOfMostSpecific(t *testing.T) {
	dir := t.TempDir()
	t.Chdir(dir)
	c, err := config.Parse("x.yaml", []byte(policyBase+`locations:
  - name: app
    paths: [/var/log/app, "s3://b/app"]
    retention: {max_age: 30d}
  - name: app-archive
    paths: [/var/log/app-archive/, "s3://b/app-archive/"]
    retention: {max_age: 3650d}
  - name: all-logs
    paths: [/var/log, "s3://b"]
  - name: app-audit
    paths: [/var/log/app/audit]
  - name: app-gz
    paths: ["/var/log/app/**/*.gz"]
  - name: app-star
    paths: ["/var/log/app*.log"]
  - name: rel
    paths: [data/x, "data/y/*.csv"]
  - name: rel-outer
    paths: [data]
`))
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct{ path, want string }{
		// Siblings whose names start like a location's.
		{"/var/log/app/a.log", "app"},
		{"/var/log/app", "app"},
		{"/var/log/app/", "app"},
		{"/var/log/app-archive/a.log", "app-archive"},
		{"/var/log/app-old/a.log", "all-logs"},
		{"/var/log/apps", "all-logs"},
		{"/var/log/app-archive", "app-archive"},
		{"/var/log/app/../app-old/x", "all-logs"},
		{"s3://b/app/a.log", "app"},
		{"s3://b/app", "app"},
		{"s3://b/app/", "app"},
		{"s3://b/app-archive/2020/a.log", "app-archive"},
		{"s3://b/app-archive", "app-archive"},
		{"s3://b/app.log", "all-logs"},
		{"s3://b/apps/x", "all-logs"},
		{"s3://other/app/x", ""},
		{"s3://bb/app/x", ""},
		// The most specific wins, whatever the order of declaration.
		{"/var/log/x.log", "all-logs"},
		{"/var/log/app/audit/a.log", "app-audit"},
		{"/var/log/app/audit", "app-audit"},
		{"/var/log/app/auditx/a.log", "app"},
		// A glob: the longest literal prefix; it wins a tie with a
		// directory (both "/var/log/app/"), loses to a longer one.
		{"/var/log/app/x/a.gz", "app-gz"},
		{"/var/log/app/a.gz", "app-gz"},
		{"/var/log/app/audit/a.gz", "app-audit"},
		{"/var/log/app-x.log", "app-star"},
		{"/var/log/app.log", "app-star"},
		{"/var/log/app-archive.log", "app-star"},
		// Relative paths, resolved against the working directory.
		{"data/x/a", "rel"},
		{filepath.Join(dir, "data", "x", "a"), "rel"},
		{"data/xy/a", "rel-outer"},
		{"data/y/a.csv", "rel"},
		{"data/y/a.txt", "rel-outer"},
		{"./data/x", "rel"},
		{"/elsewhere/a", ""},
	} {
		got := ""
		if l := LocationOf(c, tc.path); l != nil {
			got = l.Name
		}
		if got != tc.want {
			t.Errorf("LocationOf(%q) = %q, want %q", tc.path, got, tc.want)
		}
	}
	app := c.Locations[0]
	for path, want := range map[string]bool{
		"/var/log/app/a/b": true, "/var/log/app-archive/a": false, "/var/log/app.1": false,
		"s3://b/app/k": true, "s3://b/app-archive/k": false, "s3://b/appx": false, "s3://b/app": true,
	} {
		if got := Contains(app, path); got != want {
			t.Errorf("app.Contains(%q) = %v", path, got)
		}
	}
	// A bucket prefix is listed as a folder.
	if got := strings.Join(app.Roots(), ","); got != "/var/log/app,s3://b/app/" {
		t.Errorf("roots %s", got)
	}
	if got := strings.Join(c.Locations[2].Roots(), ","); got != "/var/log,s3://b" {
		t.Errorf("roots %s", got)
	}
}
