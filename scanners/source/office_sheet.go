package source

import (
	"bufio"
	"bytes"
	"encoding/xml"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"strconv"
	"strings"
)

const (
	// maxSheetRows and maxSheetCols are the size of a sheet in Excel and
	// LibreOffice: a cell beyond them is damage.
	maxSheetRows = 1 << 20
	maxSheetCols = 1 << 14
	// maxCellText bounds the text of one cell or shared string (Excel's
	// own limit is 32,767 characters).
	maxCellText = 4 << 20
	// maxRowText bounds the values of one row: cells that repeat a
	// shared string, or repeated columns (ODF), cost no bytes of the file.
	maxRowText = 64 << 20
	// sheetBatch is how many bytes of rows are rendered at a time.
	sheetBatch = 64 << 10
)

// CellName returns the name of the cell in column col (0-based) of row
// row (1-based) of sheet, as a spreadsheet writes it: Sheet1!B7, or
// 'Q1 sales'!B7 for a sheet name that is not a plain word.
func CellName(sheet string, col, row int) string {
	var b strings.Builder
	plain := sheet != "" && (sheet[0] < '0' || sheet[0] > '9')
	for i := range len(sheet) {
		c := sheet[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_' || c == '.') {
			plain = false
			break
		}
	}
	if plain {
		b.WriteString(sheet)
	} else {
		b.WriteByte('\'')
		b.WriteString(strings.ReplaceAll(sheet, "'", "''"))
		b.WriteByte('\'')
	}
	b.WriteByte('!')
	var letters [4]byte
	i := len(letters)
	for n := col + 1; n > 0; n = (n - 1) / 26 {
		i--
		letters[i] = byte('A' + (n-1)%26)
	}
	b.Write(letters[i:])
	b.WriteString(strconv.Itoa(row))
	return b.String()
}

// cellColumn returns the column (0-based) of a cell reference (B7), or
// -1 if ref does not start with one.
func cellColumn(ref string) int {
	col, i := 0, 0
	for ; i < len(ref) && i < 4; i++ {
		c := ref[i] | 0x20
		if c < 'a' || c > 'z' {
			break
		}
		col = col*26 + int(c-'a'+1)
	}
	if i == 0 || col > maxSheetCols {
		return -1
	}
	return col - 1
}

// sheetRow is a row of a sheet as read: its number and the values of
// its cells that have one, in the order of their columns.
type sheetRow struct {
	num    int // 1-based
	repeat int // how many rows in a row it stands for (ODF)
	cols   []int
	vals   [][]byte
	n      int // cells
	size   int // bytes of the values
}

func (r *sheetRow) reset(num int) {
	r.num, r.repeat, r.n, r.size = num, 1, 0, 0
}

// add adds a cell's value; the value is copied.
func (r *sheetRow) add(col int, v []byte) error {
	r.size += len(v)
	if r.size > maxRowText {
		return fmt.Errorf("%w: a row of more than %d bytes", ErrBomb, maxRowText)
	}
	if r.n == len(r.cols) {
		r.cols = append(r.cols, 0)
		r.vals = append(r.vals, nil)
	}
	r.cols[r.n] = col
	r.vals[r.n] = append(r.vals[r.n][:0], v...)
	r.n++
	return nil
}

// rowSource reads the rows of one sheet.
type rowSource interface {
	// next reads the next row that has a value into row, or fails with
	// io.EOF after the last.
	next(row *sheetRow) error
}

// sheetTable renders a sheet as a Table: the values of its first row
// that has any name the columns, and each row is the line of its number
// (the first row, scanned as values too, is line 1 if it is row 1).
type sheetTable struct {
	tableRows
	src     rowSource
	row     sheetRow
	line    int  // the last line rendered
	pending bool // row was read and is not rendered yet
	left    int  // copies of row still to render
}

// openSheet reads the first row of src, whose values name the columns.
func openSheet(sheet string, src rowSource) *sheetTable {
	t := &sheetTable{src: src}
	t.table.Sheet = sheet
	switch err := src.next(&t.row); err {
	case nil:
		t.pending = true
		for i := range t.row.n {
			col := t.row.cols[i]
			for len(t.table.Names) <= col {
				t.table.Names = append(t.table.Names, "")
			}
			t.table.Names[col] = string(t.row.vals[i])
		}
	default:
		t.err = err
	}
	t.start(t.next)
	return t
}

