package source

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"strings"

	"github.com/parquet-go/parquet-go"
	"github.com/parquet-go/parquet-go/deprecated"
	"github.com/parquet-go/parquet-go/format"
)

// parquetRowBatch is how many rows are decoded at a time.
const parquetRowBatch = 256

// parquet reads a Parquet file as a Table stream: the string and integer
// columns of every row. It needs random access (the metadata is at the
// end), so a stream is spooled like a zip archive.
func (ex *expansion) parquet(name string, br *bufio.Reader, size int64, ra io.ReaderAt) error {
	spooled := false
	if ra == nil {
		f, n, err := ex.spool(name, br, "Parquet file")
		if err != nil {
			return err
		}
		defer CloseSpool(f)
		ra, size, spooled = f, n, true
	}
	head, tail := fileEnds(ra, size)
	switch {
	case !looksBinary(head):
		// Text that starts with "PAR1" or "PARE" (a "PARENT ..." line) is
		// text, whatever it ends with: a Parquet file's first page header
		// follows its magic, and its bytes are no text.
		if spooled {
			b := getBuffer(io.NewSectionReader(ra, 0, size))
			defer putBuffer(b)
			br = b.br
		}
		return ex.fn(name, br, nil)
	case size >= 12 && bytes.HasPrefix(head, []byte("PARE")) && tail == "PARE":
		// An encrypted footer: the file starts and ends with "PARE".
		return &fs.PathError{Op: "parquet", Path: name, Err: ErrEncryptedParquet}
	case size < 12 || !bytes.HasPrefix(head, []byte("PAR1")) || tail != "PAR1":
		// Saying nothing would pass a file cut short as clean.
		return &fs.PathError{Op: "parquet", Path: name, Err: fmt.Errorf("%w: no Parquet footer (the file was cut short)", ErrCorrupt)}
	}
	t, err := openParquet(ra, size, ex.lim.MaxRatio)
	if err != nil {
		return &fs.PathError{Op: "parquet", Path: name, Err: corrupt(err)}
	}
	defer t.close()
	return ex.table(name, t, &countingReader{n: size}, FormatParquet, &t.table)
}

// parquetTable renders the rows of a Parquet file, a batch at a time.
type parquetTable struct {
	tableRows
	file   *parquet.File
	keep   []int // by leaf column index: its place in a row, or -1
	groups []parquet.RowGroup
	group  int
	rows   parquet.Rows
	batch  []parquet.Row
	// typed marks the columns with a string type (UTF8, enum, JSON):
	// their values are text, whatever their bytes.
	typed []bool
	empty int // batches in a row that gave no row
}

// ErrEncryptedParquet is the problem of a Parquet file whose footer is
// encrypted (PARE): it is reported as not read, never passed as clean.
var ErrEncryptedParquet = errors.New("an encrypted Parquet file (PARE) is not read")

// fileEnds returns the first 512 bytes of a file (fewer in a shorter
// one) and its last 4.
func fileEnds(ra io.ReaderAt, size int64) (head []byte, tail string) {
	head = make([]byte, min(size, 512))
	n, _ := ra.ReadAt(head, 0)
	head = head[:n]
	if size >= 4 {
		var t [4]byte
		if _, err := ra.ReadAt(t[:], size-4); err == nil {
			tail = string(t[:])
		}
	}
	return head, tail
}

// openParquet opens a Parquet file after checking its structure (see
// checkParquetFooter), maxRatio bounding the compression of its large
// pages.
func openParquet(ra io.ReaderAt, size int64, maxRatio int64) (t *parquetTable, err error) {
	defer func() {
		if p := recover(); p != nil {
			t, err = nil, fmt.Errorf("%w: parquet: %v", ErrCorrupt, p)
		}
	}()
	if err := checkParquetFooter(ra, size); err != nil {
		return nil, err
	}
	f, err := parquet.OpenFile(ra, size, parquet.SkipPageIndex(true), parquet.SkipBloomFilters(true), parquet.ReadBufferSize(64<<10))
	if err != nil {
		return nil, err
	}
	for i := range f.Metadata().RowGroups {
		if err := checkParquetRowGroup(ra, size, &f.Metadata().RowGroups[i], maxRatio); err != nil {
			return nil, err
		}
	}
	t = &parquetTable{file: f, groups: f.RowGroups(), batch: make([]parquet.Row, parquetRowBatch)}
	schema := f.Schema()
	for _, path := range schema.Columns() {
		leaf, ok := schema.Lookup(path...)
		if !ok {
			continue
		}
		for len(t.keep) <= leaf.ColumnIndex {
			t.keep = append(t.keep, -1)
		}
		if !textColumn(leaf.Node.Type()) {
			continue
		}
		t.keep[leaf.ColumnIndex] = len(t.table.Fields)
		t.table.Fields = append(t.table.Fields, strings.Join(path, "."))
		t.table.Names = append(t.table.Names, columnName(path))
		kind := leaf.Node.Type().Kind()
		t.table.Numbers = append(t.table.Numbers, kind == parquet.Int32 || kind == parquet.Int64)
		t.typed = append(t.typed, leaf.Node.Type().LogicalType() != nil)
	}
	t.start(t.fill)
	return t, nil
}

