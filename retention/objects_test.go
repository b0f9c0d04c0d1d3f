package retention

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"

	"github.com/piiscan/piiscan/config"
	"github.com/piiscan/piiscan/internal/s3test"
	"github.com/piiscan/piiscan/retention/audit"
	"github.com/piiscan/piiscan/scanners/bucket"
)

// objectEnv starts a server and returns a piiscan bucket client for it.
func objectEnv(t *testing.T) (*s3test.Server, *bucket.Client) {
	t.Helper()
	s := s3test.Start(t)
	s.Env(t)
	return s, clientAt(t, s.Endpoint)
}

// clientAt returns a piiscan bucket client for the store at endpoint.
func clientAt(t *testing.T, endpoint string) *bucket.Client {
	t.Helper()
	c, err := bucket.New(context.Background(), bucket.Options{Endpoint: endpoint, PathStyle: true, MaxAttempts: 2})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// proxyClient starts a server in front of s that hands every request to
// handle, with forward passing it on to s, and returns a piiscan bucket
// client for it: a test's writer or refusal goes in handle.
func proxyClient(t *testing.T, s *s3test.Server, handle func(w http.ResponseWriter, r *http.Request, forward http.Handler)) *bucket.Client {
	t.Helper()
	target, err := url.Parse(s.Endpoint)
	if err != nil {
		t.Fatal(err)
	}
	forward := httputil.NewSingleHostReverseProxy(target)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		handle(w, r, forward)
	}))
	t.Cleanup(srv.Close)
	return clientAt(t, srv.URL)
}

// versionedBucket creates bucket b on s with versioning on.
func versionedBucket(t *testing.T, s *s3test.Server, b string) {
	t.Helper()
	s.Bucket(t, b)
	if _, err := s.Client().PutBucketVersioning(context.Background(), &s3.PutBucketVersioningInput{Bucket: aws.String(b),
		VersioningConfiguration: &types.VersioningConfiguration{Status: types.BucketVersioningStatusEnabled}}); err != nil {
		t.Fatal(err)
	}
}

// currentVersion returns the version id of the current version of key.
func currentVersion(t *testing.T, cl *s3.Client, b, key string) string {
	t.Helper()
	h, err := cl.HeadObject(context.Background(), &s3.HeadObjectInput{Bucket: aws.String(b), Key: aws.String(key)})
	if err != nil {
		t.Fatal(err)
	}
	return aws.ToString(h.VersionId)
}

// putVersion stores data at key of the versioned bucket b and returns
// the version id it got.
func putVersion(t *testing.T, s *s3test.Server, b, key string, data []byte) string {
	t.Helper()
	s.Put(t, b, key, data)
	return currentVersion(t, s.Client(), b, key)
}

func objectBody(t *testing.T, c *s3.Client, b, key string) (string, error) {
	t.Helper()
	o, err := c.GetObject(context.Background(), &s3.GetObjectInput{Bucket: aws.String(b), Key: aws.String(key)})
	if err != nil {
		return "", err
	}
	defer o.Body.Close()
	data, err := io.ReadAll(o.Body)
	return string(data), err
}