// next renders the next rows.
func (t *sheetTable) next() {
	buf := t.back[:0]
	defer func() { t.buf, t.back = buf, buf }()
	r := &t.row
	for len(buf) < sheetBatch {
		if t.left == 0 {
			if !t.pending {
				if err := t.src.next(r); err != nil {
					t.err = err
					return
				}
			}
			t.pending = false
			num := max(r.num, t.line+1) // rows out of order follow the last
			if num+r.repeat-1 > maxSheetRows {
				t.err = fmt.Errorf("%w: a row numbered beyond %d", ErrCorrupt, maxSheetRows)
				return
			}
			for ; t.line < num-1; t.line++ {
				buf = append(buf, '\n')
			}
			t.left = r.repeat
		}
		at := 0
		for i := range r.n {
			col := max(r.cols[i], at)
			for ; at < col; at++ {
				buf = append(buf, '\t')
			}
			buf = appendCell(buf, r.vals[i])
		}
		buf = append(buf, '\n')
		t.line++
		t.left--
	}
}

// xlsxSheet reads a worksheet of an XLSX workbook as a Table.
func (ex *expansion) xlsxSheet(doc *officeDoc, p, name string, z *zipArchive, e *zipEntry, s *zipSurvey) error {
	sst := ex.sharedStrings(doc, z, s)
	r, closeFn, err := ex.openMember(z, e, s)
	if err != nil {
		return &fs.PathError{Op: "unzip", Path: p, Err: err}
	}
	defer closeFn()
	sheet, ok := doc.sheetNames[name]
	if !ok || sheet == "" {
		sheet = strings.TrimSuffix(path.Base(name), ".xml")
	}
	t := openSheet(sheet, &xlsxRows{dec: newXMLDecoder(r), sst: sst})
	return ex.sheet(p, t, int64(e.comp)+doc.sstComp)
}

// sheet hands a sheet's rendered rows to the StreamFunc; they count
// against the input's budget and the ratio to comp bytes of the file: a
// shared string is rendered as often as cells refer to it.
func (ex *expansion) sheet(p string, t *sheetTable, comp int64) error {
	in := &countingReader{n: comp}
	out := &limitedReader{r: t, in: in, ex: ex, format: FormatZip}
	b := getBuffer(out)
	defer putBuffer(b)
	return ex.fn(p, b.br, &t.table)
}

// sharedStrings reads the shared strings of an XLSX workbook, once.
func (ex *expansion) sharedStrings(doc *officeDoc, z *zipArchive, s *zipSurvey) *sharedStrings {
	if doc.sstDone {
		return doc.sst
	}
	doc.sstDone = true
	e, ok := doc.parts["xl/sharedStrings.xml"]
	if !ok {
		return nil
	}
	doc.sstComp = int64(e.comp)
	sst := &sharedStrings{dir: ex.lim.SpoolDir}
	err := func() error {
		r, closeFn, err := ex.openMember(z, &e, s)
		if err != nil {
			return err
		}
		defer closeFn()
		return sst.read(newXMLDecoder(r))
	}()
	if err != nil {
		sst.close()
		doc.sstErr = err
		return nil
	}
	doc.sst = sst
	return sst
}

// sharedStrings are the strings of a workbook that cells refer to by
// number. They are kept in memory up to sstInMemory bytes, and in a
// spool file past that.
type sharedStrings struct {
	dir  string
	ends []int64 // where each string ends
	mem  []byte
	f    *os.File
	w    *bufio.Writer
	n    int64  // bytes of all strings
	buf  []byte // a string read from f
}

// sstInMemory is how many bytes of shared strings are kept in memory.
const sstInMemory = 32 << 20

// read reads the <si> items of a shared strings part: the text of their
// runs, without the phonetic guides.
func (s *sharedStrings) read(d *xml.Decoder) error {
	var v []byte
	inT, skip := false, 0
	for {
		tok, err := d.RawToken()
		if err == io.EOF {
			return s.flush()
		}
		if err != nil {
			return xmlError(err)
		}
		switch t := tok.(type) {
		case xml.StartElement:
			switch {
			case skip > 0 || t.Name.Local == "rPh":
				skip++
			case t.Name.Local == "si":
				v = v[:0]
			case t.Name.Local == "t":
				inT = true
			}
		case xml.EndElement:
			switch {
			case skip > 0:
				skip--
			case t.Name.Local == "t":
				inT = false
			case t.Name.Local == "si":
				if err := s.add(v); err != nil {
					return err
				}
			}
		case xml.CharData:
			if inT && skip == 0 {
				if len(v)+len(t) > maxCellText {
					return fmt.Errorf("%w: a shared string longer than %d bytes", ErrCorrupt, maxCellText)
				}
				v = append(v, t...)
			}
		}
	}
}

