package retention

import (
	"context"
	"crypto/hmac"
	"crypto/md5"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
)

// The original time a redaction keeps counts only for the content
// piiscan uploaded. A writer that keeps an object's metadata when it
// replaces the data (a copy with metadata, rclone, an SDK helper that
// reads, modifies and writes), or copies the header value, stores new
// data at the same key with the same value: the new data counts from its
// own LastModified, whether the store gives the SHA-256 checksum back or
// only an MD5 ETag. A copy to another key, and a value of the format
// before content was bound (v1), are ignored too; an object redacted and
// left alone keeps its original age.
func TestOriginalTimeBoundToContent(t *testing.T) {
	ctx := context.Background()
	s, objects := objectEnv(t)
	cl := s.Client()
	s.Bucket(t, "bound")
	const pii = "login user=alice password=hunter2!Secret\n"
	c := defaultRulesWith(t, "", `locations:
  - {name: logs, paths: ["s3://bound/logs/"], allowed: [ip_address], disallowed: redact, retention: {max_age: 7d}}
`)
	mkey := mtimeKey(c)
	tenDays := time.Now().Add(-10 * day).UTC().Truncate(time.Millisecond)
	// Rewritten by piiscan ten days after they were first written (an
	// earlier record filtering), with PII left to redact now.
	for _, k := range []string{"logs/a.log", "logs/b.log", "logs/c.log"} {
		putWithMeta(t, cl, "bound", k, pii, stampFor(mkey, "bound", k, pii, tenDays))
	}
	// Stamped by an older piiscan: signed, but for no content.
	ts := tenDays.Format(time.RFC3339Nano)
	m := hmac.New(sha256.New, mkey)
	m.Write([]byte("bound\x00logs/v1.log\x00" + ts))
	putWithMeta(t, cl, "bound", "logs/v1.log", pii, ts+" "+hex.EncodeToString(m.Sum(nil)[:16]))

	p, _ := redactApplied(t, c, objects)
	for _, it := range p.Items {
		if it.Action != RedactFile || !it.Done || it.Err != nil {
			t.Fatalf("%s: %s done=%v err=%v, want redacted", it.Path, it.Action, it.Done, it.Err)
		}
	}

	// a.log: new data PUT with the metadata of the redacted object (the
	// SDK's default checksum, CRC32); b.log: new data with its own
	// SHA-256 checksum and the header value copied; copy.log: the
	// redacted a.log copied with its metadata to another key.
	if _, err := cl.CopyObject(ctx, &s3.CopyObjectInput{Bucket: aws.String("bound"), Key: aws.String("logs/copy.log"), CopySource: aws.String("bound/logs/a.log")}); err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"logs/a.log", "logs/b.log"} {
		h, err := cl.HeadObject(ctx, &s3.HeadObjectInput{Bucket: aws.String("bound"), Key: aws.String(k)})
		if err != nil {
			t.Fatal(err)
		}
		if h.Metadata[OriginalMtimeMeta] == "" {
			t.Fatalf("%s: no %s after redaction: %v", k, OriginalMtimeMeta, h.Metadata)
		}
		in := &s3.PutObjectInput{Bucket: aws.String("bound"), Key: aws.String(k), Body: strings.NewReader("brand new data\n"), Metadata: h.Metadata}
		if k == "logs/b.log" {
			sum := sha256.Sum256([]byte("brand new data\n"))
			in.ChecksumAlgorithm, in.ChecksumSHA256 = types.ChecksumAlgorithmSha256, aws.String(base64.StdEncoding.EncodeToString(sum[:]))
		}
		if _, err := cl.PutObject(ctx, in); err != nil {
			t.Fatal(err)
		}
	}

	want := map[string]string{"a.log": Keep, "b.log": Keep, "copy.log": Keep, "v1.log": Keep, "c.log": Delete}
	check := func(name string, p *Plan) {
		t.Helper()
		got := actions(p)
		for k, w := range want {
			if got[k] != w {
				t.Errorf("%s: %s planned %q, want %q (plan %v)", name, k, got[k], w, got)
			}
		}
		// The object itself is younger than the age counted: said.
		if it := itemFor(p, "s3://bound/logs/c.log"); it == nil || !strings.Contains(it.Reason, "modified 10d ago (original time kept when piiscan rewrote it; object written ") {
			t.Errorf("%s: c.log: %+v", name, it)
		}
		if len(p.Problems) > 0 {
			t.Errorf("%s: problems %v", name, p.Problems)
		}
	}
	// Two hours on (past enforcement.live_within): only the redacted
	// object left alone is past its retention, by the time kept from
	// ten days ago.
	now := time.Now().Add(2 * time.Hour)
	purge := planPurge(t, c, PlanOptions{Now: now, Objects: objects})
	check("SHA-256 checksums", purge)

	// A store that gives no checksum back: the MD5 ETag vouches for the
	// content instead.
	noSums := proxyClient(t, s, func(w http.ResponseWriter, r *http.Request, forward http.Handler) {
		forward.ServeHTTP(stripChecksums(w), r)
	})
	purge = planPurge(t, c, PlanOptions{Now: now, Objects: noSums})
	check("MD5 ETags", purge)
}

