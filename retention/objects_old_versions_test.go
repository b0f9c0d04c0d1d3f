package retention

import (
	"bufio"
	"context"
	"encoding/json"
	"os"
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
	"github.com/piiscan/piiscan/scansetup"
)

const cardLine = "card 4111 1111 1111 1111\n"

// lockBucket creates bucket b with S3 Object Lock on (and so versioning).
func lockBucket(t *testing.T, cl *s3.Client, b string) {
	t.Helper()
	if _, err := cl.CreateBucket(context.Background(), &s3.CreateBucketInput{Bucket: aws.String(b), ObjectLockEnabledForBucket: aws.Bool(true)}); err != nil {
		t.Fatal(err)
	}
}

// legalHold puts (on) or lifts an S3 Object Lock legal hold on a version.
func legalHold(t *testing.T, cl *s3.Client, b, key, id string, on bool) {
	t.Helper()
	st := types.ObjectLockLegalHoldStatusOff
	if on {
		st = types.ObjectLockLegalHoldStatusOn
	}
	if _, err := cl.PutObjectLegalHold(context.Background(), &s3.PutObjectLegalHoldInput{Bucket: aws.String(b), Key: aws.String(key), VersionId: aws.String(id),
		LegalHold: &types.ObjectLockLegalHold{Status: st}}); err != nil {
		t.Fatal(err)
	}
}

// versionsLeft returns, by key under prefix, the version ids left and
// the number of delete markers.
func versionsLeft(t *testing.T, cl *s3.Client, b, prefix string) (map[string][]string, map[string]int) {
	t.Helper()
	out, err := cl.ListObjectVersions(context.Background(), &s3.ListObjectVersionsInput{Bucket: aws.String(b), Prefix: aws.String(prefix)})
	if err != nil {
		t.Fatal(err)
	}
	vs, ms := map[string][]string{}, map[string]int{}
	for _, v := range out.Versions {
		vs[aws.ToString(v.Key)] = append(vs[aws.ToString(v.Key)], aws.ToString(v.VersionId))
	}
	for _, m := range out.DeleteMarkers {
		ms[aws.ToString(m.Key)]++
	}
	return vs, ms
}

// versionBody reads one version of key.
func versionBody(t *testing.T, cl *s3.Client, b, key, id string) string {
	t.Helper()
	o, err := cl.GetObject(context.Background(), &s3.GetObjectInput{Bucket: aws.String(b), Key: aws.String(key), VersionId: aws.String(id)})
	if err != nil {
		return ""
	}
	defer o.Body.Close()
	var sb strings.Builder
	sc := bufio.NewScanner(o.Body)
	for sc.Scan() {
		sb.WriteString(sc.Text() + "\n")
	}
	return sb.String()
}

// auditLines reads every entry of the audit log at path, checked.
func auditLines(t *testing.T, path string) []audit.Entry {
	t.Helper()
	if _, err := audit.Verify(path, []byte("k")); err != nil {
		t.Fatalf("audit log: %v", err)
	}
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var out []audit.Entry
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		var e audit.Entry
		if err := json.Unmarshal(sc.Bytes(), &e); err != nil {
			t.Fatal(err)
		}
		out = append(out, e)
	}
	return out
}

// results returns the result entries of an audit log by the path of
// their intent, and the versions the planned entries named, by path.
func results(lines []audit.Entry) (map[string]audit.Entry, map[string][]audit.VersionOutcome) {
	intents := map[int64]string{}
	out := map[string]audit.Entry{}
	planned := map[string][]audit.VersionOutcome{}
	for _, e := range lines {
		switch {
		case e.Phase == audit.PhaseIntent:
			intents[e.Seq] = e.Path
		case e.Phase == audit.PhasePlanned:
			planned[intents[e.Of]] = append(planned[intents[e.Of]], e.Versions...)
		case e.Phase == audit.PhaseDone || e.Phase == audit.PhaseFailed:
			out[intents[e.Intent]] = e
		}
	}
	return out, planned
}

