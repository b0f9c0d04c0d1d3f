package source

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"path"
	"strings"
)

// Office documents are zip archives of XML parts: Office Open XML (XLSX,
// DOCX, PPTX and their macro-enabled kinds) and OpenDocument (ODS, ODT,
// ODP). A part that holds the document's text is read as that text, not
// as XML:
//
//   - a worksheet (XLSX, ODS) is a Table, a line per row, its first row's
//     values naming the columns, and each value's field its cell;
//   - a text part (the body, headers, footers, notes and comments of a
//     DOCX, a slide or its notes, an ODT or ODP content) is a line per
//     paragraph, the runs of a paragraph joined.
//
// Every other part (document properties, relationships, embedded files)
// is read as any archive member is.

// officeKind tells the two families of office documents apart.
type officeKind int

const (
	notOffice officeKind = iota
	ooxml                // [Content_Types].xml
	odf                  // mimetype application/vnd.oasis.opendocument.*
)

// maxOfficeScan bounds the entries of a zip looked through for the parts
// of an office document: documents have tens to thousands.
const maxOfficeScan = 1 << 16

// maxOfficeMeta bounds the parts read whole to learn the document's
// layout (the workbook and its relationships, the ODF mimetype).
const maxOfficeMeta = 16 << 20

// officeDoc is what the reader knows of an office document's layout.
type officeDoc struct {
	kind          officeKind
	spreadsheet   bool                // an ODF spreadsheet
	encrypted     bool                // an ODF document with encrypted parts
	encryptedSaid bool                // and that was reported
	parts         map[string]zipEntry // the parts read first, by name
	sheetNames    map[string]string   // worksheet part name: sheet name
	sst           *sharedStrings      // an XLSX workbook's shared strings
	sstDone       bool
	sstErr        error
	sstComp       int64 // the compressed size of the shared strings
	sheets        int   // XLSX worksheet parts
}

// officeLayout reads the names of z's entries and returns the layout of
// the office document z is, or nil.
func (ex *expansion) officeLayout(z *zipArchive, s *zipSurvey) *officeDoc {
	if z.records > maxOfficeScan {
		return nil
	}
	doc := &officeDoc{parts: make(map[string]zipEntry)}
	d := z.dir()
	for {
		e, err := d.next()
		if err != nil || e == nil {
			break
		}
		switch name := string(e.name); name {
		case "[Content_Types].xml":
			doc.kind = ooxml
		case "mimetype", "META-INF/manifest.xml", "xl/workbook.xml", "xl/_rels/workbook.xml.rels":
			c := *e
			c.name = nil
			doc.parts[name] = c
		default:
			if dir, base := path.Split(name); dir == "xl/worksheets/" && strings.HasSuffix(base, ".xml") {
				doc.sheets++
			} else if isSharedStrings(name) {
				c := *e
				c.name = nil
				doc.parts["xl/sharedStrings.xml"] = c
			}
		}
	}
	if doc.kind == notOffice {
		e, ok := doc.parts["mimetype"]
		if !ok {
			return nil
		}
		mt, err := ex.readPart(z, s, &e)
		if err != nil || !bytes.HasPrefix(mt, []byte("application/vnd.oasis.opendocument.")) {
			return nil
		}
		doc.kind = odf
		doc.spreadsheet = bytes.HasPrefix(mt, []byte("application/vnd.oasis.opendocument.spreadsheet"))
		if e, ok := doc.parts["META-INF/manifest.xml"]; ok {
			m, err := ex.readPart(z, s, &e)
			doc.encrypted = err == nil && bytes.Contains(m, []byte("encryption-data"))
		}
		return doc
	}
	doc.sheetNames = ex.sheetNames(z, s, doc)
	return doc
}

// readPart reads a small part whole.
func (ex *expansion) readPart(z *zipArchive, s *zipSurvey, e *zipEntry) ([]byte, error) {
	if e.size > maxOfficeMeta {
		return nil, fmt.Errorf("%w: part larger than %d bytes", ErrCorrupt, maxOfficeMeta)
	}
	r, closeFn, err := ex.memberReader(z, e, s)
	if err != nil {
		return nil, err
	}
	defer closeFn()
	return io.ReadAll(io.LimitReader(r, maxOfficeMeta))
}

