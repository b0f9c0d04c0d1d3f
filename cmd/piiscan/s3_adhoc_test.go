package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/piiscan/piiscan/internal/s3test"
)

// An ad-hoc s3:// target is read as a local path is: s3://b/app is the
// object app and the folder app/, never app-archive/ or app.log beside
// it; s3://b/dump.sql is that object, not dump.sql.bak.
func TestScanS3TargetIsKeyOrFolder(t *testing.T) {
	s := s3test.Start(t)
	s.Env(t)
	s.Bucket(t, "adhoc")
	s.Put(t, "adhoc", "app/x.log", []byte("bob@example.com\n"))
	s.Put(t, "adhoc", "app-archive/x.log", []byte("carol@example.com\n"))
	s.Put(t, "adhoc", "app.log", []byte("dave@example.com\n"))
	s.Put(t, "adhoc", "dump.sql", []byte("erin@example.com\n"))
	s.Put(t, "adhoc", "dump.sql.bak", []byte("frank@example.com\n"))
	for target, want := range map[string][]string{
		"s3://adhoc/app":      {"s3://adhoc/app/x.log"},
		"s3://adhoc/app/":     {"s3://adhoc/app/x.log"},
		"s3://adhoc/dump.sql": {"s3://adhoc/dump.sql"},
		"s3://adhoc":          {"s3://adhoc/app-archive/x.log", "s3://adhoc/app.log", "s3://adhoc/app/x.log", "s3://adhoc/dump.sql", "s3://adhoc/dump.sql.bak"},
	} {
		code, out, errs := runCLI(t, "", "scan", "--s3-path-style", "--format", "jsonl", target)
		var got []string
		for _, l := range strings.Split(strings.TrimSpace(out), "\n") {
			if p, _, ok := strings.Cut(strings.TrimPrefix(l, `{"path":"`), `"`); ok {
				got = append(got, p)
			}
		}
		if code != exitFindings || strings.Join(got, " ") != strings.Join(want, " ") {
			t.Errorf("scan %s: exit %d, read %q, want %q\n%s", target, code, got, want, errs)
		}
	}
}

// An s3:// target that names nothing is a missing input, said as a local
// path that does not exist is: exit 3, or 5 with findings elsewhere. A
// bucket that exists but is empty is an empty directory: nothing to say.
func TestScanS3TargetMissing(t *testing.T) {
	s := s3test.Start(t)
	s.Env(t)
	s.Bucket(t, "there")
	s.Bucket(t, "hollow")
	s.Put(t, "there", "app/x.log", []byte("bob@example.com\n"))
	local := filepath.Join(t.TempDir(), "zzz-nothing")
	_, _, localErrs := runCLI(t, "", "scan", "--format", "jsonl", local)
	for _, tc := range []struct {
		args []string
		code int
		path string // named missing
	}{
		{[]string{"s3://there/zzz-nothing"}, exitUnreadable, "s3://there/zzz-nothing"},
		{[]string{"s3://there/zzz-nothing/"}, exitUnreadable, "s3://there/zzz-nothing/"},
		{[]string{"s3://nosuchbucket/app"}, exitUnreadable, "s3://nosuchbucket/app"},
		{[]string{"s3://there/app", "s3://there/zzz-nothing"}, exitFindingsUnreadable, "s3://there/zzz-nothing"},
		{[]string{"s3://hollow/"}, exitOK, ""},
		{[]string{"s3://there/app"}, exitFindings, ""},
	} {
		args := append([]string{"scan", "--s3-path-style", "--format", "jsonl"}, tc.args...)
		code, _, errs := runCLI(t, "", args...)
		if code != tc.code {
			t.Errorf("scan %v: exit %d, want %d\n%s", tc.args, code, tc.code, errs)
		}
		if tc.path == "" {
			if errs != "" {
				t.Errorf("scan %v: stderr %s", tc.args, errs)
			}
			continue
		}
		// The same lines as for a local path, with the URL in its place.
		if want := strings.ReplaceAll(localErrs, local, tc.path); !strings.HasSuffix(stripTimes(errs), stripTimes(want)) {
			t.Errorf("scan %v: stderr\n%s\nwant as for a local path\n%s", tc.args, errs, want)
		}
	}
	if _, err := os.Stat(local); err == nil {
		t.Fatal("the local path exists")
	}
}

// stripTimes drops the time= of log lines.
func stripTimes(s string) string {
	var out []string
	for _, l := range strings.Split(s, "\n") {
		if strings.HasPrefix(l, "time=") {
			_, l, _ = strings.Cut(l, " ")
		}
		out = append(out, l)
	}
	return strings.Join(out, "\n")
}
