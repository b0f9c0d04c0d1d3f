package source

import (
	"bytes"
	"fmt"
	"io"
	"strconv"
)

// Table describes a stream that was rendered from a table in a structured
// file (Parquet, Avro, a worksheet): its first line names the columns, and
// each further line is one row, its values separated by tabs (a sheet's
// line N is its row N, rows without values empty lines). A value holds
// no tab, CR or LF (each became a space, one byte for one), and the
// values of a repeated column in one row are separated by spaces.
type Table struct {
	// Fields are the columns as findings report them (a nested column's
	// path joined with '.'), in the order of the line's values.
	Fields []string
	// Names are the names that say what each column holds, for
	// detection: the last name of its path that is not a list's or a
	// map's wrapper (contacts.list.element.email is "email").
	Names []string
	// Numbers marks, by column, the columns of integers.
	Numbers []bool
	// Sheet, when set, names the spreadsheet the table is: a line is the
	// row of that number, and a value's field is its cell (Sheet!B7).
	Sheet string
	// HeaderRow, for a sheet, is the row whose values name the columns
	// (its first row with values). Its line is read as values too: it
	// may be data.
	HeaderRow int
}

// IsNumber reports whether column col holds integers.
func (t *Table) IsNumber(col int) bool {
	return col < len(t.Numbers) && t.Numbers[col]
}

// Field returns the field of the value in column col of row row: the
// column's name, "" past the last one; or, for a sheet, the cell.
func (t *Table) Field(col, row int) string {
	if t.Sheet != "" {
		return CellName(t.Sheet, col, row)
	}
	if col < len(t.Fields) {
		return t.Fields[col]
	}
	return ""
}

// A FieldCursor finds which value of a row a byte belongs to. Asked for
// positions of one row in increasing order, it reads the row once.
type FieldCursor struct {
	row, pos, col, start int
}

// Resume starts the cursor in the middle of a row that starts before
// data[0]: col values come before data[0], and the one that holds it
// starts at data[start] (start <= 0).
func (c *FieldCursor) Resume(col, start int) {
	c.row, c.pos, c.col, c.start = 0, 0, col, start
}

// At returns the column of the value that holds data[i], in the row
// that starts at data[row], and the offset in data where that value
// starts.
func (c *FieldCursor) At(data []byte, row, i int) (col, start int) {
	if row != c.row || i < c.pos || c.pos < row {
		c.row, c.pos, c.col, c.start = row, row, 0, row
	}
	for {
		j := bytes.IndexByte(data[c.pos:i], '\t')
		if j < 0 {
			break
		}
		c.col++
		c.pos += j + 1
		c.start = c.pos
	}
	c.pos = i
	return c.col, c.start
}

// rowReader is the io.Reader of a table rendered a batch of rows at a
// time: fill appends the next rows to buf, or sets err. A panic of the
// format's library on damaged data is an error of the file.
type rowReader struct {
	buf  []byte // rendered and not yet read
	back []byte // buf's storage
	err  error
	fill func()
}

func (r *rowReader) Read(p []byte) (n int, err error) {
	defer func() {
		if x := recover(); x != nil {
			r.err = fmt.Errorf("%w: %v", ErrCorrupt, x)
			n, err = 0, r.err
		}
	}()
	for len(r.buf) == 0 {
		if r.err != nil {
			return 0, r.err
		}
		r.fill()
	}
	n = copy(p, r.buf)
	r.buf = r.buf[n:]
	return n, nil
}

// table hands the rows r renders (of the Table t) to the StreamFunc as
// the stream name. The rendered rows count against the input's budget and
// against the ratio to the in bytes they were made from: a few KiB of
// run-length encoding, or a shared string a million cells repeat, can
// claim gigabytes.
func (ex *expansion) table(name string, r io.Reader, in *countingReader, f Format, t *Table) error {
	return ex.stream(name, &limitedReader{r: r, in: in, ex: ex, format: f}, t)
}

// stream hands r, a stream rendered from a structured file that makes
// no more bytes than it holds (a mail's text), to the StreamFunc as the
// stream name.
func (ex *expansion) stream(name string, r io.Reader, t *Table) error {
	b := getBuffer(r)
	defer putBuffer(b)
	return ex.fn(name, b.br, t)
}

// appendCell appends v with each tab, CR and LF (and other control
// bytes) as a space, so that it stays one value of one line.
func appendCell[T ~string | ~[]byte](b []byte, v T) []byte {
	for i := range len(v) {
		c := v[i]
		if c < 0x20 || c == 0x7f {
			c = ' '
		}
		b = append(b, c)
	}
	return b
}

// tableRows is what the readers of Parquet, Avro and worksheets share: the table, the
// cells of the row being rendered, and the reader of the rendered rows.
type tableRows struct {
	table Table
	cells [][]byte
	num   []byte // a number's digits
	rowReader
}

// start readies the rows once the table's columns are known: the first
// line rendered names them, and fill renders the rest.
func (r *tableRows) start(fill func()) {
	r.cells = make([][]byte, len(r.table.Names))
	for i, name := range r.table.Names {
		if i > 0 {
			r.buf = append(r.buf, '\t')
		}
		r.buf = appendCell(r.buf, name)
	}
	r.buf = append(r.buf, '\n')
	r.fill = fill
}

// add adds a value to column col of the row being rendered: the values
// of a repeated column are separated by spaces.
func add[T ~string | ~[]byte](r *tableRows, col int, v T) {
	cell := r.cells[col]
	if len(cell) > 0 {
		cell = append(cell, ' ')
	}
	r.cells[col] = appendCell(cell, v)
}

// addNumber adds an integer to column col.
func (r *tableRows) addNumber(col int, n int64) {
	r.num = strconv.AppendInt(r.num[:0], n, 10)
	add(r, col, r.num)
}

// renderRow appends a row of cells to buf, separated by tabs, and empties
// the cells for the next row.
func renderRow(buf []byte, cells [][]byte) []byte {
	for i, cell := range cells {
		if i > 0 {
			buf = append(buf, '\t')
		}
		buf = append(buf, cell...)
		cells[i] = cell[:0]
	}
	return append(buf, '\n')
}

// looksBinary reports whether a value of a column without a text type
// is binary data (an image, a serialised object) rather than text: it
// holds a NUL, or more than one byte in ten is a control character.
func looksBinary(v []byte) bool {
	ctrl := 0
	for _, c := range v {
		if c == 0 {
			return true
		}
		if c < 0x20 && c != '\t' && c != '\n' && c != '\r' || c == 0x7f {
			ctrl++
		}
	}
	return ctrl*10 > len(v)
}

// copyAtMost copies r to w to its end, and fails with ErrBomb once r gives
// more than max bytes: decompressed data whose size was declared.
func copyAtMost(w io.Writer, r io.Reader, max int64) error {
	n, err := io.Copy(w, io.LimitReader(r, max+1))
	if err != nil {
		return err
	}
	if n > max {
		return fmt.Errorf("%w: more than the %d bytes declared", ErrBomb, max)
	}
	return nil
}
