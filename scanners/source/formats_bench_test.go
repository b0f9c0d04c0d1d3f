package source

import (
	"bufio"
	"context"
	"io"
	"os"
	"testing"
)

// BenchmarkOffice renders the office document named by
// PIISCAN_BENCH_OFFICE (the XLSX or DOCX of bench/exports.sh).
func BenchmarkOffice(b *testing.B) { benchmarkFile(b, "PIISCAN_BENCH_OFFICE") }

// BenchmarkSQLite renders the tables of the database named by
// PIISCAN_BENCH_SQLITE (the orders.db of bench/exports.sh).
func BenchmarkSQLite(b *testing.B) { benchmarkFile(b, "PIISCAN_BENCH_SQLITE") }

// benchmarkFile renders the file the environment variable env names,
// read in place.
func benchmarkFile(b *testing.B, env string) {
	p := os.Getenv(env)
	if p == "" {
		b.Skip(env + " names no file")
	}
	fi, err := os.Stat(p)
	if err != nil {
		b.Fatal(err)
	}
	b.SetBytes(fi.Size())
	for b.Loop() {
		f, err := os.Open(p)
		if err != nil {
			b.Fatal(err)
		}
		x := &Expander{}
		err = x.Expand(context.Background(), p, f, f, fi.Size(), func(_ string, br *bufio.Reader, _ *Table) error {
			_, err := io.Copy(io.Discard, br)
			return err
		})
		f.Close()
		if err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkMail renders the mbox or message named by PIISCAN_BENCH_MAIL
// (the mbox of bench/exports.sh).
func BenchmarkMail(b *testing.B) {
	p := os.Getenv("PIISCAN_BENCH_MAIL")
	if p == "" {
		b.Skip("PIISCAN_BENCH_MAIL names no file")
	}
	fi, err := os.Stat(p)
	if err != nil {
		b.Fatal(err)
	}
	b.SetBytes(fi.Size())
	for b.Loop() {
		f, err := os.Open(p)
		if err != nil {
			b.Fatal(err)
		}
		x := &Expander{}
		err = x.Expand(context.Background(), p, f, nil, -1, func(_ string, br *bufio.Reader, _ *Table) error {
			_, err := io.Copy(io.Discard, br)
			return err
		})
		f.Close()
		if err != nil {
			b.Fatal(err)
		}
	}
}
