package retention

import (
	"context"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"slices"
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

// killingProxy forwards to s until the n-th DELETE of a version (by id)
// was done by the server; then the run counts as killed: killed runs once
// (to copy the audit log as a kill -9 would leave it: every entry is
// synced before the step it announces), and every later request is
// refused, so the run changes nothing more in the bucket.
func killingProxy(t *testing.T, s *s3test.Server, n int, killed func()) *bucket.Client {
	t.Helper()
	var (
		mu   sync.Mutex
		seen int
		dead bool
	)
	return proxyClient(t, s, func(w http.ResponseWriter, r *http.Request, rp http.Handler) {
		mu.Lock()
		defer mu.Unlock()
		if dead {
			w.Header().Set("Content-Type", "application/xml")
			w.WriteHeader(http.StatusBadRequest)
			io.WriteString(w, `<?xml version="1.0" encoding="UTF-8"?><Error><Code>KilledByTest</Code><Message>the run was killed</Message></Error>`)
			return
		}
		rp.ServeHTTP(w, r)
		if r.Method == http.MethodDelete && r.URL.Query().Get("versionId") != "" {
			if seen++; seen == n {
				dead = true
				killed()
			}
		}
	})
}

// versionIDs returns the version ids and delete markers of the keys under
// prefix in bucket b, by key.
func versionIDs(t *testing.T, cl *s3.Client, b, prefix string) map[string][]string {
	t.Helper()
	out, err := cl.ListObjectVersions(context.Background(), &s3.ListObjectVersionsInput{Bucket: aws.String(b), Prefix: aws.String(prefix)})
	if err != nil {
		t.Fatal(err)
	}
	ids := map[string][]string{}
	for _, v := range out.Versions {
		ids[aws.ToString(v.Key)] = append(ids[aws.ToString(v.Key)], aws.ToString(v.VersionId))
	}
	for _, m := range out.DeleteMarkers {
		ids[aws.ToString(m.Key)] = append(ids[aws.ToString(m.Key)], aws.ToString(m.VersionId))
	}
	return ids
}

// copyLog copies the audit log at path and its head into dir.
func copyLog(t *testing.T, path, dir string) string {
	t.Helper()
	for _, p := range []string{path, audit.HeadPath(path)} {
		data, err := os.ReadFile(p)
		if err != nil {
			t.Error(err)
			return ""
		}
		if err := os.WriteFile(filepath.Join(dir, filepath.Base(p)), data, 0o600); err != nil {
			t.Error(err)
		}
	}
	return filepath.Join(dir, filepath.Base(path))
}

// killedRun plans a purge at now and carries it out through a
// killingProxy that kills the run after its n-th version delete; it
// returns the audit log as the killed run left it.
func killedRun(t *testing.T, s *s3test.Server, c *config.Config, key []byte, now time.Time, n int) string {
	t.Helper()
	logPath := filepath.Join(t.TempDir(), "audit.jsonl")
	killedDir := t.TempDir()
	var killedLog string
	objects := killingProxy(t, s, n, func() { killedLog = copyLog(t, logPath, killedDir) })
	p := planPurge(t, c, PlanOptions{Now: now, Objects: objects})
	x := &Executor{Config: c, Enforce: true, Objects: objects, Audit: audit.Open(logPath, key)}
	if err := x.Apply(context.Background(), p); err != nil {
		t.Fatal(err)
	}
	x.Close()
	if killedLog == "" {
		t.Fatalf("the run was not killed: it deleted fewer than %d versions", n)
	}
	return killedLog
}

// rerun plans a purge at now again and carries it out straight against
// s, continuing the audit log at killedLog; it returns the plan.
func rerun(t *testing.T, s *s3test.Server, c *config.Config, key []byte, now time.Time, killedLog string) *Plan {
	t.Helper()
	real := clientAt(t, s.Endpoint)
	p := planPurge(t, c, PlanOptions{Now: now, Objects: real})
	x := &Executor{Config: c, Enforce: true, Objects: real, Audit: audit.Open(killedLog, key)}
	if err := x.Apply(context.Background(), p); err != nil {
		t.Fatal(err)
	}
	x.Close()
	return p
}

// A purge with all_versions killed in the middle of deleting versions
// one by one has named in the audit log, before the first went, every
// version it may delete: the ones it deleted are accounted for although
// its results are missing. The next run finishes the job, and audit
// verify settles the killed run's intents by its results: each planned
// version deleted by the later run or gone before it listed the key.
func TestObjectsAllVersionsKilledRunNamesItsVersions(t *testing.T) {
	s, _ := objectEnv(t)
	cl := s.Client()
	versionedBucket(t, s, "vkill")
	putVersion(t, s, "vkill", "all/a.log", []byte("w1\n"))
	putVersion(t, s, "vkill", "all/a.log", []byte("w2\n"))
	putVersion(t, s, "vkill", "all/card.log", []byte("card 4111 1111 1111 1111\n"))
	putVersion(t, s, "vkill", "all/card.log", []byte("v2\n"))
	putVersion(t, s, "vkill", "all/card.log", []byte("v3\n"))
	c := loadPolicy(t, "", `locations:
  - {name: all, paths: ["s3://vkill/all/"], all_versions: true, retention: {max_age: 1d}}
enforcement: {breaker: {max_share: 1}}
`)
	key := []byte("k")
	now := time.Now().Add(72 * time.Hour)
	start := versionIDs(t, cl, "vkill", "all/")

	// The killed run: a.log's old version goes, then one of card.log's,
	// and the run dies.
	killedLog := killedRun(t, s, c, key, now, 2)
	afterKill := versionIDs(t, cl, "vkill", "all/")
	res, err := audit.Verify(killedLog, key)
	if err != nil {
		t.Fatal(err)
	}
	named := map[string]map[string]bool{} // path -> versions its unfinished intents name
	for _, e := range res.Unresolved {
		for _, v := range e.Versions {
			if named[e.Path] == nil {
				named[e.Path] = map[string]bool{}
			}
			named[e.Path][v.Version] = v.Outcome == audit.VersionPlanned
		}
	}
	gone := 0
	for k, ids := range start {
		for _, id := range ids {
			if slices.Contains(afterKill[k], id) {
				continue
			}
			gone++
			if !named["s3://vkill/"+k][id] {
				t.Errorf("the killed run deleted version %s of %s, and its audit log names it nowhere (unfinished intents: %+v)", id, k, res.Unresolved)
			}
		}
	}
	if gone != 2 {
		t.Fatalf("the killed run deleted %d versions, want 2", gone)
	}
	for k, ids := range start {
		for _, id := range ids {
			if !named["s3://vkill/"+k][id] {
				t.Errorf("version %s of %s, which the killed run was about to delete, is not named as planned", id, k)
			}
		}
	}

	// The next run, with the log the killed one left, finishes the job.
	p := rerun(t, s, c, key, now, killedLog)
	for _, it := range p.Items {
		if it.Err != nil || !it.Done {
			t.Errorf("rerun: %s: done=%v err=%v", it.Path, it.Done, it.Err)
		}
	}
	if left := versionIDs(t, cl, "vkill", "all/"); len(left) > 0 {
		t.Errorf("versions left after the rerun: %v", left)
	}
	res, err = audit.Verify(killedLog, key)
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Unresolved) != 0 {
		t.Errorf("after a rerun that did the work, unfinished intents: %+v", res.Unresolved)
	}
	settled := map[string]audit.Settled{}
	for _, st := range res.Settled {
		settled[st.Intent.Path] = st
	}
	for k, ids := range start {
		st, ok := settled["s3://vkill/"+k]
		if !ok {
			t.Errorf("the killed run's intent for %s is not settled by the rerun: %+v", k, res.Settled)
			continue
		}
		accounted := append(slices.Clone(st.Deleted), st.Gone...)
		slices.Sort(accounted)
		want := slices.Sorted(slices.Values(ids))
		if !slices.Equal(accounted, want) || st.By <= st.Intent.Seq {
			t.Errorf("%s settled by seq %d: deleted %v, gone %v; want all of %v", k, st.By, st.Deleted, st.Gone, want)
		}
		for _, id := range st.Gone {
			if slices.Contains(afterKill[k], id) {
				t.Errorf("%s: version %s is reported gone before the rerun, but the killed run left it", k, id)
			}
		}
	}
	t.Logf("the killed run's log, continued by the rerun:\n%s", mustRead(t, killedLog))
	if strings.Contains(string(mustRead(t, killedLog)), "4111 1111") {
		t.Error("the audit log holds a card number")
	}
}

