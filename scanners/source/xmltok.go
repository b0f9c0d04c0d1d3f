package source

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"strconv"
	"unicode/utf8"

	"golang.org/x/text/encoding/unicode"
	"golang.org/x/text/transform"
)

// xmlReader is a tokenizer of the XML of office documents, several times
// faster than encoding/xml and allocating nothing per token: it reads
// start and end tags, text and CDATA, and passes over comments,
// processing instructions and document type declarations. It does not
// check that the document is well formed beyond what it must to find
// tags, and it expands only the predefined and numeric entities: one a
// document type declares (a "billion laughs" bomb) is kept as written.
// Names are local names, their prefixes dropped.
type xmlReader struct {
	br   *bufio.Reader
	kind xmlKind
	name []byte // of a start or end tag: its local name
	attr []byte // of a start tag: its attributes, as written
	text []byte // of text: with entities expanded
	raw  []byte // the token as read (in br's buffer, or in own)
	own  []byte
	val  []byte // an attribute value, expanded
	// endNext is set after an empty element's start (<c/>): its end is
	// the next token.
	endNext bool
}

// xmlKind is the kind of a token.
type xmlKind int

const (
	xmlStart xmlKind = iota
	xmlEnd
	xmlText
)

// newXMLReader returns a reader of the XML r holds: UTF-8, or UTF-16
// with a byte-order mark (which OPC allows a part to be), decoded.
func newXMLReader(r io.Reader) *xmlReader {
	br := bufio.NewReaderSize(r, 64<<10)
	if head, _ := br.Peek(2); len(head) == 2 && (head[0] == 0xff && head[1] == 0xfe || head[0] == 0xfe && head[1] == 0xff) {
		dec := unicode.UTF16(unicode.LittleEndian, unicode.ExpectBOM).NewDecoder()
		br = bufio.NewReaderSize(transform.NewReader(br, dec), 64<<10)
	}
	return &xmlReader{br: br}
}

// errXMLGap is the error of a token longer than xmlGap.
var errXMLGap = fmt.Errorf("%w: an XML token longer than %d bytes", ErrBomb, xmlGap)

// next reads the next token; at the end of the input it fails with
// io.EOF.
func (x *xmlReader) next() error {
	if x.endNext {
		x.endNext = false
		x.kind = xmlEnd
		return nil
	}
	for {
		c, err := x.br.ReadByte()
		if err != nil {
			return err
		}
		if c != '<' {
			x.br.UnreadByte()
			if err := x.readUntil('<', false); err != nil && err != io.EOF {
				return err
			}
			x.kind = xmlText
			x.text = expand(x.text[:0], x.raw)
			return nil
		}
		p, err := x.br.Peek(1)
		if err != nil {
			return fmt.Errorf("%w: XML cut short in a tag", ErrCorrupt)
		}
		switch p[0] {
		case '!':
			if cdata, err := x.declaration(); err != nil || cdata {
				return err
			}
			continue
		case '?':
			if err := x.until([]byte("?>")); err != nil {
				return err
			}
			continue
		}
		if err := x.readUntil('>', true); err != nil {
			if err == io.EOF {
				return fmt.Errorf("%w: XML cut short in a tag", ErrCorrupt)
			}
			return err
		}
		x.br.ReadByte() // the '>'
		tag := x.raw
		if len(tag) > 0 && tag[0] == '/' {
			x.kind = xmlEnd
			x.name = localName(bytes.TrimSpace(tag[1:]))
			return nil
		}
		x.kind = xmlStart
		tag = bytes.TrimRight(tag, " \t\r\n") // <a b="1" />
		if n := len(tag); n > 0 && tag[n-1] == '/' {
			tag = tag[:n-1]
			x.endNext = true
		}
		i := 0
		for i < len(tag) && tag[i] != ' ' && tag[i] != '\t' && tag[i] != '\r' && tag[i] != '\n' {
			i++
		}
		x.name, x.attr = localName(tag[:i]), tag[i:]
		return nil
	}
}

// readUntil reads into x.raw the bytes up to delim (not consumed), or to
// the end of the input (io.EOF). In a tag, a delim within a quoted
// attribute value does not count.
func (x *xmlReader) readUntil(delim byte, tag bool) error {
	b, err := x.br.ReadSlice(delim)
	if err == nil && !(tag && openQuote(b)) {
		// The common case: the token is in the buffer, and stays there
		// until the next token is read.
		x.br.UnreadByte()
		x.raw = b[:len(b)-1]
		return nil
	}
	raw := append(x.own[:0], b...)
	defer func() { x.own = raw }()
	for {
		if len(raw) > xmlGap {
			return errXMLGap
		}
		switch {
		case err == nil && !(tag && openQuote(raw)):
			x.br.UnreadByte()
			raw = raw[:len(raw)-1]
			x.raw = raw
			return nil
		case err == io.EOF:
			x.raw = raw
			return err
		case err != nil && err != bufio.ErrBufferFull:
			return err
		}
		b, err = x.br.ReadSlice(delim)
		raw = append(raw, b...)
	}
}

// openQuote reports whether a tag's bytes end within a quoted value.
func openQuote(b []byte) bool {
	var q byte
	for _, c := range b {
		switch {
		case q != 0:
			if c == q {
				q = 0
			}
		case c == '"' || c == '\'':
			q = c
		}
	}
	return q != 0
}

