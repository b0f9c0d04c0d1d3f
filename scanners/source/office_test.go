package source

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"testing"
)

const (
	wNS = `xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"`
	xNS = `xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"`
)

var contentTypes = reg("[Content_Types].xml", `<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"/>`)

// A DOCX's text parts are a line per paragraph, its runs joined, with
// deleted text, field instructions, alternative text, tooltips and
// authors of changes; formatting parts are not read; other parts are
// read as they are.
func TestOfficeText(t *testing.T) {
	doc := `<?xml version="1.0"?><w:document ` + wNS + `><w:body>` +
		`<w:p><w:r><w:t>Mail ada.</w:t></w:r><w:r><w:t xml:space="preserve">lovelace@example.com</w:t></w:r><w:r><w:tab/><w:t>now</w:t></w:r></w:p>` +
		`<w:p><w:del w:author="grace@example.org"><w:r><w:delText>536-22-8726</w:delText></w:r></w:del></w:p>` +
		`<w:p><w:fldSimple w:instr="HYPERLINK &quot;mailto:alan@example.com&quot;"/><w:hyperlink w:tooltip="call +1 415 555 0134"/></w:p>` +
		`<w:p><w:r><w:drawing><wp:docPr xmlns:wp="x" id="1" name="Picture 1" descr="photo of Ada"/></w:drawing></w:r></w:p>` +
		`<w:tbl><w:tr><w:tc><w:p><w:r><w:t>cell &amp; more</w:t></w:r></w:p></w:tc></w:tr></w:tbl>` +
		`</w:body></w:document>`
	data := zipBytes(t, contentTypes,
		reg("word/document.xml", doc),
		reg("word/header1.xml", `<w:hdr `+wNS+`><w:p><w:r><w:t>Confidential</w:t></w:r></w:p></w:hdr>`),
		reg("word/styles.xml", `<w:styles `+wNS+`><w:style w:styleId="Liberation Sans"/></w:styles>`),
		reg("word/theme/theme1.xml", `<a:theme name="Office Theme"/>`),
		reg("docProps/core.xml", `<cp:coreProperties><dc:creator>Ada Lovelace</dc:creator></cp:coreProperties>`))
	rec, err := expandBytes(t, "letter.docx", data, Limits{})
	if err != nil {
		t.Fatal(err)
	}
	checkStreams(t, rec, []stream{
		{"letter.docx![Content_Types].xml", contentTypes.body},
		{"letter.docx!word/document.xml", "Mail ada.lovelace@example.com now\n grace@example.org 536-22-8726\n HYPERLINK \"mailto:alan@example.com\"  call +1 415 555 0134 \n photo of Ada \ncell & more\n"},
		{"letter.docx!word/header1.xml", "Confidential\n"},
		{"letter.docx!docProps/core.xml", `<cp:coreProperties><dc:creator>Ada Lovelace</dc:creator></cp:coreProperties>`},
	})
	checkMembers(t, rec, nil)
}

// sheetRecorder records each stream with the Table it came with.
type sheetRecorder struct {
	recorder
	tables []*Table
}

func (r *sheetRecorder) fn(path string, br *bufio.Reader, tab *Table) error {
	r.tables = append(r.tables, tab)
	return r.recorder.fn(path, br, tab)
}

// only returns the streams of path, with their tables.
func (r *sheetRecorder) only(path string) *sheetRecorder {
	o := &sheetRecorder{recorder: *newRecorder()}
	for i, s := range r.streams {
		if s.path == path {
			o.streams = append(o.streams, s)
			o.tables = append(o.tables, r.tables[i])
		}
	}
	return o
}

func expandSheets(t *testing.T, name string, data []byte, lim Limits) (*sheetRecorder, error) {
	t.Helper()
	rec := &sheetRecorder{recorder: *newRecorder()}
	err := rec.expander(lim).Expand(context.Background(), name, bytes.NewReader(data), nil, -1, rec.fn)
	return rec, err
}

