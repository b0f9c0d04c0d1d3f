package retention

import (
	"testing"
	"time"
)

func TestDays(t *testing.T) {
	tests := []struct {
		d    time.Duration
		want string
	}{
		{0, "0s"},
		{400 * time.Millisecond, "0s"},
		{12 * time.Second, "12s"},
		{29*time.Second + 600*time.Millisecond, "30s"},
		{45 * time.Second, "45s"},
		{59*time.Second + 400*time.Millisecond, "59s"},
		{59*time.Second + 600*time.Millisecond, "1m"},
		{90 * time.Second, "2m"},
		{time.Hour, "1h0m"},
		{90 * time.Minute, "1h30m"},
		{47*time.Hour + 59*time.Minute, "47h59m"},
		{48 * time.Hour, "2d"},
		{30 * 24 * time.Hour, "30d"},
		{-12 * time.Second, "-12s"}, // a clock running behind the store's
		{-5 * time.Minute, "-5m"},
	}
	for _, tt := range tests {
		if got := days(tt.d); got != tt.want {
			t.Errorf("days(%s) = %q, want %q", tt.d, got, tt.want)
		}
	}
}
