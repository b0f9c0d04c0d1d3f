package retention

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"

	"github.com/piiscan/piiscan/internal/s3test"
	"github.com/piiscan/piiscan/retention/audit"
	"github.com/piiscan/piiscan/scanners/bucket"
)

// wantUnderMarker checks that key in bucket b has only version id left,
// under a delete marker on top.
func wantUnderMarker(t *testing.T, cl *s3.Client, b, key, id string) {
	t.Helper()
	vs, err := cl.ListObjectVersions(context.Background(), &s3.ListObjectVersionsInput{Bucket: aws.String(b), Prefix: aws.String(key)})
	if err != nil {
		t.Fatal(err)
	}
	if len(vs.Versions) != 1 || aws.ToString(vs.Versions[0].VersionId) != id || len(vs.DeleteMarkers) != 1 || !aws.ToBool(vs.DeleteMarkers[0].IsLatest) {
		t.Errorf("%d versions and %d delete markers, want v1 under a delete marker", len(vs.Versions), len(vs.DeleteMarkers))
	}
}

// lockProxy forwards to s and refuses, with 403 AccessDenied, every
// delete of the version id locked, as S3 does for a version under an
// Object Lock legal hold or retention: a DELETE of that version, and in
// a DeleteObjects call that names it (answered for that key alone).
func lockProxy(t *testing.T, s *s3test.Server, locked string) *bucket.Client {
	t.Helper()
	return lockProxyHook(t, s, locked, nil)
}

// lockProxyHook is lockProxy that also runs afterMarker once, as a
// writer racing piiscan, right after the first delete marker (a DELETE
// without a version id) was answered.
func lockProxyHook(t *testing.T, s *s3test.Server, locked string, afterMarker func()) *bucket.Client {
	t.Helper()
	var once sync.Once
	deny := func(w http.ResponseWriter) {
		w.Header().Set("Content-Type", "application/xml")
		w.WriteHeader(http.StatusForbidden)
		io.WriteString(w, `<?xml version="1.0" encoding="UTF-8"?><Error><Code>AccessDenied</Code><Message>Access Denied because object protected by object lock.</Message></Error>`)
	}
	return proxyClient(t, s, func(w http.ResponseWriter, r *http.Request, rp http.Handler) {
		q := r.URL.Query()
		switch {
		case r.Method == http.MethodDelete && q.Get("versionId") == locked:
			deny(w)
			return
		case r.Method == http.MethodPost && q.Has("delete"):
			body, err := io.ReadAll(r.Body)
			if err != nil {
				http.Error(w, err.Error(), http.StatusBadRequest)
				return
			}
			if bytes.Contains(body, []byte(locked)) {
				// As S3 answers: the call succeeds, the key is
				// named with its error (tests send one key).
				key := regexp.MustCompile(`<Key>([^<]*)</Key>`).FindSubmatch(body)
				if key == nil {
					deny(w)
					return
				}
				w.Header().Set("Content-Type", "application/xml")
				io.WriteString(w, `<?xml version="1.0" encoding="UTF-8"?><DeleteResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Error><Key>`+string(key[1])+`</Key><VersionId>`+locked+`</VersionId><Code>AccessDenied</Code><Message>Access Denied</Message></Error></DeleteResult>`)
				return
			}
			r.Body = io.NopCloser(bytes.NewReader(body))
		}
		rp.ServeHTTP(w, r)
		if r.Method == http.MethodDelete && !q.Has("versionId") && afterMarker != nil {
			once.Do(afterMarker)
		}
	})
}