// workbook is an XLSX of one sheet named sheet, holding the sheet XML
// sheetData and the given shared strings (which come after the sheet).
func workbook(t *testing.T, sheet, sheetData string, shared ...string) []byte {
	var sst strings.Builder
	for _, s := range shared {
		sst.WriteString(`<si><t>` + s + `</t></si>`)
	}
	return zipBytes(t, contentTypes,
		reg("xl/workbook.xml", `<workbook `+xNS+` xmlns:r="R"><sheets><sheet name="`+sheet+`" sheetId="1" r:id="rId7"/></sheets></workbook>`),
		reg("xl/_rels/workbook.xml.rels", `<Relationships><Relationship Id="rId7" Target="/xl/worksheets/data.xml"/></Relationships>`),
		reg("xl/worksheets/data.xml", `<worksheet `+xNS+`>`+sheetData+`</worksheet>`),
		reg("xl/sharedStrings.xml", `<sst `+xNS+`>`+sst.String()+`</sst>`))
}

// A worksheet is a Table: its first row names the columns; each row is
// the line of its number (gaps kept); shared, inline and formula cells;
// then what follows the cells.
func TestOfficeSheet(t *testing.T) {
	data := workbook(t, "Q1 sales",
		`<sheetData>`+
			`<row r="2"><c r="A2" t="s"><v>0</v></c><c r="C2" t="s"><v>1</v></c></row>`+
			`<row r="4"><c t="s"><v>2</v></c><c t="inlineStr"><is><r><t>Ada </t></r><r><t>Lovelace</t></r><rPh><t>エイダ</t></rPh></is></c>`+
			`<c r="C4" t="str"><f>HYPERLINK("mailto:ada@example.com")</f><v>mail</v></c><c r="D4"><v>42</v></c><c r="E4" t="b"><v>1</v></c><c r="F4" s="3" t="s"/></row>`+
			`</sheetData><headerFooter><oddFooter>&amp;LCall +1 415 555 0134</oddFooter></headerFooter>`+
			`<hyperlinks><hyperlink ref="A4" display="grace@example.org" tooltip="tip"/></hyperlinks>`,
		"email", "full name", "ada@example.com")
	rec, err := expandSheets(t, "book.xlsx", data, Limits{})
	if err != nil {
		t.Fatal(err)
	}
	sheets := rec.only("book.xlsx!xl/worksheets/data.xml")
	checkStreams(t, &sheets.recorder, []stream{
		{"book.xlsx!xl/worksheets/data.xml", "email\t\tfull name\n\nemail\t\tfull name\n\nada@example.com\tAda Lovelace\tHYPERLINK(\"mailto:ada@example.com\") mail\t42\n"},
		{"book.xlsx!xl/worksheets/data.xml", "&LCall +1 415 555 0134\n grace@example.org  tip \n"},
	})
	checkMembers(t, &rec.recorder, nil)
	tab := sheets.tables[0]
	if tab == nil || tab.Sheet != "Q1 sales" || tab.HeaderRow != 2 || tab.Field(2, 4) != "'Q1 sales'!C4" || tab.Field(27, 9) != "'Q1 sales'!AB9" {
		t.Errorf("table %+v", tab)
	}
	if sheets.tables[1] != nil {
		t.Errorf("what follows the cells came as a table")
	}
}

