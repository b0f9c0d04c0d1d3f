package retention

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"slices"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
)

// resetConn resets the connection of w without an answer, as a store that
// restarts or a network that drops does.
func resetConn(w http.ResponseWriter) {
	if hj, ok := w.(http.Hijacker); ok {
		if conn, _, err := hj.Hijack(); err == nil {
			if tc, ok := conn.(*net.TCPConn); ok {
				tc.SetLinger(0)
			}
			conn.Close()
		}
	}
}

// TestVersionListingResumesAfterOutage: the store drops every connection
// for 0.7 s (longer than a request's own retries last) in the middle of a
// version listing of many pages; the listing resumes from the page it
// was at, and finds every version and delete marker, as a listing
// without the outage does.
func TestVersionListingResumesAfterOutage(t *testing.T) {
	s, _ := objectEnv(t)
	const b = "vers"
	versionedBucket(t, s, b)
	var keys []string
	for i := range 40 {
		key := fmt.Sprintf("k/%03d.log", i)
		keys = append(keys, key)
		for v := range 3 {
			s.Put(t, b, key, []byte(fmt.Sprintf("v%d\n", v)))
		}
		if i%7 == 0 { // a delete marker on top
			if _, err := s.Client().DeleteObject(context.Background(), &s3.DeleteObjectInput{Bucket: aws.String(b), Key: aws.String(key)}); err != nil {
				t.Fatal(err)
			}
		}
	}
	// Listing versions of keys past the last one asked for stops early:
	// a key after them shows that.
	s.Put(t, b, "z.log", []byte("z\n"))

	// pages counts the version listings a proxy passed on; outageAt, when
	// set, is the listing request that starts the outage.
	lister := func(outageAt int32) (*objectStore, *atomic.Int32, *atomic.Int32) {
		var requests, pages, resets atomic.Int32
		var down atomic.Int64
		c := proxyClient(t, s, func(w http.ResponseWriter, r *http.Request, forward http.Handler) {
			if r.URL.Query().Has("versions") && requests.Add(1) == outageAt {
				down.Store(time.Now().Add(700 * time.Millisecond).UnixNano())
			}
			if time.Now().UnixNano() < down.Load() {
				resets.Add(1)
				resetConn(w)
				return
			}
			if r.URL.Query().Has("versions") {
				pages.Add(1)
			}
			forward.ServeHTTP(w, r)
		})
		return &objectStore{c: c, bucket: b, pageSize: 10}, &pages, &resets
	}
	clean, cleanPages, _ := lister(0)
	want, err := clean.versionsOf(context.Background(), keys)
	if err != nil {
		t.Fatal(err)
	}
	if n := cleanPages.Load(); n < 10 {
		t.Fatalf("%d pages: the page size was not honoured", n)
	}
	faulty, pages, resets := lister(5)
	got, err := faulty.versionsOf(context.Background(), keys)
	if err != nil {
		t.Fatalf("listing versions through an outage: %v", err)
	}
	if resets.Load() < 2 {
		t.Fatalf("%d requests reset: the outage did not outlast the request's retries", resets.Load())
	}
	if pages.Load() != cleanPages.Load() {
		t.Errorf("%d pages listed, %d without the outage: pages were asked for again from the start", pages.Load(), cleanPages.Load())
	}
	if len(got) != len(keys) || len(want) != len(keys) {
		t.Fatalf("versions of %d keys (%d without the outage), want %d", len(got), len(want), len(keys))
	}
	idOf := func(id types.ObjectIdentifier) string { return aws.ToString(id.Key) + "@" + aws.ToString(id.VersionId) }
	for _, k := range keys {
		g, w := got[k], want[k]
		if g == nil || !slices.EqualFunc(g.all, w.all, func(a, b types.ObjectIdentifier) bool { return idOf(a) == idOf(b) }) {
			t.Errorf("%s: versions differ from a listing without the outage", k)
			continue
		}
		if len(w.versions) != 3 || len(g.all) != len(g.ids) {
			t.Errorf("%s: %d versions, %d listed", k, len(g.versions), len(g.all))
		}
		if (g.latest == nil) != (w.latest == nil) || g.latest != nil && aws.ToString(g.latest.VersionId) != aws.ToString(w.latest.VersionId) {
			t.Errorf("%s: current version differs", k)
		}
	}
}
