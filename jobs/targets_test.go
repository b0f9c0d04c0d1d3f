package jobs

import (
	"strings"
	"testing"

	"github.com/piiscan/piiscan/config"
)

// TestTargets: a job reads the scan roots of its locations, and says
// whether one is in a bucket.
func TestTargets(t *testing.T) {
	dir := t.TempDir()
	t.Chdir(dir)
	c, err := config.Parse("x.yaml", []byte(`version: 1
rules:
  - id: m
    detector: email
    severity: low
locations:
  - name: files
    paths: [".", gone]
  - name: bucket
    paths: ["s3://b/app"]
`))
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		locations []string
		roots     string
		objects   bool
		missing   string
	}{
		{nil, ".,s3://b/app/", true, "gone"},
		{[]string{"files"}, ".", false, "gone"},
		{[]string{"bucket"}, "s3://b/app/", true, ""},
	} {
		job := &config.Job{JobSpec: config.JobSpec{Locations: tc.locations}}
		roots, objects, missing := targets(c, job)
		if strings.Join(roots, ",") != tc.roots || objects != tc.objects || strings.Join(missing, ",") != tc.missing {
			t.Errorf("targets(%v) = %v, %v, %v", tc.locations, roots, objects, missing)
		}
	}
}

// TestLocalFile: a remembered violation's path is in a local file (that
// of the archive it is a member of) or in an object.
func TestLocalFile(t *testing.T) {
	for _, tc := range []struct {
		path, file string
		local      bool
	}{
		{"/var/log/a.log", "/var/log/a.log", true},
		{"logs/a.log", "logs/a.log", true},
		{"/b/dump.tar.gz!users.csv", "/b/dump.tar.gz", true},
		{`/b/x\!y.log`, "/b/x!y.log", true},
		{"s3://b/k.log", "s3://b/k.log", false},
		{"s3://b/dump.zip!a.csv", "s3://b/dump.zip", false},
	} {
		file, local := localFile(tc.path)
		if file != tc.file || local != tc.local {
			t.Errorf("localFile(%q) = %q, %v", tc.path, file, local)
		}
	}
}