// Damage in a workbook is reported, and the rest is read: a cell that
// refers to a shared string that does not exist, a cell longer than any
// spreadsheet writes.
func TestOfficeSheetDamage(t *testing.T) {
	long := strings.Repeat("x", maxCellText+10)
	data := workbook(t, "S",
		`<sheetData><row r="1"><c t="s"><v>7</v></c><c t="s"><v>grace@example.org</v></c></row><row r="2"><c t="inlineStr"><is><t>`+long+`</t></is></c></row>`+
			`<row r="3"><c t="s"><v>0</v></c></row></sheetData>`, "ada@example.com")
	rec, err := expandSheets(t, "book.xlsx", data, Limits{})
	if err != nil {
		t.Fatal(err)
	}
	got := rec.only("book.xlsx!xl/worksheets/data.xml").streams[0].content
	if !strings.HasSuffix(got, "\nada@example.com\n") || !strings.Contains(got, "\n"+long[:maxCellText]+"\n") {
		t.Errorf("rows after the damage were not read: %s", abbrev(got))
	}
	if err := rec.readErrs["book.xlsx!xl/worksheets/data.xml"]; !errors.Is(err, ErrCorrupt) || !strings.Contains(err.Error(), "2 cells refer to shared strings") || strings.Contains(err.Error(), "grace") {
		t.Errorf("damage reported as %v", err)
	}

	// A shared string that long is read as far as a cell may be, and
	// said so of the shared strings.
	data = workbook(t, "S", `<sheetData><row r="1"><c t="s"><v>0</v></c><c t="s"><v>1</v></c></row></sheetData>`, long, "ada@example.com")
	rec, err = expandSheets(t, "book.xlsx", data, Limits{})
	if err != nil {
		t.Fatal(err)
	}
	if got := rec.only("book.xlsx!xl/worksheets/data.xml").streams[0].content; !strings.HasSuffix(got, long[:maxCellText]+"\tada@example.com\n") {
		t.Errorf("sheet %s", abbrev(got))
	}
	checkMembers(t, &rec.recorder, []memberErr{{"book.xlsx!xl/sharedStrings.xml", ErrCorrupt}})
}

// An encrypted OpenDocument file is reported once, as not read.
func TestOfficeEncrypted(t *testing.T) {
	data := zipBytes(t, entry{name: "mimetype", body: "application/vnd.oasis.opendocument.text", store: true},
		reg("META-INF/manifest.xml", `<manifest:manifest><manifest:file-entry manifest:full-path="content.xml"><manifest:encryption-data/></manifest:file-entry></manifest:manifest>`),
		reg("content.xml", "\x8f\x01binary"), reg("styles.xml", "\x8f\x02binary"), reg("meta.xml", `<office:meta/>`))
	rec, err := expandBytes(t, "notes.odt", data, Limits{})
	if err != nil {
		t.Fatal(err)
	}
	checkMembers(t, rec, []memberErr{{"notes.odt!content.xml", ErrEncryptedDocument}})
}

// The bytes rendered from a few of a file count against the bomb limits:
// a shared string a thousand cells repeat, a cell an ODS row repeats.
func TestOfficeBombs(t *testing.T) {
	lim := Limits{RatioFloor: 1 << 20, MaxRatio: 100}
	var cells strings.Builder
	for range 1000 {
		cells.WriteString(`<c t="s"><v>0</v></c>`)
	}
	data := workbook(t, "S", `<sheetData><row r="1">`+cells.String()+`</row></sheetData>`, strings.Repeat("a", 4000))
	rec, err := expandSheets(t, "book.xlsx", data, lim)
	if err != nil {
		t.Fatal(err)
	}
	if err := rec.readErrs["book.xlsx!xl/worksheets/data.xml"]; !errors.Is(err, ErrBomb) {
		t.Errorf("shared strings repeated: %v, want a bomb", err)
	}

	ods := `<office:document-content><office:body><office:spreadsheet><table:table table:name="S">` +
		`<table:table-row table:number-rows-repeated="1000000"><table:table-cell table:number-columns-repeated="16384"><text:p>ada@example.com</text:p></table:table-cell></table:table-row>` +
		`</table:table></office:spreadsheet></office:body></office:document-content>`
	data = zipBytes(t, entry{name: "mimetype", body: "application/vnd.oasis.opendocument.spreadsheet", store: true}, reg("content.xml", ods))
	rec2, err := expandBytes(t, "s.ods", data, lim)
	if err != nil {
		t.Fatal(err)
	}
	if err := rec2.readErrs["s.ods!content.xml"]; !errors.Is(err, ErrBomb) {
		t.Errorf("repeated cells: %v, want a bomb", err)
	}
}