// memberReader returns a reader of e's content that counts against the
// input's budget.
func (ex *expansion) memberReader(z *zipArchive, e *zipEntry, s *zipSurvey) (io.Reader, func(), error) {
	if ex.lim.ratioBomb(e.size, e.comp) {
		return nil, nil, fmt.Errorf("%w: declared ratio %d:1 exceeds %d:1", ErrBomb, e.size/max(e.comp, 1), ex.lim.MaxRatio)
	}
	data, err := z.data(e, s)
	if err != nil {
		return nil, nil, err
	}
	rc, err := openMember(e, data)
	if err != nil {
		return nil, nil, err
	}
	in := &countingReader{n: int64(e.comp)} // the compressed size is known up front
	return &limitedReader{r: rc, in: in, ex: ex, format: FormatZip}, rc.Close, nil
}

// isSharedStrings reports whether a part is a workbook's shared strings
// (xl/sharedStrings.xml, which some writers spell xl/SharedStrings.xml).
func isSharedStrings(name string) bool {
	return strings.EqualFold(name, "xl/sharedStrings.xml")
}

// sheetNames maps the worksheet parts of an XLSX workbook to the names
// of their sheets. A workbook it cannot read leaves the sheets named by
// their parts.
func (ex *expansion) sheetNames(z *zipArchive, s *zipSurvey, doc *officeDoc) map[string]string {
	wb, ok1 := doc.parts["xl/workbook.xml"]
	rels, ok2 := doc.parts["xl/_rels/workbook.xml.rels"]
	if !ok1 || !ok2 {
		return nil
	}
	targets := make(map[string]string) // relationship id: part name
	if b, err := ex.readPart(z, s, &rels); err == nil {
		eachElement(b, "Relationship", func(x *xmlReader) {
			id, target := x.attrString("Id"), x.attrString("Target")
			if strings.HasPrefix(target, "/") {
				target = strings.TrimPrefix(target, "/")
			} else {
				target = path.Join("xl", target)
			}
			targets[id] = path.Clean(target)
		})
	}
	names := make(map[string]string)
	if b, err := ex.readPart(z, s, &wb); err == nil {
		eachElement(b, "sheet", func(x *xmlReader) {
			if p, ok := targets[x.attrString("id")]; ok {
				names[p] = x.attrString("name")
			}
		})
	}
	return names
}

// eachElement calls fn for the start of every element of doc whose
// local name is local, until doc ends or is malformed.
func eachElement(doc []byte, local string, fn func(x *xmlReader)) {
	x := newXMLReader(bytes.NewReader(doc))
	for x.next() == nil {
		if x.kind == xmlStart && string(x.name) == local {
			fn(x)
		}
	}
}

