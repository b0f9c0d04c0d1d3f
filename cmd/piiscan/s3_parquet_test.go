package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/piiscan/piiscan/internal/s3test"
)

// A Parquet export in a bucket is read as a table, as on disk: the
// object is spooled (the format needs random access) and its findings
// carry their column.
func TestScanS3Parquet(t *testing.T) {
	data, err := os.ReadFile(filepath.Join("..", "..", "examples", "exports", "orders.parquet"))
	if err != nil {
		t.Fatal(err)
	}
	s := s3test.Start(t)
	s.Env(t)
	s.Bucket(t, "lake")
	s.Put(t, "lake", "exports/2024/orders", data) // no extension: known by its content
	code, out, errs := runCLI(t, "", "scan", "--s3-path-style", "--format", "jsonl", "s3://lake/exports/")
	if code != exitFindings {
		t.Fatalf("exit %d\n%s\n%s", code, out, errs)
	}
	for _, want := range []string{
		`{"path":"s3://lake/exports/2024/orders","line":1,"column":1,"length":20,"field":"email","class":"email"`,
		`"line":3,"column":1,"length":19,"field":"card_number","class":"credit_card"`,
		`"line":1,"column":1,"length":17,"field":"shipping.street","class":"postal_address"`,
	} {
		if !strings.Contains(out, want) {
			t.Errorf("no %s in\n%s", want, out)
		}
	}
	if n := strings.Count(out, "\n"); n != 11 {
		t.Errorf("%d findings, want the 11 of the file on disk:\n%s", n, out)
	}
}
