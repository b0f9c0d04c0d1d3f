package retention

import (
	"bytes"
	"fmt"
	"io"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/piiscan/piiscan/finding"
	"github.com/piiscan/piiscan/scanners/detect"
)

// benchLog is about size bytes of JSON and access-log lines over 60 days,
// with personal data in some of them.
func benchLog(size int) []byte {
	r := rand.New(rand.NewPCG(5, 6))
	start := time.Date(2024, 4, 1, 0, 0, 0, 0, time.UTC)
	var b bytes.Buffer
	for i := 0; b.Len() < size; i++ {
		t := start.Add(time.Duration(i) * 60 * 24 * time.Hour / time.Duration(size/150))
		switch r.IntN(3) {
		case 0:
			fmt.Fprintf(&b, "%d.%d.%d.%d - - [%s] \"GET /api/v1/orders?id=%d HTTP/1.1\" 200 %d \"-\" \"curl/8\"\n",
				1+r.IntN(223), r.IntN(256), r.IntN(256), 1+r.IntN(254), t.Format("02/Jan/2006:15:04:05 -0700"), r.IntN(1e6), r.IntN(9e4))
		case 1:
			fmt.Fprintf(&b, `{"ts":"%s","level":"info","msg":"payment authorized","email":"user%d@example.com","card":"4111 1111 1111 1111"}`+"\n", t.Format(time.RFC3339Nano), r.IntN(1e4))
		default:
			fmt.Fprintf(&b, `{"ts":"%s","level":"info","msg":"request completed","latency_ms":%d}`+"\n", t.Format(time.RFC3339Nano), r.IntN(5000))
		}
	}
	return b.Bytes()
}

// BenchmarkFilterRecords measures record-level purge (half the records
// expire) without the disk.
func BenchmarkFilterRecords(b *testing.B) {
	data := benchLog(16 << 20)
	cutoff := time.Date(2024, 5, 1, 0, 0, 0, 0, time.UTC)
	p := &TimeParser{}
	b.SetBytes(int64(len(data)))
	for b.Loop() {
		if _, err := FilterRecords(bytes.NewReader(data), io.Discard, p, time.Time{}, func(t time.Time) bool { return !t.Before(cutoff) }); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkMask measures redaction of card numbers (the scan included).
func BenchmarkMask(b *testing.B) {
	data := benchLog(16 << 20)
	var rules []detect.Rule
	for _, d := range detect.Builtins() {
		rules = append(rules, detect.Rule{ID: d.Name, Detector: d.Name, Severity: finding.SeverityLow})
	}
	e, err := detect.New(rules, detect.Options{})
	if err != nil {
		b.Fatal(err)
	}
	m := &Masker{Engine: e, Select: func(class string, raw []byte) (string, bool) {
		return finding.Redaction(class, raw), class == finding.ClassCreditCard
	}}
	b.SetBytes(int64(len(data)))
	for b.Loop() {
		if _, err := m.Mask(bytes.NewReader(data), io.Discard, "app.log"); err != nil {
			b.Fatal(err)
		}
	}
}
