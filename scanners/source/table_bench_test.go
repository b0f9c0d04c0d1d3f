package source

import (
	"bufio"
	"bytes"
	"context"
	"io"
	"os"
	"testing"
)

// BenchmarkTables measures the rendering of a Parquet and an Avro file
// into rows alone (no detection). PIISCAN_BENCH_PARQUET and
// PIISCAN_BENCH_AVRO name the files (for example those bench/exportgen
// writes); without them, small generated ones.
func BenchmarkTables(b *testing.B) {
	for _, tt := range []struct {
		name, env string
		gen       func(testing.TB) []byte
	}{
		{"parquet", "PIISCAN_BENCH_PARQUET", func(tb testing.TB) []byte { return customers(tb) }},
		{"avro", "PIISCAN_BENCH_AVRO", func(tb testing.TB) []byte { return avroCustomers(tb) }},
	} {
		b.Run(tt.name, func(b *testing.B) {
			data := tt.gen(b)
			if p := os.Getenv(tt.env); p != "" {
				var err error
				if data, err = os.ReadFile(p); err != nil {
					b.Fatal(err)
				}
			}
			b.SetBytes(int64(len(data)))
			var out int64
			for b.Loop() {
				x := &Expander{Limits: Limits{MaxRatio: 1 << 30}}
				err := x.Expand(context.Background(), "bench", bytes.NewReader(data), bytes.NewReader(data), int64(len(data)), func(_ string, br *bufio.Reader, _ *Table) error {
					n, err := io.Copy(io.Discard, br)
					out = n
					return err
				})
				if err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(out)/float64(len(data)), "rendered/B")
		})
	}
}