// headerRewriter changes the headers of a response before they are sent.
type headerRewriter struct {
	http.ResponseWriter
	rewrite func(http.Header)
}

func (h headerRewriter) WriteHeader(code int) {
	h.rewrite(h.Header())
	h.ResponseWriter.WriteHeader(code)
}

// stripChecksums drops the x-amz-checksum-* headers of a response, as a
// store that keeps no checksums answers.
func stripChecksums(w http.ResponseWriter) http.ResponseWriter {
	return headerRewriter{w, func(h http.Header) {
		for k := range h {
			if strings.HasPrefix(strings.ToLower(k), "x-amz-checksum-") {
				h.Del(k)
			}
		}
	}}
}

// When neither the checksum nor an MD5 ETag vouches for the content (a
// store that keeps no checksum, an object encrypted with SSE-KMS or
// uploaded in parts), the original time is not trusted: the object counts
// from its LastModified, later, never earlier.
func TestOriginalTimeUnverifiable(t *testing.T) {
	s, _ := objectEnv(t)
	s.Bucket(t, "unver")
	c := defaultRulesWith(t, "", `locations:
  - {name: logs, paths: ["s3://unver/logs/"], retention: {max_age: 7d}}
`)
	mkey := mtimeKey(c)
	body := "redacted [credential]\n"
	putWithMeta(t, s.Client(), "unver", "logs/x.log", body, stampFor(mkey, "unver", "logs/x.log", body, time.Now().Add(-10*day)))
	// No checksum, and an ETag that is no MD5 (a multipart upload's).
	opaque := proxyClient(t, s, func(w http.ResponseWriter, r *http.Request, forward http.Handler) {
		forward.ServeHTTP(headerRewriter{stripChecksums(w), func(h http.Header) {
			h.Set("ETag", `"0123456789abcdef0123456789abcdef-2"`)
		}}, r)
	})
	p := planPurge(t, c, PlanOptions{Now: time.Now().Add(time.Hour), Objects: opaque})
	if got := actions(p)["x.log"]; got != Keep {
		t.Errorf("with nothing to verify the content against, planned %q, want %q", got, Keep)
	}
	// Through the store itself, the same object is ten days old.
	p = planPurge(t, c, PlanOptions{Now: time.Now().Add(time.Hour), Objects: clientAt(t, s.Endpoint)})
	if got := actions(p)["x.log"]; got != Delete {
		t.Errorf("with its checksum, planned %q, want %q", got, Delete)
	}
}

