package bucket

import (
	"context"
	"errors"
	"testing"
	"time"
)

func TestBackoffDelay(t *testing.T) {
	tests := []struct {
		attempt   int
		throttled bool
		ceiling   time.Duration
	}{
		{1, false, 100 * time.Millisecond},
		{2, false, 200 * time.Millisecond},
		{5, false, 1600 * time.Millisecond},
		{9, false, retryMaxBackoff},
		{40, false, retryMaxBackoff},
		{1, true, time.Second},
		{3, true, 4 * time.Second},
		{8, true, retryMaxBackoff},
	}
	for _, tt := range tests {
		for range 50 {
			floor := tt.ceiling / 2
			if tt.throttled {
				floor = 0
			}
			if d := defaultTiming.backoffDelay(tt.attempt, tt.throttled); d < floor || d > tt.ceiling {
				t.Fatalf("attempt %d throttled %v: %s, want within [%s, %s]", tt.attempt, tt.throttled, d, floor, tt.ceiling)
			}
		}
	}
	// The default 10 attempts wait at least 22 s, whatever the jitter.
	var total time.Duration
	for a := 1; a < 10; a++ {
		total += defaultTiming.backoffDelay(a, false)
	}
	if total < 22*time.Second {
		t.Errorf("9 retries waited %s", total)
	}
}

func TestOutageLimiter(t *testing.T) {
	l := &outageLimiter{last: time.Now()}
	release, err := l.GetToken(context.Background(), 14)
	if err != nil {
		t.Fatal(err)
	}
	l.mu.Lock()
	l.last = time.Now().Add(-2 * outageLimit) // nothing succeeded for long
	l.mu.Unlock()
	if _, err := l.GetToken(context.Background(), 14); !errors.Is(err, errOutage) {
		t.Fatalf("after %s without a success: %v", 2*outageLimit, err)
	}
	release() // a retry that succeeded
	if _, err := l.GetToken(context.Background(), 14); err != nil {
		t.Errorf("after a success: %v", err)
	}
	l.mu.Lock()
	l.last = time.Now().Add(-2 * outageLimit)
	l.mu.Unlock()
	l.AddTokens(1) // a first attempt that succeeded
	if _, err := l.GetToken(context.Background(), 14); err != nil {
		t.Errorf("after a success: %v", err)
	}
}
