package bucket_test

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/piiscan/piiscan/internal/s3test"
	"github.com/piiscan/piiscan/scanners/bucket"
	"github.com/piiscan/piiscan/scanners/source"
)

// TestServerStops runs the tests that stop the server, one after the
// other on one server and bucket of 2000 objects (filling it takes
// longer than either test):
//
//   - ScanSurvivesRestart: in the middle of a scan at the default
//     concurrency and with the default retries the store restarts,
//     refusing connections for 2 s; every object is still scanned, and
//     nothing is reported unreadable (the same with every connection
//     reset for 2 s is TestSharedServer/ScanSurvivesConnectionResets);
//   - ResumeAfterOutage: see testResumeAfterOutage.
func TestServerStops(t *testing.T) {
	t.Parallel()
	s := s3test.Start(t)
	s.Bucket(t, "many")
	var keys []string
	for i := range 2000 {
		keys = append(keys, fmt.Sprintf("k/%05d.log", i))
	}
	putMany(t, s, "many", keys, func(i int) []byte { return []byte(fmt.Sprintf("u%d@example.com\n", i)) })
	t.Run("ScanSurvivesRestart", func(t *testing.T) { scanThroughOutage(t, s, "many", len(keys), true) })
	t.Run("ResumeAfterOutage", func(t *testing.T) { testResumeAfterOutage(t, s, "many", keys) })
}

// scanThroughOutage scans the n objects under k/ of bucketName, each with
// one e-mail address, at the default concurrency and with the default
// retries, and after 300 objects (before the second page of the listing)
// the store drops every connection for 2 s (a fault proxy), or, with
// restart, stops and starts 2 s later; every object must still be
// scanned, and none reported unreadable.
func scanThroughOutage(t *testing.T, s *s3test.Server, bucketName string, n int, restart bool) {
	p := s3test.NewProxy(t, s)
	endpoint := p.Endpoint
	if restart {
		endpoint = s.Endpoint
	}
	c := client(t, s, endpoint, bucket.Options{})
	var mu sync.Mutex
	done := 0
	start := time.Now()
	var outage time.Time
	restarted := make(chan struct{})
	sc := readingScanner(t, c, func(source.Item) {
		mu.Lock()
		defer mu.Unlock()
		done++
		if done != 300 { // before the second page of the listing
			return
		}
		outage = time.Now()
		if !restart {
			p.Outage(2 * time.Second)
			close(restarted)
			return
		}
		s.Stop()
		go func() {
			defer close(restarted)
			time.Sleep(2 * time.Second)
			s.Restart()
		}()
	}, bucket.DefaultConcurrency)
	got, st := scan(t, sc, "s3://"+bucketName+"/k/")
	<-restarted
	t.Logf("scanned in %s, outage at %s, %d requests reset by the proxy", time.Since(start).Round(time.Millisecond),
		outage.Sub(start).Round(time.Millisecond), p.Resets())
	if !restart && p.Resets() < bucket.DefaultConcurrency {
		t.Fatalf("only %d requests met the outage", p.Resets())
	}
	if len(st.Problems) != 0 {
		t.Errorf("%d problems, the first: %v", len(st.Problems), st.Problems[0])
	}
	if len(got) != n || st.Files != int64(n) {
		t.Errorf("%d findings in %d objects, want %d", len(got), st.Files, n)
	}
}

// testListResumesAfterOutage: a page that fails beyond the request's own
// retries is asked for again with its continuation token.
func testListResumesAfterOutage(t *testing.T, s *s3test.Server) {
	p := s3test.NewProxy(t, s)
	keys := sharedKeys
	c := client(t, s, p.Endpoint, bucket.Options{MaxAttempts: 1})
	var got []string
	err := c.List(context.Background(), shared, "k/", "", func(o bucket.Object) error {
		got = append(got, o.Key)
		if len(got) == 500 {
			p.Outage(700 * time.Millisecond)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(got, keys) {
		t.Fatalf("listed %d keys, want %d in key order", len(got), len(keys))
	}
	if p.Resets() == 0 {
		t.Error("the outage met no request")
	}
}

// testListGivesUp: a store that stays away fails the listing within the
// bounded wait, and an answer such as NoSuchBucket is not asked again.
func testListGivesUp(t *testing.T, s *s3test.Server) {
	p := s3test.NewProxy(t, s)
	s.Bucket(t, "gone")
	s.Put(t, "gone", "x", []byte("x\n"))
	// Shortened waits (0.55 s instead of 5.5 s): the number of resumes
	// is the same.
	c := client(t, s, p.Endpoint, bucket.QuickRetries(bucket.Options{MaxAttempts: 1}))
	p.Outage(time.Minute)
	start := time.Now()
	err := c.List(context.Background(), "gone", "", "", func(bucket.Object) error { return nil })
	if err == nil || time.Since(start) > 2*time.Second {
		t.Errorf("listing during an outage: %v after %s", err, time.Since(start))
	}
	if p.Resets() != 6 {
		t.Errorf("%d list requests, want 1 and 5 resumes", p.Resets())
	}
	p.Outage(0)
	before := p.Count("GET", "/nope")
	if err := c.List(context.Background(), "nope", "", "", func(bucket.Object) error { return nil }); err == nil {
		t.Error("listing a missing bucket succeeded")
	}
	if n := p.Count("GET", "/nope") - before; n != 1 {
		t.Errorf("a missing bucket was listed %d times", n)
	}
}
