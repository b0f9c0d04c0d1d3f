package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/piiscan/piiscan/internal/s3test"
)

// Parquet and Avro exports, an Excel workbook, a SQLite database, a mail
// and an mbox in a bucket are read as on disk (a Parquet or zip object is spooled: the formats
// need random access), and their findings carry their column or cell.
func TestScanS3Tables(t *testing.T) {
	s := s3test.Start(t)
	s.Env(t)
	s.Bucket(t, "lake")
	for _, name := range []string{"orders.parquet", "leads.avro"} {
		data, err := os.ReadFile(filepath.Join("..", "..", "examples", "exports", name))
		if err != nil {
			t.Fatal(err)
		}
		// No extension: known by their content.
		s.Put(t, "lake", "exports/2024/"+strings.TrimSuffix(strings.TrimSuffix(name, ".parquet"), ".avro"), data)
	}
	book, err := os.ReadFile(filepath.Join("..", "..", "examples", "documents", "customers.xlsx"))
	if err != nil {
		t.Fatal(err)
	}
	s.Put(t, "lake", "exports/2024/customers", book)
	db, err := os.ReadFile(filepath.Join("..", "..", "examples", "databases", "crm.sqlite"))
	if err != nil {
		t.Fatal(err)
	}
	s.Put(t, "lake", "exports/backup/crm", db)
	for _, name := range []string{"support-ticket.eml", "inbox.mbox"} {
		data, err := os.ReadFile(filepath.Join("..", "..", "examples", "mail", name))
		if err != nil {
			t.Fatal(err)
		}
		s.Put(t, "lake", "exports/mail/"+strings.Split(name, ".")[0], data)
	}
	code, out, errs := runCLI(t, "", "scan", "--s3-path-style", "--format", "jsonl", "s3://lake/exports/")
	if code != exitFindings {
		t.Fatalf("exit %d\n%s\n%s", code, out, errs)
	}
	for _, want := range []string{
		`{"path":"s3://lake/exports/2024/orders","line":1,"column":1,"length":20,"field":"email","class":"email"`,
		`"line":3,"column":1,"length":19,"field":"card_number","class":"credit_card"`,
		`"line":1,"column":1,"length":17,"field":"shipping.street","class":"postal_address"`,
		`{"path":"s3://lake/exports/2024/leads","line":1,"column":1,"length":20,"field":"contact.email","class":"email"`,
		`"line":2,"column":33,"length":6,"field":"tags","class":"health"`,
		`{"path":"s3://lake/exports/2024/customers!xl/worksheets/sheet1.xml","line":2,"column":1,"length":15,"field":"Customers!D2","class":"email"`,
		`"line":2,"column":26,"length":23,"field":"'Support log'!C2","class":"email"`,
		`{"path":"s3://lake/exports/backup/crm","line":1,"column":1,"length":24,"field":"customers.email","class":"email"`,
		`"line":2,"column":1,"length":16,"field":"payments.card_number","class":"credit_card"`,
		`{"path":"s3://lake/exports/mail/support-ticket","line":5,"column":28,"length":11,"field":"body.1.1","class":"us_ssn"`,
		`{"path":"s3://lake/exports/mail/support-ticket!part-2.csv","line":2,`,
		`{"path":"s3://lake/exports/mail/inbox!message-2!part-2.eml","line":1,"column":52,"length":15,"field":"body","class":"health"`,
	} {
		if !strings.Contains(out, want) {
			t.Errorf("no %s in\n%s", want, out)
		}
	}
	if n := strings.Count(out, "\n"); n != 11+7+12+16+12+13 {
		t.Errorf("%d findings, want the 11, 7, 12, 16, 12 and 13 of the files on disk:\n%s", n, out)
	}
}
