package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"

	"github.com/piiscan/piiscan/internal/s3test"
)

func TestScanS3(t *testing.T) {
	s := s3test.Start(t)
	s.Env(t)
	s.Bucket(t, "logs")
	s.Put(t, "logs", "web/access.log", []byte("192.0.2.7 - - [01/Mar/2024:10:00:00 +0000] \"GET /?mail=bob@example.com\" 200 1\n"))
	s.Put(t, "logs", "web/old.log", []byte("203.0.113.9 - - x\n"))
	s.Put(t, "logs", "web/big.log", []byte(strings.Repeat("carol@example.com\n", 1000)))
	checkpoint := filepath.Join(t.TempDir(), "cp.json")
	code, out, errs := runCLI(t, "", "scan", "--s3-path-style", "--max-size", "4KiB", "--checkpoint", checkpoint,
		"--format", "jsonl", "s3://logs/web/")
	if code != exitFindings {
		t.Fatalf("exit %d\n%s\n%s", code, out, errs)
	}
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if len(lines) != 3 || !strings.Contains(lines[0], `"path":"s3://logs/web/access.log","line":1,"column":1,"length":9,"class":"ip_address"`) ||
		!strings.Contains(out, `"path":"s3://logs/web/old.log"`) || strings.Contains(out, "big.log") {
		t.Errorf("findings:\n%s", out)
	}
	if _, err := os.Stat(checkpoint); !os.IsNotExist(err) {
		t.Error("a finished scan left its checkpoint")
	}
	// The server gone: the objects cannot be read, exit 3.
	s.Stop()
	code, _, errs = runCLI(t, "", "scan", "--s3-path-style", "--s3-max-attempts", "1", "s3://logs/web/")
	if code != exitUnreadable || !strings.Contains(errs, "cannot read s3://logs/web/") {
		t.Errorf("server down: exit %d %s", code, errs)
	}
	if code, _, errs := runCLI(t, "", "scan", "--newer-than", "soon", "s3://logs/"); code != exitUsage || !strings.Contains(errs, "--newer-than") {
		t.Errorf("bad --newer-than: %d %s", code, errs)
	}
}

