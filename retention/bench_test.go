package retention

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/piiscan/piiscan/config"
	"github.com/piiscan/piiscan/finding"
	"github.com/piiscan/piiscan/scanners/detect"
	"github.com/piiscan/piiscan/scanners/detect/catalog"
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
	for _, d := range catalog.Detectors() {
		rules = append(rules, detect.Rule{ID: d.Name, Detector: d.Name, Severity: finding.SeverityLow})
	}
	e, err := detect.New(rules, detect.Options{})
	if err != nil {
		b.Fatal(err)
	}
	m := &Masker{Engine: e, Select: func(class string, raw []byte, _ string) (string, bool) {
		return finding.Redaction(class, raw), class == finding.ClassCreditCard
	}}
	b.SetBytes(int64(len(data)))
	for b.Loop() {
		if _, err := m.Mask(bytes.NewReader(data), io.Discard, "app.log"); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkResolveHolds measures one look at the legal holds in a root of
// 20,000 files in 200 folders, with a hold that names file names (so the
// whole root is walked) and one on a folder: 300 identities.
func BenchmarkResolveHolds(b *testing.B) {
	dir := b.TempDir()
	for d := range 200 {
		sub := filepath.Join(dir, "logs", fmt.Sprintf("d%03d", d))
		if err := os.MkdirAll(sub, 0o755); err != nil {
			b.Fatal(err)
		}
		for f := range 100 {
			if err := os.WriteFile(filepath.Join(sub, fmt.Sprintf("f%03d.log", f)), nil, 0o644); err != nil {
				b.Fatal(err)
			}
		}
	}
	c, err := config.Parse("test.yaml", []byte(strings.ReplaceAll(`version: 1
rules:
  - {id: m, detector: email, severity: low}
locations:
  - name: logs
    paths: [$DIR/logs]
holds:
  - paths: ["f007.log", "$DIR/logs/d042/**"]
    reason: case 1
`, "$DIR", dir)))
	if err != nil {
		b.Fatal(err)
	}
	roots := holdRoots(c, nil)
	for b.Loop() {
		s := resolveHolds(context.Background(), c, time.Now(), roots)
		if n := len(s.ids); n != 300 || len(s.broken) != 0 {
			b.Fatalf("%d identities held, %v", n, s.broken)
		}
	}
}

// BenchmarkMaskSQLDump masks a 16 MB pg_dump COPY block whose rows each
// hold an email (text) and a date of birth (date, which becomes \N): the
// rewrite reads the rows' columns and types as well as scanning.
//
//	go test -run '^$' -bench MaskSQLDump -benchtime 2x ./retention/
func BenchmarkMaskSQLDump(b *testing.B) {
	var buf bytes.Buffer
	buf.WriteString("--\n-- PostgreSQL database dump\n--\n\nCREATE TABLE public.patients (\n    id integer NOT NULL,\n    email text,\n    dob date,\n    note text\n);\n\n")
	buf.WriteString("COPY public.patients (id, email, dob, note) FROM stdin;\n")
	for i := 0; buf.Len() < 16<<20; i++ {
		fmt.Fprintf(&buf, "%d\tpatient%d@example.org\t19%02d-%02d-%02d\tseen on ward %d, no complaints\n", i, i, 40+i%60, 1+i%12, 1+i%28, i%40)
	}
	buf.WriteString("\\.\n")
	data := buf.Bytes()
	e := defaultEngine(b)
	m := maskAll(e)
	b.SetBytes(int64(len(data)))
	for b.Loop() {
		if _, err := m.Mask(bytes.NewReader(data), io.Discard, "clinic.sql"); err != nil {
			b.Fatal(err)
		}
	}
}
