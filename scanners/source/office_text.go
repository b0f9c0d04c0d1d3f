package source

import (
	"io"
)

// A textDialect says where the text of one kind of XML part is: which
// elements are paragraphs, which hold the text, and which stand for a
// space. Elements are matched by their local names, whatever their
// prefixes.
type textDialect struct {
	// para are the paragraphs: the end of each ends a line.
	para set
	// text are the elements whose character data is text; with none,
	// all character data within a paragraph is.
	text set
	// space are elements that stand for a space: tabs, breaks.
	space set
	// attrs are attributes whose values are text (a tracked change's
	// author), added to the paragraph they are in as words.
	attrs set
	// skip are elements whose content is no text of the document (the
	// phonetic guide of a cell, a field's cached instructions).
	skip set
}

// set is a set of local names.
type set map[string]bool

func setOf(names ...string) set {
	s := make(set, len(names))
	for _, n := range names {
		s[n] = true
	}
	return s
}

var (
	// wordText is a WordprocessingML part: w:p paragraphs of w:t runs,
	// deleted text (w:delText) and field instructions (a HYPERLINK's
	// target) too; drawings' text boxes (a:t) are paragraphs within.
	wordText = textDialect{
		para:  setOf("p"),
		text:  setOf("t", "delText", "instrText", "delInstrText"),
		space: setOf("tab", "br", "cr", "ptab", "noBreakHyphen"),
		// Authors of changes, a field's instruction (fldSimple), a
		// picture's alternative text and title, a link's tooltip.
		attrs: setOf("author", "instr", "descr", "title", "tooltip"),
	}
	// slideText is a slide, its notes, or its comments (p:cm with
	// p:text, or modern comments' a:p).
	slideText = textDialect{
		para:  setOf("p", "cm"),
		text:  setOf("t", "text"),
		space: setOf("br", "tab"),
		attrs: setOf("descr", "title", "tooltip"),
	}
	// xlsxComments are the notes of a worksheet: a comment of runs.
	xlsxComments = textDialect{
		para: setOf("comment", "author"),
		text: setOf("t", "author"),
		skip: setOf("rPh"),
	}
	// sheetExtras is what a worksheet holds after its cells: headers and
	// footers, links (their text and tooltips), validation lists.
	sheetExtras = textDialect{
		para:  setOf("oddHeader", "oddFooter", "evenHeader", "evenFooter", "firstHeader", "firstFooter", "hyperlink", "formula1", "formula2"),
		attrs: setOf("display", "tooltip"),
	}
	// xlsxThreaded are a worksheet's threaded comments.
	xlsxThreaded = textDialect{
		para: setOf("threadedComment"),
		text: setOf("text"),
	}
	// odfText is an OpenDocument text or presentation: text:p and text:h
	// paragraphs, every character in them text.
	// The authors of tracked changes and notes (dc:creator) are
	// paragraphs of their own; links' targets (xlink:href, a mailto:)
	// and titles are words of their paragraphs.
	odfText = textDialect{
		para:  setOf("p", "h", "creator"),
		space: setOf("s", "tab", "line-break"),
		attrs: setOf("href", "title", "string-value"),
	}
)

// paragraphs renders an XML part as its text, a line per paragraph.
type paragraphs struct {
	d      *textDialect
	xr     *xmlReader
	inPara int // depth of paragraphs open
	inText int // depth of text elements open
	skip   int // depth of skipped elements open
	rowReader
}

// paragraphBatch is how many bytes are rendered at a time.
const paragraphBatch = 64 << 10

func newParagraphs(r io.Reader, d *textDialect) *paragraphs {
	return xmlParagraphs(newXMLReader(r), d)
}

// xmlParagraphs renders the paragraphs x reads from where it is.
func xmlParagraphs(x *xmlReader, d *textDialect) *paragraphs {
	p := &paragraphs{d: d, xr: x}
	p.fill = p.next
	return p
}

// next renders the paragraphs of the next batch of tokens.
func (p *paragraphs) next() {
	d := p.d
	p.buf = p.back[:0]
	defer func() { p.back = p.buf }()
	x := p.xr
	for len(p.buf) < paragraphBatch {
		if err := x.next(); err != nil {
			if err != io.EOF {
				p.err = err
				return
			}
			if p.inPara > 0 { // the part's end closes what is open
				p.buf = append(p.buf, '\n')
				p.inPara = 0
			}
			p.err = io.EOF
			return
		}
		switch x.kind {
		case xmlStart:
			if p.skip > 0 || d.skip[string(x.name)] {
				p.skip++
				continue
			}
			if d.para[string(x.name)] {
				p.inPara++
			}
			if d.text[string(x.name)] {
				p.inText++
			}
			if d.space[string(x.name)] && p.inPara > 0 {
				p.buf = append(p.buf, ' ')
			}
			if d.attrs != nil {
				x.eachAttr(func(name, value []byte) bool {
					if d.attrs[string(name)] {
						x.val = expand(x.val[:0], value)
						p.buf = append(p.buf, ' ')
						p.buf = appendCell(p.buf, x.val)
						p.buf = append(p.buf, ' ')
					}
					return true
				})
			}
		case xmlEnd:
			if p.skip > 0 {
				p.skip--
				continue
			}
			if d.text[string(x.name)] && p.inText > 0 {
				p.inText--
			}
			if d.para[string(x.name)] && p.inPara > 0 {
				p.inPara--
				p.buf = append(p.buf, '\n')
			}
		case xmlText:
			if p.skip == 0 && (p.inText > 0 || d.text == nil && p.inPara > 0) {
				p.buf = appendCell(p.buf, x.text)
			}
		}
	}
}
