package bucket_test

import (
	"context"
	"fmt"
	"io"
	"strings"
	"sync"
	"testing"

	"github.com/piiscan/piiscan/internal/s3test"
	"github.com/piiscan/piiscan/scanners/bucket"
)

// benchLog returns about size bytes of application-log lines, one in
// eight with an e-mail address.
func benchLog(size, seed int) []byte {
	var b strings.Builder
	for i := 0; b.Len() < size; i++ {
		fmt.Fprintf(&b, "2024-03-01T10:%02d:%02d.%03dZ INFO  [worker-%d] request id=%08x method=GET path=/api/v1/items/%d status=200 bytes=%d took=%dms",
			(i/60)%60, i%60, i%1000, seed%16, i*2654435761, i, 512+i%4096, i%250)
		if i%8 == 0 {
			fmt.Fprintf(&b, " user=u%d@example.com", i)
		}
		b.WriteByte('\n')
	}
	return []byte(b.String())
}

// BenchmarkObjects measures reading from a local versitygw: many small
// objects (objects/s) and a few large ones (MB/s), at 1, 8 and 32
// concurrent GETs. "get" only reads the bodies; "scan" is the whole
// pipeline (listing, GETs, detection).
//
//	go test -run '^$' -bench Objects -benchtime 3x ./scanners/bucket/
func BenchmarkObjects(b *testing.B) {
	s := s3test.Start(b)
	s.Env(b)
	sets := []struct {
		name       string
		n, size    int
		objectsSec bool
	}{
		{"small", 2000, 4 << 10, true},
		{"large", 8, 32 << 20, false},
	}
	for _, set := range sets {
		s.Bucket(b, set.name)
		keys := make([]string, set.n)
		for i := range keys {
			keys[i] = fmt.Sprintf("logs/%02d/%05d.log", i%20, i)
		}
		putMany(b, s, set.name, keys, func(i int) []byte { return benchLog(set.size, i) })
		for _, mode := range []string{"get", "scan"} {
			for _, conc := range []int{1, 8, 32} {
				b.Run(fmt.Sprintf("%s/%s/c=%d", set.name, mode, conc), func(b *testing.B) {
					c := client(b, s, s.Endpoint, bucket.Options{Concurrency: conc})
					var total int64
					for b.Loop() {
						if mode == "get" {
							total += getAll(b, c, set.name, conc)
						} else {
							_, st := scan(b, readingScanner(b, c, nil, conc), "s3://"+set.name+"/")
							total += st.Bytes
						}
					}
					b.SetBytes(total / int64(b.N))
					if set.objectsSec {
						b.ReportMetric(float64(set.n)*float64(b.N)/b.Elapsed().Seconds(), "objects/s")
					}
				})
			}
		}
	}
}

// getAll lists a bucket and reads every object with conc concurrent GETs.
func getAll(b *testing.B, c *bucket.Client, name string, conc int) int64 {
	var objs []bucket.Object
	if err := c.List(context.Background(), name, "", "", func(o bucket.Object) error {
		objs = append(objs, o)
		return nil
	}); err != nil {
		b.Fatal(err)
	}
	work := make(chan bucket.Object)
	var total int64
	var mu sync.Mutex
	var wg sync.WaitGroup
	for range conc {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for o := range work {
				r, err := c.Open(context.Background(), o)
				if err != nil {
					b.Error(err)
					continue
				}
				n, err := io.Copy(io.Discard, r)
				r.Close()
				if err != nil {
					b.Error(err)
				}
				mu.Lock()
				total += n
				mu.Unlock()
			}
		}()
	}
	for _, o := range objs {
		work <- o
	}
	close(work)
	wg.Wait()
	return total
}
