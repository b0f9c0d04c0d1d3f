package source

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"strings"
	"testing"

	"github.com/piiscan/piiscan/internal/officefile"
)

// tokens renders the tokens of doc as S(name attrs) E(name) T(text).
func tokens(doc string) (string, error) {
	x := newXMLReader(strings.NewReader(doc))
	var b strings.Builder
	for {
		err := x.next()
		if err == io.EOF {
			return b.String(), nil
		}
		if err != nil {
			return b.String(), err
		}
		switch x.kind {
		case xmlStart:
			fmt.Fprintf(&b, "S(%s r=%s)", x.name, x.attrString("r"))
		case xmlEnd:
			fmt.Fprintf(&b, "E(%s)", x.name)
		case xmlText:
			fmt.Fprintf(&b, "T(%s)", x.text)
		}
	}
}

func TestXMLReader(t *testing.T) {
	for _, tc := range []struct{ doc, want string }{
		{`<?xml version="1.0"?><x:c r="A1" t='s'>a &amp; b &lt;&#65;&#x42;&bogus;</x:c>`, `S(c r=A1)T(a & b <AB&bogus;)E(c)`},
		{`<c r="a>b"/><!-- <c r="no"/> --><d/>`, `S(c r=a>b)E(c)S(d r=)E(d)`},
		{`<!DOCTYPE x [<!ENTITY lol "lol"> <!ENTITY lol2 "&lol;&lol;">]><t>&lol2;</t>`, `S(t r=)T(&lol2;)E(t)`},
		{`<t><![CDATA[a <b> & c]]></t>`, `S(t r=)T(a <b> & c)E(t)`},
		{"<w:t xml:space=\"preserve\"> x\n</w:t >", "S(t r=)T( x\n)E(t)"},
		{`<c r="&quot;q&quot;">`, `S(c r="q")`},
	} {
		got, err := tokens(tc.doc)
		if err != nil || got != tc.want {
			t.Errorf("%q:\n got %s, %v\nwant %s", tc.doc, got, err, tc.want)
		}
	}
	for _, doc := range []string{`<c r="x`, `<!-- x`, `<![CDATA[x`, `<!DOCTYPE [`} {
		if _, err := tokens(doc); err == nil {
			t.Errorf("%q: no error", doc)
		}
	}
	// A token longer than the reader's buffer.
	long := strings.Repeat("a", 200<<10)
	got, err := tokens(`<t r="` + long + `">` + long + `</t>`)
	if err != nil || got != "S(t r="+long+")T("+long+")E(t)" {
		t.Errorf("long tokens: %d bytes, %v", len(got), err)
	}
}

// FuzzOffice reads arbitrary bytes as an office document (and the XML
// of its parts): no panic, no hang.
func FuzzOffice(f *testing.F) {
	for _, s := range officeSeeds(f) {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		x := &Expander{Limits: Limits{MaxBytes: 64 << 20, RatioFloor: 1 << 20}}
		x.Expand(t.Context(), "f", bytes.NewReader(data), bytes.NewReader(data), int64(len(data)), func(_ string, br *bufio.Reader, _ *Table) error {
			_, err := io.Copy(io.Discard, br)
			return err
		})
		// The XML alone, as a sheet, a text and shared strings.
		openSheet("s", &xlsxRows{x: newXMLReader(bytes.NewReader(data))}).Read(make([]byte, 1<<20))
		io.Copy(io.Discard, newParagraphs(bytes.NewReader(data), &wordText))
		(&sharedStrings{}).read(newXMLReader(bytes.NewReader(data)))
	})
}

// officeSeeds are small office documents of each kind, and XML parts.
func officeSeeds(t testing.TB) [][]byte {
	var out [][]byte
	var b bytes.Buffer
	x, err := officefile.NewXLSX(&b, false)
	if err != nil {
		t.Fatal(err)
	}
	x.Sheet("S")
	x.Row("email", "ssn")
	x.Row("ada@example.com", "536-22-8726")
	x.Close()
	out = append(out, bytes.Clone(b.Bytes()))
	b.Reset()
	d, _ := officefile.NewDOCX(&b)
	d.Paragraph("mail ", "ada@example.com")
	d.Close()
	out = append(out, bytes.Clone(b.Bytes()))
	b.Reset()
	officefile.ODS(&b, "S", [][]string{{"email"}, {"ada@example.com"}})
	out = append(out, bytes.Clone(b.Bytes()))
	return append(out,
		[]byte(`<sheetData><row r="2"><c r="B2" t="inlineStr"><is><t>a@b.co</t></is></c></row></sheetData>`),
		[]byte(`<w:p><w:r><w:t>x</w:t></w:r><w:ins w:author="a@b.co"/></w:p>`),
		[]byte(`<sst><si><t>x</t><rPh><t>y</t></rPh></si></sst>`))
}

// What real files hold and encoding/xml reads: quoted brackets in a
// document type, namespace declarations named like attributes, a space
// before "/>", UTF-16 parts.
func TestXMLReaderEdges(t *testing.T) {
	for _, tc := range []struct{ doc, want string }{
		{`<!DOCTYPE a [<!ENTITY e "[">]><a>x</a>`, `S(a r=)T(x)E(a)`},
		{`<!DOCTYPE a SYSTEM "a>b"><a>x</a>`, `S(a r=)T(x)E(a)`},
		{`<c xmlns:r="http://r" r="B2"/>`, `S(c r=B2)E(c)`},
		{`<c xmlns="http://x" r="B2" / >`, `S(c r=B2)E(c)`},
		{"\xff\xfe<\x00t\x00 \x00r\x00=\x00\"\x00A\x00\"\x00>\x00\xe9\x00<\x00/\x00t\x00>\x00", `S(t r=A)T(é)E(t)`},
		{"\xfe\xff\x00<\x00t\x00>\x00x\x00<\x00/\x00t\x00>", `S(t r=)T(x)E(t)`},
	} {
		got, err := tokens(tc.doc)
		if err != nil || got != tc.want {
			t.Errorf("%q:\n got %s, %v\nwant %s", tc.doc, got, err, tc.want)
		}
	}
}
