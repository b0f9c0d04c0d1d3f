package bucket_test

import (
	"archive/tar"
	"archive/zip"
	"bytes"
	"context"
	"fmt"
	"os"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/klauspost/compress/gzip"

	"github.com/piiscan/piiscan/finding"
	"github.com/piiscan/piiscan/internal/s3test"
	"github.com/piiscan/piiscan/scanners"
	"github.com/piiscan/piiscan/scanners/bucket"
	"github.com/piiscan/piiscan/scanners/detect"
	"github.com/piiscan/piiscan/scanners/detect/catalog"
	"github.com/piiscan/piiscan/scanners/source"
)

// TestMain gives every client of the tests the credentials of the test
// servers (all alike) through the environment, once, so that tests can
// run in parallel (t.Setenv cannot).
func TestMain(m *testing.M) {
	for k, v := range map[string]string{"AWS_ACCESS_KEY_ID": s3test.AccessKey, "AWS_SECRET_ACCESS_KEY": s3test.SecretKey,
		"AWS_REGION": s3test.Region, "AWS_EC2_METADATA_DISABLED": "true"} {
		os.Setenv(k, v)
	}
	os.Exit(m.Run())
}

// client returns a client of the store at endpoint (a server s or a proxy
// in front of it).
func client(t testing.TB, s *s3test.Server, endpoint string, opts bucket.Options) *bucket.Client {
	t.Helper()
	opts.Endpoint, opts.PathStyle = endpoint, true
	c, err := bucket.New(context.Background(), opts)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func scanner(t testing.TB, objects *bucket.Client, done func(source.Item)) *scanners.Scanner {
	t.Helper()
	return readingScanner(t, objects, done, 0)
}

// readingScanner is a scanner that reads readers objects at once (0: as
// many as it has workers).
func readingScanner(t testing.TB, objects *bucket.Client, done func(source.Item), readers int) *scanners.Scanner {
	t.Helper()
	var rules []detect.Rule
	for _, b := range catalog.Detectors() {
		rules = append(rules, detect.Rule{ID: b.Name, Detector: b.Name, Severity: finding.SeverityMedium})
	}
	e, err := detect.New(rules, detect.Options{})
	if err != nil {
		t.Fatal(err)
	}
	sc, err := scanners.New(scanners.Options{Engine: e, Workers: 4, Fingerprints: finding.NewFingerprinter([]byte("k")),
		Sources: []source.Source{bucket.Source{Client: objects}}, ItemDone: done, Readers: readers})
	if err != nil {
		t.Fatal(err)
	}
	return sc
}

func scan(t testing.TB, sc *scanners.Scanner, targets ...string) ([]finding.Finding, *scanners.Stats) {
	t.Helper()
	var out []finding.Finding
	var mu sync.Mutex
	st, err := sc.Scan(context.Background(), targets, scanners.SinkFunc(func(f *finding.Finding) error {
		mu.Lock()
		out = append(out, *f)
		mu.Unlock()
		return nil
	}))
	if err != nil {
		t.Fatal(err)
	}
	return out, st
}

// putMany stores n small objects concurrently, through one client (its
// connections reused).
func putMany(t testing.TB, s *s3test.Server, bucketName string, keys []string, body func(i int) []byte) {
	cl := s.Client()
	var wg sync.WaitGroup
	sem := make(chan struct{}, 16)
	for i, k := range keys {
		sem <- struct{}{}
		wg.Go(func() {
			defer func() { <-sem }()
			if _, err := cl.PutObject(context.Background(), &s3.PutObjectInput{Bucket: aws.String(bucketName), Key: aws.String(k),
				Body: bytes.NewReader(body(i))}); err != nil {
				t.Errorf("put %s/%s: %v", bucketName, k, err)
			}
		})
	}
	wg.Wait()
	if t.Failed() {
		t.FailNow()
	}
}

func testListPagination(t *testing.T, s *s3test.Server) {
	p := s3test.NewProxy(t, s)
	c := client(t, s, p.Endpoint, bucket.Options{})
	var got []string
	if err := c.List(context.Background(), shared, "", "", func(o bucket.Object) error {
		got = append(got, o.Key)
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	all := slices.Concat(sharedOthers, sharedKeys)
	slices.Sort(all)
	if !slices.Equal(got, all) {
		t.Fatalf("listed %d keys, want %d in key order", len(got), len(all))
	}
	if n := p.Count("GET", "/"+shared); n < 3 {
		t.Errorf("%d list requests for %d keys: no pagination?", n, len(all))
	}
	// A prefix and a start-after key: the keys after it under the
	// prefix, none of the keys around.
	got = nil
	if err := c.List(context.Background(), shared, "k/", "k/01000.log", func(o bucket.Object) error { got = append(got, o.Key); return nil }); err != nil {
		t.Fatal(err)
	}
	if want := sharedKeys[slices.Index(sharedKeys, "k/01000.log")+1:]; !slices.Equal(got, want) {
		t.Errorf("prefix listing: %d keys from %q, want %d from %q", len(got), got[:min(1, len(got))], len(want), want[0])
	}
}

func gzBytes(p []byte) []byte {
	var b bytes.Buffer
	w := gzip.NewWriter(&b)
	w.Write(p)
	w.Close()
	return b.Bytes()
}

func testScanBucket(t *testing.T, s *s3test.Server) {
	p := s3test.NewProxy(t, s)
	s.Bucket(t, "data")
	s.Put(t, "data", "logs/app.log", []byte("start\nmail carol@example.com\n"))
	s.Put(t, "data", "logs/app.log.1.gz", gzBytes([]byte("card 4111 1111 1111 1111\n")))
	var tb bytes.Buffer
	tw := tar.NewWriter(&tb)
	users := []byte("id,full_name,ssn\n1,Grace Hopper,123-45-6788\n")
	tw.WriteHeader(&tar.Header{Name: "dump/users.csv", Mode: 0o644, Size: int64(len(users))})
	tw.Write(users)
	tw.Close()
	s.Put(t, "data", "backups/db.tar.gz", gzBytes(tb.Bytes()))
	var zb bytes.Buffer
	zw := zip.NewWriter(&zb)
	w, _ := zw.Create("notes/patient.txt")
	w.Write([]byte("patient diagnosed with asthma\n"))
	zw.Close()
	s.Put(t, "data", "backups/notes.zip", zb.Bytes())
	s.Put(t, "data", "logs/skip.tmp", []byte("dave@example.com\n"))
	s.Put(t, "data", "logs/huge.log", bytes.Repeat([]byte("erin@example.com\n"), 4096))

	c := client(t, s, p.Endpoint, bucket.Options{Exclude: []string{"*.tmp"}, MaxSize: 32 << 10})
	got, st := scan(t, scanner(t, c, nil), "s3://data/")
	var keys []string
	for _, f := range got {
		keys = append(keys, fmt.Sprintf("%s:%d:%d %s", f.Path, f.Line, f.Column, f.Class))
	}
	want := []string{
		"s3://data/backups/db.tar.gz!dump/users.csv:2:3 person_name",
		"s3://data/backups/db.tar.gz!dump/users.csv:2:16 us_ssn",
		"s3://data/backups/notes.zip!notes/patient.txt:1:24 health",
		"s3://data/logs/app.log:2:6 email",
		"s3://data/logs/app.log.1.gz:1:6 credit_card",
	}
	if !slices.Equal(keys, want) {
		t.Errorf("got  %q\nwant %q", keys, want)
	}
	if len(st.Problems) != 0 || st.Files != 4 {
		t.Errorf("stats %+v", st)
	}
	// Filters act before any GET.
	if n := p.Requests("GET /data/logs/skip.tmp") + p.Requests("GET /data/logs/huge.log"); n != 0 {
		t.Errorf("%d GETs of filtered objects", n)
	}
}

func testScanSurvivesThrottlingAndResets(t *testing.T, s *s3test.Server) {
	p := s3test.NewProxy(t, s)
	s.Bucket(t, "logs")
	big := append(bytes.Repeat([]byte("GET /healthz 200 all good here\n"), 80000), []byte("last line frank@example.com\n")...)
	s.Put(t, "logs", "big.log", big)
	for i := range 20 {
		s.Put(t, "logs", fmt.Sprintf("small/%02d.log", i), []byte(fmt.Sprintf("user%d@example.com\n", i)))
	}
	// Shortened waits: what counts is that throttling and a cut GET are
	// retried, not how long the default backoff waits.
	c := client(t, s, p.Endpoint, bucket.QuickRetries(bucket.Options{}))
	p.SlowDown(6)
	p.CutNextGET("/big.log", 1<<20)
	got, st := scan(t, scanner(t, c, nil), "s3://logs")
	if len(got) != 21 || len(st.Problems) != 0 {
		t.Fatalf("%d findings, problems %v", len(got), st.Problems)
	}
	if got[0].Path != "s3://logs/big.log" || got[0].Line != 80001 {
		t.Errorf("big.log finding %+v", got[0])
	}
	if n := p.Requests("GET /logs/big.log"); n < 2 {
		t.Errorf("big.log was fetched %d times: the cut GET was not resumed", n)
	}
}

// testResumeAfterOutage: a scan of the objects keys under k/ of
// bucketName (two pages of a listing or more, each with one e-mail
// address) fails when the server goes away after 300 objects; a second
// run from its checkpoint scans the rest, and nothing before the
// checkpoint again.
func testResumeAfterOutage(t *testing.T, s *s3test.Server, bucketName string, keys []string) {
	target := "s3://" + bucketName + "/k/"
	// First run: the server goes away after 300 objects are done.
	var mu sync.Mutex
	checkpoint, done := "", 0
	// Shortened waits: the objects after the outage fail all the same,
	// sooner.
	c := client(t, s, s.Endpoint, bucket.QuickRetries(bucket.Options{MaxAttempts: 2}))
	sc := scanner(t, c, func(it source.Item) {
		mu.Lock()
		defer mu.Unlock()
		checkpoint = it.Cursor
		done++
		if done == 300 {
			go s.Stop()
		}
	})
	first, st := scan(t, sc, target)
	if len(st.Problems) == 0 {
		t.Fatal("the outage was not noticed")
	}
	if checkpoint == "" || checkpoint >= keys[len(keys)-1] {
		t.Fatalf("checkpoint %q", checkpoint)
	}
	// Second run resumes after the checkpoint.
	s.Restart()
	c2 := client(t, s, s.Endpoint, bucket.Options{StartAfter: map[string]string{target: checkpoint}})
	second, st2 := scan(t, scanner(t, c2, nil), target)
	if len(st2.Problems) != 0 {
		t.Fatalf("second run problems: %v", st2.Problems)
	}
	seen := map[string]bool{}
	for _, f := range first {
		if strings.TrimPrefix(f.Path, "s3://"+bucketName+"/") <= checkpoint {
			seen[f.Path] = true
		}
	}
	for _, f := range second {
		if strings.TrimPrefix(f.Path, "s3://"+bucketName+"/") <= checkpoint {
			t.Fatalf("the second run scanned %s again, before the checkpoint %s", f.Path, checkpoint)
		}
		seen[f.Path] = true
	}
	if len(seen) != len(keys) {
		t.Errorf("%d of %d objects scanned across both runs (checkpoint %s)", len(seen), len(keys), checkpoint)
	}
}