// redactApplied plans a redaction with c's locations and carries it out
// with enforcement on; it returns the plan and the audit log's entries.
func redactApplied(t *testing.T, c *config.Config, objects *bucket.Client) (*Plan, []audit.Entry) {
	t.Helper()
	ctx := context.Background()
	e, err := scansetup.Engine(c)
	if err != nil {
		t.Fatal(err)
	}
	sc := objectScanner(t, c, objects)
	p, err := PlanRedact(ctx, c, sc, PlanOptions{Now: time.Now().Add(time.Hour), Objects: objects})
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "audit.jsonl")
	x := &Executor{Config: c, Enforce: true, Engine: e, Objects: objects, Audit: audit.Open(path, []byte("k"))}
	if err := x.Apply(ctx, p); err != nil {
		t.Fatal(err)
	}
	x.Close()
	return p, auditLines(t, path)
}

// outcomesOf maps the versions of an audit entry to their outcomes.
func outcomesOf(vs []audit.VersionOutcome) map[string]string {
	out := map[string]string{}
	for _, v := range vs {
		out[v.Version] = v.Outcome
	}
	return out
}

// Issue 17 (A, C): with all_versions, an old version that a legal hold
// kept while its object was redacted is deleted by the first redaction
// after the hold is lifted: it is a copy from before the redaction. The
// audit entry of the redaction names what happened to each old version
// (kept, deleted), also when the store refuses as MinIO does.
func TestRedactAllVersionsOldVersionGoesAfterHold(t *testing.T) {
	for _, tc := range []struct{ name, refusal string }{
		{"AccessDenied as AWS S3 and versitygw answer", "AccessDenied"},
		{"InvalidRequest as MinIO answers", "InvalidRequest"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s, objects := objectEnv(t)
			if tc.refusal != "AccessDenied" {
				objects = refusalProxy(t, s, tc.refusal)
			}
			cl := s.Client()
			lockBucket(t, cl, "rdv")
			v1 := putVersion(t, s, "rdv", "a.log", []byte("one "+cardLine))
			v2 := putVersion(t, s, "rdv", "a.log", []byte("two "+cardLine))
			legalHold(t, cl, "rdv", "a.log", v1, true)
			c := defaultRulesWith(t, "", `locations:
  - {name: rdv, paths: ["s3://rdv/"], allowed: [ip_address], disallowed: redact, all_versions: true}
enforcement: {breaker: {max_share: 1}}
`)
			p, lines := redactApplied(t, c, objects)
			if it := itemFor(p, "s3://rdv/a.log"); it == nil || it.Action != RedactFile {
				t.Fatalf("first run: a.log planned %+v, want redacted", it)
			}
			if body, _ := objectBody(t, cl, "rdv", "a.log"); strings.Contains(body, "4111") {
				t.Fatalf("a.log not redacted: %q", body)
			}
			res, planned := results(lines)
			e := res["s3://rdv/a.log"]
			got := outcomesOf(e.Versions)
			if got[v1] != audit.VersionKept || got[v2] != audit.VersionDeleted {
				t.Errorf("first run: audit entry %+v: versions %v, want v1 kept and v2 deleted", e, got)
			}
			if p := outcomesOf(planned["s3://rdv/a.log"]); p[v1] != audit.VersionPlanned || p[v2] != audit.VersionPlanned {
				t.Errorf("first run: planned versions %v, want v1 and v2", p)
			}

			legalHold(t, cl, "rdv", "a.log", v1, false)
			p, lines = redactApplied(t, c, objects)
			vp := VersionPath("s3://rdv/a.log", v1, false)
			it := itemFor(p, vp)
			if it == nil || it.Action != Delete || !it.Done || it.Err != nil {
				t.Fatalf("second run: %s planned %+v, want deleted", vp, it)
			}
			if body := versionBody(t, cl, "rdv", "a.log", v1); body != "" {
				t.Errorf("v1 still readable after the hold was lifted: %d bytes", len(body))
			}
			vs, _ := versionsLeft(t, cl, "rdv", "")
			if len(vs["a.log"]) != 1 {
				t.Errorf("versions of a.log left: %v, want only the redacted one", vs["a.log"])
			}
			res, _ = results(lines)
			if e := res[vp]; e.Phase != audit.PhaseDone || e.Action != "delete" || e.Version != v1 || outcomesOf(e.Versions)[v1] != audit.VersionDeleted {
				t.Errorf("second run: audit entry of %s = %+v, want done delete of version v1", vp, e)
			}

			// Nothing left to do.
			p, _ = redactApplied(t, c, objects)
			for _, it := range p.Items {
				if it.Action != Keep {
					t.Errorf("third run plans %s %s", it.Action, it.Path)
				}
			}
		})
	}
}