func mustRead(t *testing.T, path string) []byte {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return data
}

// The same for an object whose records all expired (from: record; the
// plan turns its rewrite into a delete of the object): its versions are
// named before the first goes, and the next run's delete settles the
// killed run's intent, the version it deleted gone, the other deleted.
func TestObjectsRecordsExpiredKilledRunNamesItsVersions(t *testing.T) {
	s, _ := objectEnv(t)
	cl := s.Client()
	versionedBucket(t, s, "rkill")
	old := []byte(`{"ts":"2020-01-01T00:00:00Z","msg":"old"}` + "\n")
	v1 := putVersion(t, s, "rkill", "rec/app.jsonl", old)
	v2 := putVersion(t, s, "rkill", "rec/app.jsonl", old)
	c := loadPolicy(t, "", `locations:
  - {name: rec, paths: ["s3://rkill/rec/"], all_versions: true, retention: {max_age: 30d, from: record}}
enforcement: {breaker: {max_share: 1}}
`)
	key := []byte("k")
	now := time.Now().Add(72 * time.Hour)
	killedLog := killedRun(t, s, c, key, now, 1)
	if left := versionIDs(t, cl, "rkill", "rec/")["rec/app.jsonl"]; !slices.Equal(left, []string{v2}) {
		t.Fatalf("after the kill, versions %v; want only %s (the current one)", left, v2)
	}
	res, err := audit.Verify(killedLog, key)
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Unresolved) != 1 {
		t.Fatalf("unfinished intents %+v, want one", res.Unresolved)
	}
	planned := map[string]bool{}
	for _, v := range res.Unresolved[0].Versions {
		planned[v.Version] = v.Outcome == audit.VersionPlanned
	}
	if !planned[v1] || !planned[v2] {
		t.Fatalf("the killed run's intent %+v does not name v1 (which it deleted) and v2 as planned", res.Unresolved[0])
	}

	rerun(t, s, c, key, now, killedLog)
	if left := versionIDs(t, cl, "rkill", "rec/"); len(left) > 0 {
		t.Errorf("versions left after the rerun: %v", left)
	}
	res, err = audit.Verify(killedLog, key)
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Unresolved) != 0 || len(res.Settled) != 1 || !slices.Equal(res.Settled[0].Gone, []string{v1}) || !slices.Equal(res.Settled[0].Deleted, []string{v2}) {
		t.Errorf("after the rerun: unfinished %+v, settled %+v; want the killed intent settled (v1 gone, v2 deleted)", res.Unresolved, res.Settled)
	}
}
