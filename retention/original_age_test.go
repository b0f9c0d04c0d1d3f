package retention

import (
	"context"
	"crypto/md5"
	"crypto/sha256"
	"encoding/base64"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"

	"github.com/piiscan/piiscan/finding"
	"github.com/piiscan/piiscan/retention/audit"
	"github.com/piiscan/piiscan/scansetup"
)

// Redacting a local file keeps its modification time: the data is no
// younger, and retention by mtime counts from it.
func TestRedactKeepsLocalMtime(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	path := filepath.Join(dir, "app", "app.log")
	orig := time.Now().Add(-5 * day).Truncate(time.Second)
	mkfile(t, path, "login user=alice password=hunter2!Secret\n", 0o640, orig)
	c := defaultRulesWith(t, dir, "locations:\n  - {name: app, paths: [$DIR/app], allowed: [ip_address], disallowed: redact, retention: {max_age: 7d}}\n")
	fp := finding.NewFingerprinter([]byte("k"))
	p, err := PlanRedact(ctx, c, locationScanner(t, c, fp), PlanOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if it := itemFor(p, path); it == nil || it.Action != RedactFile {
		t.Fatalf("planned %v, want app.log redacted", actions(p))
	}
	e, err := scansetup.Engine(c)
	if err != nil {
		t.Fatal(err)
	}
	x := &Executor{Config: c, Enforce: true, Engine: e, Audit: audit.Open(filepath.Join(t.TempDir(), "audit.jsonl"), []byte("k"))}
	defer x.Close()
	if err := x.Apply(ctx, p); err != nil {
		t.Fatal(err)
	}
	data, _ := os.ReadFile(path)
	if !strings.Contains(string(data), "[credential]") {
		t.Fatalf("not redacted: %q", data)
	}
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if !fi.ModTime().Equal(orig) {
		t.Errorf("mtime after redaction %v, want %v", fi.ModTime(), orig)
	}
	purge := planPurge(t, c, PlanOptions{Now: orig.Add(8 * day)})
	if got := actions(purge)["app.log"]; got != Delete {
		t.Errorf("8 days after its original mtime the redacted file is planned %q, want %q", got, Delete)
	}
}

// Redacting an object PUTs it again, which gives it a new LastModified.
// The rewrite keeps the original time in x-amz-meta-piiscan-original-mtime
// (an earlier rewrite's, when there is one), and retention by mtime
// counts the object's age from it.
func TestRedactedObjectKeepsItsOriginalAge(t *testing.T) {
	ctx := context.Background()
	s, objects := objectEnv(t)
	s.Bucket(t, "age")
	const pii = "login user=alice password=hunter2!Secret\n"
	s.Put(t, "age", "logs/fresh.log", []byte(pii))
	c := defaultRulesWith(t, "", `locations:
  - {name: logs, paths: ["s3://age/logs/"], allowed: [ip_address], disallowed: redact, retention: {max_age: 7d}}
`)
	mkey := mtimeKey(c)
	if mkey == nil {
		t.Fatal("no key to sign the original time with")
	}
	tenDays := time.Now().Add(-10 * day).UTC().Truncate(time.Millisecond)
	put := func(key, body, meta string) {
		t.Helper()
		putWithMeta(t, s.Client(), "age", key, body, meta)
	}
	// An earlier rewrite's time; a forged one, unsigned; a copy of a
	// signed one under another key (aws s3 cp keeps metadata).
	put("logs/old.log", pii, stampFor(mkey, "age", "logs/old.log", pii, tenDays))
	put("logs/forged.log", "nothing here\n", "2000-01-01T00:00:00Z")
	put("logs/copy.log", pii, stampFor(mkey, "age", "logs/old.log", pii, tenDays))
	head := func(key string) *s3.HeadObjectOutput {
		t.Helper()
		h, err := s.Client().HeadObject(ctx, &s3.HeadObjectInput{Bucket: aws.String("age"), Key: aws.String(key), ChecksumMode: types.ChecksumModeEnabled})
		if err != nil {
			t.Fatal(err)
		}
		return h
	}
	freshPut := aws.ToTime(head("logs/fresh.log").LastModified)

	e, err := scansetup.Engine(c)
	if err != nil {
		t.Fatal(err)
	}
	sc := objectScanner(t, c, objects)
	later := time.Now().Add(time.Hour) // past live_within
	p, err := PlanRedact(ctx, c, sc, PlanOptions{Now: later, Objects: objects})
	if err != nil {
		t.Fatal(err)
	}
	if got := actions(p); got["fresh.log"] != RedactFile || got["old.log"] != RedactFile {
		t.Fatalf("planned %v, want both redacted", got)
	}
	x := &Executor{Config: c, Enforce: true, Engine: e, Objects: objects, Audit: audit.Open(filepath.Join(t.TempDir(), "audit.jsonl"), []byte("k"))}
	defer x.Close()
	if err := x.Apply(ctx, p); err != nil {
		t.Fatal(err)
	}
	for key, want := range map[string]time.Time{"logs/fresh.log": freshPut, "logs/old.log": tenDays} {
		h := head(key)
		if body, _ := objectBody(t, s.Client(), "age", key); !strings.Contains(body, "[credential]") {
			t.Errorf("%s not redacted: %q", key, body)
		}
		got, ok := originalMtime(h.Metadata, mkey, "age", key, headContent(h))
		if !ok || !got.Equal(want) {
			t.Errorf("%s: metadata %v, want %s %v", key, h.Metadata, OriginalMtimeMeta, want)
		}
	}

	// Eight days after fresh.log was put: old.log is 18 days old by its
	// original time (but hours by its LastModified), fresh.log 8 days.
	purge := planPurge(t, c, PlanOptions{Now: freshPut.Add(8 * day), Objects: objects})
	if got := actions(purge); got["old.log"] != Delete || got["fresh.log"] != Delete {
		t.Errorf("8 days on, planned %v, want both deleted", got)
	}
	// Four days on, only old.log is past its retention.
	purge = planPurge(t, c, PlanOptions{Now: freshPut.Add(4 * day), Objects: objects})
	if got := actions(purge); got["old.log"] != Delete || got["fresh.log"] != Keep {
		t.Errorf("4 days on, planned %v, want old.log deleted and fresh.log kept", got)
	}
	// Metadata anyone could write, or copied from another object, does not
	// age new data.
	if got := actions(purge); got["forged.log"] != Keep || got["copy.log"] != Keep {
		t.Errorf("4 days on, planned %v, want the forged and the copied times ignored", got)
	}
}

// stampFor returns the x-amz-meta-piiscan-original-mtime value a rewrite
// by piiscan gives body at key of bucket b, keeping the original time tm.
func stampFor(mkey []byte, b, key, body string, tm time.Time) string {
	s256, s5 := sha256.Sum256([]byte(body)), md5.Sum([]byte(body))
	return stampMtime(mkey, b, key, tm, objectContent{size: int64(len(body)), sha256: s256[:], md5: s5[:]})
}

// putWithMeta stores body at key of bucket b with its SHA-256 checksum
// (as piiscan uploads) and meta, when not empty, as
// x-amz-meta-piiscan-original-mtime.
func putWithMeta(t *testing.T, cl *s3.Client, b, key, body, meta string) {
	t.Helper()
	sum := sha256.Sum256([]byte(body))
	in := &s3.PutObjectInput{Bucket: aws.String(b), Key: aws.String(key), Body: strings.NewReader(body),
		ChecksumAlgorithm: types.ChecksumAlgorithmSha256, ChecksumSHA256: aws.String(base64.StdEncoding.EncodeToString(sum[:]))}
	if meta != "" {
		in.Metadata = map[string]string{OriginalMtimeMeta: meta}
	}
	if _, err := cl.PutObject(context.Background(), in); err != nil {
		t.Fatal(err)
	}
}