// Issue 17 (A): an object redacted before all_versions was turned on
// keeps its unredacted old version; the first redaction with all_versions
// deletes it, and leaves alone the old versions of a key piiscan never
// rewrote.
func TestRedactAllVersionsTurnedOnLater(t *testing.T) {
	s, objects := objectEnv(t)
	cl := s.Client()
	versionedBucket(t, s, "rdl")
	v1 := putVersion(t, s, "rdl", "a.log", []byte(cardLine))
	u1 := putVersion(t, s, "rdl", "b.log", []byte("user data one\n"))
	putVersion(t, s, "rdl", "b.log", []byte("user data two\n"))
	before := defaultRulesWith(t, "", `locations:
  - {name: rdl, paths: ["s3://rdl/"], allowed: [ip_address], disallowed: redact}
enforcement: {breaker: {max_share: 1}}
`)
	redactApplied(t, before, objects)
	if vs, _ := versionsLeft(t, cl, "rdl", "a.log"); len(vs["a.log"]) != 2 {
		t.Fatalf("without all_versions: versions of a.log %v, want 2", vs["a.log"])
	}
	after := defaultRulesWith(t, "", `locations:
  - {name: rdl, paths: ["s3://rdl/"], allowed: [ip_address], disallowed: redact, all_versions: true}
enforcement: {breaker: {max_share: 1}}
`)
	p, _ := redactApplied(t, after, objects)
	if it := itemFor(p, VersionPath("s3://rdl/a.log", v1, false)); it == nil || !it.Done {
		t.Errorf("the unredacted old version of a.log: %+v, want deleted", it)
	}
	if body := versionBody(t, cl, "rdl", "a.log", v1); body != "" {
		t.Errorf("v1 of a.log still readable")
	}
	vs, _ := versionsLeft(t, cl, "rdl", "b.log")
	if len(vs["b.log"]) != 2 || itemFor(p, VersionPath("s3://rdl/b.log", u1, false)) != nil {
		t.Errorf("b.log, never rewritten: versions %v, want both kept and not planned", vs["b.log"])
	}
}