// A token longer than xmlGap (a CDATA section, which may hold any '<')
// is refused, not held.
func TestXMLReaderGap(t *testing.T) {
	r := io.MultiReader(strings.NewReader("<t><![CDATA["), io.LimitReader(zeros{}, xmlGap+1<<20), strings.NewReader("]]></t>"))
	x := newXMLReader(r)
	var err error
	for err == nil {
		err = x.next()
	}
	if !errors.Is(err, ErrBomb) {
		t.Errorf("got %v, want a bomb", err)
	}
}

type zeros struct{}

func (zeros) Read(p []byte) (int, error) {
	clear(p)
	return len(p), nil
}

// Each table of an ODS is a Table of its own, named as the file names it
// (as LibreOffice would, when it does not); repeated rows and cells are
// rendered as often as they repeat.
func TestOfficeODSTables(t *testing.T) {
	ods := `<office:document-content><office:body><office:spreadsheet>` +
		`<table:table><table:table-row><table:table-cell><text:p>email</text:p></table:table-cell></table:table-row>` +
		`<table:table-row table:number-rows-repeated="2"><table:table-cell table:number-columns-repeated="2"><text:p>a@b.co</text:p><text:p>x<text:s/>y</text:p></table:table-cell></table:table-row></table:table>` +
		`<table:table table:name="Leads"><table:table-row table:number-rows-repeated="3"><table:table-cell/></table:table-row>` +
		`<table:table-row><table:covered-table-cell/><table:table-cell><text:p>ssn</text:p></table:table-cell></table:table-row></table:table>` +
		`</office:spreadsheet></office:body></office:document-content>`
	data := zipBytes(t, entry{name: "mimetype", body: "application/vnd.oasis.opendocument.spreadsheet", store: true}, reg("content.xml", ods))
	rec, err := expandSheets(t, "s.ods", data, Limits{})
	if err != nil {
		t.Fatal(err)
	}
	checkStreams(t, &rec.recorder, []stream{
		{"s.ods!mimetype", "application/vnd.oasis.opendocument.spreadsheet"},
		{"s.ods!content.xml", "email\nemail\na@b.co x y\ta@b.co x y\na@b.co x y\ta@b.co x y\n"},
		{"s.ods!content.xml", "\tssn\n\n\n\n\tssn\n"},
	})
	if a, b := rec.tables[1], rec.tables[2]; a.Sheet != "Sheet1" || b.Sheet != "Leads" || b.HeaderRow != 4 {
		t.Errorf("tables %+v %+v", a, b)
	}
}

// Shared strings are found by number in memory and spooled, in the
// order cells mostly use them and in any other.
func TestSharedStrings(t *testing.T) {
	for _, n := range []int{1000, 700_000} { // 700,000 are spooled
		s := &sharedStrings{dir: t.TempDir()}
		want := func(i int) string { return strings.Repeat("x", i%97) + fmt.Sprint(i) }
		for i := range n {
			if err := s.add([]byte(want(i))); err != nil {
				t.Fatal(err)
			}
		}
		if err := s.flush(); err != nil {
			t.Fatal(err)
		}
		if spooled := s.f != nil; spooled != (n > 1000) {
			t.Errorf("%d strings: spooled %v", n, spooled)
		}
		order := make([]int, 0, 3*n)
		for i := range n {
			order = append(order, i)
		}
		for i := range n {
			order = append(order, n-1-i, (i*7919)%n)
		}
		for _, i := range order {
			got, err := s.get(i)
			if err != nil || string(got) != want(i) {
				t.Fatalf("%d strings: string %d = %.20q, %v", n, i, got, err)
			}
		}
		s.close()
	}
}
