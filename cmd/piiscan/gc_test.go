package main

import (
	"runtime"
	"runtime/debug"
	"testing"
)

// tuneGC keeps the heap's soft limit under a container's memory limit
// given in PIISCAN_MEMORY_LIMIT, unless GOMEMLIMIT says otherwise.
func TestTuneGCMemoryLimit(t *testing.T) {
	defer debug.SetGCPercent(debug.SetGCPercent(100))
	defer debug.SetMemoryLimit(debug.SetMemoryLimit(-1))
	const sentinel = 123 << 20
	def := int64(64+4*runtime.GOMAXPROCS(0)) << 20
	for _, tc := range []struct {
		gomemlimit, limit string
		want              int64
	}{
		{"", "536870912", 536870912 / 10 * 9}, // 512Mi from the downward API
		{"", "1073741824", 1073741824 / 10 * 9},
		{"", "", def},
		{"", "512Mi", def}, // bytes only: a quantity is ignored
		{"", "0", def},
		{"", "-1", def},
		{"400MiB", "536870912", sentinel}, // GOMEMLIMIT wins: left as the runtime set it
	} {
		t.Setenv("GOGC", "")
		t.Setenv("GOMEMLIMIT", tc.gomemlimit)
		t.Setenv(memoryLimitEnv, tc.limit)
		debug.SetMemoryLimit(sentinel)
		tuneGC()
		if got := debug.SetMemoryLimit(-1); got != tc.want {
			t.Errorf("GOMEMLIMIT=%q %s=%q: soft limit %d, want %d", tc.gomemlimit, memoryLimitEnv, tc.limit, got, tc.want)
		}
	}
}
