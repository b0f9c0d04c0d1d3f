package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/piiscan/piiscan/internal/s3test"
)

// A location whose listing fails (no such bucket, a store that refuses)
// is not "nothing to do": the plan's summary says that it could not be
// read, and its error is said once, in the plan, not again on stderr nor
// as a location "without files".
func TestPlanSaysLocationCouldNotBeListed(t *testing.T) {
	s := s3test.Start(t)
	p := s3test.NewProxy(t, s)
	s.Env(t)
	t.Setenv("AWS_ENDPOINT_URL", p.Endpoint)
	s.Bucket(t, "plan")
	s.Put(t, "plan", "app/x.log", []byte("bob@example.com\n"))
	dir := t.TempDir()
	policy := filepath.Join(dir, "rules.yaml")
	os.WriteFile(policy, []byte(fmt.Sprintf(`version: 1
rules:
  - {id: email, detector: email, severity: medium}
s3: {path_style: true}
locations:
  - {name: gone, paths: ["s3://nosuchbucket/logs/"], retention: {max_age: 30d}, disallowed: redact}
  - {name: ok, paths: ["s3://plan/app/"], retention: {max_age: 30d}, allowed: [email], disallowed: redact}
enforcement:
  audit_log: %s/audit.jsonl
`, dir)), 0o644)
	for _, tc := range []struct {
		name, cmd string
		deny      bool
		summary   string
		errs      []string // each said once
	}{
		{"no such bucket", "purge", false, "\n1 file: 1 keep (1 location could not be read)\n", []string{"NoSuchBucket"}},
		{"no such bucket", "redact", false, "\n0 files (1 location could not be read)\n", []string{"NoSuchBucket"}},
		{"listing refused", "purge", true, "\n0 files (2 locations could not be read)\n", []string{"listing s3://nosuchbucket/logs/", "listing s3://plan/app/"}},
		{"listing refused", "redact", true, "\n0 files (2 locations could not be read)\n", []string{"listing s3://nosuchbucket/logs/", "listing s3://plan/app/"}},
	} {
		if tc.deny {
			p.Deny("list-type")
		}
		code, out, errs := runCLI(t, "", "--config", policy, tc.cmd)
		p.Deny("")
		all := out + errs
		if code != exitUnreadable || !strings.Contains(out, tc.summary) || strings.Contains(out, "nothing to do") {
			t.Errorf("%s, %s: exit %d, want %d and summary %q\n%s\n%s", tc.name, tc.cmd, code, exitUnreadable, tc.summary, out, errs)
		}
		if !strings.Contains(out, "cannot read location gone at s3://nosuchbucket/logs/: ") {
			t.Errorf("%s, %s: the location is not named:\n%s", tc.name, tc.cmd, out)
		}
		for _, e := range tc.errs {
			if n := strings.Count(all, e); n != 1 {
				t.Errorf("%s, %s: %q said %d times, want once\n%s\n%s", tc.name, tc.cmd, e, n, out, errs)
			}
		}
		if strings.Contains(out, "has no files") {
			t.Errorf("%s, %s: a location that could not be listed reads as empty:\n%s", tc.name, tc.cmd, out)
		}
	}
}