// Issue 17 (B): with all_versions, purge deletes by version id the
// noncurrent versions past retention: one freed from a legal hold (its
// key ending with the delete marker the first purge put on top, which
// goes too), one under a current version that a legal hold keeps, and the
// versions under a delete marker; a marker with nothing under it goes;
// a noncurrent version within retention, and a held one, stay.
func TestPurgeAllVersionsOldVersions(t *testing.T) {
	s, objects := objectEnv(t)
	cl := s.Client()
	lockBucket(t, cl, "pov")
	// freed.log: v1 held under v2; the first purge deletes v2 and hides v1.
	f1 := putVersion(t, s, "pov", "all/freed.log", []byte(cardLine))
	legalHold(t, cl, "pov", "all/freed.log", f1, true)
	putVersion(t, s, "pov", "all/freed.log", []byte("two\n"))
	// heldcur.log: the current version is held, the old one is not.
	h1 := putVersion(t, s, "pov", "all/heldcur.log", []byte(cardLine))
	h2 := putVersion(t, s, "pov", "all/heldcur.log", []byte("two\n"))
	legalHold(t, cl, "pov", "all/heldcur.log", h2, true)
	// marker.log: deleted by someone, its only version under the marker.
	m1 := putVersion(t, s, "pov", "all/marker.log", []byte(cardLine))
	if _, err := cl.DeleteObject(context.Background(), &s3.DeleteObjectInput{Bucket: aws.String("pov"), Key: aws.String("all/marker.log")}); err != nil {
		t.Fatal(err)
	}
	// gone.log: only a delete marker.
	g1 := putVersion(t, s, "pov", "all/gone.log", []byte("x\n"))
	if _, err := cl.DeleteObject(context.Background(), &s3.DeleteObjectInput{Bucket: aws.String("pov"), Key: aws.String("all/gone.log")}); err != nil {
		t.Fatal(err)
	}
	if _, err := cl.DeleteObject(context.Background(), &s3.DeleteObjectInput{Bucket: aws.String("pov"), Key: aws.String("all/gone.log"), VersionId: aws.String(g1)}); err != nil {
		t.Fatal(err)
	}
	if _, ms := versionsLeft(t, cl, "pov", "all/gone.log"); ms["all/gone.log"] != 1 {
		t.Fatalf("gone.log: %d delete markers, want 1", ms["all/gone.log"])
	}
	// keep/x.log: a noncurrent version within its 30 days.
	k1 := putVersion(t, s, "pov", "keep/x.log", []byte("old\n"))
	putVersion(t, s, "pov", "keep/x.log", []byte("new\n"))
	c := loadPolicy(t, "", `locations:
  - {name: all, paths: ["s3://pov/all/"], all_versions: true, retention: {max_age: 1d}}
  - {name: keep, paths: ["s3://pov/keep/"], all_versions: true, retention: {max_age: 30d}}
enforcement: {breaker: {max_share: 1}}
`)
	now := time.Now().Add(72 * time.Hour)
	p, _ := planApplied(t, c, objects, now)
	if it := itemFor(p, VersionPath("s3://pov/all/heldcur.log", h1, false)); it == nil || !it.Done {
		t.Errorf("the old version under a held current one: %+v, want deleted", it)
	}
	if it := itemFor(p, VersionPath("s3://pov/all/marker.log", m1, false)); it == nil || !it.Done {
		t.Errorf("the version under a delete marker: %+v, want deleted", it)
	}
	if vs, ms := versionsLeft(t, cl, "pov", "all/freed.log"); !equalIDs(vs["all/freed.log"], f1) || ms["all/freed.log"] != 1 {
		t.Fatalf("freed.log: versions %v and %d markers, want its held v1 under a delete marker", vs["all/freed.log"], ms["all/freed.log"])
	}
	vs, ms := versionsLeft(t, cl, "pov", "")
	if !equalIDs(vs["all/heldcur.log"], h2) || ms["all/heldcur.log"] != 0 {
		t.Errorf("heldcur.log: versions %v and %d markers, want only its held current version", vs["all/heldcur.log"], ms["all/heldcur.log"])
	}
	if len(vs["all/marker.log"])+ms["all/marker.log"]+len(vs["all/gone.log"])+ms["all/gone.log"] != 0 {
		t.Errorf("marker.log and gone.log: versions %v %v, markers %d %d, want nothing left",
			vs["all/marker.log"], vs["all/gone.log"], ms["all/marker.log"], ms["all/gone.log"])
	}
	if len(vs["keep/x.log"]) != 2 || itemFor(p, VersionPath("s3://pov/keep/x.log", k1, false)) != nil {
		t.Errorf("keep/x.log: versions %v, want both, the old one within retention", vs["keep/x.log"])
	}

	// While the hold lasts, a plan lists freed.log's v1 as held.
	held := planPurge(t, c, PlanOptions{Now: now, Objects: objects})
	if it := itemFor(held, VersionPath("s3://pov/all/freed.log", f1, false)); it == nil || it.Action != Keep || !strings.Contains(it.Held, "legal hold") {
		t.Errorf("freed.log's held v1: planned %+v, want kept, held", it)
	}

	// The hold on freed.log's v1 is lifted: the next purge deletes it,
	// then the delete marker over it.
	legalHold(t, cl, "pov", "all/freed.log", f1, false)
	p, entries := planApplied(t, c, objects, now)
	vp := VersionPath("s3://pov/all/freed.log", f1, false)
	if it := itemFor(p, vp); it == nil || !it.Done {
		t.Errorf("freed.log's v1, no longer held: %+v, want deleted", it)
	}
	if e := entries[vp]; e.Phase != audit.PhaseDone || e.Version != f1 || e.Action != "delete" {
		t.Errorf("audit entry of %s = %+v, want done delete naming the version", vp, e)
	}
	vs, ms = versionsLeft(t, cl, "pov", "all/freed.log")
	if len(vs["all/freed.log"])+ms["all/freed.log"] != 0 {
		t.Errorf("freed.log: versions %v and %d markers left, want none", vs["all/freed.log"], ms["all/freed.log"])
	}
}