// textColumn reports whether a column's values can hold personal data as
// text: strings, and integers that are not dates, times or decimals (an
// SSN or a card number stored as a number).
func textColumn(t parquet.Type) bool {
	var lt format.LogicalTypeValue
	if l := t.LogicalType(); l != nil {
		lt = l.Value
	}
	var ct deprecated.ConvertedType = -1
	if c := t.ConvertedType(); c != nil {
		ct = *c
	}
	switch t.Kind() {
	case parquet.ByteArray, parquet.FixedLenByteArray:
		switch lt.(type) {
		case nil, *format.StringType, *format.EnumType, *format.JsonType:
		default:
			return false
		}
		return ct != deprecated.Decimal && ct != deprecated.Bson && ct != deprecated.Interval
	case parquet.Int32, parquet.Int64:
		switch lt.(type) {
		case nil, *format.IntType:
		default:
			return false
		}
		switch ct {
		case deprecated.Date, deprecated.TimeMillis, deprecated.TimeMicros, deprecated.TimestampMillis, deprecated.TimestampMicros, deprecated.Decimal:
			return false
		}
		return true
	}
	return false
}

// columnName is the name a column's values are known by for detection:
// the last name of its path that is not a list's or a map's wrapper
// (contacts.list.element.email is "email"; tags.list.element is "tags").
func columnName(path []string) string {
	for i := len(path) - 1; i > 0; i-- {
		switch strings.ToLower(path[i]) {
		case "list", "element", "item", "array", "bag", "array_element", "key_value", "map", "key", "value":
			continue
		}
		return path[i]
	}
	return path[0]
}

// fill renders the next batch of rows into t.buf, or sets t.err.
func (t *parquetTable) fill() {
	if t.rows == nil {
		if t.group == len(t.groups) {
			t.err = io.EOF
			return
		}
		t.rows = t.groups[t.group].Rows()
		t.group++
	}
	n, err := t.rows.ReadRows(t.batch)
	if n == 0 && err == nil {
		if t.empty++; t.empty > 8 {
			t.err = fmt.Errorf("%w: parquet: rows that never come", ErrCorrupt)
		}
		return
	}
	t.empty = 0
	buf := t.back[:0]
	for _, row := range t.batch[:n] {
		for _, v := range row {
			c := v.Column()
			if c < 0 || c >= len(t.keep) || t.keep[c] < 0 || v.IsNull() {
				continue
			}
			col := t.keep[c]
			switch v.Kind() {
			case parquet.Int32:
				t.addNumber(col, int64(v.Int32()))
			case parquet.Int64:
				t.addNumber(col, v.Int64())
			default:
				// Bytes without a string type may be binary (an image,
				// a serialised object); text that is not UTF-8 (Latin-1)
				// is still text.
				if val := v.ByteArray(); t.typed[col] || !looksBinary(val) {
					add(&t.tableRows, col, val)
				}
			}
		}
		buf = renderRow(buf, t.cells)
	}
	t.buf, t.back = buf, buf
	if err == io.EOF {
		t.rows.Close()
		t.rows = nil
	} else if err != nil {
		if errors.Is(err, ErrCorrupt) {
			t.err = err
		} else {
			t.err = fmt.Errorf("%w: parquet: %v", ErrCorrupt, err)
		}
	}
}

func (t *parquetTable) close() {
	if t.rows != nil {
		t.rows.Close()
	}
}