// officePart reads member e (p, named name in the archive, cleaned as
// ex.member cleans it) of an office document if it is one of the parts
// that hold its text, and reports whether it did.
func (ex *expansion) officePart(doc *officeDoc, p, name string, z *zipArchive, e *zipEntry, s *zipSurvey) (bool, error) {
	switch doc.kind {
	case odf:
		// The document's parts, and those of objects embedded in it
		// (Object 1/content.xml: a chart, a formula).
		if base := path.Base(name); base != "content.xml" && base != "styles.xml" {
			return false, nil
		}
		if doc.encrypted {
			// Said once, of the first part: the document is not read.
			if doc.encryptedSaid {
				return true, nil
			}
			doc.encryptedSaid = true
			return true, &fs.PathError{Op: "unzip", Path: p, Err: ErrEncryptedDocument}
		}
		if doc.spreadsheet && name == "content.xml" {
			return true, ex.odsSheets(p, z, e, s)
		}
		return true, ex.textPart(p, z, e, s, &odfText)
	case ooxml:
		dir, base := path.Split(name)
		switch {
		case isSharedStrings(name):
			if doc.sheets == 0 {
				return false, nil
			}
			// Read with the sheets, whichever comes first.
			switch sst := ex.sharedStrings(doc, z, s); {
			case doc.sstErr != nil:
				return true, &fs.PathError{Op: "unzip", Path: p, Err: doc.sstErr}
			case sst.cut > 0:
				err := fmt.Errorf("%w: %d shared strings longer than %d bytes, read as far as that", ErrCorrupt, sst.cut, maxCellText)
				return true, &fs.PathError{Op: "read", Path: p, Err: err}
			}
			return true, nil
		case dir == "xl/worksheets/" && strings.HasSuffix(base, ".xml"):
			return true, ex.xlsxSheet(doc, p, name, z, e, s)
		case dir == "xl/" && strings.HasPrefix(base, "comments") && strings.HasSuffix(base, ".xml"):
			return true, ex.textPart(p, z, e, s, &xlsxComments)
		case dir == "xl/threadedComments/":
			return true, ex.textPart(p, z, e, s, &xlsxThreaded)
		case (dir == "word/" || dir == "word/glossary/") && wordTextPart(base):
			return true, ex.textPart(p, z, e, s, &wordText)
		case slideDirs[dir] && strings.HasSuffix(base, ".xml"):
			return true, ex.textPart(p, z, e, s, &slideText)
		case formatting(dir, base):
			return true, nil
		}
	}
	return false, nil
}

// close removes what reading the document left: spooled shared strings.
func (doc *officeDoc) close() {
	if doc != nil {
		doc.sst.close()
	}
}

// slideDirs hold the parts of text in DrawingML paragraphs: slides, their
// notes, layouts and masters, comments, and the shapes of worksheets.
var slideDirs = map[string]bool{
	"ppt/slides/": true, "ppt/notesSlides/": true, "ppt/comments/": true,
	"ppt/slideLayouts/": true, "ppt/slideMasters/": true, "ppt/notesMasters/": true, "ppt/handoutMasters/": true,
	"xl/drawings/": true,
}

// formatting reports whether a part of an OOXML document holds only how
// it looks: styles, themes, fonts, settings. Their attributes name fonts
// and styles ("Liberation Sans", "Heading Char"), which read as text are
// names of people; they are not read.
func formatting(dir, base string) bool {
	switch dir {
	case "word/theme/", "xl/theme/", "ppt/theme/":
		return true
	case "word/", "word/glossary/":
		switch base {
		case "styles.xml", "stylesWithEffects.xml", "fontTable.xml", "numbering.xml":
			return true
		}
	case "xl/":
		return base == "styles.xml" || base == "calcChain.xml"
	case "ppt/":
		switch base {
		case "presProps.xml", "viewProps.xml", "tableStyles.xml":
			return true
		}
	}
	return false
}

// wordTextPart reports whether a part of word/ holds text: the body,
// headers, footers, notes and comments.
func wordTextPart(base string) bool {
	if !strings.HasSuffix(base, ".xml") {
		return false
	}
	for _, p := range []string{"document", "header", "footer", "footnotes", "endnotes", "comments"} {
		if strings.HasPrefix(base, p) {
			return !strings.HasPrefix(base, "commentsExtended") && !strings.HasPrefix(base, "commentsIds") && !strings.HasPrefix(base, "commentsExtensible")
		}
	}
	return false
}

// ErrEncryptedDocument is the problem of an office document whose parts
// are encrypted: it is reported as not read, never passed as clean.
var ErrEncryptedDocument = errors.New("encrypted document: cannot be scanned")

// textPart reads an XML part as its text, a line per paragraph.
func (ex *expansion) textPart(p string, z *zipArchive, e *zipEntry, s *zipSurvey, d *textDialect) error {
	r, closeFn, err := ex.memberReader(z, e, s)
	if err != nil {
		return &fs.PathError{Op: "unzip", Path: p, Err: err}
	}
	defer closeFn()
	t := newParagraphs(r, d)
	b := getBuffer(t)
	defer putBuffer(b)
	return ex.fn(p, b.br, nil)
}

// xmlGap bounds a token of an office part (a text node, a tag): a
// token is held whole in memory while it is read.
const xmlGap = 64 << 20
