package alert

import (
	"context"
	"errors"
	"testing"
	"time"
)

// funcSink is a Sink whose Send calls a function.
type funcSink func(ctx context.Context, s Summary) error

func (f funcSink) Kind() string                              { return "func" }
func (f funcSink) Send(ctx context.Context, s Summary) error { return f(ctx, s) }

func TestDeliver(t *testing.T) {
	transient := errors.New("transient")
	permanent := Permanent(errors.New("permanent"))
	tests := []struct {
		name     string
		errs     []error // results of the sends in turn; nil after the last
		attempts int
		want     error
		sends    int
	}{
		{"first try", nil, 3, nil, 1},
		{"after retries", []error{transient, transient}, 3, nil, 3},
		{"out of attempts", []error{transient, transient, transient}, 3, transient, 3},
		{"permanent", []error{permanent}, 3, permanent, 1},
		{"transient then permanent", []error{transient, permanent}, 5, permanent, 2},
		{"zero attempts means one", []error{transient}, 0, transient, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			sends := 0
			sink := funcSink(func(ctx context.Context, s Summary) error {
				sends++
				if sends <= len(tt.errs) {
					return tt.errs[sends-1]
				}
				return nil
			})
			err := Deliver(t.Context(), sink, Summary{ID: "x"}, Retry{Attempts: tt.attempts, Initial: time.Millisecond, Max: 2 * time.Millisecond})
			if !errors.Is(err, tt.want) || (err == nil) != (tt.want == nil) {
				t.Errorf("Deliver = %v, want %v", err, tt.want)
			}
			if sends != tt.sends {
				t.Errorf("%d sends, want %d", sends, tt.sends)
			}
		})
	}
}

func TestDeliverBackoff(t *testing.T) {
	// Full jitter: each wait is at most Initial·2ⁿ, capped at Max.
	const initial, maxWait = 4 * time.Millisecond, 10 * time.Millisecond
	var times []time.Time
	sink := funcSink(func(ctx context.Context, s Summary) error {
		times = append(times, time.Now())
		return errors.New("transient")
	})
	start := time.Now()
	_ = Deliver(t.Context(), sink, Summary{}, Retry{Attempts: 5, Initial: initial, Max: maxWait})
	if len(times) != 5 {
		t.Fatalf("%d sends, want 5", len(times))
	}
	// 4 + 8 + 10 + 10 ms at most, plus scheduling slack.
	if d := time.Since(start); d > 32*time.Millisecond+500*time.Millisecond {
		t.Errorf("Deliver took %v", d)
	}
}

// The longest wait doubles from Initial and stops at Max.
func TestRetryBackoff(t *testing.T) {
	for _, tc := range []struct {
		r    Retry
		want []time.Duration
	}{
		{Retry{Initial: 4 * time.Millisecond, Max: 10 * time.Millisecond}, []time.Duration{4, 8, 10, 10}},
		{Retry{}, []time.Duration{1000, 2000, 4000, 8000, 16000, 30000, 30000}},
		{Retry{Initial: time.Second, Max: time.Millisecond}, []time.Duration{1000, 1000}},
	} {
		r := tc.r.withDefaults()
		b := r.Initial
		for i, w := range tc.want {
			if b != w*time.Millisecond {
				t.Errorf("%+v: wait %d is %v, want %v", tc.r, i, b, w*time.Millisecond)
			}
			b = r.next(b)
		}
	}
}

func TestDeliverContext(t *testing.T) {
	t.Run("canceled while waiting", func(t *testing.T) {
		ctx, cancel := context.WithCancel(t.Context())
		defer cancel()
		sends := 0
		sink := funcSink(func(ctx context.Context, s Summary) error {
			sends++
			cancel()
			return errors.New("transient")
		})
		start := time.Now()
		err := Deliver(ctx, sink, Summary{}, Retry{Attempts: 10, Initial: time.Hour, Max: time.Hour})
		if !errors.Is(err, context.Canceled) {
			t.Errorf("Deliver = %v, want context.Canceled", err)
		}
		if sends != 1 {
			t.Errorf("%d sends, want 1", sends)
		}
		if d := time.Since(start); d > time.Second {
			t.Errorf("Deliver took %v after cancel", d)
		}
	})
	t.Run("canceled before", func(t *testing.T) {
		ctx, cancel := context.WithCancel(t.Context())
		cancel()
		sink := funcSink(func(ctx context.Context, s Summary) error {
			t.Error("Send called with a canceled context")
			return nil
		})
		if err := Deliver(ctx, sink, Summary{}, Retry{Attempts: 3}); !errors.Is(err, context.Canceled) {
			t.Errorf("Deliver = %v, want context.Canceled", err)
		}
	})
}
