package bucket

import (
	"context"
	"errors"
	"math/rand/v2"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
)

// Retry settings. Every request is retried on its own schedule: there is
// no shared retry quota that concurrent requests exhaust in a moment (the
// SDK's default token bucket, 500 tokens at 14 a retry, runs dry within a
// second of an outage at 16 concurrent reads, and every request after that
// fails at once). Instead the retries of all requests stop together only
// when nothing has succeeded for outageLimit: a store that is gone for
// good fails the rest of the scan quickly.
const (
	// retryBase is the ceiling of the first retry's delay; it doubles
	// each attempt, up to retryMaxBackoff, with "equal jitter" (between
	// half and all of it), so the default 10 attempts wait at least 22 s
	// in all.
	retryBase = 100 * time.Millisecond
	// throttleBase is the first ceiling after throttling (503 SlowDown),
	// with full jitter as the SDK does: a store that asks to slow down is
	// there, and its requests get their turn sooner.
	throttleBase    = time.Second
	retryMaxBackoff = 20 * time.Second
	// resumeBase is the unit of the pauses before a broken GET or a
	// failed page of a listing is asked for again (see resumeDelay).
	resumeBase = 100 * time.Millisecond
	// outageLimit is how long requests may fail without any success
	// before retries stop.
	outageLimit = time.Minute
)

// timing holds the waits of a client's retries and resumes. Clients use
// defaultTiming; tests whose subject is not the length of the waits
// shorten them (see Options.timing).
type timing struct {
	base, throttle, max, resume time.Duration
}

// defaultTiming is the timing of every client outside tests.
var defaultTiming = timing{base: retryBase, throttle: throttleBase, max: retryMaxBackoff, resume: resumeBase}

// newRetryer returns the retryer of a client.
func newRetryer(attempts int, tm timing) aws.Retryer {
	return retry.NewStandard(func(o *retry.StandardOptions) {
		o.MaxAttempts = attempts
		o.MaxBackoff = tm.max
		o.Backoff = backoff{throttle: retry.IsErrorThrottles(o.Throttles), timing: tm}
		o.RateLimiter = &outageLimiter{last: time.Now()}
	})
}

// backoff is exponential backoff: the delay before retry i (0-based) is
// between d/2 and d, d = min(base×2^i, max) ("equal jitter"), so a series
// of retries waits at least half the sum of its ceilings, however the dice
// fall; after throttling it is between 0 and d, d = min(1 s×2^i, max).
type backoff struct {
	throttle retry.IsErrorThrottle
	timing   timing
}

// BackoffDelay implements retry.BackoffDelayer.
func (b backoff) BackoffDelay(attempt int, err error) (time.Duration, error) {
	return b.timing.backoffDelay(attempt, b.throttle != nil && b.throttle.IsErrorThrottle(err) == aws.TrueTernary), nil
}

// backoffDelay is the delay after the failed attempt (1-based).
func (tm timing) backoffDelay(attempt int, throttled bool) time.Duration {
	d := tm.base
	if throttled {
		d = tm.throttle
	}
	for i := 1; i < attempt && d < tm.max; i++ {
		d *= 2
	}
	d = min(d, tm.max)
	if throttled {
		return rand.N(d + 1)
	}
	return d/2 + rand.N(d/2+1)
}

// resumeDelay is the pause before the nth resume (1-based): n² × 100 ms
// by default.
func (tm timing) resumeDelay(n int) time.Duration { return time.Duration(n*n) * tm.resume }

// errOutage is why retries stopped.
var errOutage = errors.New("no S3 request has succeeded for " + outageLimit.String() + ": retries stopped")

// outageLimiter is a retry.RateLimiter that allows every retry while some
// request succeeded within outageLimit, and none after.
type outageLimiter struct {
	mu   sync.Mutex
	last time.Time // the last success (or the client's creation)
}

func (l *outageLimiter) success() {
	l.mu.Lock()
	l.last = time.Now()
	l.mu.Unlock()
}

// GetToken implements retry.RateLimiter; the release function is called
// when the retry succeeded.
func (l *outageLimiter) GetToken(ctx context.Context, cost uint) (func() error, error) {
	l.mu.Lock()
	since := time.Since(l.last)
	l.mu.Unlock()
	if since > outageLimit {
		return nil, errOutage
	}
	return func() error { l.success(); return nil }, nil
}

// AddTokens implements retry.RateLimiter; it is called when a first
// attempt succeeded.
func (l *outageLimiter) AddTokens(uint) error {
	l.success()
	return nil
}
