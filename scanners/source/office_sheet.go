package source

import (
	"bufio"
	"bytes"
	"encoding/binary"
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
	ends   []int  // where each value ends in data
	data   []byte // the values, one after another
}

func (r *sheetRow) reset(num int) {
	r.num, r.repeat = num, 1
	r.cols, r.ends, r.data = r.cols[:0], r.ends[:0], r.data[:0]
}

// add adds a cell's value; the value is copied.
func (r *sheetRow) add(col int, v []byte) error {
	if len(r.data)+len(v) > maxRowText {
		return fmt.Errorf("%w: a row of more than %d bytes", ErrBomb, maxRowText)
	}
	r.data = append(r.data, v...)
	r.cols = append(r.cols, col)
	r.ends = append(r.ends, len(r.data))
	return nil
}

// val returns the value of cell i.
func (r *sheetRow) val(i int) []byte {
	start := 0
	if i > 0 {
		start = r.ends[i-1]
	}
	return r.data[start:r.ends[i]]
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
		t.table.HeaderRow = t.row.num
		for i := range len(t.row.cols) {
			col := t.row.cols[i]
			for len(t.table.Names) <= col {
				t.table.Names = append(t.table.Names, "")
			}
			t.table.Names[col] = string(t.row.val(i))
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
		for i := range len(r.cols) {
			col := max(r.cols[i], at)
			for ; at < col; at++ {
				buf = append(buf, '\t')
			}
			buf = appendCell(buf, r.val(i))
		}
		buf = append(buf, '\n')
		t.line++
		t.left--
	}
}

