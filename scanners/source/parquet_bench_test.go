package source

import (
	"bufio"
	"bytes"
	"context"
	"io"
	"os"
	"testing"
)

// BenchmarkParquetTable measures the rendering of a Parquet file into
// rows alone (no detection): PIISCAN_BENCH_PARQUET names the file (for
// example one bench/parquetgen wrote); without it, a small generated one.
func BenchmarkParquetTable(b *testing.B) {
	var ra io.ReaderAt
	var size int64
	if p := os.Getenv("PIISCAN_BENCH_PARQUET"); p != "" {
		f, err := os.Open(p)
		if err != nil {
			b.Fatal(err)
		}
		defer f.Close()
		st, err := f.Stat()
		if err != nil {
			b.Fatal(err)
		}
		ra, size = f, st.Size()
	} else {
		data := customers(b)
		ra, size = bytes.NewReader(data), int64(len(data))
	}
	b.SetBytes(size)
	var out int64
	for b.Loop() {
		x := &Expander{Limits: Limits{MaxRatio: 1 << 30}}
		err := x.Expand(context.Background(), "bench.parquet", io.NewSectionReader(ra, 0, size), ra, size, func(_ string, br *bufio.Reader, _ *Table) error {
			n, err := io.Copy(io.Discard, br)
			out = n
			return err
		})
		if err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(out)/float64(size), "rendered/B")
}
