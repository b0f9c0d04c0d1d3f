package policy

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestCoversKinds pins how a hold covers files and objects: a local
// directory holds what is below it, a bucket prefix every key that starts
// with it (as S3 lists them); a glob holds what is below what it matches;
// a name without '/' is matched against the last name of a file or of a
// folder above it, and against an object's last name only. A local
// pattern never covers an object, nor a bucket prefix a file.
func TestCoversKinds(t *testing.T) {
	dir := t.TempDir()
	t.Chdir(dir)
	c := parse(t, `holds:
  - paths: [/backups/keep, "/backups/2024-*", "/data/20*-0?/", "keep-*", "s3:"]
    reason: local
  - paths: ["s3://logs/app", "s3://logs/20*-0?", "s3://logs/x/*/", "s3://b/one/"]
    reason: objects
`)
	local, objects := c.Holds[0], c.Holds[1]
	for _, tc := range []struct {
		path        string
		local, objs bool
	}{
		{"/backups/keep", true, false},
		{"/backups/keep/a/b", true, false},
		{"/backups/keeper/a", false, false},
		{"/backups/2024-03/db.sql.gz", true, false},
		{"/backups/2023-03/db.sql.gz", false, false},
		{"/data/2024-03/x", false, false},
		{"/data/2024-03", false, false},
		{"/a/keep-1/x", true, false},
		{"/a/b/keep-2", true, false},
		{"keep-3", true, false},
		{"x/keep-4/y", true, false},
		{filepath.Join(dir, "y"), false, false},
		{"s3://b/x/keep-5", true, false},
		{"s3://b/keep-6/x", false, false},
		{"s3://b/keep-7/", true, false},
		{"s3://b/x", false, false},
		{"s3://logs/app/x", false, true},
		{"s3://logs/app-archive/x", false, true},
		{"s3://logs/apps", false, true},
		{"s3://logs/2024-03/db.sql.gz", false, true},
		{"s3://logs/2024-03", false, true},
		{"s3://logs/2024-13/db.sql.gz", false, false},
		{"s3://logs/x/y/z", false, true},
		{"s3://logs/x/y", false, false},
		{"s3://b/one/k", false, true},
		{"s3://b/one", false, false},
		{"s3://b/onex", false, false},
		{"/logs/app/x", false, false},
		{"s3:/logs/app/x", true, false}, // a relative file under a folder named "s3:"
	} {
		if got := Covers(local, tc.path); got != tc.local {
			t.Errorf("local hold: Covers(%q) = %v", tc.path, got)
		}
		if got := Covers(objects, tc.path); got != tc.objs {
			t.Errorf("object hold: Covers(%q) = %v", tc.path, got)
		}
	}
}

// TestLocationKinds: a local path of a location never holds an object,
// nor a bucket prefix a file.
func TestLocationKinds(t *testing.T) {
	dir := t.TempDir()
	t.Chdir(dir)
	c := parse(t, `locations:
  - name: rel
    paths: ["s3:", "s3:/b", data]
  - name: bucket
    paths: ["s3://b/app"]
`)
	for _, tc := range []struct{ path, want string }{
		{"s3://b/x", ""},
		{"s3://b/app/x", "bucket"},
		{"s3:/b/x", "rel"},
		{"s3:/b/app/x", "rel"},
		{filepath.Join(dir, "s3:", "b", "app", "x"), "rel"},
		{"data/x", "rel"},
		{"/b/app/x", ""},
	} {
		got := ""
		if l := LocationOf(c, tc.path); l != nil {
			got = l.Name
		}
		if got != tc.want {
			t.Errorf("LocationOf(%q) = %q, want %q", tc.path, got, tc.want)
		}
	}
}

// TestScanRoots: a scan reads the bucket prefixes and the local roots
// that exist, in the order of Roots; the missing local ones are told
// apart.
func TestScanRoots(t *testing.T) {
	dir := t.TempDir()
	t.Chdir(dir)
	for _, d := range []string{"a", "c"} {
		if err := os.Mkdir(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	c := parse(t, `locations:
  - name: l
    paths: ["s3://b/x", a, b, "s3://b/y/", "c/*.log", "d/*.log"]
`)
	l := c.Locations[0]
	if got := strings.Join(ScanRoots(l), ","); got != "s3://b/x/,a,s3://b/y/,c" {
		t.Errorf("ScanRoots = %s", got)
	}
	if got := strings.Join(MissingRoots(l), ","); got != "b,d" {
		t.Errorf("MissingRoots = %s", got)
	}
}
