package retention

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/piiscan/piiscan/internal/s3test"
	"github.com/piiscan/piiscan/scanners/bucket"
)

// headDelayer is a proxy in front of a server that holds every HEAD for
// a while, as a store far away does, and counts how many are in flight.
type headDelayer struct {
	delay               time.Duration
	heads               atomic.Int32
	inFlight, maxFlight atomic.Int32
	// onHead, when set, runs at the start of every HEAD.
	onHead func(n int32)
}

// client returns a piiscan bucket client that runs concurrency requests
// at once through the proxy.
func (d *headDelayer) client(t *testing.T, s *s3test.Server, concurrency int) *bucket.Client {
	t.Helper()
	target, err := url.Parse(s.Endpoint)
	if err != nil {
		t.Fatal(err)
	}
	forward := httputil.NewSingleHostReverseProxy(target)
	forward.ErrorLog = log.New(io.Discard, "", 0) // a cancelled request is no news
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodHead {
			n := d.heads.Add(1)
			if d.onHead != nil {
				d.onHead(n)
			}
			in := d.inFlight.Add(1)
			for m := d.maxFlight.Load(); in > m && !d.maxFlight.CompareAndSwap(m, in); m = d.maxFlight.Load() {
			}
			time.Sleep(d.delay)
			d.inFlight.Add(-1)
		}
		forward.ServeHTTP(w, r)
	}))
	t.Cleanup(srv.Close)
	c, err := bucket.New(context.Background(), bucket.Options{Endpoint: srv.URL, PathStyle: true, MaxAttempts: 2, Concurrency: concurrency})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// Planning a purge reads the original times of the objects within
// retention with HEADs several at once (as many as the S3 concurrency
// setting), not one after the other: against a store 30 ms away, 64
// objects take about a tenth of the time. The plan is the same, in the
// same order, however many run at once; and a cancelled planning sends no
// more HEADs.
func TestPlanHeadsObjectsConcurrently(t *testing.T) {
	ctx := context.Background()
	s, _ := objectEnv(t)
	s.Bucket(t, "heads")
	c := defaultRulesWith(t, "", `locations:
  - {name: logs, paths: ["s3://heads/logs/"], retention: {max_age: 7d}}
`)
	mkey := mtimeKey(c)
	tenDays := time.Now().Add(-10 * day).UTC()
	const n = 64
	var keys []string
	for i := range n {
		key := fmt.Sprintf("logs/%03d.log", i)
		keys = append(keys, key)
		meta := ""
		if i%8 == 3 { // redacted once, ten days after it was first written
			meta = stampFor(mkey, "heads", key, "x\n", tenDays)
		}
		putWithMeta(t, s.Client(), "heads", key, "x\n", meta)
	}
	later := time.Now().Add(time.Hour) // past live_within
	const delay = 30 * time.Millisecond
	plan := func(concurrency int) ([]string, time.Duration, *headDelayer) {
		t.Helper()
		d := &headDelayer{delay: delay}
		objects := d.client(t, s, concurrency)
		start := time.Now()
		p, err := PlanPurge(ctx, c, PlanOptions{Now: later, Objects: objects})
		elapsed := time.Since(start)
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, it := range p.Items {
			got = append(got, strings.TrimPrefix(it.Path, "s3://heads/")+" "+it.Action)
		}
		if int(d.heads.Load()) != n {
			t.Errorf("concurrency %d: %d HEADs for %d objects", concurrency, d.heads.Load(), n)
		}
		return got, elapsed, d
	}
	serial, serialTime, _ := plan(1)
	concurrent, concTime, d := plan(8)
	t.Logf("planning %d objects with HEADs %s away: %s one at a time, %s 8 at once (at most %d in flight)",
		n, delay, serialTime.Round(time.Millisecond), concTime.Round(time.Millisecond), d.maxFlight.Load())
	var want []string
	for i, k := range keys {
		want = append(want, k+" "+map[bool]string{true: Delete, false: Keep}[i%8 == 3])
	}
	if !slices.Equal(serial, want) || !slices.Equal(concurrent, want) {
		t.Fatalf("plans differ:\none at a time %q\n8 at once     %q\nwant          %q", serial, concurrent, want)
	}
	if m := d.maxFlight.Load(); m < 2 || m > 8 {
		t.Errorf("at most %d HEADs in flight, want 2 to 8 (the concurrency setting)", m)
	}
	// One at a time costs n round trips at least; 8 at once about n/8.
	if concTime > n*delay/2 {
		t.Errorf("planning took %s with 8 HEADs at once; %d serial ones take at least %s", concTime, n, n*delay)
	}

	// Cancelled while the HEADs run: planning stops, and no more are sent.
	cctx, cancel := context.WithCancel(ctx)
	defer cancel()
	cd := &headDelayer{delay: delay, onHead: func(n int32) {
		if n == 4 {
			cancel()
		}
	}}
	if _, err := PlanPurge(cctx, c, PlanOptions{Now: later, Objects: cd.client(t, s, 4)}); !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled planning: %v, want context.Canceled", err)
	}
	if h := cd.heads.Load(); h > 8 {
		t.Errorf("%d HEADs sent after planning was cancelled at the 4th (4 at once)", h)
	}
}
