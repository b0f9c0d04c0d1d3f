package scanners

import (
	"strconv"
	"testing"
	"time"
)

// TestStatsSeconds checks the duration reports write: seconds to the
// millisecond, with no float noise.
func TestStatsSeconds(t *testing.T) {
	for _, tc := range []struct {
		d    time.Duration
		want string
	}{
		{2272 * time.Millisecond, "2.272"},
		{2272*time.Millisecond + 400*time.Microsecond, "2.272"},
		{2272*time.Millisecond + 500*time.Microsecond, "2.273"},
		{100 * time.Millisecond, "0.1"},
		{0, "0"},
		{3*time.Hour + 7*time.Millisecond, "10800.007"},
	} {
		st := Stats{Duration: tc.d}
		if got := strconv.FormatFloat(st.Seconds(), 'g', -1, 64); got != tc.want {
			t.Errorf("Seconds() of %v = %s, want %s", tc.d, got, tc.want)
		}
	}
}
