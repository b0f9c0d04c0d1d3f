// Package officefile writes small, valid office documents (XLSX, DOCX,
// PPTX, ODS, ODT) for tests, examples and benchmarks: the parts a reader
// needs and nothing more. Excel, Word, PowerPoint and LibreOffice open
// them.
package officefile

import (
	"archive/zip"
	"bufio"
	"encoding/xml"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"time"
)

// modified is the time every part is stamped with, so output is stable.
var modified = time.Date(2024, 3, 1, 12, 0, 0, 0, time.UTC)

// writePart adds a deflated part to zw.
func writePart(zw *zip.Writer, name, body string) error {
	w, err := zw.CreateHeader(&zip.FileHeader{Name: name, Method: zip.Deflate, Modified: modified})
	if err != nil {
		return err
	}
	_, err = io.WriteString(w, body)
	return err
}

// esc escapes s for XML text or an attribute value.
func esc(s string) string {
	var b strings.Builder
	if err := xml.EscapeText(&b, []byte(s)); err != nil {
		return s
	}
	return b.String()
}

const xmlHead = `<?xml version="1.0" encoding="UTF-8" standalone="yes"?>` + "\n"

// XLSX writes a workbook a row at a time. Cells hold shared strings, as
// Excel writes them; the shared strings are kept in a temporary file
// until Close.
type XLSX struct {
	zw     *zip.Writer
	sheet  io.Writer
	names  []string
	rows   int
	sst    *os.File
	sstW   *bufio.Writer
	count  int // strings in sst
	cell   []byte
	inline bool
}

// NewXLSX starts a workbook written to w. With inline, cells hold their
// strings (as streaming writers do) and no shared strings are written.
func NewXLSX(w io.Writer, inline bool) (*XLSX, error) {
	x := &XLSX{zw: zip.NewWriter(w), inline: inline}
	if !inline {
		f, err := os.CreateTemp("", "officefile-sst-*")
		if err != nil {
			return nil, err
		}
		os.Remove(f.Name())
		x.sst, x.sstW = f, bufio.NewWriterSize(f, 1<<20)
	}
	return x, nil
}

// Sheet starts the next sheet, named name.
func (x *XLSX) Sheet(name string) error {
	if err := x.endSheet(); err != nil {
		return err
	}
	x.names = append(x.names, name)
	w, err := x.zw.CreateHeader(&zip.FileHeader{Name: fmt.Sprintf("xl/worksheets/sheet%d.xml", len(x.names)), Method: zip.Deflate, Modified: modified})
	if err != nil {
		return err
	}
	x.sheet, x.rows = w, 0
	_, err = io.WriteString(w, xmlHead+`<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>`)
	return err
}

// Row adds a row of text cells to the sheet; empty values are no cells.
func (x *XLSX) Row(values ...string) error {
	x.rows++
	b := append(x.cell[:0], `<row r="`...)
	b = strconv.AppendInt(b, int64(x.rows), 10)
	b = append(b, `">`...)
	for i, v := range values {
		if v == "" {
			continue
		}
		ref := cellRef(i, x.rows)
		if x.inline {
			b = append(b, `<c r="`+ref+`" t="inlineStr"><is><t>`...)
			b = append(b, esc(v)...)
			b = append(b, `</t></is></c>`...)
			continue
		}
		b = append(b, `<c r="`+ref+`" t="s"><v>`...)
		b = strconv.AppendInt(b, int64(x.count), 10)
		b = append(b, `</v></c>`...)
		x.count++
		if _, err := x.sstW.WriteString(`<si><t xml:space="preserve">` + esc(v) + `</t></si>`); err != nil {
			return err
		}
	}
	b = append(b, `</row>`...)
	x.cell = b
	_, err := x.sheet.Write(b)
	return err
}

func (x *XLSX) endSheet() error {
	if x.sheet == nil {
		return nil
	}
	_, err := io.WriteString(x.sheet, `</sheetData></worksheet>`)
	x.sheet = nil
	return err
}

