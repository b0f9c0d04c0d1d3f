package retention

import (
	"context"
	"errors"
	"net/http"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/piiscan/piiscan/config"
	"github.com/piiscan/piiscan/internal/s3test"
	"github.com/piiscan/piiscan/retention/audit"
	"github.com/piiscan/piiscan/scanners/bucket"
)

// raceProxy forwards to s and runs each hook once, as a writer racing
// piiscan: hooks["delete B"] right before the first DeleteObjects
// request of bucket B reaches the server (after every check piiscan
// makes before it), hooks["put B"] right after the first PutObject to
// bucket B was answered.
func raceProxy(t *testing.T, s *s3test.Server, hooks map[string]func()) *bucket.Client {
	t.Helper()
	var mu sync.Mutex
	run := func(name string) {
		mu.Lock()
		defer mu.Unlock()
		if f := hooks[name]; f != nil {
			delete(hooks, name)
			f()
		}
	}
	return proxyClient(t, s, func(w http.ResponseWriter, r *http.Request, rp http.Handler) {
		b, _, _ := strings.Cut(strings.TrimPrefix(r.URL.Path, "/"), "/")
		q := r.URL.Query()
		q.Del("x-id")
		put := r.Method == http.MethodPut && len(q) == 0 && r.Header.Get("X-Amz-Copy-Source") == "" && strings.Contains(strings.TrimPrefix(r.URL.Path, "/"), "/")
		if r.Method == http.MethodPost && r.URL.Query().Has("delete") {
			run("delete " + b)
		}
		rp.ServeHTTP(w, r)
		if put {
			run("put " + b)
		}
	})
}

// planApplied plans a purge at now and carries it out with enforcement
// on (see applyAudited).
func planApplied(t *testing.T, c *config.Config, objects *bucket.Client, now time.Time) (*Plan, map[string]audit.Entry) {
	t.Helper()
	p := planPurge(t, c, PlanOptions{Now: now, Objects: objects})
	return p, applyAudited(t, c, objects, p)
}

// applyAudited carries out a plan with enforcement on and returns the
// result entries of its audit log by path.
func applyAudited(t *testing.T, c *config.Config, objects *bucket.Client, p *Plan) map[string]audit.Entry {
	t.Helper()
	path := filepath.Join(t.TempDir(), "audit.jsonl")
	x := &Executor{Config: c, Enforce: true, Objects: objects, Audit: audit.Open(path, []byte("k"))}
	if err := x.Apply(context.Background(), p); err != nil {
		t.Fatal(err)
	}
	x.Close()
	out, _ := results(auditLines(t, path))
	return out
}

// bucketOf returns the bucket of a key of TestObjectsReplacedDuringDeleteVersioned.
func bucketOf(key string) string {
	if strings.HasPrefix(key, "cur/") {
		return "vcur"
	}
	return "vrace"
}

