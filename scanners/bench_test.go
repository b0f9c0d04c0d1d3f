package scanners

import (
	"context"
	"fmt"
	"math/rand/v2"
	"path/filepath"
	"strings"
	"testing"

	"github.com/piiscan/piiscan/finding"
)

// accessLog returns about size bytes of access-log lines, each with a
// client IP drawn from a pool of clients (0: every IP new).
func accessLog(size, clients int) []byte {
	r := rand.New(rand.NewPCG(1, uint64(clients)))
	ip := func() string {
		return fmt.Sprintf("%d.%d.%d.%d", 1+r.IntN(223), r.IntN(256), r.IntN(256), 1+r.IntN(254))
	}
	pool := make([]string, clients)
	for i := range pool {
		pool[i] = ip()
	}
	var b strings.Builder
	for i := 0; b.Len() < size; i++ {
		client := ""
		if clients > 0 {
			client = pool[r.IntN(clients)]
		} else {
			client = ip()
		}
		fmt.Fprintf(&b, "%s - - [01/Mar/2024:10:00:%02d +0000] \"GET /api/v1/items/%d HTTP/1.1\" 200 %d \"-\" \"Mozilla/5.0 (X11; Linux x86_64)\"\n",
			client, i%60, i%100000, 512+i%4096)
	}
	return []byte(b.String())
}

// BenchmarkScanAccessLog scans a web access log (one IP per line, every
// line a finding), with clients that come back and with every client new.
//
//	go test -run '^$' -bench ScanAccessLog ./scanners/
func BenchmarkScanAccessLog(b *testing.B) {
	for _, tc := range []struct {
		name    string
		clients int
	}{{"3000-clients", 3000}, {"all-new", 0}} {
		b.Run(tc.name, func(b *testing.B) {
			data := accessLog(32<<20, tc.clients)
			path := filepath.Join(b.TempDir(), "access.log")
			writeFile(b, path, data)
			opts := testOptions(b)
			opts.MaxFindings = -1 // every line is a finding: report them all
			s, err := New(opts)
			if err != nil {
				b.Fatal(err)
			}
			b.SetBytes(int64(len(data)))
			for b.Loop() {
				if _, err := s.Scan(context.Background(), []string{path}, SinkFunc(func(*finding.Finding) error { return nil })); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
