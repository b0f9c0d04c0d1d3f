package source

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/parquet-go/parquet-go"
)

type pqContact struct {
	Kind  string `parquet:"kind"`
	Email string `parquet:"email"`
}

// pqCustomer has a column of every kind a Parquet export holds: strings,
// integers, optional, nested and repeated columns, a map, and columns that
// are not read (timestamps, floats, booleans, binary data).
type pqCustomer struct {
	ID       int64             `parquet:"id"`
	Name     string            `parquet:"full_name"`
	SSN      *string           `parquet:"ssn,optional"`
	Phone    int64             `parquet:"phone"`
	Created  time.Time         `parquet:"created"`
	Balance  float64           `parquet:"balance"`
	Active   bool              `parquet:"active"`
	Photo    []byte            `parquet:"photo"`
	Contacts []pqContact       `parquet:"contacts,list"`
	Attrs    map[string]string `parquet:"attrs"`
	Note     string            `parquet:"note,zstd"`
}

func parquetBytes[T any](t testing.TB, rows []T, opts ...parquet.WriterOption) []byte {
	t.Helper()
	var buf bytes.Buffer
	if err := parquet.Write(&buf, rows, opts...); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func customers(t testing.TB) []byte {
	ssn := "536-22-8726"
	created := time.Date(2026, 11, 3, 9, 0, 0, 0, time.UTC)
	return parquetBytes(t, []pqCustomer{
		{ID: 1, Name: "Maria Delgado", SSN: &ssn, Phone: 4155550134, Created: created, Balance: 12.5, Active: true,
			Photo:    []byte{0xff, 0xd8, 0xff, 0x00, '\t', 0x80},
			Contacts: []pqContact{{"work", "m.delgado@example.org"}, {"home", "maria@example.com"}},
			Attrs:    map[string]string{"ip": "203.0.113.9"},
			Note:     "called\tfrom\r\n+44 20 7946 0958"},
		{ID: 2, Name: "Tomasz Nowak", Created: created},
	})
}

// The photo column is read (a column without a type annotation may hold
// text), but not its value, which is not UTF-8.
const customersRendered = "id\tfull_name\tssn\tphone\tphoto\tkind\temail\tattrs\tattrs\tnote\n" +
	"1\tMaria Delgado\t536-22-8726\t4155550134\t\twork home\tm.delgado@example.org maria@example.com\tip\t203.0.113.9\tcalled from  +44 20 7946 0958\n" +
	"2\tTomasz Nowak\t\t0\t\t\t\t\t\t\n"

var customersFields = []string{"id", "full_name", "ssn", "phone", "photo", "contacts.list.element.kind", "contacts.list.element.email", "attrs.key_value.key", "attrs.key_value.value", "note"}

// tableRecorder records the streams of an expansion with their tables.
type tableRecorder struct {
	recorder
	tables map[string]*Table
}

func (r *tableRecorder) fn(path string, br *bufio.Reader, t *Table) error {
	if t != nil {
		r.tables[path] = t
	}
	return r.recorder.fn(path, br, t)
}

func TestParquetTable(t *testing.T) {
	data := customers(t)
	dir := t.TempDir()
	p := writeFile(t, dir, "customers.bin", data)
	tarball := gzipBytes(t, tarBytes(t, reg("exports/customers.parquet", string(data)), reg("notes.txt", "PAR1 is a Parquet magic\n")))
	tests := []struct {
		name    string
		in      []byte
		inPlace bool
		want    []stream
	}{
		{"in place", data, true, []stream{{p, customersRendered}}},
		{"spooled", data, false, []stream{{p, customersRendered}}},
		{"in an archive", tarball, false, []stream{
			{p + "!exports/customers.parquet", customersRendered},
			{p + "!notes.txt", "PAR1 is a Parquet magic\n"},
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if err := os.WriteFile(p, tt.in, 0o644); err != nil {
				t.Fatal(err)
			}
			rec := &tableRecorder{recorder: *newRecorder(), tables: map[string]*Table{}}
			f, err := os.Open(p)
			if err != nil {
				t.Fatal(err)
			}
			defer f.Close()
			var ra io.ReaderAt
			if tt.inPlace {
				ra = f
			}
			if err := rec.expander(Limits{SpoolDir: t.TempDir()}).Expand(context.Background(), p, f, ra, int64(len(tt.in)), rec.fn); err != nil {
				t.Fatal(err)
			}
			checkStreams(t, &rec.recorder, tt.want)
			checkMembers(t, &rec.recorder, nil)
			tab := rec.tables[tt.want[0].path]
			if tab == nil || !slices.Equal(tab.Fields, customersFields) {
				t.Fatalf("table %+v, want fields %q", tab, customersFields)
			}
			if len(rec.tables) != 1 {
				t.Errorf("%d tables, want 1: only the Parquet file is one", len(rec.tables))
			}
		})
	}
}

func TestFieldCursor(t *testing.T) {
	data := []byte("x\tyy zz\t\tw\nab\tc\n")
	tests := []struct {
		row, i     int
		col, start int
	}{
		{0, 0, 0, 0}, {0, 2, 1, 2}, {0, 5, 1, 2}, {0, 8, 2, 8}, {0, 9, 3, 9},
		{0, 3, 1, 2}, // backwards: read again
		{11, 11, 0, 11}, {11, 14, 1, 14},
	}
	var c FieldCursor
	for _, tt := range tests {
		col, start := c.At(data, tt.row, tt.i)
		if col != tt.col || start != tt.start {
			t.Errorf("At(%d, %d) = %d, %d; want %d, %d", tt.row, tt.i, col, start, tt.col, tt.start)
		}
	}
	// A chunk that starts inside a row: 4 values before it, the fifth
	// started 3 bytes before data[0].
	c.Resume(4, -3)
	if col, start := c.At(data, 0, 0); col != 4 || start != -3 {
		t.Errorf("resumed At(0, 0) = %d, %d; want 4, -3", col, start)
	}
	if col, start := c.At(data, 0, 5); col != 5 || start != 2 {
		t.Errorf("resumed At(0, 5) = %d, %d; want 5, 2", col, start)
	}
	tab := &Table{Fields: []string{"a", "b"}}
	if tab.Field(1, 1) != "b" || tab.Field(2, 1) != "" {
		t.Errorf("Field: %q %q", tab.Field(1, 1), tab.Field(2, 1))
	}
}

// Text that starts with the magic is read as text; a Parquet file cut
// short or damaged is reported as corrupt, never passed as clean.
func TestParquetNotParquet(t *testing.T) {
	data := customers(t)
	flipped := slices.Clone(data)
	for i := 8; i < len(flipped)/2; i += 7 {
		flipped[i] ^= 0x5a
	}
	tests := []struct {
		name    string
		in      []byte
		want    []stream
		wantErr error
	}{
		{"text", []byte("PAR1 is the magic of a Parquet file\nbob@example.com\n"), []stream{{"in", "PAR1 is the magic of a Parquet file\nbob@example.com\n"}}, nil},
		{"text that starts PARE", []byte("PARENT process 4711 started for bob@example.com\n"), []stream{{"in", "PARENT process 4711 started for bob@example.com\n"}}, nil},
		{"text that ends PARE", []byte("PARENT of\nPARE"), []stream{{"in", "PARENT of\nPARE"}}, nil},
		{"text between PAR1 and PAR1", []byte("PAR1 bob@example.com PAR1"), []stream{{"in", "PAR1 bob@example.com PAR1"}}, nil},
		{"truncated", data[:len(data)-10], nil, ErrCorrupt},
		{"no footer", data[:len(data)/2], nil, ErrCorrupt},
		{"damaged pages", flipped, nil, ErrCorrupt},
		{"footer only", []byte("PAR1\x00\x00\x00\x00PAR1"), nil, ErrCorrupt},
		{"footer length wrong", append(slices.Clone(data[:len(data)-8]), 0x10, 0, 0, 0, 'P', 'A', 'R', '1'), nil, ErrCorrupt},
		{"encrypted", append([]byte("PARE"), append(slices.Clone(data[4:len(data)-4]), "PARE"...)...), nil, ErrEncryptedParquet},
		{"encrypted, cut short", append([]byte("PARE"), data[4:len(data)-4]...), nil, ErrCorrupt},
	}
	for _, tt := range tests {
		for _, inPlace := range []bool{true, false} {
			rec := newRecorder()
			var ra io.ReaderAt
			if inPlace {
				ra = bytes.NewReader(tt.in)
			}
			err := rec.expander(Limits{SpoolDir: t.TempDir()}).Expand(context.Background(), "in", bytes.NewReader(tt.in), ra, int64(len(tt.in)), rec.fn)
			if tt.wantErr == nil && err != nil || tt.wantErr != nil && !errors.Is(err, tt.wantErr) {
				t.Errorf("%s (in place %v): err %v, want %v", tt.name, inPlace, err, tt.wantErr)
			}
			if tt.want != nil {
				checkStreams(t, rec, tt.want)
			}
		}
	}
}

// A few KiB of dictionary and run-length encoding can stand for millions
// of rows: the rendered rows count against the bomb limits.
func TestParquetBomb(t *testing.T) {
	type row struct {
		Email string `parquet:"email,dict,zstd"`
	}
	rows := make([]row, 1<<20)
	for i := range rows {
		rows[i].Email = "the.same.address.again@example.com"
	}
	data := parquetBytes(t, rows)
	if len(data) > 64<<10 {
		t.Fatalf("%d bytes: not the small file this test needs", len(data))
	}
	_, err := expandBytes(t, "bomb.parquet", data, Limits{RatioFloor: 1 << 20, MaxRatio: 100, SpoolDir: t.TempDir()})
	if !errors.Is(err, ErrBomb) {
		t.Fatalf("err %v, want ErrBomb", err)
	}
	_, err = expandBytes(t, "bomb.parquet", data, Limits{MaxBytes: 4 << 20, MaxRatio: 1 << 20, SpoolDir: t.TempDir()})
	if !errors.Is(err, ErrBomb) {
		t.Fatalf("err %v, want ErrBomb from MaxBytes", err)
	}
	rec, err := expandBytes(t, "ok.parquet", data, Limits{MaxRatio: 1 << 20, SpoolDir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	if n := strings.Count(rec.streams[0].content, "\n"); n != len(rows)+1 {
		t.Fatalf("%d lines, want %d", n, len(rows)+1)
	}
}

func TestParquetSpoolLeavesNothing(t *testing.T) {
	spool := t.TempDir()
	if _, err := expandBytes(t, "c.parquet", customers(t), Limits{SpoolDir: spool}); err != nil {
		t.Fatal(err)
	}
	if left, _ := filepath.Glob(filepath.Join(spool, "*")); len(left) != 0 {
		t.Fatalf("spool files left: %q", left)
	}
}

// FuzzParquet feeds damaged Parquet files to Expand, in place and as a
// stream: no panic, no hang, nothing past the byte budget (checkExpand).
func FuzzParquet(f *testing.F) {
	f.Add(customers(f))
	type row struct {
		Email string   `parquet:"email,dict"`
		Tags  []string `parquet:"tags,list"`
		N     int32    `parquet:"n,optional"`
	}
	f.Add(parquetBytes(f, []row{{"a@example.com", []string{"x", "y"}, 1}, {"b@example.com", nil, 0}}, parquet.Compression(&parquet.Snappy)))
	spool := f.TempDir()
	f.Fuzz(func(t *testing.T, data []byte) { checkExpand(t, data, spool) })
}

// A page that declares megabytes for a few bytes of data (a column of one
// long repeated value, zstd) is a bomb: the reader would hold it
// decompressed, one page per column, before a row is rendered.
func TestParquetPageRatio(t *testing.T) {
	type row struct {
		A string `parquet:"a,zstd"`
		B string `parquet:"b,zstd"`
	}
	v := strings.Repeat("a", 4<<20)
	data := parquetBytes(t, []row{{v, v}}, parquet.DataPageStatistics(false))
	_, err := expandBytes(t, "bomb.parquet", data, Limits{SpoolDir: t.TempDir()})
	if !errors.Is(err, ErrBomb) {
		t.Fatalf("%d bytes: err %v, want ErrBomb", len(data), err)
	}
	// The same with room for it: read.
	rec, err := expandBytes(t, "ok.parquet", data, Limits{MaxRatio: 1 << 20, SpoolDir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	if want := "a\tb\n" + v + "\t" + v + "\n"; rec.streams[0].content != want {
		t.Fatalf("content %s", abbrev(rec.streams[0].content))
	}
}