func equalIDs(got []string, want ...string) bool {
	return strings.Join(got, ",") == strings.Join(want, ",")
}

// A delete marker over a version that stays (held) is not deleted: the
// version would become current again.
func TestPurgeAllVersionsMarkerOverKeptVersionStays(t *testing.T) {
	s, objects := objectEnv(t)
	cl := s.Client()
	lockBucket(t, cl, "pmk")
	v1 := putVersion(t, s, "pmk", "all/a.log", []byte(cardLine))
	legalHold(t, cl, "pmk", "all/a.log", v1, true)
	if _, err := cl.DeleteObject(context.Background(), &s3.DeleteObjectInput{Bucket: aws.String("pmk"), Key: aws.String("all/a.log")}); err != nil {
		t.Fatal(err)
	}
	c := loadPolicy(t, "", `locations:
  - {name: all, paths: ["s3://pmk/all/"], all_versions: true, retention: {max_age: 1d}}
enforcement: {breaker: {max_share: 1}}
`)
	p, _ := planApplied(t, c, objects, time.Now().Add(72*time.Hour))
	for _, it := range p.Items {
		if it.Action != Keep {
			t.Errorf("planned %s %s, want everything kept", it.Action, it.Path)
		}
	}
	if got, err := objectBody(t, cl, "pmk", "all/a.log"); err == nil {
		t.Errorf("GET all/a.log = %q: the held version became current", got)
	}
}

// The version listing of a location is paged and resumed: a small page
// size lists every version once.
func TestVersionsUnderPages(t *testing.T) {
	s, objects := objectEnv(t)
	versionedBucket(t, s, "vpg")
	for i := range 5 {
		for range 3 {
			s.Put(t, "vpg", "p/"+string(rune('a'+i))+".log", []byte("x\n"))
		}
	}
	byKey, keys, err := versionsUnder(context.Background(), objects, "vpg", "p/", 2)
	if err != nil {
		t.Fatal(err)
	}
	if len(keys) != 5 {
		t.Errorf("keys %v, want 5", keys)
	}
	for k, vs := range byKey {
		if len(vs) != 3 {
			t.Errorf("%s: %d versions listed, want 3", k, len(vs))
		}
	}
	_ = s3test.Implementation
}

// Issue 17 (C): the done entry of a redaction with all_versions names the
// old versions deleted after the upload (and the planned entry before it).
func TestRedactAllVersionsDoneEntryNamesVersions(t *testing.T) {
	s, objects := objectEnv(t)
	cl := s.Client()
	versionedBucket(t, s, "rdn")
	v1 := putVersion(t, s, "rdn", "a.log", []byte("one "+cardLine))
	v2 := putVersion(t, s, "rdn", "a.log", []byte("two "+cardLine))
	c := defaultRulesWith(t, "", `locations:
  - {name: rdn, paths: ["s3://rdn/"], allowed: [ip_address], disallowed: redact, all_versions: true}
enforcement: {breaker: {max_share: 1}}
`)
	_, lines := redactApplied(t, c, objects)
	res, planned := results(lines)
	e := res["s3://rdn/a.log"]
	if got := outcomesOf(e.Versions); e.Phase != audit.PhaseDone || got[v1] != audit.VersionDeleted || got[v2] != audit.VersionDeleted {
		t.Errorf("audit entry %+v: versions %v, want done, v1 and v2 deleted", e, got)
	}
	if got := outcomesOf(planned["s3://rdn/a.log"]); got[v1] != audit.VersionPlanned || got[v2] != audit.VersionPlanned {
		t.Errorf("planned versions %v, want v1 and v2", got)
	}
	if vs, ms := versionsLeft(t, cl, "rdn", ""); len(vs["a.log"]) != 1 || ms["a.log"] != 0 {
		t.Errorf("a.log: versions %v, %d markers, want the redacted one alone", vs["a.log"], ms["a.log"])
	}
}

