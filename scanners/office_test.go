package scanners

import (
	"bytes"
	"fmt"
	"path/filepath"
	"slices"
	"testing"

	"github.com/piiscan/piiscan/internal/officefile"
)

// fileFindings scans a file of name and content alone, and returns its
// findings as "member line:col+len field class".
func fileFindings(t *testing.T, name string, data []byte) []string {
	t.Helper()
	dir := t.TempDir()
	p := filepath.Join(dir, name)
	writeFile(t, p, data)
	got, _ := collect(t, testOptions(t), dir)
	var out []string
	for _, f := range got {
		out = append(out, fmt.Sprintf("%s %d:%d+%d %s %s", f.Path[len(p):], f.Line, f.Column, f.Length, f.Field, f.Class))
	}
	slices.Sort(out)
	return out
}

func checkFindings(t *testing.T, got, want []string) {
	t.Helper()
	slices.Sort(want)
	if !slices.Equal(got, want) {
		t.Errorf("findings\n%q\nwant\n%q", got, want)
	}
}

// A workbook's findings carry their cell as field and their row as line;
// the first row names the columns, so an unformatted SSN is found by its
// header, and is read as data too (a header cell that is a column's name,
// "Full Name", is no finding; a first row of values is); a version column of dotted quads and an order_id column of
// numbers that fail Luhn are not findings.
func TestScanXLSX(t *testing.T) {
	for _, inline := range []bool{false, true} {
		t.Run(fmt.Sprintf("inline=%v", inline), func(t *testing.T) {
			var buf bytes.Buffer
			x, err := officefile.NewXLSX(&buf, inline)
			if err != nil {
				t.Fatal(err)
			}
			x.Sheet("Customers")
			x.Row("order_id", "version", "Email Address", "SSN", "Notes")
			x.Row("4111111111111112", "10.2.3.4", "ada@example.com", "536228726", "")
			x.Row("5500000000000005", "192.168.1.1", "", "", "card 4111 1111 1111 1111 on file")
			x.Sheet("Q1 sales")
			x.Row("ip", "", "", "contact", "Full Name")
			x.Row("203.0.113.9", "", "", "+1 415 555 0134")
			// No header: the first row's values are data.
			x.Sheet("raw")
			x.Row("grace@example.org", "Grace Hopper")
			if err := x.Close(); err != nil {
				t.Fatal(err)
			}
			got := fileFindings(t, "book.xlsx", buf.Bytes())
			want := []string{
				"!xl/worksheets/sheet1.xml 2:1+15 Customers!C2 email",
				"!xl/worksheets/sheet1.xml 2:1+9 Customers!D2 us_ssn",
				"!xl/worksheets/sheet1.xml 3:6+19 Customers!E3 credit_card",
				"!xl/worksheets/sheet2.xml 2:1+11 'Q1 sales'!A2 ip_address",
				"!xl/worksheets/sheet2.xml 2:1+15 'Q1 sales'!D2 phone_number",
				"!xl/worksheets/sheet3.xml 1:1+17 raw!A1 email",
			}
			checkFindings(t, got, want)
		})
	}
}

// A DOCX paragraph is a line, its runs joined: an email Word split into
// runs is one finding.
func TestScanDOCX(t *testing.T) {
	var buf bytes.Buffer
	d, err := officefile.NewDOCX(&buf)
	if err != nil {
		t.Fatal(err)
	}
	d.Paragraph("Dear customer,")
	d.Paragraph("Write to ", "ada.lovelace", "@example.com", " or call +1 415 555 0134.")
	d.Paragraph("Version 10.2.3.4 is installed.")
	d.Paragraph("Patient diagnosis: type 2 diabetes.")
	if err := d.Close(); err != nil {
		t.Fatal(err)
	}
	got := fileFindings(t, "letter.docx", buf.Bytes())
	want := []string{
		"!word/document.xml 2:10+24  email",
		"!word/document.xml 2:43+15  phone_number",
		"!word/document.xml 4:20+15  health",
	}
	checkFindings(t, got, want)
}

// Slides, ODF text and ODF sheets.
func TestScanOfficeOthers(t *testing.T) {
	var pptx, odt, ods bytes.Buffer
	if err := officefile.PPTX(&pptx, [][]string{{"Quarterly review"}, {"Escalations: grace@example.org", "SSN 536-22-8726"}}); err != nil {
		t.Fatal(err)
	}
	if err := officefile.ODT(&odt, []string{"Minutes", "Contact ada@example.com"}); err != nil {
		t.Fatal(err)
	}
	if err := officefile.ODS(&ods, "Leads", [][]string{{"name", "email", "ssn"}, {"Ada", "ada@example.com", "536228726"}, {"", "", ""}, {"Grace", "grace@example.org"}}); err != nil {
		t.Fatal(err)
	}
	checkFindings(t, fileFindings(t, "deck.pptx", pptx.Bytes()), []string{
		"!ppt/slides/slide2.xml 1:14+17  email",
		"!ppt/slides/slide2.xml 2:5+11  us_ssn",
	})
	checkFindings(t, fileFindings(t, "minutes.odt", odt.Bytes()), []string{
		"!content.xml 2:9+15  email",
	})
	checkFindings(t, fileFindings(t, "leads.ods", ods.Bytes()), []string{
		"!content.xml 2:1+15 Leads!B2 email",
		"!content.xml 2:1+9 Leads!C2 us_ssn",
		"!content.xml 4:1+17 Leads!B4 email",
	})
}
