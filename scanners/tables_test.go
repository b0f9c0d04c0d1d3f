package scanners

import (
	"bytes"
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/hamba/avro/v2/ocf"
	"github.com/parquet-go/parquet-go"
)

type pqOrder struct {
	OrderID int64    `parquet:"order_id"`
	Version string   `parquet:"version"`
	Email   string   `parquet:"email"`
	SSN     string   `parquet:"ssn"`
	Card    string   `parquet:"card_number"`
	Phone   int64    `parquet:"phone"`
	Notes   []string `parquet:"notes,list"`
	Client  struct {
		IP string `parquet:"ip"`
	} `parquet:"client"`
}

// A Parquet export's findings carry the column as field and the row as
// line; a version column of dotted quads and an order_id column of
// numbers that fail Luhn are not findings.
func TestScanParquet(t *testing.T) {
	rows := []pqOrder{
		{OrderID: 4111111111111112, Version: "10.2.3.4", Email: "ada@example.com", SSN: "536-22-8726", Card: "4111 1111 1111 1111", Phone: 4155550134,
			Notes: []string{"ok", "patient diagnosis: type 2 diabetes"}},
		{OrderID: 5500000000000005, Version: "192.168.1.1", Email: "", Card: "4111 1111 1111 1112"},
		{OrderID: 3, Version: "1.0.0.1", Email: "grace@example.org"},
	}
	rows[2].Client.IP = "203.0.113.9"
	var buf bytes.Buffer
	if err := parquet.Write(&buf, rows); err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	p := filepath.Join(dir, "orders.parquet")
	writeFile(t, p, buf.Bytes())
	got, st := collect(t, testOptions(t), dir)
	var out []string
	for _, f := range got {
		out = append(out, fmt.Sprintf("%d:%d+%d %s %s", f.Line, f.Column, f.Length, f.Field, f.Class))
		if f.Path != p {
			t.Errorf("path %q, want %q", f.Path, p)
		}
	}
	want := []string{
		"1:1+15 email email",
		"1:1+11 ssn us_ssn",
		"1:1+19 card_number credit_card",
		"1:1+10 phone phone_number",
		"1:23+15 notes.list.element health",
		"3:1+17 email email",
		"3:1+11 client.ip ip_address",
	}
	slices.Sort(out)
	slices.Sort(want)
	if !slices.Equal(out, want) {
		t.Errorf("findings\n%q\nwant\n%q", out, want)
	}
	if st.Streams != 1 || st.Binary != 0 {
		t.Errorf("stats %+v: want one stream, none binary", st)
	}
}

// A row longer than a chunk (and values whose statistics make page
// headers of hundreds of KiB): the findings past the first chunk keep
// their field and their offset in it.
func TestScanParquetLongRows(t *testing.T) {
	type wide struct {
		ID   int64  `parquet:"id"`
		Blob string `parquet:"blob"`
		Mail string `parquet:"mail"`
	}
	blob := strings.Repeat("x", 300<<10) + " wide@example.com " + strings.Repeat("y", 100<<10)
	rows := []wide{{1, blob, "first@example.com"}, {2, "short", "second@example.com"}, {3, blob, "third@example.com"}}
	var buf bytes.Buffer
	if err := parquet.Write(&buf, rows); err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	writeFile(t, filepath.Join(dir, "wide.parquet"), buf.Bytes())
	opts := testOptions(t)
	opts.ChunkSize = 64 << 10
	got, st := collect(t, opts, dir)
	var out []string
	for _, f := range got {
		out = append(out, fmt.Sprintf("%d:%d+%d %s %s", f.Line, f.Column, f.Length, f.Field, f.Class))
	}
	at := fmt.Sprint(300<<10 + 2)
	want := []string{
		"1:" + at + "+16 blob email", "1:1+17 mail email",
		"2:1+18 mail email",
		"3:" + at + "+16 blob email", "3:1+17 mail email",
	}
	slices.Sort(out)
	slices.Sort(want)
	if !slices.Equal(out, want) {
		t.Errorf("findings\n%q\nwant\n%q", out, want)
	}
	if len(st.Problems) != 0 {
		t.Errorf("problems: %v", st.Problems)
	}
}

