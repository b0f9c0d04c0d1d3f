package bucket_test

import (
	"context"
	"errors"
	"slices"
	"testing"

	"github.com/piiscan/piiscan/internal/s3test"
	"github.com/piiscan/piiscan/scanners/bucket"
	"github.com/piiscan/piiscan/scanners/source"
)

// walked returns the paths Walk yields for target, and its error.
func walked(t *testing.T, c *bucket.Client, target string) ([]string, error) {
	t.Helper()
	var got []string
	err := c.Walk(context.Background(), target, func(it source.Item) error {
		got = append(got, it.Path)
		return nil
	})
	return got, err
}

// A target names a key or a folder as a local path names a file or a
// directory: s3://b/app is the object app and the folder app/, never a
// sibling that merely starts the same (app-archive/, app.log).
func TestWalkTargetIsKeyOrFolder(t *testing.T) {
	s := s3test.Start(t)
	p := s3test.NewProxy(t, s)
	s.Bucket(t, "tgt")
	for _, k := range []string{"app/x.log", "app/sub/y.log", "app-archive/old.log", "app.log", "apps/z.log",
		"dump.sql", "dump.sql.bak", "odd*/x.log", "oddity/x.log"} {
		s.Put(t, "tgt", k, []byte("bob@example.com\n"))
	}
	all := []string{"s3://tgt/app-archive/old.log", "s3://tgt/app.log", "s3://tgt/app/sub/y.log", "s3://tgt/app/x.log",
		"s3://tgt/apps/z.log", "s3://tgt/dump.sql", "s3://tgt/dump.sql.bak", "s3://tgt/odd*/x.log", "s3://tgt/oddity/x.log"}
	c := client(t, s, p.Endpoint, bucket.Options{})
	for _, tc := range []struct {
		target string
		want   []string
	}{
		{"s3://tgt/app", []string{"s3://tgt/app/sub/y.log", "s3://tgt/app/x.log"}},
		{"s3://tgt/app/", []string{"s3://tgt/app/sub/y.log", "s3://tgt/app/x.log"}},
		{"s3://tgt/app/sub", []string{"s3://tgt/app/sub/y.log"}},
		{"s3://tgt/dump.sql", []string{"s3://tgt/dump.sql"}},
		{"s3://tgt/app/x.log", []string{"s3://tgt/app/x.log"}},
		// Metacharacters are part of the key: nothing expands them.
		{"s3://tgt/odd*", []string{"s3://tgt/odd*/x.log"}},
		{"s3://tgt/ap*", nil},
		{"s3://tgt/", all},
		{"s3://tgt", all},
	} {
		got, err := walked(t, c, tc.target)
		if err != nil || !slices.Equal(got, tc.want) {
			t.Errorf("Walk(%s) = %q, %v; want %q", tc.target, got, err, tc.want)
		}
	}
	// The siblings are not even listed: a folder beside a big archive
	// costs no page of it.
	before := p.Count("GET", "/tgt")
	walked(t, c, "s3://tgt/app")
	if n := p.Count("GET", "/tgt") - before; n != 2 {
		t.Errorf("%d list requests for s3://tgt/app, want 2 (the key, the folder)", n)
	}

	// Name filters see the object a target names exactly by its name, as
	// a file named on the command line is.
	c = client(t, s, p.Endpoint, bucket.Options{Include: []string{"*.sql"}})
	if got, err := walked(t, c, "s3://tgt/dump.sql"); err != nil || !slices.Equal(got, []string{"s3://tgt/dump.sql"}) {
		t.Errorf("--include *.sql s3://tgt/dump.sql: %q, %v", got, err)
	}
	c = client(t, s, p.Endpoint, bucket.Options{Include: []string{"sub/*"}})
	if got, err := walked(t, c, "s3://tgt/app"); err != nil || !slices.Equal(got, []string{"s3://tgt/app/sub/y.log"}) {
		t.Errorf("--include sub/* s3://tgt/app: %q, %v", got, err)
	}
	// A resumed listing skips the key and what the checkpoint passed.
	c = client(t, s, p.Endpoint, bucket.Options{StartAfter: map[string]string{"s3://tgt/app": "app/sub/y.log"}})
	if got, err := walked(t, c, "s3://tgt/app"); err != nil || !slices.Equal(got, []string{"s3://tgt/app/x.log"}) {
		t.Errorf("resumed s3://tgt/app: %q, %v", got, err)
	}
	c = client(t, s, p.Endpoint, bucket.Options{StartAfter: map[string]string{"s3://tgt/dump.sql": "dump.sql"}})
	if got, err := walked(t, c, "s3://tgt/dump.sql"); err != nil || len(got) != 0 {
		t.Errorf("resumed past s3://tgt/dump.sql: %q, %v", got, err)
	}
}

// With ReportMissing (targets a user named), a target that names nothing
// is missing, as a local path that does not exist is; an empty bucket is
// an empty directory, and objects filters leave out still exist.
func TestWalkReportsMissingTarget(t *testing.T) {
	s := s3test.Start(t)
	s.Bucket(t, "miss")
	s.Bucket(t, "hollow")
	s.Put(t, "miss", "app/x.log", []byte("x\n"))
	s.Put(t, "miss", "empty-folder/", nil)
	strict := client(t, s, s.Endpoint, bucket.Options{ReportMissing: true, Exclude: []string{"*.log"}})
	lax := client(t, s, s.Endpoint, bucket.Options{})
	for target, missing := range map[string]bool{
		"s3://miss/zzz-nothing": true, "s3://miss/zzz-nothing/": true, "s3://miss/ap": true,
		"s3://nosuchbucket/": true, "s3://nosuchbucket/x": true,
		"s3://miss/app": false, "s3://miss/app/x.log": false, "s3://miss/empty-folder": false,
		"s3://hollow/": false, "s3://hollow": false,
	} {
		_, err := walked(t, strict, target)
		if errors.Is(err, source.ErrMissing) != missing || err != nil && !missing {
			t.Errorf("Walk(%s) with ReportMissing: %v, want missing %v", target, err, missing)
		}
		if _, err := walked(t, lax, target); err != nil && target != "s3://nosuchbucket/" && target != "s3://nosuchbucket/x" {
			t.Errorf("Walk(%s) without ReportMissing: %v", target, err)
		}
	}
	resumed := client(t, s, s.Endpoint, bucket.Options{ReportMissing: true, StartAfter: map[string]string{"s3://miss/app": "app/x.log"}})
	if _, err := walked(t, resumed, "s3://miss/app"); err != nil {
		t.Errorf("a listing resumed past its last object: %v", err)
	}
}