// until passes over the bytes up to and including end.
func (x *xmlReader) until(end []byte) error {
	x.raw = x.own[:0]
	defer func() { x.own = x.raw[:0] }()
	for {
		b, err := x.br.ReadSlice(end[len(end)-1])
		x.raw = append(x.raw, b...)
		if err == nil && bytes.HasSuffix(x.raw, end) {
			return nil
		}
		if len(x.raw) > xmlGap {
			return errXMLGap
		}
		if err != nil && err != bufio.ErrBufferFull {
			if err == io.EOF {
				return fmt.Errorf("%w: XML cut short in a %q", ErrCorrupt, end)
			}
			return err
		}
	}
}

// declaration reads what starts with "<!": a comment, a CDATA section
// (whose text is the token: it reports true) or a document type
// declaration.
func (x *xmlReader) declaration() (bool, error) {
	p, _ := x.br.Peek(8)
	switch {
	case bytes.HasPrefix(p, []byte("!--")):
		return false, x.until([]byte("-->"))
	case bytes.HasPrefix(p, []byte("![CDATA[")):
		x.br.Discard(8)
		if err := x.until([]byte("]]>")); err != nil {
			return false, err
		}
		x.kind = xmlText
		x.text = append(x.text[:0], x.raw[:len(x.raw)-3]...)
		return true, nil
	}
	// <!DOCTYPE ...>, with an internal subset in brackets that may hold
	// '>' of its own, and quoted strings that may hold any of them.
	depth := 0
	n := 0
	var q byte
	for {
		c, err := x.br.ReadByte()
		if err != nil {
			return false, fmt.Errorf("%w: XML cut short in a declaration", ErrCorrupt)
		}
		if n++; n > xmlGap {
			return false, errXMLGap
		}
		switch {
		case q != 0:
			if c == q {
				q = 0
			}
			continue
		case c == '"' || c == '\'':
			q = c
			continue
		}
		switch c {
		case '[':
			depth++
		case ']':
			depth--
		case '>':
			if depth <= 0 {
				return false, nil
			}
		}
	}
}

// localName drops the prefix of a name.
func localName(name []byte) []byte {
	if i := bytes.IndexByte(name, ':'); i >= 0 {
		return name[i+1:]
	}
	return name
}

// attrValue returns the value (expanded) of the start tag's attribute
// of local name local, valid until the next call.
func (x *xmlReader) attrValue(local string) ([]byte, bool) {
	found := false
	x.eachAttr(func(name, value []byte) bool {
		if string(name) == local {
			x.val = expand(x.val[:0], value)
			found = true
			return false
		}
		return true
	})
	if !found {
		return nil, false
	}
	return x.val, true
}

// attrString is attrValue as a string, "" if there is none.
func (x *xmlReader) attrString(local string) string {
	v, ok := x.attrValue(local)
	if !ok {
		return ""
	}
	return string(v)
}

// eachAttr calls fn with the local name and the raw value of each
// attribute of the start tag, until it returns false. Namespace
// declarations (xmlns, xmlns:r) are no attributes here: the local name
// of xmlns:r is no cell's r.
func (x *xmlReader) eachAttr(fn func(name, value []byte) bool) {
	a := x.attr
	for {
		eq := bytes.IndexByte(a, '=')
		if eq < 0 {
			return
		}
		a0 := a
		name := localName(bytes.TrimSpace(a[:eq]))
		a = bytes.TrimLeft(a[eq+1:], " \t\r\n")
		if len(a) == 0 || a[0] != '"' && a[0] != '\'' {
			return
		}
		end := bytes.IndexByte(a[1:], a[0])
		if end < 0 {
			return
		}
		if raw := bytes.TrimSpace(a0[:eq]); !bytes.Equal(raw, []byte("xmlns")) && !bytes.HasPrefix(raw, []byte("xmlns:")) && !fn(name, a[1:1+end]) {
			return
		}
		a = a[end+2:]
	}
}

// expand appends s to b with its predefined and numeric character
// references expanded; any other reference is kept as written.
func expand(b, s []byte) []byte {
	for {
		i := bytes.IndexByte(s, '&')
		if i < 0 {
			return append(b, s...)
		}
		b = append(b, s[:i]...)
		s = s[i:]
		semi := bytes.IndexByte(s, ';')
		if semi < 0 || semi > 12 {
			b = append(b, '&')
			s = s[1:]
			continue
		}
		ref := s[1:semi]
		switch string(ref) {
		case "lt":
			b = append(b, '<')
		case "gt":
			b = append(b, '>')
		case "amp":
			b = append(b, '&')
		case "quot":
			b = append(b, '"')
		case "apos":
			b = append(b, '\'')
		default:
			r, ok := charRef(ref)
			if !ok {
				b = append(b, s[:semi+1]...)
			} else {
				b = utf8.AppendRune(b, r)
			}
		}
		s = s[semi+1:]
	}
}

// charRef decodes a numeric character reference without its & and ;
// (#65, #x41).
func charRef(ref []byte) (rune, bool) {
	if len(ref) < 2 || ref[0] != '#' {
		return 0, false
	}
	var n uint64
	var err error
	if ref[1] == 'x' || ref[1] == 'X' {
		n, err = strconv.ParseUint(string(ref[2:]), 16, 32)
	} else {
		n, err = strconv.ParseUint(string(ref[1:]), 10, 32)
	}
	if err != nil || n > utf8.MaxRune {
		return 0, false
	}
	return rune(n), true
}