// Close writes the workbook's other parts and ends the zip.
func (x *XLSX) Close() error {
	if err := x.endSheet(); err != nil {
		return err
	}
	if x.sst != nil {
		defer x.sst.Close()
		w, err := x.zw.CreateHeader(&zip.FileHeader{Name: "xl/sharedStrings.xml", Method: zip.Deflate, Modified: modified})
		if err != nil {
			return err
		}
		fmt.Fprintf(w, xmlHead+`<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" count="%d" uniqueCount="%d">`, x.count, x.count)
		if err := x.sstW.Flush(); err != nil {
			return err
		}
		if _, err := x.sst.Seek(0, io.SeekStart); err != nil {
			return err
		}
		if _, err := io.Copy(w, x.sst); err != nil {
			return err
		}
		io.WriteString(w, `</sst>`)
	}
	var types, sheets, rels strings.Builder
	for i, name := range x.names {
		fmt.Fprintf(&types, `<Override PartName="/xl/worksheets/sheet%d.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>`, i+1)
		fmt.Fprintf(&sheets, `<sheet name="%s" sheetId="%d" r:id="rId%d"/>`, esc(name), i+1, i+1)
		fmt.Fprintf(&rels, `<Relationship Id="rId%d" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet%d.xml"/>`, i+1, i+1)
	}
	if x.sst != nil {
		types.WriteString(`<Override PartName="/xl/sharedStrings.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"/>`)
		fmt.Fprintf(&rels, `<Relationship Id="rId%d" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/sharedStrings" Target="sharedStrings.xml"/>`, len(x.names)+1)
	}
	parts := [][2]string{
		{"[Content_Types].xml", xmlHead + `<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" ContentType="application/xml"/><Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>` + types.String() + `</Types>`},
		{"_rels/.rels", xmlHead + `<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="xl/workbook.xml"/></Relationships>`},
		{"xl/workbook.xml", xmlHead + `<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"><sheets>` + sheets.String() + `</sheets></workbook>`},
		{"xl/_rels/workbook.xml.rels", xmlHead + `<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">` + rels.String() + `</Relationships>`},
	}
	for _, p := range parts {
		if err := writePart(x.zw, p[0], p[1]); err != nil {
			return err
		}
	}
	return x.zw.Close()
}

// cellRef returns the reference of column col (0-based), row row.
func cellRef(col, row int) string {
	var letters []byte
	for n := col + 1; n > 0; n = (n - 1) / 26 {
		letters = append([]byte{byte('A' + (n-1)%26)}, letters...)
	}
	return string(letters) + strconv.Itoa(row)
}

// DOCX writes a Word document a paragraph at a time.
type DOCX struct {
	zw   *zip.Writer
	body io.Writer
}

// NewDOCX starts a document written to w.
func NewDOCX(w io.Writer) (*DOCX, error) {
	d := &DOCX{zw: zip.NewWriter(w)}
	parts := [][2]string{
		{"[Content_Types].xml", xmlHead + `<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" ContentType="application/xml"/><Override PartName="/word/document.xml" ContentType="application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"/></Types>`},
		{"_rels/.rels", xmlHead + `<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="word/document.xml"/></Relationships>`},
	}
	for _, p := range parts {
		if err := writePart(d.zw, p[0], p[1]); err != nil {
			return nil, err
		}
	}
	body, err := d.zw.CreateHeader(&zip.FileHeader{Name: "word/document.xml", Method: zip.Deflate, Modified: modified})
	if err != nil {
		return nil, err
	}
	d.body = body
	_, err = io.WriteString(body, xmlHead+`<w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"><w:body>`)
	return d, err
}

// Paragraph adds a paragraph; each run is written as a run of its own,
// as Word splits text where its formatting or editing changes.
func (d *DOCX) Paragraph(runs ...string) error {
	var b strings.Builder
	b.WriteString(`<w:p>`)
	for _, r := range runs {
		b.WriteString(`<w:r><w:t xml:space="preserve">` + esc(r) + `</w:t></w:r>`)
	}
	b.WriteString(`</w:p>`)
	_, err := io.WriteString(d.body, b.String())
	return err
}

// Close ends the document.
func (d *DOCX) Close() error {
	if _, err := io.WriteString(d.body, `</w:body></w:document>`); err != nil {
		return err
	}
	return d.zw.Close()
}