// An Avro container file is read as a table too: the field path is the
// field, the record number the line.
func TestScanAvro(t *testing.T) {
	schema := `{"type": "record", "name": "Lead", "fields": [
		{"name": "id", "type": "long"},
		{"name": "app_version", "type": "string"},
		{"name": "contact", "type": {"type": "record", "name": "Contact", "fields": [
			{"name": "email", "type": ["null", "string"]},
			{"name": "phone", "type": "string"}]}},
		{"name": "notes", "type": {"type": "array", "items": "string"}}]}`
	var buf bytes.Buffer
	enc, err := ocf.NewEncoder(schema, &buf, ocf.WithCodec(ocf.Snappy))
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range []map[string]any{
		{"id": int64(4111111111111111), "app_version": "10.2.3.4", "contact": map[string]any{"email": "ada@example.com", "phone": "(415) 555-0134"}, "notes": []any{"ok"}},
		{"id": int64(2), "app_version": "192.168.1.1", "contact": map[string]any{"email": nil, "phone": ""}, "notes": []any{"patient diagnosis: asthma"}},
	} {
		if err := enc.Encode(r); err != nil {
			t.Fatal(err)
		}
	}
	if err := enc.Close(); err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	writeFile(t, filepath.Join(dir, "leads.avro"), buf.Bytes())
	got, _ := collect(t, testOptions(t), dir)
	var out []string
	for _, f := range got {
		out = append(out, fmt.Sprintf("%d:%d+%d %s %s", f.Line, f.Column, f.Length, f.Field, f.Class))
	}
	want := []string{"1:1+15 contact.email email", "1:1+14 contact.phone phone_number", "2:20+6 notes health"}
	slices.Sort(out)
	slices.Sort(want)
	if !slices.Equal(out, want) {
		t.Errorf("findings\n%q\nwant\n%q", out, want)
	}
}

// A '"' in a table's value is text: it does not hide the next columns'
// names (a CSV reader would take it for quoting), and a value that is
// not UTF-8 (Latin-1) is still read.
func TestScanTableQuotes(t *testing.T) {
	type row struct {
		Item string `parquet:"item"`
		SSN  string `parquet:"ssn"`
		Note string `parquet:"note"`
	}
	var buf bytes.Buffer
	if err := parquet.Write(&buf, []row{{`24" monitor`, "536228726", "caf\xe9 bob@example.com"}}); err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	writeFile(t, filepath.Join(dir, "q.parquet"), buf.Bytes())
	got, _ := collect(t, testOptions(t), dir)
	var out []string
	for _, f := range got {
		out = append(out, fmt.Sprintf("%s %s %d", f.Field, f.Class, f.Column))
	}
	slices.Sort(out)
	if want := []string{"note email 6", "ssn us_ssn 1"}; !slices.Equal(out, want) {
		t.Errorf("findings %q, want %q", out, want)
	}
}

// An integer is only a number: a column of them is read for what its
// name says (a phone, an SSN, a card), and random ids that pass Luhn and
// fall in a card range are no cards.
func TestScanTableNumbers(t *testing.T) {
	type row struct {
		Measure int64  `parquet:"bitwidth50"`
		Card    int64  `parquet:"card_number"`
		Text    string `parquet:"reference"`
	}
	var buf bytes.Buffer
	if err := parquet.Write(&buf, []row{{4111111111111111, 4111111111111111, "4111 1111 1111 1111"}}); err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	writeFile(t, filepath.Join(dir, "m.parquet"), buf.Bytes())
	got, _ := collect(t, testOptions(t), dir)
	var out []string
	for _, f := range got {
		out = append(out, f.Field+" "+f.Class)
	}
	slices.Sort(out)
	if want := []string{"card_number credit_card", "reference credit_card"}; !slices.Equal(out, want) {
		t.Errorf("findings %q, want %q", out, want)
	}
}