// planPurge plans a purge with c and opts, failing the test on an error.
func planPurge(t *testing.T, c *config.Config, opts PlanOptions) *Plan {
	t.Helper()
	p, err := PlanPurge(context.Background(), c, opts)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// applyPlan carries out a plan with enforcement on.
func applyPlan(t *testing.T, c *config.Config, objects *bucket.Client, p *Plan) {
	t.Helper()
	x := &Executor{Config: c, Enforce: true, Objects: objects, Audit: audit.Open(filepath.Join(t.TempDir(), "audit.jsonl"), []byte("k"))}
	defer x.Close()
	if err := x.Apply(context.Background(), p); err != nil {
		t.Fatal(err)
	}
}

func itemFor(p *Plan, path string) *Item {
	for _, it := range p.Items {
		if it.Path == path {
			return it
		}
	}
	return nil
}

// A writer that replaces an object between planning and enforcement wins:
// neither a batch delete nor a record rewrite overwrites its content.
func TestObjectsChangedAfterPlan(t *testing.T) {
	s, objects := objectEnv(t)
	s.Bucket(t, "chg")
	s.Put(t, "chg", "old/x.log", []byte("x\n"))
	s.Put(t, "chg", "old/y.log", []byte("y\n"))
	s.Put(t, "chg", "app/a.jsonl", []byte(`{"ts":"2020-01-01T00:00:00Z","msg":"old"}`+"\n"))
	c := loadPolicy(t, "", `locations:
  - {name: old, paths: ["s3://chg/old/"], retention: {max_age: 1d}}
  - {name: app, paths: ["s3://chg/app/"], retention: {max_age: 30d, from: record}}
enforcement: {breaker: {max_share: 1}}
`)
	later := time.Now().Add(72 * time.Hour)
	p := planPurge(t, c, PlanOptions{Now: later, Objects: objects})
	for _, path := range []string{"s3://chg/old/x.log", "s3://chg/old/y.log", "s3://chg/app/a.jsonl"} {
		if it := itemFor(p, path); it == nil || it.Action == Keep {
			t.Fatalf("%s not planned: %+v", path, it)
		}
	}
	s.Put(t, "chg", "old/y.log", []byte("new y\n"))
	s.Put(t, "chg", "app/a.jsonl", []byte(`{"ts":"2020-01-01T00:00:00Z","msg":"rewritten by someone else"}`+"\n"))
	applyPlan(t, c, objects, p)

	if _, err := objectBody(t, s.Client(), "chg", "old/x.log"); err == nil {
		t.Error("old/x.log not deleted")
	}
	if got, err := objectBody(t, s.Client(), "chg", "old/y.log"); err != nil || got != "new y\n" {
		t.Errorf("old/y.log = %q, %v: a replaced object was deleted", got, err)
	}
	if it := itemFor(p, "s3://chg/old/y.log"); !errors.Is(it.Err, ErrChanged) || it.Done {
		t.Errorf("old/y.log outcome: done=%v err=%v, want ErrChanged", it.Done, it.Err)
	}
	if got, _ := objectBody(t, s.Client(), "chg", "app/a.jsonl"); !strings.Contains(got, "someone else") {
		t.Errorf("app/a.jsonl = %q: a concurrent write was overwritten", got)
	}
	if it := itemFor(p, "s3://chg/app/a.jsonl"); !errors.Is(it.Err, ErrChanged) {
		t.Errorf("app/a.jsonl outcome: %v, want ErrChanged", it.Err)
	}
}

// all_versions removes noncurrent versions and delete markers too;
// without it, deleting in a versioned bucket leaves the old versions
// behind a delete marker, as S3 does.
func TestObjectsAllVersions(t *testing.T) {
	s, objects := objectEnv(t)
	ctx := context.Background()
	cl := s.Client()
	versionedBucket(t, s, "ver")
	for _, k := range []string{"all/a.log", "current/b.log"} {
		s.Put(t, "ver", k, []byte("first\n"))
		s.Put(t, "ver", k, []byte("second\n"))
	}
	later := time.Now().Add(72 * time.Hour)
	fresh := `{"ts":"` + later.Add(-time.Hour).UTC().Format(time.RFC3339) + `","msg":"fresh"}` + "\n"
	s.Put(t, "ver", "rec/app.jsonl", []byte(`{"ts":"2020-01-01T00:00:00Z","msg":"v1"}`+"\n"))
	s.Put(t, "ver", "rec/app.jsonl", []byte(`{"ts":"2020-01-01T00:00:00Z","msg":"v2"}`+"\n"+fresh))
	c := loadPolicy(t, "", `locations:
  - {name: all, paths: ["s3://ver/all/"], all_versions: true, retention: {max_age: 1d}}
  - {name: current, paths: ["s3://ver/current/"], retention: {max_age: 1d}}
  - {name: rec, paths: ["s3://ver/rec/"], all_versions: true, retention: {max_age: 30d, from: record}}
enforcement: {breaker: {max_share: 1}}
`)
	p := planPurge(t, c, PlanOptions{Now: later, Objects: objects})
	applyPlan(t, c, objects, p)
	for _, it := range p.Items {
		if !it.Done || it.Err != nil {
			t.Errorf("%s: done=%v err=%v", it.Path, it.Done, it.Err)
		}
	}
	versions := func(prefix string) (n, markers int) {
		out, err := cl.ListObjectVersions(ctx, &s3.ListObjectVersionsInput{Bucket: aws.String("ver"), Prefix: aws.String(prefix)})
		if err != nil {
			t.Fatal(err)
		}
		return len(out.Versions), len(out.DeleteMarkers)
	}
	if n, m := versions("all/"); n != 0 || m != 0 {
		t.Errorf("all_versions left %d versions and %d delete markers", n, m)
	}
	if n, m := versions("current/"); n != 2 || m != 1 {
		t.Errorf("without all_versions: %d versions and %d delete markers, want 2 and 1", n, m)
	}
	// A rewrite leaves only the new version.
	if n, m := versions("rec/"); n != 1 || m != 0 {
		t.Errorf("after a rewrite with all_versions: %d versions and %d delete markers, want 1 and 0", n, m)
	}
	if got, err := objectBody(t, cl, "ver", "rec/app.jsonl"); err != nil || got != fresh {
		t.Errorf("rec/app.jsonl = %q, %v", got, err)
	}
}

// Keys are taken byte for byte: a '%' that starts no URL escape, '?',
// '#', '+', '!' and spaces are parts of the key. Each object is deleted
// by its own key, its old versions too, and a record rewrite replaces
// the object it read.
func TestObjectsOddKeys(t *testing.T) {
	s, objects := objectEnv(t)
	ctx := context.Background()
	cl := s.Client()
	versionedBucket(t, s, "oddk")
	keys := []string{"old/100%zz.log", "old/50%", "old/a%2Fb.log", "old/q?x#y.log", "old/sp ace+p.log", "old/a!b.log", "old/ü!%.log"}
	for _, k := range keys {
		s.Put(t, "oddk", k, []byte("first\n"))
		s.Put(t, "oddk", k, []byte("second\n"))
	}
	// Neighbours a decoded or truncated key would name instead.
	s.Put(t, "oddk", "keep/100%zz.log", []byte("k\n"))
	later := time.Now().Add(72 * time.Hour)
	fresh := `{"ts":"` + later.Add(-time.Hour).UTC().Format(time.RFC3339) + `","msg":"fresh"}` + "\n"
	s.Put(t, "oddk", "rec/50%zz!x.jsonl", []byte(`{"ts":"2020-01-01T00:00:00Z","msg":"old"}`+"\n"+fresh))
	c := loadPolicy(t, "", `locations:
  - {name: old, paths: ["s3://oddk/old/"], all_versions: true, retention: {max_age: 1d}}
  - {name: rec, paths: ["s3://oddk/rec/"], retention: {max_age: 30d, from: record}}
enforcement: {breaker: {max_share: 1}}
`)
	p := planPurge(t, c, PlanOptions{Now: later, Objects: objects})
	for _, k := range append(keys, "rec/50%zz!x.jsonl") {
		if it := itemFor(p, "s3://oddk/"+k); it == nil || it.Action == Keep || it.Err != nil {
			t.Errorf("%s not planned: %+v", k, it)
		}
	}
	applyPlan(t, c, objects, p)
	for _, it := range p.Items {
		if !it.Done || it.Err != nil {
			t.Errorf("%s: done=%v err=%v", it.Path, it.Done, it.Err)
		}
	}
	out, err := cl.ListObjectVersions(ctx, &s3.ListObjectVersionsInput{Bucket: aws.String("oddk"), Prefix: aws.String("old/")})
	if err != nil {
		t.Fatal(err)
	}
	if len(out.Versions) != 0 || len(out.DeleteMarkers) != 0 {
		t.Errorf("left %d versions and %d delete markers under old/", len(out.Versions), len(out.DeleteMarkers))
	}
	if got, err := objectBody(t, cl, "oddk", "keep/100%zz.log"); err != nil || got != "k\n" {
		t.Errorf("keep/100%%zz.log = %q, %v", got, err)
	}
	if got, err := objectBody(t, cl, "oddk", "rec/50%zz!x.jsonl"); err != nil || got != fresh {
		t.Errorf("rec/50%%zz!x.jsonl = %q, %v", got, err)
	}
}
