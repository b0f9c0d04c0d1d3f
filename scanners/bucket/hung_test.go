package bucket_test

import (
	"context"
	"net"
	"testing"
	"time"

	"github.com/piiscan/piiscan/scanners/bucket"
)

// A store that accepts connections and never answers (a hung node, a
// SIGSTOPped server) fails a request after the wait for the response's
// headers, and its retries, instead of holding the run forever.
func TestHungStoreFailsInsteadOfHanging(t *testing.T) {
	t.Parallel()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	var conns []net.Conn
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			conns = append(conns, c) // held open, never answered
		}
	}()
	opts := bucket.Options{Endpoint: "http://" + l.Addr().String(), PathStyle: true, MaxAttempts: 2}
	c, err := bucket.New(context.Background(), bucket.WithResponseTimeout(bucket.QuickRetries(opts), 300*time.Millisecond))
	if err != nil {
		t.Fatal(err)
	}
	// The deadline only stops the old behaviour (waiting forever) from
	// hanging the test.
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	start := time.Now()
	err = c.List(ctx, "b", "", "", func(bucket.Object) error { return nil })
	if err == nil || ctx.Err() != nil {
		t.Fatalf("listing a store that never answers: %v after %s; want a timeout error well before the test's deadline", err, time.Since(start).Round(time.Millisecond))
	}
	t.Logf("failed after %s: %v", time.Since(start).Round(time.Millisecond), err)
}