// With all_versions, a version that cannot be deleted (here v1, locked)
// does not become current when the versions above it go: the key ends
// with a delete marker on top, a GET finds nothing, the item is reported
// failed, and the audit log says what happened to each version.
func TestObjectsAllVersionsLockedVersionStaysHidden(t *testing.T) {
	s, _ := objectEnv(t)
	ctx := context.Background()
	cl := s.Client()
	versionedBucket(t, s, "vlock")
	v1 := putVersion(t, s, "vlock", "all/card.log", []byte("card 4111 1111 1111 1111\n"))
	v2 := putVersion(t, s, "vlock", "all/card.log", []byte("v2\n"))
	objects := lockProxy(t, s, v1)
	c := loadPolicy(t, "", `locations:
  - {name: all, paths: ["s3://vlock/all/"], all_versions: true, retention: {max_age: 1d}}
enforcement: {breaker: {max_share: 1}}
`)
	p, entries := planApplied(t, c, objects, time.Now().Add(72*time.Hour))

	if got, err := objectBody(t, cl, "vlock", "all/card.log"); err == nil {
		t.Errorf("GET all/card.log = %q: the locked old version became current", got)
	}
	vs, err := cl.ListObjectVersions(ctx, &s3.ListObjectVersionsInput{Bucket: aws.String("vlock"), Prefix: aws.String("all/card.log")})
	if err != nil {
		t.Fatal(err)
	}
	if len(vs.Versions) != 1 || aws.ToString(vs.Versions[0].VersionId) != v1 || aws.ToBool(vs.Versions[0].IsLatest) {
		t.Errorf("versions left: %d, want only v1, noncurrent", len(vs.Versions))
	}
	if len(vs.DeleteMarkers) != 1 || !aws.ToBool(vs.DeleteMarkers[0].IsLatest) {
		t.Errorf("%d delete markers, want one, on top", len(vs.DeleteMarkers))
	}
	it := itemFor(p, "s3://vlock/all/card.log")
	if it.Done || it.Err == nil || !errors.Is(it.Err, ErrVersionsKept) {
		t.Errorf("item: done=%v err=%v, want ErrVersionsKept", it.Done, it.Err)
	}
	e := entries["s3://vlock/all/card.log"]
	if e.Phase != audit.PhaseFailed {
		t.Errorf("audit entry = %+v, want failed", e)
	}
	got := map[string]audit.VersionOutcome{}
	for _, v := range e.Versions {
		got[v.Version] = v
	}
	if o := got[v2]; o.Outcome != audit.VersionDeleted {
		t.Errorf("audit: v2 = %+v, want deleted", o)
	}
	if o := got[v1]; o.Outcome != audit.VersionKept || !strings.Contains(o.Reason, "AccessDenied") {
		t.Errorf("audit: v1 = %+v, want kept, AccessDenied", o)
	}
	var marker bool
	for _, v := range e.Versions {
		marker = marker || v.Outcome == audit.VersionMarkerAdded
	}
	if !marker {
		t.Errorf("audit: versions %+v name no delete marker added", e.Versions)
	}
}

// With all_versions, a current version that cannot be deleted (locked)
// is hidden behind a delete marker too, and the audit log says it was
// kept, not deleted.
func TestObjectsAllVersionsLockedCurrentHidden(t *testing.T) {
	s, _ := objectEnv(t)
	cl := s.Client()
	versionedBucket(t, s, "vlockcur")
	v1 := putVersion(t, s, "vlockcur", "all/card.log", []byte("card 4111 1111 1111 1111\n"))
	objects := lockProxy(t, s, v1)
	c := loadPolicy(t, "", `locations:
  - {name: all, paths: ["s3://vlockcur/all/"], all_versions: true, retention: {max_age: 1d}}
enforcement: {breaker: {max_share: 1}}
`)
	p, entries := planApplied(t, c, objects, time.Now().Add(72*time.Hour))

	if got, err := objectBody(t, cl, "vlockcur", "all/card.log"); err == nil {
		t.Errorf("GET all/card.log = %q: the locked version is still current", got)
	}
	wantUnderMarker(t, cl, "vlockcur", "all/card.log", v1)
	if it := itemFor(p, "s3://vlockcur/all/card.log"); it.Done || !errors.Is(it.Err, ErrVersionsKept) {
		t.Errorf("item: done=%v err=%v, want ErrVersionsKept", it.Done, it.Err)
	}
	e := entries["s3://vlockcur/all/card.log"]
	if e.Phase != audit.PhaseFailed || len(e.Versions) != 2 ||
		e.Versions[0] != (audit.VersionOutcome{Version: v1, Outcome: audit.VersionKept, Reason: "AccessDenied"}) ||
		e.Versions[1].Outcome != audit.VersionMarkerAdded {
		t.Errorf("audit entry = %+v, want failed: v1 kept, a delete marker added", e)
	}
}

// The same with a real S3 Object Lock legal hold on the old version
// (versitygw enforces it): v1 held, v2 current. Purge with all_versions
// deletes v2 and leaves v1 under a delete marker, not current.
func TestObjectsAllVersionsLegalHoldOnOldVersion(t *testing.T) {
	for _, tc := range []struct {
		name string
		// refusal is the code the store answers a delete of a held
		// version with.
		refusal string
	}{
		{"AccessDenied as AWS S3 and versitygw answer", "AccessDenied"},
		{"InvalidRequest as MinIO answers", "InvalidRequest"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s, objects := objectEnv(t)
			if tc.refusal != "AccessDenied" {
				objects = refusalProxy(t, s, tc.refusal)
			}
			legalHoldOnOldVersion(t, s, objects)
		})
	}
}

// refusalProxy forwards to s and answers an AccessDenied refusal (of a
// delete, or of a key of DeleteObjects) with code instead, as MinIO
// answers a delete of a version under S3 Object Lock: 400 InvalidRequest.
func refusalProxy(t *testing.T, s *s3test.Server, code string) *bucket.Client {
	t.Helper()
	return proxyClient(t, s, func(w http.ResponseWriter, r *http.Request, rp http.Handler) {
		rec := httptest.NewRecorder()
		rp.ServeHTTP(rec, r)
		body := rec.Body.Bytes()
		status := rec.Code
		for k, v := range rec.Header() {
			w.Header()[k] = v
		}
		if bytes.Contains(body, []byte("<Code>AccessDenied</Code>")) {
			body = bytes.ReplaceAll(body, []byte("<Code>AccessDenied</Code>"), []byte("<Code>"+code+"</Code>"))
			if status == http.StatusForbidden {
				status = http.StatusBadRequest
			}
			w.Header().Set("Content-Length", strconv.Itoa(len(body)))
		}
		w.WriteHeader(status)
		w.Write(body)
	})
}