// In a versioned bucket, an object a writer replaces while DeleteObjects
// is in flight keeps the writer's version: with all_versions the planned
// version is deleted by its id, and the audit log names it; without, the
// delete marker that hid the new version is taken back and the object is
// reported changed. An object nobody touched is deleted as before.
func TestObjectsReplacedDuringDeleteVersioned(t *testing.T) {
	s, _ := objectEnv(t)
	ctx := context.Background()
	cl := s.Client()
	for _, b := range []string{"vrace", "vcur"} {
		versionedBucket(t, s, b)
	}
	for _, k := range []string{"all/x.log", "all/calm.log", "cur/y.log", "cur/calm.log"} {
		s.Put(t, bucketOf(k), k, []byte("planned\n"))
	}
	plannedX := currentVersion(t, cl, "vrace", "all/x.log")
	objects := raceProxy(t, s, map[string]func(){
		"delete vrace": func() { s.Put(t, "vrace", "all/x.log", []byte("new x\n")) },
		"delete vcur":  func() { s.Put(t, "vcur", "cur/y.log", []byte("new y\n")) },
	})
	c := loadPolicy(t, "", `locations:
  - {name: all, paths: ["s3://vrace/all/"], all_versions: true, retention: {max_age: 1d}}
  - {name: cur, paths: ["s3://vcur/cur/"], retention: {max_age: 1d}}
enforcement: {breaker: {max_share: 1}}
`)
	p, entries := planApplied(t, c, objects, time.Now().Add(72*time.Hour))

	for key, want := range map[string]string{"all/x.log": "new x\n", "cur/y.log": "new y\n"} {
		if got, err := objectBody(t, cl, bucketOf(key), key); err != nil || got != want {
			t.Errorf("%s = %q, %v: the version written during the delete is not current", key, got, err)
		}
	}
	for _, key := range []string{"all/calm.log", "cur/calm.log"} {
		if _, err := objectBody(t, cl, bucketOf(key), key); err == nil {
			t.Errorf("%s not deleted", key)
		}
	}
	// all_versions: the planned version went, by its id, and only it.
	x := itemFor(p, "s3://vrace/all/x.log")
	if !x.Done || x.Err != nil {
		t.Errorf("all/x.log: done=%v err=%v", x.Done, x.Err)
	}
	if e := entries["s3://vrace/all/x.log"]; e.Phase != audit.PhaseDone || e.Action != "delete" || e.Version != plannedX || e.Unconditional {
		t.Errorf("all/x.log audit entry = %+v, want the delete of version %s", e, plannedX)
	}
	vs, err := cl.ListObjectVersions(ctx, &s3.ListObjectVersionsInput{Bucket: aws.String("vrace"), Prefix: aws.String("all/x.log")})
	if err != nil {
		t.Fatal(err)
	}
	for _, v := range vs.Versions {
		if aws.ToString(v.VersionId) == plannedX {
			t.Errorf("all/x.log: the planned version %s is still there", plannedX)
		}
	}
	// Without all_versions: nothing is hidden, and the race is reported.
	y := itemFor(p, "s3://vcur/cur/y.log")
	if y.Done || !errors.Is(y.Err, ErrChanged) {
		t.Errorf("cur/y.log: done=%v err=%v, want ErrChanged", y.Done, y.Err)
	}
	if e := entries["s3://vcur/cur/y.log"]; e.Phase != audit.PhaseFailed {
		t.Errorf("cur/y.log audit entry = %+v, want failed", e)
	}
	vs, err = cl.ListObjectVersions(ctx, &s3.ListObjectVersionsInput{Bucket: aws.String("vcur"), Prefix: aws.String("cur/y.log")})
	if err != nil {
		t.Fatal(err)
	}
	if len(vs.DeleteMarkers) != 0 || len(vs.Versions) != 2 {
		t.Errorf("cur/y.log: %d versions and %d delete markers, want 2 and 0", len(vs.Versions), len(vs.DeleteMarkers))
	}
	if e := entries["s3://vcur/cur/calm.log"]; e.Phase != audit.PhaseDone || e.Version == "" || e.Unconditional {
		t.Errorf("cur/calm.log audit entry = %+v, want done with its version", e)
	}
}

// In an unversioned bucket, an object replaced after the plan, even with
// the same content (so the same ETag), is left alone and reported
// changed; a delete the store could not condition says so in the audit
// log.
func TestObjectsReplacedUnversioned(t *testing.T) {
	s, objects := objectEnv(t)
	cl := s.Client()
	s.Bucket(t, "urace")
	s.Put(t, "urace", "old/same.log", []byte("same\n"))
	s.Put(t, "urace", "old/calm.log", []byte("calm\n"))
	c := loadPolicy(t, "", `locations:
  - {name: old, paths: ["s3://urace/old/"], retention: {max_age: 1d}}
enforcement: {breaker: {max_share: 1}}
`)
	p := planPurge(t, c, PlanOptions{Now: time.Now().Add(72 * time.Hour), Objects: objects})
	time.Sleep(1100 * time.Millisecond) // a LastModified a second later
	s.Put(t, "urace", "old/same.log", []byte("same\n"))
	entries := applyAudited(t, c, objects, p)

	if got, err := objectBody(t, cl, "urace", "old/same.log"); err != nil || got != "same\n" {
		t.Errorf("old/same.log = %q, %v: an object written after the plan was deleted", got, err)
	}
	if it := itemFor(p, "s3://urace/old/same.log"); it.Done || !errors.Is(it.Err, ErrChanged) {
		t.Errorf("old/same.log: done=%v err=%v, want ErrChanged", it.Done, it.Err)
	}
	if e := entries["s3://urace/old/same.log"]; e.Phase != audit.PhaseFailed {
		t.Errorf("old/same.log audit entry = %+v, want failed", e)
	}
	if _, err := objectBody(t, cl, "urace", "old/calm.log"); err == nil {
		t.Error("old/calm.log not deleted")
	}
	if e := entries["s3://urace/old/calm.log"]; e.Phase != audit.PhaseDone || !e.Unconditional || e.Version != "" {
		t.Errorf("old/calm.log audit entry = %+v, want done and unconditional", e)
	}
}