func TestS3Retention(t *testing.T) {
	s := s3test.Start(t)
	p := s3test.NewProxy(t, s)
	s.Env(t)
	t.Setenv("AWS_ENDPOINT_URL", p.Endpoint)
	c := s.Client()
	ctx := context.Background()
	now := time.Now().UTC()
	s.Bucket(t, "ret")
	s.Bucket(t, "red")
	fresh := fmt.Sprintf(`{"ts":"%s","msg":"fresh"}`+"\n", now.Format(time.RFC3339))
	s.Put(t, "ret", "logs/app.jsonl", []byte(`{"ts":"2020-01-01T00:00:00Z","msg":"old"}`+"\n"+fresh))
	s.Put(t, "ret", "old/x.log", []byte("x\n"))
	s.Put(t, "ret", "old/y.log", []byte("y\n"))
	s.Put(t, "ret", "held/keep.log", []byte("k\n"))
	if _, err := c.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String("locked"), ObjectLockEnabledForBucket: aws.Bool(true)}); err != nil {
		t.Fatal(err)
	}
	s.Put(t, "locked", "a.log", []byte("a\n"))
	if _, err := c.PutObjectLegalHold(ctx, &s3.PutObjectLegalHoldInput{Bucket: aws.String("locked"), Key: aws.String("a.log"),
		LegalHold: &types.ObjectLockLegalHold{Status: types.ObjectLockLegalHoldStatusOn}}); err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	policy := s3EnforcePolicy(t, dir, `locations:
  - {name: app, paths: ["s3://ret/logs/"], retention: {max_age: 30d, from: record}}
  - {name: old, paths: ["s3://ret/old/"], retention: {max_age: 1d}}
  - {name: held, paths: ["s3://ret/held/"], retention: {max_age: 1d}}
  - {name: locked, paths: ["s3://locked/"], retention: {max_age: 1d}}
  - {name: exports, paths: ["s3://red/"], allowed: [email], disallowed: redact}
holds:
  - {paths: ["s3://ret/held/"], reason: audit 2025}
`)
	t.Setenv("PIISCAN_NOW", now.Add(48*time.Hour).Format(time.RFC3339))

	code, out, errs := runCLI(t, "", "--config", policy, "purge")
	if code != exitOK || !strings.Contains(out, "S3 Object Lock legal hold") || !strings.Contains(out, "legal hold: audit 2025") {
		t.Fatalf("dry run: exit %d\n%s\n%s", code, out, errs)
	}
	// Not knowing whether a hold protects an object keeps it: here the
	// role may not ask (403 on the legal-hold check).
	s.Put(t, "locked", "b.log", []byte("b\n"))
	p.Deny("legal-hold")
	code, out, errs = runCLI(t, "", "--config", policy, "purge")
	if code != exitOK || !strings.Contains(out, "S3 Object Lock could not be checked") || !strings.Contains(out, "AccessDenied") {
		t.Fatalf("lock check denied: exit %d\n%s\n%s", code, out, errs)
	}
	p.Deny("")
	if _, err := c.DeleteObject(ctx, &s3.DeleteObjectInput{Bucket: aws.String("locked"), Key: aws.String("b.log")}); err != nil {
		t.Fatal(err)
	}
	code, out, errs = runCLI(t, "", "--config", policy, "purge", "--enforce")
	if code != exitOK {
		t.Fatalf("enforce: exit %d\n%s\n%s", code, out, errs)
	}
	get := func(b, k string) (string, error) { return objectText(ctx, c, b, k) }
	if got, err := get("ret", "logs/app.jsonl"); err != nil || got != fresh {
		t.Errorf("app.jsonl = %q, %v", got, err)
	}
	for _, k := range []string{"old/x.log", "old/y.log"} {
		if _, err := get("ret", k); err == nil {
			t.Errorf("%s not deleted", k)
		}
	}
	if p.Requests("POST /ret") != 1 {
		t.Errorf("%d DeleteObjects calls for the two expired objects, want 1", p.Requests("POST /ret"))
	}
	if _, err := get("ret", "held/keep.log"); err != nil {
		t.Errorf("held object: %v", err)
	}
	if _, err := get("locked", "a.log"); err != nil {
		t.Errorf("object under an Object Lock legal hold: %v", err)
	}

	// Redaction keeps the object's content type, metadata and tags.
	if _, err := c.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String("red"), Key: aws.String("u.jsonl"),
		Body: strings.NewReader(`{"user":"a@example.com","card":"4111 1111 1111 1111"}` + "\n"), ContentType: aws.String("application/x-ndjson"),
		Metadata: map[string]string{"team": "payments"}, Tagging: aws.String("env=prod&owner=billing")}); err != nil {
		t.Fatal(err)
	}
	t.Setenv("PIISCAN_NOW", now.Add(time.Hour).Format(time.RFC3339))
	code, out, errs = runCLI(t, "", "--config", policy, "redact", "--enforce")
	if code != exitOK {
		t.Fatalf("redact: exit %d\n%s\n%s", code, out, errs)
	}
	if got, _ := get("red", "u.jsonl"); got != `{"user":"a@example.com","card":"[credit_card:…1111]"}`+"\n" {
		t.Errorf("redacted object %q", got)
	}
	h, err := c.HeadObject(ctx, &s3.HeadObjectInput{Bucket: aws.String("red"), Key: aws.String("u.jsonl")})
	if err != nil || aws.ToString(h.ContentType) != "application/x-ndjson" || h.Metadata["team"] != "payments" {
		t.Errorf("head after redaction: %v %v %v", aws.ToString(h.ContentType), h.Metadata, err)
	}
	tags, err := c.GetObjectTagging(ctx, &s3.GetObjectTaggingInput{Bucket: aws.String("red"), Key: aws.String("u.jsonl")})
	if err != nil || len(tags.TagSet) != 2 {
		t.Errorf("tags after redaction: %+v %v", tags, err)
	}
	// Erasure of a subject rewrites the object the same way.
	code, out, errs = runCLI(t, "", "--config", policy, "erase", "--subject", "email=A@Example.com", "--enforce")
	if code != exitOK {
		t.Fatalf("erase: exit %d\n%s\n%s", code, out, errs)
	}
	if got, _ := get("red", "u.jsonl"); strings.Contains(got, "a@example.com") || !strings.Contains(got, "[email:erased]") {
		t.Errorf("erased object %q", got)
	}
	if code, out, _ := runCLI(t, "", "--config", policy, "audit", "verify"); code != exitOK || !strings.Contains(out, "10 entries") {
		t.Errorf("audit: %d %s", code, out)
	}
}