// A HEAD that fails while a purge is planned leaves the object by its
// LastModified (kept: it looks younger, never older), and the plan says
// so as a problem instead of keeping it silently: the object may be due.
// An object gone since it was listed is no problem.
func TestPlanReportsUnreadOriginalTime(t *testing.T) {
	s, _ := objectEnv(t)
	s.Bucket(t, "headless")
	s.Put(t, "headless", "logs/x.log", []byte("x\n"))
	c := defaultRulesWith(t, "", `locations:
  - {name: logs, paths: ["s3://headless/logs/"], retention: {max_age: 7d}}
`)
	refusing := func(code int) func(w http.ResponseWriter, r *http.Request, forward http.Handler) {
		return func(w http.ResponseWriter, r *http.Request, forward http.Handler) {
			if r.Method == http.MethodHead {
				w.WriteHeader(code)
				return
			}
			forward.ServeHTTP(w, r)
		}
	}
	now := time.Now().Add(2 * time.Hour)
	p := planPurge(t, c, PlanOptions{Now: now, Objects: proxyClient(t, s, refusing(http.StatusForbidden))})
	const path = "s3://headless/logs/x.log"
	if it := itemFor(p, path); it == nil || it.Action != Keep || !strings.Contains(it.Reason, "original time could not be read") {
		t.Errorf("item %+v, want kept, saying why", it)
	}
	if len(p.Problems) != 1 || p.Problems[0].Path != path || !strings.Contains(p.Problems[0].Error, "could not read its original time") ||
		!strings.Contains(p.Problems[0].Error, "403") {
		t.Errorf("problems %+v, want the HEAD's failure for %s", p.Problems, path)
	}

	p = planPurge(t, c, PlanOptions{Now: now, Objects: proxyClient(t, s, refusing(http.StatusNotFound))})
	if it := itemFor(p, path); it == nil || it.Action != Keep || len(p.Problems) != 0 {
		t.Errorf("object gone before the HEAD: item %+v, problems %v", it, p.Problems)
	}
}

// originalMtime trusts a value only for the content the store vouches
// for: the SHA-256 checksum when it gives one (an MD5 ETag cannot stand
// in for a checksum that differs), else the MD5 ETag; and only for the
// bucket, key and size it was signed for, in the current format.
func TestOriginalMtimeVerifies(t *testing.T) {
	mkey := []byte("0123456789abcdef0123456789abcdef")
	tm := time.Date(2026, 1, 2, 3, 4, 5, 6, time.UTC)
	const body = "redacted [credential]\n"
	stamp := stampFor(mkey, "b", "k", body, tm)
	s256, s5 := sha256.Sum256([]byte(body)), md5.Sum([]byte(body))
	other256, other5 := sha256.Sum256([]byte("other")), md5.Sum([]byte("other"))
	n := int64(len(body))
	ts := tm.Format(time.RFC3339Nano)
	for _, tc := range []struct {
		name      string
		value     string
		key       string
		c         objectContent
		wantValid bool
	}{
		{"checksum", stamp, "k", objectContent{size: n, sha256: s256[:]}, true},
		{"checksum and ETag", stamp, "k", objectContent{size: n, sha256: s256[:], md5: s5[:]}, true},
		{"ETag only", stamp, "k", objectContent{size: n, md5: s5[:]}, true},
		{"neither", stamp, "k", objectContent{size: n}, false},
		{"other content", stamp, "k", objectContent{size: n, sha256: other256[:], md5: other5[:]}, false},
		{"other checksum, same ETag", stamp, "k", objectContent{size: n, sha256: other256[:], md5: s5[:]}, false},
		{"other ETag", stamp, "k", objectContent{size: n, md5: other5[:]}, false},
		{"other size", stamp, "k", objectContent{size: n + 1, sha256: s256[:]}, false},
		{"other key", stamp, "k2", objectContent{size: n, sha256: s256[:]}, false},
		{"version 1", ts + " 0123456789abcdef0123456789abcdef", "k", objectContent{size: n, sha256: s256[:]}, false},
		{"unknown version", "v3" + strings.TrimPrefix(stamp, "v2"), "k", objectContent{size: n, sha256: s256[:]}, false},
		{"time changed", strings.Replace(stamp, "2026", "2020", 1), "k", objectContent{size: n, sha256: s256[:]}, false},
		{"truncated", stamp[:strings.LastIndex(stamp, ";")], "k", objectContent{size: n, sha256: s256[:]}, false},
	} {
		got, ok := originalMtime(map[string]string{"Piiscan-Original-Mtime": tc.value}, mkey, "b", tc.key, tc.c)
		if ok != tc.wantValid || ok && !got.Equal(tm) {
			t.Errorf("%s: %v %v, want valid=%v", tc.name, got, ok, tc.wantValid)
		}
	}
	if _, ok := originalMtime(map[string]string{OriginalMtimeMeta: stamp}, nil, "b", "k", objectContent{size: n, sha256: s256[:]}); ok {
		t.Error("trusted without a key")
	}
}