func legalHoldOnOldVersion(t *testing.T, s *s3test.Server, objects *bucket.Client) {
	ctx := context.Background()
	cl := s.Client()
	if _, err := cl.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String("vheld"), ObjectLockEnabledForBucket: aws.Bool(true)}); err != nil {
		t.Fatal(err)
	}
	v1 := putVersion(t, s, "vheld", "all/card.log", []byte("card 4111 1111 1111 1111\n"))
	if _, err := cl.PutObjectLegalHold(ctx, &s3.PutObjectLegalHoldInput{Bucket: aws.String("vheld"), Key: aws.String("all/card.log"), VersionId: aws.String(v1),
		LegalHold: &types.ObjectLockLegalHold{Status: types.ObjectLockLegalHoldStatusOn}}); err != nil {
		t.Fatal(err)
	}
	v2 := putVersion(t, s, "vheld", "all/card.log", []byte("v2\n"))
	c := loadPolicy(t, "", `locations:
  - {name: all, paths: ["s3://vheld/all/"], all_versions: true, retention: {max_age: 1d}}
enforcement: {breaker: {max_share: 1}}
`)
	p, entries := planApplied(t, c, objects, time.Now().Add(72*time.Hour))

	if got, err := objectBody(t, cl, "vheld", "all/card.log"); err == nil {
		t.Errorf("GET all/card.log = %q: the held old version became current", got)
	}
	wantUnderMarker(t, cl, "vheld", "all/card.log", v1)
	if it := itemFor(p, "s3://vheld/all/card.log"); it.Done || !errors.Is(it.Err, ErrVersionsKept) {
		t.Errorf("item: done=%v err=%v, want ErrVersionsKept", it.Done, it.Err)
	}
	e := entries["s3://vheld/all/card.log"]
	got := map[string]string{}
	for _, v := range e.Versions {
		got[v.Version] = v.Outcome + " " + v.Reason
	}
	if e.Phase != audit.PhaseFailed || !strings.HasPrefix(got[v1], "kept ") || got[v2] != "deleted " {
		t.Errorf("audit entry = %+v, want failed: v1 kept (held), v2 deleted", e)
	}
}

// The delete marker that hides a kept version is taken back when a
// writer stored a new version meanwhile: the writer's version stays
// current (and hides the kept one), and the audit log says so.
func TestObjectsAllVersionsKeptMarkerTakenBack(t *testing.T) {
	s, _ := objectEnv(t)
	ctx := context.Background()
	cl := s.Client()
	versionedBucket(t, s, "vlockrace")
	v1 := putVersion(t, s, "vlockrace", "all/card.log", []byte("card 4111 1111 1111 1111\n"))
	v2 := putVersion(t, s, "vlockrace", "all/card.log", []byte("v2\n"))
	objects := lockProxyHook(t, s, v1, func() { s.Put(t, "vlockrace", "all/card.log", []byte("a writer's\n")) })
	c := loadPolicy(t, "", `locations:
  - {name: all, paths: ["s3://vlockrace/all/"], all_versions: true, retention: {max_age: 1d}}
enforcement: {breaker: {max_share: 1}}
`)
	p, entries := planApplied(t, c, objects, time.Now().Add(72*time.Hour))

	if got, err := objectBody(t, cl, "vlockrace", "all/card.log"); err != nil || got != "a writer's\n" {
		t.Errorf("GET all/card.log = %q, %v: the writer's version is not current", got, err)
	}
	vs, err := cl.ListObjectVersions(ctx, &s3.ListObjectVersionsInput{Bucket: aws.String("vlockrace"), Prefix: aws.String("all/card.log")})
	if err != nil {
		t.Fatal(err)
	}
	if len(vs.Versions) != 2 || len(vs.DeleteMarkers) != 0 {
		t.Errorf("%d versions and %d delete markers, want 2 (v1 and the writer's) and 0", len(vs.Versions), len(vs.DeleteMarkers))
	}
	for _, v := range vs.Versions {
		if aws.ToString(v.VersionId) == v2 {
			t.Error("v2, the version planned, is still there")
		}
	}
	if it := itemFor(p, "s3://vlockrace/all/card.log"); it.Done || !errors.Is(it.Err, ErrVersionsKept) {
		t.Errorf("item: done=%v err=%v, want ErrVersionsKept", it.Done, it.Err)
	}
	var outcomes []string
	for _, v := range entries["s3://vlockrace/all/card.log"].Versions {
		outcomes = append(outcomes, v.Outcome)
	}
	if want := []string{"kept", "marker-added", "marker-removed", "deleted"}; !slices.Equal(outcomes, want) {
		t.Errorf("audit: version outcomes %v, want %v", outcomes, want)
	}
}
