//go:build unix

package scanners

import (
	"context"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/piiscan/piiscan/finding"
)

// cpuTime returns the CPU time (user and system) the process has used.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// BenchmarkScanSQLDump scans 64 MB dumps of mysqldump (extended INSERT
// lines of 1 MB, mysqldump's default net_buffer_length) and pg_dump (COPY
// blocks), and the same bytes without the header that makes them dumps,
// as a plain log. MB/cpu-s is the throughput per second of CPU time of
// the whole process (all workers), which a busy machine changes less than
// MB/s.
//
//	go test -run '^$' -bench ScanSQLDump -benchtime 5x ./scanners/
func BenchmarkScanSQLDump(b *testing.B) {
	for _, format := range []string{"mysql", "pgcopy"} {
		for _, asDump := range []bool{true, false} {
			name, file := format+"/dump", "clinic.sql"
			if !asDump {
				name, file = format+"/plain-log", "clinic.log"
			}
			b.Run(name, func(b *testing.B) {
				data := clinicDump(format, 64<<20, 1<<20, asDump)
				path := filepath.Join(b.TempDir(), file)
				writeFile(b, path, data)
				opts := testOptions(b)
				opts.MaxFindings = -1
				s, err := New(opts)
				if err != nil {
					b.Fatal(err)
				}
				var n int
				b.SetBytes(int64(len(data)))
				cpu0 := cpuTime()
				for b.Loop() {
					n = 0
					if _, err := s.Scan(context.Background(), []string{path}, SinkFunc(func(*finding.Finding) error { n++; return nil })); err != nil {
						b.Fatal(err)
					}
				}
				b.ReportMetric(float64(n), "findings")
				// The machine may be shared: the CPU time the scans took
				// says more than the time they took.
				cpu := (cpuTime() - cpu0).Seconds() / float64(b.N)
				b.ReportMetric(float64(len(data))/1e6/cpu, "MB/cpu-s")
			})
		}
	}
}