// PPTX writes a presentation whose slides hold the given paragraphs.
func PPTX(w io.Writer, slides [][]string) error {
	zw := zip.NewWriter(w)
	var types, list, rels strings.Builder
	for i := range slides {
		fmt.Fprintf(&types, `<Override PartName="/ppt/slides/slide%d.xml" ContentType="application/vnd.openxmlformats-officedocument.presentationml.slide+xml"/>`, i+1)
		fmt.Fprintf(&list, `<p:sldId id="%d" r:id="rId%d"/>`, 256+i, i+1)
		fmt.Fprintf(&rels, `<Relationship Id="rId%d" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/slide" Target="slides/slide%d.xml"/>`, i+1, i+1)
	}
	parts := [][2]string{
		{"[Content_Types].xml", xmlHead + `<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" ContentType="application/xml"/><Override PartName="/ppt/presentation.xml" ContentType="application/vnd.openxmlformats-officedocument.presentationml.presentation.main+xml"/>` + types.String() + `</Types>`},
		{"_rels/.rels", xmlHead + `<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="ppt/presentation.xml"/></Relationships>`},
		{"ppt/presentation.xml", xmlHead + `<p:presentation xmlns:p="http://schemas.openxmlformats.org/presentationml/2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"><p:sldIdLst>` + list.String() + `</p:sldIdLst></p:presentation>`},
		{"ppt/_rels/presentation.xml.rels", xmlHead + `<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">` + rels.String() + `</Relationships>`},
	}
	for i, paras := range slides {
		var b strings.Builder
		b.WriteString(xmlHead + `<p:sld xmlns:a="http://schemas.openxmlformats.org/drawingml/2006/main" xmlns:p="http://schemas.openxmlformats.org/presentationml/2006/main"><p:cSld><p:spTree><p:sp><p:txBody><a:bodyPr/>`)
		for _, para := range paras {
			b.WriteString(`<a:p><a:r><a:t>` + esc(para) + `</a:t></a:r></a:p>`)
		}
		b.WriteString(`</p:txBody></p:sp></p:spTree></p:cSld></p:sld>`)
		parts = append(parts, [2]string{fmt.Sprintf("ppt/slides/slide%d.xml", i+1), b.String()})
	}
	for _, p := range parts {
		if err := writePart(zw, p[0], p[1]); err != nil {
			return err
		}
	}
	return zw.Close()
}

// odfParts writes an OpenDocument file of the given mimetype and content.
func odfParts(w io.Writer, mimetype, content string) error {
	zw := zip.NewWriter(w)
	// The mimetype comes first, stored, as the standard asks.
	mw, err := zw.CreateHeader(&zip.FileHeader{Name: "mimetype", Method: zip.Store, Modified: modified})
	if err != nil {
		return err
	}
	io.WriteString(mw, mimetype)
	parts := [][2]string{
		{"content.xml", content},
		{"META-INF/manifest.xml", xmlHead + `<manifest:manifest xmlns:manifest="urn:oasis:names:tc:opendocument:xmlns:manifest:1.0" manifest:version="1.2"><manifest:file-entry manifest:full-path="/" manifest:media-type="` + mimetype + `"/><manifest:file-entry manifest:full-path="content.xml" manifest:media-type="text/xml"/></manifest:manifest>`},
	}
	for _, p := range parts {
		if err := writePart(zw, p[0], p[1]); err != nil {
			return err
		}
	}
	return zw.Close()
}

const odfNS = `xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0" xmlns:table="urn:oasis:names:tc:opendocument:xmlns:table:1.0" office:version="1.2"`

// ODS writes a spreadsheet of one sheet of text cells.
func ODS(w io.Writer, sheet string, rows [][]string) error {
	var b strings.Builder
	b.WriteString(xmlHead + `<office:document-content ` + odfNS + `><office:body><office:spreadsheet><table:table table:name="` + esc(sheet) + `">`)
	for _, row := range rows {
		b.WriteString(`<table:table-row>`)
		for _, v := range row {
			if v == "" {
				b.WriteString(`<table:table-cell/>`)
				continue
			}
			b.WriteString(`<table:table-cell office:value-type="string"><text:p>` + esc(v) + `</text:p></table:table-cell>`)
		}
		b.WriteString(`</table:table-row>`)
	}
	b.WriteString(`</table:table></office:spreadsheet></office:body></office:document-content>`)
	return odfParts(w, "application/vnd.oasis.opendocument.spreadsheet", b.String())
}

// ODT writes a text document of the given paragraphs.
func ODT(w io.Writer, paragraphs []string) error {
	var b strings.Builder
	b.WriteString(xmlHead + `<office:document-content ` + odfNS + `><office:body><office:text>`)
	for _, p := range paragraphs {
		b.WriteString(`<text:p>` + esc(p) + `</text:p>`)
	}
	b.WriteString(`</office:text></office:body></office:document-content>`)
	return odfParts(w, "application/vnd.oasis.opendocument.text", b.String())
}
