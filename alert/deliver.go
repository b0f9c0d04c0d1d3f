package alert

import (
	"context"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"time"
)

// Retry is a delivery retry policy.
type Retry struct {
	// Attempts is the number of sends, the first included (default 1).
	Attempts int
	// Initial is the longest wait before the second attempt (default 1s);
	// it doubles with every attempt up to Max (default 30s, and never less
	// than Initial).
	Initial, Max time.Duration
}

func (r Retry) withDefaults() Retry {
	if r.Attempts <= 0 {
		r.Attempts = 1
	}
	if r.Initial <= 0 {
		r.Initial = time.Second
	}
	if r.Max <= 0 {
		r.Max = 30 * time.Second
	}
	r.Max = max(r.Max, r.Initial)
	return r
}

// Deliver sends s with retries: exponential backoff with full jitter between
// attempts (a random wait of up to Initial, doubling up to Max), stopping
// early on a permanent error or when ctx ends. It returns the last error;
// when ctx ended, that error also wraps ctx.Err().
func Deliver(ctx context.Context, sink Sink, s Summary, r Retry) error {
	r = r.withDefaults()
	backoff := r.Initial
	for attempt := 1; ; attempt++ {
		if err := ctx.Err(); err != nil {
			return fmt.Errorf("%s alert not sent: %w", sink.Kind(), err)
		}
		err := sink.Send(ctx, s)
		switch {
		case err == nil:
			return nil
		case IsPermanent(err), attempt >= r.Attempts:
			return err
		case ctx.Err() != nil:
			return fmt.Errorf("%w (gave up: %w)", err, ctx.Err())
		}

		wait := rand.N(backoff + 1)
		slog.WarnContext(ctx, "alert delivery failed; retrying",
			"kind", sink.Kind(), "route", s.Route, "job", s.Job, "id", s.ID,
			"attempt", attempt, "of", r.Attempts, "wait", wait, "error", err)
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return fmt.Errorf("%w (gave up: %w)", err, ctx.Err())
		case <-t.C:
		}
		backoff = r.next(backoff)
	}
}

// next returns the longest wait after one of backoff: twice as long, up
// to Max.
func (r Retry) next(backoff time.Duration) time.Duration {
	if backoff > r.Max/2 {
		return r.Max
	}
	return backoff * 2
}