// xlsxSheet reads a worksheet of an XLSX workbook as a Table.
func (ex *expansion) xlsxSheet(doc *officeDoc, p, name string, z *zipArchive, e *zipEntry, s *zipSurvey) error {
	sst := ex.sharedStrings(doc, z, s)
	r, closeFn, err := ex.memberReader(z, e, s)
	if err != nil {
		return &fs.PathError{Op: "unzip", Path: p, Err: err}
	}
	defer closeFn()
	sheet, ok := doc.sheetNames[name]
	if !ok || sheet == "" {
		sheet = strings.TrimSuffix(path.Base(name), ".xml")
	}
	x := newXMLReader(r)
	t := openSheet(sheet, &xlsxRows{x: x, sst: sst})
	// A shared string is rendered as often as cells refer to it.
	in := &countingReader{n: int64(e.comp) + doc.sstComp}
	if err := ex.table(p, t, in, FormatZip, &t.table); err != nil || t.err != io.EOF {
		return err
	}
	// What follows the cells: headers and footers, links, validations.
	b := getBuffer(xmlParagraphs(x, &sheetExtras))
	defer putBuffer(b)
	return ex.fn(p, b.br, nil)
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
		r, closeFn, err := ex.memberReader(z, &e, s)
		if err != nil {
			return err
		}
		defer closeFn()
		return sst.read(newXMLReader(r))
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
// number, each stored after its length (a uvarint). They are kept in
// memory up to sstInMemory bytes, and in a spool file past that. Where
// a string is stored is kept for one string in sstBlock, and found from
// there (or from the last string found: cells mostly refer to strings in
// the order they were written, Excel writing them in the order of first
// use), so that a workbook of 75 million strings needs 9 MiB for them.
type sharedStrings struct {
	dir    string
	count  int
	blocks []int64 // where strings 0, sstBlock, 2*sstBlock, ... are stored
	mem    []byte
	f      *os.File
	w      *bufio.Writer
	n      int64 // bytes stored
	// wins are the parts of f last read, tick counts their uses.
	wins [4]sstWindow
	tick uint64
	// lastI and lastOff are the last string found and where it is
	// stored.
	lastI   int
	lastOff int64
	// cut counts strings longer than maxCellText, read as far as that;
	// cutNow is set while one is read.
	cut    int
	cutNow bool
	varint [binary.MaxVarintLen64]byte
}

const (
	// sstInMemory is how many bytes of shared strings are kept in memory.
	sstInMemory = 32 << 20
	// sstBlock is how many strings one stored offset finds.
	sstBlock = 64
	// sstReadAhead is how much of spooled shared strings is read at a
	// time as they are read in order, sstPage out of order; a read within
	// sstSeqGap of the end of a window is in order.
	sstReadAhead = 256 << 10
	sstPage      = 4 << 10
	sstSeqGap    = 4 << 10
)

// sstWindow is a part of spooled shared strings read into memory.
type sstWindow struct {
	at   int64
	buf  []byte
	used uint64
}

// read reads the <si> items of a shared strings part: the text of their
// runs, without the phonetic guides.
func (s *sharedStrings) read(x *xmlReader) error {
	var v []byte
	inT, skip := false, 0
	for {
		err := x.next()
		if err == io.EOF {
			return s.flush()
		}
		if err != nil {
			return err
		}
		switch x.kind {
		case xmlStart:
			switch local := string(x.name); {
			case skip > 0 || local == "rPh":
				skip++
			case local == "si":
				v, s.cutNow = v[:0], false
			case local == "t":
				inT = true
			}
		case xmlEnd:
			switch local := string(x.name); {
			case skip > 0:
				skip--
			case local == "t":
				inT = false
			case local == "si":
				if err := s.add(v); err != nil {
					return err
				}
			}
		case xmlText:
			if inT && skip == 0 {
				var cut bool
				if v, cut = appendCapped(v, x.text); cut && !s.cutNow {
					s.cut++
					s.cutNow = true
				}
			}
		}
	}
}

func (s *sharedStrings) add(v []byte) error {
	if s.count%sstBlock == 0 {
		s.blocks = append(s.blocks, s.n)
	}
	s.count++
	lv := binary.PutUvarint(s.varint[:], uint64(len(v)))
	if s.f == nil && len(s.mem)+lv+len(v) > sstInMemory {
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
		s.w.Write(s.varint[:lv])
		if _, err := s.w.Write(v); err != nil {
			return fmt.Errorf("spooling shared strings: %w", err)
		}
	} else {
		s.mem = append(append(s.mem, s.varint[:lv]...), v...)
	}
	s.n += int64(lv + len(v))
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

// get returns string i (0 <= i < s.len()), valid until the next call.
func (s *sharedStrings) get(i int) ([]byte, error) {
	k, off := i-i%sstBlock, s.blocks[i/sstBlock]
	if s.lastI >= k && s.lastI <= i {
		k, off = s.lastI, s.lastOff
	}
	for ; ; k++ {
		head, err := s.stored(off, min(binary.MaxVarintLen64, s.n-off))
		if err != nil {
			return nil, err
		}
		n, w := binary.Uvarint(head)
		if w <= 0 || int64(n) > s.n-off-int64(w) {
			return nil, fmt.Errorf("%w: spooled shared strings", ErrCorrupt)
		}
		if k == i {
			s.lastI, s.lastOff = i, off
			return s.stored(off+int64(w), int64(n))
		}
		off += int64(w) + int64(n)
	}
}

// stored returns the n bytes stored at off, valid until the next call
// but one.
func (s *sharedStrings) stored(off, n int64) ([]byte, error) {
	if s.f == nil {
		return s.mem[off : off+n], nil
	}
	s.tick++
	lru, seq := &s.wins[0], false
	for i := range s.wins {
		w := &s.wins[i]
		if off >= w.at && off+n <= w.at+int64(len(w.buf)) {
			w.used = s.tick
			return w.buf[off-w.at : off-w.at+n], nil
		}
		if w.buf != nil && off >= w.at && off <= w.at+int64(len(w.buf))+sstSeqGap {
			lru, seq = w, true // reading on: this window moves
		} else if !seq && w.used < lru.used {
			lru = w
		}
	}
	// Strings read in order are read ahead; one read out of order (a
	// value many cells repeat) costs a page.
	size := int64(sstPage)
	if seq {
		size = sstReadAhead
	}
	size = max(n, min(size, s.n-off))
	if int64(cap(lru.buf)) < size {
		lru.buf = make([]byte, size)
	}
	lru.buf, lru.at, lru.used = lru.buf[:size], off, s.tick
	if _, err := s.f.ReadAt(lru.buf, off); err != nil {
		lru.buf = lru.buf[:0]
		return nil, fmt.Errorf("reading spooled shared strings: %w", err)
	}
	return lru.buf[:n], nil
}

func (s *sharedStrings) len() int {
	if s == nil {
		return 0
	}
	return s.count
}

func (s *sharedStrings) close() {
	if s != nil && s.f != nil {
		CloseSpool(s.f)
		s.f = nil
	}
}

// appendCapped appends to a cell's value v as much of text as keeps it
// within maxCellText, and reports whether text was cut: a cell longer
// than any spreadsheet writes (Excel: 32,767 characters) is read as far
// as that, and the rest of its sheet is read.
func appendCapped(v, text []byte) ([]byte, bool) {
	n := min(len(text), max(maxCellText-len(v), 0))
	return append(v, text[:n]...), n < len(text)
}

// sheetDamage is the error of a sheet read to its end whose cells
// referred to shared strings that do not exist (bad) or were cut at
// maxCellText (cut), or nil.
func sheetDamage(bad, cut int) error {
	switch {
	case bad > 0:
		return fmt.Errorf("%w: %d cells refer to shared strings the workbook does not have", ErrCorrupt, bad)
	case cut > 0:
		return fmt.Errorf("%w: %d cells longer than %d bytes, read as far as that", ErrCorrupt, cut, maxCellText)
	}
	return nil
}

// xlsxRows reads the rows of a SpreadsheetML worksheet.
type xlsxRows struct {
	x      *xmlReader
	sst    *sharedStrings
	rowNum int
	inData bool
	val    []byte
	typ    []byte
	// badRefs counts cells that refer to shared strings the workbook
	// does not have, cut cells longer than maxCellText.
	badRefs, cut int
	cutNow       bool // the cell being read was cut
}

func (xr *xlsxRows) next(row *sheetRow) error {
	var (
		col, next  = 0, 0
		inV, inT   bool
		inF        bool
		inIs, skip int
		inRow      bool
	)
	x := xr.x
	for {
		err := x.next()
		if err == io.EOF {
			if xr.inData || inRow {
				return fmt.Errorf("%w: the sheet is cut short", ErrCorrupt)
			}
			return io.EOF
		}
		if err != nil {
			return err
		}
		switch x.kind {
		case xmlStart:
			switch local := string(x.name); {
			case skip > 0 || local == "rPh":
				skip++
			case local == "f" && inRow:
				inF = true
			case local == "sheetData":
				xr.inData = true
			case local == "row" && xr.inData:
				r, _ := x.attrValue("r")
				num, err := strconv.Atoi(string(r))
				if err != nil || num <= xr.rowNum {
					num = xr.rowNum + 1
				}
				xr.rowNum = num
				row.reset(num)
				inRow, next = true, 0
			case local == "c" && inRow:
				col = next
				if ref, ok := x.attrValue("r"); ok {
					if c := cellColumn(string(ref)); c >= 0 {
						col = c
					}
				}
				t, _ := x.attrValue("t")
				xr.typ = append(xr.typ[:0], t...)
				xr.val, xr.cutNow = xr.val[:0], false
			case local == "v" && inRow:
				inV = true
			case local == "is" && inRow:
				inIs++
			case local == "t" && inIs > 0:
				inT = true
			}
		case xmlEnd:
			switch local := string(x.name); {
			case skip > 0:
				skip--
			case local == "v":
				inV = false
			case local == "f" && inF:
				// A formula's text (HYPERLINK("mailto:...")), then its
				// value.
				inF = false
				xr.val = append(xr.val, ' ')
			case local == "t":
				inT = false
			case local == "is" && inIs > 0:
				inIs--
			case local == "c" && inRow:
				if err := xr.cell(row, col); err != nil {
					return err
				}
				next = col + 1
			case local == "row" && inRow:
				inRow = false
				if len(row.cols) > 0 {
					return nil
				}
			case local == "sheetData":
				xr.inData = false
				if err := sheetDamage(xr.badRefs, xr.cut); err != nil {
					return err
				}
				return io.EOF
			}
		case xmlText:
			if (inV || inT || inF) && skip == 0 {
				var cut bool
				if xr.val, cut = appendCapped(xr.val, x.text); cut && !xr.cutNow {
					xr.cut++
					xr.cutNow = true
				}
			}
		}
	}
}

// cell adds the value of the cell just read to row.
func (xr *xlsxRows) cell(row *sheetRow, col int) error {
	v := xr.val
	switch string(xr.typ) {
	case "s":
		if len(bytes.TrimSpace(v)) == 0 {
			return nil // a cell with a style and no value
		}
		i, err := strconv.Atoi(string(bytes.TrimSpace(v)))
		if err != nil || i < 0 || i >= xr.sst.len() {
			// The rest of the sheet is read; the sheet is reported as
			// damaged at its end (without the value, which may be
			// anything).
			xr.badRefs++
			return nil
		}
		if v, err = xr.sst.get(i); err != nil {
			return err
		}
	case "b", "e": // a boolean, an error: no text
		return nil
	}
	if len(v) == 0 {
		return nil
	}
	return row.add(col, v)
}

// odsSheets reads each table of an OpenDocument spreadsheet's content as
// a Table of its own.
func (ex *expansion) odsSheets(p string, z *zipArchive, e *zipEntry, s *zipSurvey) error {
	r, closeFn, err := ex.memberReader(z, e, s)
	if err != nil {
		return &fs.PathError{Op: "unzip", Path: p, Err: err}
	}
	defer closeFn()
	x := newXMLReader(r)
	for sheets := 1; ; {
		err := x.next()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return &fs.PathError{Op: "read", Path: p, Err: err}
		}
		if x.kind != xmlStart || string(x.name) != "table" {
			continue
		}
		name := x.attrString("name")
		if name == "" {
			name = fmt.Sprintf("Sheet%d", sheets) // as LibreOffice names it
		}
		sheets++
		src := &odsRows{x: x, depth: 1}
		t := openSheet(name, src)
		if err := ex.table(p, t, &countingReader{n: int64(e.comp)}, FormatZip, &t.table); err != nil {
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
	x      *xmlReader
	depth  int // tables open: 1 in the sheet, more in a table in a cell
	rowNum int // the rows before the next
	val    []byte
	cut    int  // cells longer than maxCellText
	cutNow bool // the cell being read was cut
}

// repeatCount returns the repeat count the start tag's attribute local
// gives, at least 1 and at most maxSheetRows.
func (x *xmlReader) repeatCount(local string) int {
	v, ok := x.attrValue(local)
	if !ok {
		return 1
	}
	n, err := strconv.Atoi(string(v))
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
	x := o.x
	for {
		err := x.next()
		if err == io.EOF {
			return fmt.Errorf("%w: the sheet is cut short", ErrCorrupt)
		}
		if err != nil {
			return err
		}
		switch x.kind {
		case xmlStart:
			switch local := string(x.name); {
			case local == "table":
				o.depth++
			case (local == "p" || local == "h") && inCell:
				// a cell's paragraphs (a table's within it too) are
				// its text
				inP++
				if len(o.val) > 0 {
					o.val = append(o.val, ' ')
				}
			case (local == "s" || local == "tab" || local == "line-break") && inP > 0:
				o.val = append(o.val, ' ')
			case o.depth > 1:
			case local == "table-row":
				repeat = x.repeatCount("number-rows-repeated")
				row.reset(o.rowNum + 1)
				inRow, col = true, 0
			case (local == "table-cell" || local == "covered-table-cell") && inRow:
				crep = x.repeatCount("number-columns-repeated")
				inCell = true
				o.val, o.cutNow = o.val[:0], false
			}
		case xmlEnd:
			switch local := string(x.name); {
			case local == "table":
				o.depth--
				if o.depth == 0 {
					if err := sheetDamage(0, o.cut); err != nil {
						return err
					}
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
				if len(row.cols) > 0 {
					return nil
				}
			}
		case xmlText:
			if inP > 0 {
				var cut bool
				if o.val, cut = appendCapped(o.val, x.text); cut && !o.cutNow {
					o.cut++
					o.cutNow = true
				}
			}
		}
	}
}