func (s *sharedStrings) add(v []byte) error {
	if s.f == nil && len(s.mem)+len(v) > sstInMemory {
		f, err := CreateSpool(s.dir)
		if err != nil {
			return fmt.Errorf("spooling shared strings: %w", err)
		}
		s.f, s.w = f, bufio.NewWriterSize(f, 64<<10)
		if _, err := s.w.Write(s.mem); err != nil {
			return fmt.Errorf("spooling shared strings: %w", err)
		}
		s.mem = nil
	}
	if s.f != nil {
		if _, err := s.w.Write(v); err != nil {
			return fmt.Errorf("spooling shared strings: %w", err)
		}
	} else {
		s.mem = append(s.mem, v...)
	}
	s.n += int64(len(v))
	s.ends = append(s.ends, s.n)
	return nil
}

func (s *sharedStrings) flush() error {
	if s.w != nil {
		if err := s.w.Flush(); err != nil {
			return fmt.Errorf("spooling shared strings: %w", err)
		}
	}
	return nil
}

// get returns string i, valid until the next call.
func (s *sharedStrings) get(i int) ([]byte, error) {
	if s == nil || i < 0 || i >= len(s.ends) {
		return nil, fmt.Errorf("%w: a cell refers to shared string %d of %d", ErrCorrupt, i, s.len())
	}
	var start int64
	if i > 0 {
		start = s.ends[i-1]
	}
	if s.f == nil {
		return s.mem[start:s.ends[i]], nil
	}
	n := int(s.ends[i] - start)
	if cap(s.buf) < n {
		s.buf = make([]byte, n)
	}
	s.buf = s.buf[:n]
	if _, err := s.f.ReadAt(s.buf, start); err != nil {
		return nil, fmt.Errorf("reading spooled shared strings: %w", err)
	}
	return s.buf, nil
}

func (s *sharedStrings) len() int {
	if s == nil {
		return 0
	}
	return len(s.ends)
}

func (s *sharedStrings) close() {
	if s != nil && s.f != nil {
		CloseSpool(s.f)
		s.f = nil
	}
}

// xlsxRows reads the rows of a SpreadsheetML worksheet.
type xlsxRows struct {
	dec    *xml.Decoder
	sst    *sharedStrings
	rowNum int
	inData bool
	val    []byte
}

func (x *xlsxRows) next(row *sheetRow) error {
	var (
		col, next  = 0, 0
		typ        string
		inV, inT   bool
		inIs, skip int
		inRow      bool
	)
	for {
		tok, err := x.dec.RawToken()
		if err == io.EOF {
			if x.inData || inRow {
				return fmt.Errorf("%w: the sheet is cut short", ErrCorrupt)
			}
			return io.EOF
		}
		if err != nil {
			return xmlError(err)
		}
		switch t := tok.(type) {
		case xml.StartElement:
			switch local := t.Name.Local; {
			case skip > 0 || local == "rPh" || local == "f":
				skip++
			case local == "sheetData":
				x.inData = true
			case local == "row" && x.inData:
				num, err := strconv.Atoi(attr(t.Attr, "r"))
				if err != nil || num <= x.rowNum {
					num = x.rowNum + 1
				}
				x.rowNum = num
				row.reset(num)
				inRow, next = true, 0
			case local == "c" && inRow:
				col = next
				if ref := attr(t.Attr, "r"); ref != "" {
					if c := cellColumn(ref); c >= 0 {
						col = c
					}
				}
				typ = attr(t.Attr, "t")
				x.val = x.val[:0]
			case local == "v" && inRow:
				inV = true
			case local == "is" && inRow:
				inIs++
			case local == "t" && inIs > 0:
				inT = true
			}
		case xml.EndElement:
			switch local := t.Name.Local; {
			case skip > 0:
				skip--
			case local == "v":
				inV = false
			case local == "t":
				inT = false
			case local == "is" && inIs > 0:
				inIs--
			case local == "c" && inRow:
				v := x.val
				switch typ {
				case "s":
					if len(bytes.TrimSpace(v)) == 0 {
						break // a cell with a style and no value
					}
					i, err := strconv.Atoi(strings.TrimSpace(string(v)))
					if err != nil {
						return fmt.Errorf("%w: a cell's shared string number %q", ErrCorrupt, v)
					}
					if v, err = x.sst.get(i); err != nil {
						return err
					}
					if len(v) > 0 {
						if err := row.add(col, v); err != nil {
							return err
						}
					}
				case "b", "e": // a boolean, an error: no text
				default:
					if len(v) > 0 {
						if err := row.add(col, v); err != nil {
							return err
						}
					}
				}
				next = col + 1
			case local == "row" && inRow:
				inRow = false
				if row.n > 0 {
					return nil
				}
			case local == "sheetData":
				x.inData = false
				return io.EOF
			}
		case xml.CharData:
			if (inV || inT) && skip == 0 {
				if len(x.val)+len(t) > maxCellText {
					return fmt.Errorf("%w: a cell longer than %d bytes", ErrCorrupt, maxCellText)
				}
				x.val = append(x.val, t...)
			}
		}
	}
}