// In a location whose retention counts record times, an object whose
// records are all within retention is not rewritten, but its old
// versions and delete markers that must go do: here a delete marker with
// nothing under it. An object rewritten in the same run has its old
// versions deleted by the rewrite, and the marker's own item finds it
// already gone.
func TestPurgeAllVersionsRecordLocation(t *testing.T) {
	s, objects := objectEnv(t)
	ctx := context.Background()
	cl := s.Client()
	versionedBucket(t, s, "prl")
	line := func(ts time.Time, msg string) string {
		return `{"ts":"` + ts.UTC().Format(time.RFC3339) + `","msg":"` + msg + `"}` + "\n"
	}
	// a.jsonl and b.jsonl: a version deleted under a delete marker, then
	// a new version (a second later: stores time versions to the second).
	markers := map[string]string{}
	for _, key := range []string{"rec/a.jsonl", "rec/b.jsonl"} {
		v1 := putVersion(t, s, "prl", key, []byte(line(time.Now(), "old card 4111 1111 1111 1111")))
		out, err := cl.DeleteObject(ctx, &s3.DeleteObjectInput{Bucket: aws.String("prl"), Key: aws.String(key)})
		if err != nil {
			t.Fatal(err)
		}
		markers[key] = aws.ToString(out.VersionId)
		if _, err := cl.DeleteObject(ctx, &s3.DeleteObjectInput{Bucket: aws.String("prl"), Key: aws.String(key), VersionId: aws.String(v1)}); err != nil {
			t.Fatal(err)
		}
	}
	time.Sleep(1100 * time.Millisecond)
	putVersion(t, s, "prl", "rec/a.jsonl", []byte(line(time.Now(), "new")))
	putVersion(t, s, "prl", "rec/b.jsonl", []byte(line(time.Now().Add(-2*time.Hour), "expired")+line(time.Now(), "new")))
	time.Sleep(1100 * time.Millisecond) // past live_within
	c := loadPolicy(t, "", `locations:
  - {name: rec, paths: ["s3://prl/rec/"], all_versions: true, retention: {max_age: 1h, from: record}}
enforcement: {breaker: {max_share: 1}, live_within: 1s}
`)
	p, _ := planApplied(t, c, objects, time.Now())
	for _, key := range []string{"rec/a.jsonl", "rec/b.jsonl"} {
		vp := VersionPath("s3://prl/"+key, markers[key], true)
		if it := itemFor(p, vp); it == nil || !it.Done || it.Err != nil {
			t.Errorf("%s: %+v, want deleted", vp, it)
		}
		if vs, ms := versionsLeft(t, cl, "prl", key); len(vs[key]) != 1 || ms[key] != 0 {
			t.Errorf("%s: versions %v and %d delete markers, want one version", key, vs[key], ms[key])
		}
	}
	if body, _ := objectBody(t, cl, "prl", "rec/b.jsonl"); strings.Contains(body, "expired") || !strings.Contains(body, "new") {
		t.Errorf("b.jsonl = %q, want its expired record dropped", body)
	}
}

// The circuit breaker counts versions on both sides with all_versions: a
// location's versions in its size, and the old versions that go with an
// object deleted whole in its removals. Deleting every object of a
// location (and so every version) trips it.
func TestPurgeAllVersionsBreakerCountsVersions(t *testing.T) {
	s, objects := objectEnv(t)
	versionedBucket(t, s, "pbr")
	for _, k := range []string{"a", "b", "c", "d"} {
		for range 3 {
			s.Put(t, "pbr", "all/"+k+".log", []byte("x\n"))
		}
	}
	c := loadPolicy(t, "", `locations:
  - {name: all, paths: ["s3://pbr/all/"], all_versions: true, retention: {max_age: 1d}}
`)
	p := planPurge(t, c, PlanOptions{Now: time.Now().Add(72 * time.Hour), Objects: objects})
	x := &Executor{Config: c, Enforce: true, Objects: objects}
	defer x.Close()
	if err := x.Apply(context.Background(), p); err == nil || len(p.Tripped) == 0 {
		t.Errorf("Apply = %v, tripped %v: want the breaker to refuse deleting every version", err, p.Tripped)
	}
	if vs, _ := versionsLeft(t, s.Client(), "pbr", "all/"); len(vs) != 4 {
		t.Errorf("versions left %v, want all", vs)
	}
}