// An object whose records have all expired is deleted whole the same way:
// a version written while the delete is in flight survives, and the
// audit log names the version deleted.
func TestObjectsRecordsExpiredReplacedDuringDelete(t *testing.T) {
	s, _ := objectEnv(t)
	cl := s.Client()
	versionedBucket(t, s, "rrace")
	planned := putVersion(t, s, "rrace", "rec/app.jsonl", []byte(`{"ts":"2020-01-01T00:00:00Z","msg":"old"}`+"\n"))
	objects := raceProxy(t, s, map[string]func(){
		"delete rrace": func() { s.Put(t, "rrace", "rec/app.jsonl", []byte(`{"ts":"2020-01-02T00:00:00Z","msg":"new"}`+"\n")) },
	})
	c := loadPolicy(t, "", `locations:
  - {name: rec, paths: ["s3://rrace/rec/"], all_versions: true, retention: {max_age: 30d, from: record}}
enforcement: {breaker: {max_share: 1}}
`)
	_, entries := planApplied(t, c, objects, time.Now().Add(72*time.Hour))
	if got, err := objectBody(t, cl, "rrace", "rec/app.jsonl"); err != nil || !strings.Contains(got, "new") {
		t.Errorf("rec/app.jsonl = %q, %v: the version written during the delete is not current", got, err)
	}
	if e := entries["s3://rrace/rec/app.jsonl"]; e.Phase != audit.PhaseDone || e.Action != "delete" || e.Version != planned {
		t.Errorf("audit entry = %+v, want the delete of version %s", e, planned)
	}
}

// With all_versions, a record rewrite deletes the versions that were
// there before its upload, not one a writer stored right after it.
func TestObjectsRewriteAllVersionsRace(t *testing.T) {
	s, _ := objectEnv(t)
	ctx := context.Background()
	cl := s.Client()
	versionedBucket(t, s, "rwrace")
	later := time.Now().Add(72 * time.Hour)
	fresh := `{"ts":"` + later.Add(-time.Hour).UTC().Format(time.RFC3339) + `","msg":"fresh"}` + "\n"
	s.Put(t, "rwrace", "rec/app.jsonl", []byte(`{"ts":"2020-01-01T00:00:00Z","msg":"v1"}`+"\n"))
	s.Put(t, "rwrace", "rec/app.jsonl", []byte(`{"ts":"2020-01-01T00:00:00Z","msg":"v2"}`+"\n"+fresh))
	objects := raceProxy(t, s, map[string]func(){
		"put rwrace": func() { s.Put(t, "rwrace", "rec/app.jsonl", []byte("a writer's\n")) },
	})
	c := loadPolicy(t, "", `locations:
  - {name: rec, paths: ["s3://rwrace/rec/"], all_versions: true, retention: {max_age: 30d, from: record}}
enforcement: {breaker: {max_share: 1}}
`)
	p := planPurge(t, c, PlanOptions{Now: later, Objects: objects})
	applyAudited(t, c, objects, p)
	if it := itemFor(p, "s3://rwrace/rec/app.jsonl"); !it.Done || it.Err != nil {
		t.Errorf("rec/app.jsonl: done=%v err=%v", it.Done, it.Err)
	}
	if got, err := objectBody(t, cl, "rwrace", "rec/app.jsonl"); err != nil || got != "a writer's\n" {
		t.Errorf("rec/app.jsonl = %q, %v: the version a writer stored after the rewrite is not current", got, err)
	}
	out, err := cl.ListObjectVersions(ctx, &s3.ListObjectVersionsInput{Bucket: aws.String("rwrace"), Prefix: aws.String("rec/")})
	if err != nil {
		t.Fatal(err)
	}
	if len(out.Versions) != 2 || len(out.DeleteMarkers) != 0 {
		t.Errorf("%d versions and %d delete markers, want 2 (the rewrite's and the writer's) and 0", len(out.Versions), len(out.DeleteMarkers))
	}
}