// odsSheets reads each table of an OpenDocument spreadsheet's content as
// a Table of its own.
func (ex *expansion) odsSheets(p string, z *zipArchive, e *zipEntry, s *zipSurvey) error {
	r, closeFn, err := ex.openMember(z, e, s)
	if err != nil {
		return &fs.PathError{Op: "unzip", Path: p, Err: err}
	}
	defer closeFn()
	dec := newXMLDecoder(r)
	for {
		tok, err := dec.RawToken()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return &fs.PathError{Op: "read", Path: p, Err: xmlError(err)}
		}
		se, ok := tok.(xml.StartElement)
		if !ok || se.Name.Local != "table" {
			continue
		}
		src := &odsRows{dec: dec, depth: 1}
		t := openSheet(attr(se.Attr, "name"), src)
		if err := ex.sheet(p, t, int64(e.comp)); err != nil {
			return err
		}
		if t.err != nil && t.err != io.EOF {
			return &fs.PathError{Op: "read", Path: p, Err: t.err}
		}
		// A sheet the scanner did not read to its end (its path is
		// allowed) is read past.
		for src.depth > 0 {
			if err := src.next(&t.row); err != nil {
				if err != io.EOF {
					return &fs.PathError{Op: "read", Path: p, Err: err}
				}
				break
			}
		}
	}
}

// odsRows reads the rows of one table:table of an OpenDocument
// spreadsheet, from after its start.
type odsRows struct {
	dec    *xml.Decoder
	depth  int // tables open: 1 in the sheet, more in a table in a cell
	rowNum int // the rows before the next
	val    []byte
}

// maxRepeat bounds the repeat counts of rows and cells.
func repeatCount(attrs []xml.Attr, local string) int {
	n, err := strconv.Atoi(attr(attrs, local))
	if err != nil || n < 1 {
		return 1
	}
	return min(n, maxSheetRows)
}

func (o *odsRows) next(row *sheetRow) error {
	var (
		inRow, inCell bool
		inP           int
		repeat, crep  int
		col           int
	)
	for {
		tok, err := o.dec.RawToken()
		if err == io.EOF {
			return fmt.Errorf("%w: the sheet is cut short", ErrCorrupt)
		}
		if err != nil {
			return xmlError(err)
		}
		switch t := tok.(type) {
		case xml.StartElement:
			switch local := t.Name.Local; {
			case local == "table":
				o.depth++
			case o.depth > 1:
				// a table within a cell: its text is the cell's
				if inCell && (local == "p" || local == "h") {
					inP++
					if len(o.val) > 0 {
						o.val = append(o.val, ' ')
					}
				}
			case local == "table-row":
				repeat = repeatCount(t.Attr, "number-rows-repeated")
				row.reset(o.rowNum + 1)
				inRow, col = true, 0
			case (local == "table-cell" || local == "covered-table-cell") && inRow:
				crep = repeatCount(t.Attr, "number-columns-repeated")
				inCell = true
				o.val = o.val[:0]
			case (local == "p" || local == "h") && inCell:
				inP++
				if len(o.val) > 0 {
					o.val = append(o.val, ' ')
				}
			case (local == "s" || local == "tab" || local == "line-break") && inP > 0:
				o.val = append(o.val, ' ')
			}
		case xml.EndElement:
			switch local := t.Name.Local; {
			case local == "table":
				o.depth--
				if o.depth == 0 {
					return io.EOF
				}
			case (local == "p" || local == "h") && inP > 0:
				inP--
			case o.depth > 1:
			case (local == "table-cell" || local == "covered-table-cell") && inCell:
				inCell = false
				if len(o.val) > 0 {
					for k := 0; k < crep && col+k < maxSheetCols; k++ {
						if err := row.add(col+k, o.val); err != nil {
							return err
						}
					}
				}
				col = min(col+crep, maxSheetCols)
			case local == "table-row" && inRow:
				inRow = false
				row.repeat = repeat
				o.rowNum += repeat
				if row.n > 0 {
					return nil
				}
			}
		case xml.CharData:
			if inP > 0 {
				if len(o.val)+len(t) > maxCellText {
					return fmt.Errorf("%w: a cell longer than %d bytes", ErrCorrupt, maxCellText)
				}
				o.val = appendCell(o.val, t)
			}
		}
	}
}