// A scan job over a bucket filters the listing as `piiscan scan` does:
// scan.exclude and scan.max_size keep objects from being read.
func TestRunJobFiltersObjects(t *testing.T) {
	s := s3test.Start(t)
	s.Env(t)
	s.Bucket(t, "joblogs")
	s.Put(t, "joblogs", "web/app.log", []byte("bob@example.com\n"))
	s.Put(t, "joblogs", "web/skip.log", []byte("carol@example.com\n"))
	s.Put(t, "joblogs", "web/big.log", []byte(strings.Repeat("dave@example.com\n", 1000)))
	b := runS3AuditShard(t, `scan: {exclude: ["skip.log"], max_size: 4KiB}
`, "s3://joblogs/web/")
	if !strings.Contains(b, "s3://joblogs/web/app.log") || strings.Contains(b, "skip.log") || strings.Contains(b, "big.log") {
		t.Errorf("findings file:\n%s", b)
	}
}

// runS3AuditShard runs the manual scan job audit of a rules.yaml with the
// lines extra, an email rule and one location at path, as the only shard,
// expects exit 1 (findings) and returns its findings file.
func runS3AuditShard(t *testing.T, extra, path string) string {
	t.Helper()
	dir := t.TempDir()
	policy := filepath.Join(dir, "rules.yaml")
	os.WriteFile(policy, []byte(fmt.Sprintf(`version: 1
%ss3: {path_style: true}
rules:
  - {id: email, detector: email, severity: medium}
locations:
  - {name: web, paths: [%q]}
jobs:
  - {name: audit, schedule: manual, action: scan}
state: {path: %s}
`, extra, path, filepath.Join(dir, "state.db"))), 0o644)
	out := filepath.Join(dir, "out")
	if code, _, errs := runCLI(t, "", "--config", policy, "run", "audit", "--shard", "0/1", "--shard-output", out); code != exitFindings {
		t.Fatalf("exit %d\n%s", code, errs)
	}
	b, err := os.ReadFile(filepath.Join(out, "shard-00000-of-00001.jsonl"))
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// objectText reads the object key of bucket b as text, or says why it
// cannot (a deleted object, say).
func objectText(ctx context.Context, c *s3.Client, b, key string) (string, error) {
	o, err := c.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String(b), Key: aws.String(key)})
	if err != nil {
		return "", err
	}
	defer o.Body.Close()
	data, err := io.ReadAll(o.Body)
	return string(data), err
}

// s3EnforcePolicy writes dir/rules.yaml with an email and a card rule,
// path-style S3 access, the sections given (locations, holds) and an
// enforcement section (dir/audit.jsonl, a breaker that lets every action
// through), and returns its path.
func s3EnforcePolicy(t *testing.T, dir, sections string) string {
	t.Helper()
	policy := filepath.Join(dir, "rules.yaml")
	err := os.WriteFile(policy, []byte(fmt.Sprintf(`version: 1
rules:
  - {id: email, detector: email, severity: medium}
  - {id: card, detector: credit_card, severity: critical}
s3: {path_style: true}
%[2]senforcement:
  audit_log: %[1]s/audit.jsonl
  breaker: {max_share: 1}
`, dir, sections)), 0o644)
	if err != nil {
		t.Fatal(err)
	}
	return policy
}
