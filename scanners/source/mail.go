package source

import (
	"bufio"
	"bytes"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"math"
	"mime"
	"path"
	"strconv"
	"strings"
	"sync"

	"github.com/emersion/go-message"
	_ "github.com/emersion/go-message/charset" // decode the charsets mail is written in
	"github.com/emersion/go-message/textproto"

	"github.com/piiscan/piiscan/internal/itempath"
)

// Mail: a message (.eml, RFC 5322) or an mbox of them. A message is read
// as what a person reading it sees, plus what it carries:
//
//   - its header fields, decoded (=?UTF-8?B?...?= words, charsets), as a
//     table of one row whose columns are the fields: line 1, the field's
//     name as the finding's field (a field that repeats, as Received
//     does, is one column of its values);
//   - each text part that is not an attachment (text/plain, text/html),
//     decoded from base64 or quoted-printable and from its charset, as a
//     table of one column, "body" (or "body.2.1", the part's number, in a
//     multipart message): line N is the part's line N;
//   - each part's header fields, the same way, named for the part
//     (Content-Disposition.2: a file name is read there);
//   - every other part (an attachment, a forwarded message) as any other
//     input, named message!part-2.csv like an archive's member (by its
//     part and its file name's extension: the name is the sender's and
//     may hold anything): a zip in a mail is opened, a forwarded message
//     read as a message;
//   - a multipart's preamble and epilogue, as text parts.
//
// An mbox's messages are message-1, message-2 ... (mbox!message-2). What
// a message holds is not counted as decompressed: it holds no more
// than its bytes.

// Limits of a message's structure, against bombs: a part's header is read
// whole, and each level of multipart nesting is a reader on the one above.
const (
	maxMailHeader  = 1 << 20
	maxMailNesting = 32
)

// mailNotRead are header fields not read: signatures and hashes (base64
// of random bytes, whose digits and words only make false findings) and
// the identifiers of messages and parts (<id@host>, no one's address).
var mailNotRead = map[string]bool{
	"Message-Id": true, "In-Reply-To": true, "References": true, "Content-Id": true,
	"Resent-Message-Id": true, "X-Message-Id": true, "Original-Message-Id": true,
	"Dkim-Signature": true, "X-Google-Dkim-Signature": true, "Domainkey-Signature": true,
	"Arc-Seal": true, "Arc-Message-Signature": true, "X-Ms-Exchange-Antispam-Messagedata-0": true,
	"X-Ms-Exchange-Antispam-Messagedata-1": true, "X-Ms-Exchange-Antispam-Messagedata-Chunkcount": true,
	"X-Microsoft-Antispam-Message-Info": true, "X-Ms-Exchange-Crosstenant-Id": true,
}

// mail reads one message. Problems of a part (a bad base64 body, an
// unknown transfer encoding) are reported and the rest is read.
func (ex *expansion) mail(name string, r io.Reader, depth int, envelope []byte) error {
	kept := headerKeeps.Get().(*[]byte)
	defer headerKeeps.Put(kept)
	lr := &headerLimit{r: r, n: maxMailHeader, keep: (*kept)[:0]}
	b := getBuffer(lr) // pooled: an mbox may hold millions of messages
	defer putBuffer(b)
	br := b.br
	skipMailPrefix(br)
	if envelope == nil {
		// A message saved with its mbox "From " line (forwarded so).
		if head, _ := br.Peek(1024); bytes.HasPrefix(head, []byte("From ")) {
			if i := bytes.IndexByte(head, '\n'); i > 0 && mboxFromLine(head[:i+1]) {
				envelope = bytes.Clone(head[:i+1])
				br.Discard(i + 1)
			}
		}
	}
	h, err := textproto.ReadHeader(br)
	m := &mailReader{ex: ex, name: name, depth: depth, envelope: envelope}
	var body io.Reader = br
	switch {
	case lr.n < 0:
		err := fmt.Errorf("%w: a header larger than %d bytes", ErrBomb, maxMailHeader)
		return &fs.PathError{Op: "mail", Path: name, Err: err}
	case err != nil && err != io.EOF:
		if fatal(err) || errors.Is(err, ErrBomb) || errors.Is(err, ErrCorrupt) {
			return err
		}
		if h.Len() == 0 {
			// No header at all, as a forwarded part may hold: text,
			// read as the body.
			consumed := lr.keep[:len(lr.keep)-br.Buffered()]
			body = io.MultiReader(bytes.NewReader(lastField(consumed)), br)
			break
		}
		// A line that is no field (a subject folded without a blank),
		// as mail clients read it: the fields around it are fields, and
		// the line is read as text of the header.
		var junk []byte
		for err != nil && err != io.EOF && lr.n >= 0 && !fatal(err) {
			consumed := lr.keep[:len(lr.keep)-br.Buffered()]
			junk = append(junk, lastField(consumed)...)
			var more textproto.Header
			more, err = textproto.ReadHeader(br)
			h = joinHeaders(h, more)
		}
		if lr.n < 0 {
			err := fmt.Errorf("%w: a header larger than %d bytes", ErrBomb, maxMailHeader)
			return &fs.PathError{Op: "mail", Path: name, Err: err}
		}
		if err := m.body(bytes.NewReader(junk), "header"); err != nil {
			return err
		}
	}
	if cap(lr.keep) <= 1<<20 {
		*kept = lr.keep[:0] // reused for the next message
	}
	lr.n, lr.keep = math.MaxInt64, nil
	if err := m.header(message.Header{Header: h}, ""); err != nil {
		return err
	}
	e, decodeErr := newEntity(message.Header{Header: h}, body)
	return m.entity(e, decodeErr, "", 0)
}

// headerKeeps recycles the bytes kept while a header is read.
var headerKeeps = sync.Pool{New: func() any { b := make([]byte, 0, 64<<10); return &b }}

// joinHeaders returns the fields of a, then those of b. (A Header keeps
// its fields last first: Add puts a field before the others.)
func joinHeaders(a, b textproto.Header) textproto.Header {
	var keys, values []string
	for _, h := range []textproto.Header{a, b} {
		for f := h.Fields(); f.Next(); {
			keys, values = append(keys, f.Key()), append(values, f.Value())
		}
	}
	var out textproto.Header
	for i := len(keys) - 1; i >= 0; i-- {
		out.Add(keys[i], values[i])
	}
	return out
}

// lastField returns the last field of a header read so far: its last line
// and the lines that continue it.
func lastField(raw []byte) []byte {
	i := bytes.LastIndexByte(raw[:max(len(raw)-1, 0)], '\n') + 1
	for i > 0 && i < len(raw) && (raw[i] == ' ' || raw[i] == '\t') {
		i = bytes.LastIndexByte(raw[:i-1], '\n') + 1
	}
	return raw[i:]
}

// skipMailPrefix reads past what some programs write before a message's
// header: a UTF-8 byte-order mark, Apple Mail's byte count (.emlx), the
// line Outlook starts saved headers with.
func skipMailPrefix(br *bufio.Reader) {
	if head, _ := br.Peek(3); bytes.Equal(head, utf8BOM) {
		br.Discard(3)
	}
	head, _ := br.Peek(64)
	if n := mailPrefixLine(head); n > 0 {
		br.Discard(n)
	}
}

// utf8BOM is the UTF-8 byte-order mark.
var utf8BOM = []byte{0xef, 0xbb, 0xbf}

// outlookHeaders is the line Outlook writes before the headers it saves.
var outlookHeaders = []byte("Microsoft Mail Internet Headers Version 2.0")

// mailPrefixLine returns the length of a line before a message's header
// that is none of it (an .emlx byte count, Outlook's first line), or 0.
func mailPrefixLine(head []byte) int {
	i := bytes.IndexByte(head, '\n')
	if i <= 0 {
		return 0
	}
	line := bytes.TrimRight(head[:i], "\r \t")
	digits := len(line) > 0 && len(line) <= 12
	for _, c := range line {
		digits = digits && c >= '0' && c <= '9'
	}
	if digits || bytes.Equal(line, outlookHeaders) {
		return i + 1
	}
	return 0
}

// headerLimit fails once a message's header is longer than n bytes (n
// then is below zero), and keeps what it read (keep not nil).
type headerLimit struct {
	r    io.Reader
	n    int64
	keep []byte
}

func (l *headerLimit) Read(p []byte) (int, error) {
	if l.n <= 0 {
		l.n = -1
		return 0, fmt.Errorf("%w: header too large", ErrBomb)
	}
	if int64(len(p)) > l.n {
		p = p[:l.n]
	}
	n, err := l.r.Read(p)
	l.n -= int64(n)
	if l.keep != nil {
		l.keep = append(l.keep, p[:n]...)
	}
	return n, err
}

// mailReader reads the parts of one message.
type mailReader struct {
	ex    *expansion
	name  string
	depth int
	// envelope is an mbox's "From " line of the message: its sender
	// and date, read as the field From_.
	envelope []byte
}

// header hands the header fields to the scanner as a table of one row:
// the message's (part ""), or a part's, whose fields are named for it
// (Content-Disposition.2).
func (m *mailReader) header(h message.Header, part string) error {
	t := &Table{}
	col := map[string]int{}
	var vals [][]byte
	suffix := ""
	if part != "" {
		suffix = "." + part
	}
	if v := bytes.TrimSpace(bytes.TrimPrefix(m.envelope, []byte("From "))); len(v) > 0 && part == "" {
		t.Fields, t.Names = append(t.Fields, "From_"), append(t.Names, "from")
		vals = append(vals, appendCell(nil, v))
	}
	for f := h.Fields(); f.Next(); {
		k := f.Key()
		if mailNotRead[k] {
			continue
		}
		v, err := f.Text()
		if err != nil {
			v = f.Value() // an unknown charset: the words as written
		}
		if k == "Content-Type" || k == "Content-Disposition" {
			v += decodedNames(v)
		}
		i, ok := col[k]
		if !ok {
			i = len(t.Fields)
			col[k] = i
			t.Fields = append(t.Fields, k+suffix)
			t.Names = append(t.Names, mailColumnName(k))
			vals = append(vals, nil)
		}
		if len(vals[i]) > 0 {
			vals[i] = append(vals[i], ' ')
		}
		vals[i] = appendCell(vals[i], v)
	}
	if len(t.Fields) == 0 {
		return nil
	}
	var buf []byte
	for i, n := range t.Names {
		if i > 0 {
			buf = append(buf, '\t')
		}
		buf = appendCell(buf, n)
	}
	buf = renderRow(append(buf, '\n'), vals)
	return m.ex.memberError(m.name, m.ex.stream(m.name, bytes.NewReader(buf), t))
}

// decodedNames returns the file names of a Content-Type or
// Content-Disposition value (name, filename) that RFC 2231 encodes
// (filename*= a charset, a language and the name percent-encoded),
// decoded, each after a space: "" when there are none.
func decodedNames(v string) string {
	if !strings.Contains(v, "*=") && !strings.Contains(v, "*0") {
		return ""
	}
	_, params, err := mime.ParseMediaType(v)
	if err != nil {
		return ""
	}
	var out string
	for _, k := range []string{"name", "filename"} {
		if n := params[k]; n != "" && !strings.Contains(v, n) {
			out += " " + n
		}
	}
	return out
}

// mailSoftware are header fields that name the software that wrote the
// message, with its version (Thunderbird 10.2.3.4 is no IP address).
var mailSoftware = map[string]bool{
	"X-Mailer": true, "User-Agent": true, "X-Mimeole": true, "X-Newsreader": true,
	"X-Mailer-Version": true, "X-Ms-Exchange-Processed-By-Bccfoldering": true,
}

// mailColumnName is the name a header field's column is told by, for
// detection: its own, or one that says it holds versions.
func mailColumnName(k string) string {
	if mailSoftware[k] {
		return "software_version"
	}
	return strings.ToLower(k)
}

// entity reads an entity (the message, or one of its parts) numbered
// part ("" for the message; "2.1" is the first part of its second).
// decodeErr is what decoding its body could not do.
func (m *mailReader) entity(e *message.Entity, decodeErr error, part string, nest int) error {
	mediaType, params, _ := e.Header.ContentType()
	if strings.HasPrefix(mediaType, "multipart/") {
		boundary := params["boundary"]
		if boundary == "" {
			boundary = lenientBoundary(e.Header.Get("Content-Type"))
		}
		return m.multipart(e, boundary, part, nest)
	}
	disp, dparams, _ := e.Header.ContentDisposition()
	filename := dparams["filename"]
	if filename == "" {
		filename = params["name"]
	}
	if decodeErr != nil && message.IsUnknownEncoding(decodeErr) {
		// Read as written (uuencoded, say): reported, as its content is
		// not read as what it encodes.
		err := fmt.Errorf("part %s: %w: a Content-Transfer-Encoding piiscan does not decode (%s); read as written",
			partName(part), ErrCorrupt, transferEncoding(e.Header))
		m.ex.memberError(m.name, err)
	}
	if (mediaType == "" || strings.HasPrefix(mediaType, "text/")) && disp != "attachment" && filename == "" {
		field := "body"
		if part != "" {
			field += "." + part
		}
		return m.body(e.Body, field)
	}
	if m.depth >= m.ex.lim.MaxDepth {
		// Forwarded messages in forwarded messages end here.
		err := fmt.Errorf("part %s: %w (%d)", partName(part), ErrTooDeep, m.ex.lim.MaxDepth)
		return m.ex.memberError(m.name, err)
	}
	// An attachment is named by its part, not by its file name: the
	// sender chose that name, and it may hold anything (it is read, in
	// the part's header, as its Content-Disposition).
	p := itempath.Join(m.name, "part-"+partName(part)+attachmentExt(mediaType, filename))
	body := ContextReader(m.ex.ctx, e.Body)
	if mediaType == "message/rfc822" || mediaType == "message/global" {
		// A forwarded message is a message, whatever its header holds.
		return m.ex.memberError(p, m.ex.mail(p, body, m.depth+1, nil))
	}
	return m.ex.memberError(p, m.ex.expand(p, body, -1, nil, m.depth+1, 0))
}

// attachmentExt is the extension an attachment's name is given: its file
// name's, when that is a plain one (".csv", ".tar.gz" as ".gz"), so that
// a CSV's header is read as one; ".eml" for a forwarded message.
func attachmentExt(mediaType, filename string) string {
	if mediaType == "message/rfc822" || mediaType == "message/global" {
		return ".eml"
	}
	ext := path.Ext(filename)
	if len(ext) < 2 || len(ext) > 8 {
		return ""
	}
	for _, c := range ext[1:] {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9') {
			return ""
		}
	}
	return strings.ToLower(ext)
}

// body hands a text part to the scanner as a table of one column.
func (m *mailReader) body(r io.Reader, field string) error {
	t := &Table{Fields: []string{field}, Names: []string{"body"}}
	err := m.ex.stream(m.name, &bodyLines{r: ContextReader(m.ex.ctx, r), head: []byte("body\n")}, t)
	if err != nil && !fatal(err) {
		err = fmt.Errorf("%s: %w", field, err)
	}
	return m.ex.memberError(m.name, err)
}

// multipart reads the parts of a multipart entity.
func (m *mailReader) multipart(e *message.Entity, boundary, part string, nest int) error {
	if nest >= maxMailNesting {
		err := fmt.Errorf("%w: multipart nested deeper than %d levels", ErrBomb, maxMailNesting)
		return m.ex.memberError(m.name, fmt.Errorf("part %s: %w", partName(part), err))
	}
	if boundary == "" {
		err := fmt.Errorf("%w: multipart without a boundary, read as text", ErrCorrupt)
		m.ex.memberError(m.name, fmt.Errorf("part %s: %w", partName(part), err))
		field := "body"
		if part != "" {
			field += "." + part
		}
		return m.body(e.Body, field)
	}
	guard := &partHeaderGuard{r: e.Body, dash: []byte("--" + boundary)}
	mr := textproto.NewMultipartReader(guard, boundary)
	for i := 1; ; i++ {
		if err := m.ex.ctx.Err(); err != nil {
			return err
		}
		p, err := mr.NextPart()
		num := strconv.Itoa(i)
		if part != "" {
			num = part + "." + num
		}
		switch {
		case err == io.EOF, err != nil && strings.HasSuffix(err.Error(), "NextPart: EOF"):
			// The last delimiter, or the end of the input without it
			// (the last part was read to the end all the same).
			return m.preambleEpilogue(guard, part)
		case guard.err != nil:
			return m.ex.memberError(m.name, fmt.Errorf("part %s: %w", num, guard.err))
		case err != nil:
			// The error quotes the line it stopped at: not passed on.
			// The parts after it cannot be found.
			return m.ex.memberError(m.name, fmt.Errorf("part %s: %w: %s", num, ErrCorrupt, multipartDamage(err)))
		}
		h := message.Header{Header: p.Header}
		if err := m.header(h, num); err != nil {
			return err
		}
		pe, decodeErr := newEntity(h, partBody{p})
		if err := m.entity(pe, decodeErr, num, nest+1); err != nil {
			return err
		}
	}
}

// preambleEpilogue reads what the guard kept of a multipart's preamble and
// epilogue, once it has read the epilogue to its end.
func (m *mailReader) preambleEpilogue(g *partHeaderGuard, part string) error {
	if _, err := io.Copy(io.Discard, g); err != nil && (fatal(err) || g.err != nil) {
		return m.ex.memberError(m.name, err)
	}
	suffix := ""
	if part != "" {
		suffix = "." + part
	}
	for _, t := range []struct {
		field string
		text  []byte
	}{{"preamble", g.preamble}, {"epilogue", g.epilogue}} {
		if len(bytes.TrimSpace(t.text)) == 0 {
			continue
		}
		if err := m.body(bytes.NewReader(t.text), t.field+suffix); err != nil {
			return err
		}
	}
	if g.cut > 0 {
		err := fmt.Errorf("part %s: %d bytes of preamble or epilogue past the first %d of each not read", partName(part), g.cut, maxMailText)
		return m.ex.memberError(m.name, err)
	}
	return nil
}

// multipartDamage says what err, an error of the multipart reader, found,
// without the text it quotes.
func multipartDamage(err error) string {
	switch msg := err.Error(); {
	case strings.Contains(msg, "malformed MIME header"):
		return "a malformed header line in a part's header; the parts from there on are not read"
	case strings.Contains(msg, "buffer full"):
		return "a line longer than 4 KiB between parts; the parts from there on are not read"
	}
	return "a line that is no delimiter where one was expected; the parts from there on are not read"
}

// partBody reads the raw body of a part: a body the input ends in, with no
// delimiter after it, ends there (its text was read all the same).
type partBody struct{ p io.Reader }

func (b partBody) Read(p []byte) (int, error) {
	n, err := b.p.Read(p)
	if err == io.ErrUnexpectedEOF {
		err = io.EOF
	}
	return n, err
}

// safeBody reads a decoded body and replaces the errors of its decoders,
// which may quote the bytes they stopped at, with ones that do not.
type safeBody struct{ r io.Reader }

func (b safeBody) Read(p []byte) (int, error) {
	n, err := b.r.Read(p)
	if err == nil || err == io.EOF || fatal(err) || errors.Is(err, ErrBomb) || errors.Is(err, ErrCorrupt) {
		return n, err
	}
	var ce base64.CorruptInputError
	if err == io.ErrUnexpectedEOF {
		return n, fmt.Errorf("%w: the body ends in the middle of its encoding; read that far", ErrCorrupt)
	}
	if errors.As(err, &ce) {
		return n, fmt.Errorf("%w: base64 damaged at byte %d of the encoded body; read that far", ErrCorrupt, int64(ce))
	}
	if strings.HasPrefix(err.Error(), "quotedprintable:") {
		return n, fmt.Errorf("%w: quoted-printable damaged; read that far", ErrCorrupt)
	}
	return n, fmt.Errorf("%w: the body could not be decoded; read that far", ErrCorrupt)
}

// transferEncodings are the encodings a body may be in (RFC 2045), by the
// names they are written with in the wild as well.
var transferEncodings = map[string]string{
	"7bit": "7bit", "8bit": "8bit", "binary": "binary", "base64": "base64",
	"quoted-printable": "quoted-printable", "quoted printable": "quoted-printable",
	"quotedprintable": "quoted-printable", "7-bit": "7bit", "8-bit": "8bit",
}

// newEntity makes the entity of header h and raw body: its body decoded
// from its transfer encoding and charset. Base64 is decoded here, as mail
// clients do: without padding, chunks padded one after the other, bytes
// out of its alphabet skipped (and reported).
func newEntity(h message.Header, body io.Reader) (*message.Entity, error) {
	fixTransferEncoding(&h)
	mediaType, _, _ := h.ContentType()
	if strings.EqualFold(h.Get("Content-Transfer-Encoding"), "base64") && !strings.HasPrefix(mediaType, "multipart/") {
		h.Set("Content-Transfer-Encoding", "binary")
		body = &base64Reader{r: body}
	}
	e, err := message.New(h, body)
	e.Body = safeBody{e.Body}
	return e, err
}

// base64Reader decodes base64 leniently.
type base64Reader struct {
	r    io.Reader
	bufs *base64Bufs // from the pool until the end is read
	dec  []byte
	out  []byte // decoded, not read yet
	q    [4]byte
	nq   int
	bad  int64 // bytes out of the alphabet, skipped
	done bool
	err  error
}

// base64Values maps a byte of the alphabet to its value, others to 0xff.
var base64Values = func() (v [256]byte) {
	for i := range v {
		v[i] = 0xff
	}
	for i, c := range "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/" {
		v[c] = byte(i)
	}
	return v
}()

// base64Bufs is what a base64Reader reads into and decodes into: a
// mail's parts are small and many, so they come from a pool.
type base64Bufs struct {
	raw [32 << 10]byte
	dec [24<<10 + 4]byte // 3/4 of raw, and a quantum flushed short
}

var base64Pool = sync.Pool{New: func() any { return new(base64Bufs) }}

func (b *base64Reader) Read(p []byte) (int, error) {
	for len(b.out) == 0 {
		if b.done {
			if b.bufs != nil {
				base64Pool.Put(b.bufs)
				b.bufs, b.dec = nil, nil
			}
			return 0, b.err
		}
		if b.bufs == nil {
			b.bufs = base64Pool.Get().(*base64Bufs)
		}
		n, err := b.r.Read(b.bufs.raw[:])
		b.dec = b.bufs.dec[:0]
		for _, c := range b.bufs.raw[:n] {
			switch v := base64Values[c]; {
			case v != 0xff:
				b.q[b.nq] = v
				if b.nq++; b.nq == 4 {
					b.dec = append(b.dec, b.q[0]<<2|b.q[1]>>4, b.q[1]<<4|b.q[2]>>2, b.q[2]<<6|b.q[3])
					b.nq = 0
				}
			case c == '=':
				b.flush() // padding ends a quantum; another may follow
			case c == ' ' || c == '\t' || c == '\r' || c == '\n':
			default:
				b.bad++
			}
		}
		if err != nil {
			b.flush()
			b.done, b.err = true, err
			if err == io.EOF && b.bad > 0 {
				b.err = fmt.Errorf("%w: %d bytes that are not base64 skipped", ErrCorrupt, b.bad)
			}
		}
		b.out = b.dec
	}
	n := copy(p, b.out)
	b.out = b.out[n:]
	return n, nil
}

// flush decodes a quantum cut short (2 or 3 characters).
func (b *base64Reader) flush() {
	switch b.nq {
	case 1:
		b.bad++
	case 2:
		b.dec = append(b.dec, b.q[0]<<2|b.q[1]>>4)
	case 3:
		b.dec = append(b.dec, b.q[0]<<2|b.q[1]>>4, b.q[1]<<4|b.q[2]>>2)
	}
	b.nq = 0
}

// fixTransferEncoding writes the body's encoding as the decoders know it
// ("Quoted-Printable;" is quoted-printable). One they do not know stays.
func fixTransferEncoding(h *message.Header) {
	v := h.Get("Content-Transfer-Encoding")
	if v == "" {
		return
	}
	k := strings.ToLower(strings.Trim(v, " \t;\"'"))
	if i := strings.IndexByte(k, ';'); i >= 0 {
		k = strings.TrimSpace(k[:i])
	}
	if enc, ok := transferEncodings[k]; ok && enc != v {
		h.Set("Content-Transfer-Encoding", enc)
	}
}

// transferEncoding names a body's encoding for a problem: a name any
// message may have, or "unknown" (the header is the sender's to fill).
func transferEncoding(h message.Header) string {
	switch k := strings.ToLower(strings.TrimSpace(h.Get("Content-Transfer-Encoding"))); k {
	case "x-uuencode", "uuencode", "x-uue", "x-gzip64", "binhex", "x-binhex40", "x-binhex":
		return k
	}
	return "unknown"
}

// lenientBoundary finds the boundary of a Content-Type whose parameters
// do not parse (boundary=----=_NextPart_000, unquoted, as Outlook has
// written it), as mail clients find it; "" if there is none.
func lenientBoundary(v string) string {
	// Found in v itself: lower-casing may change a string's length.
	i := 0
	for ; i+len("boundary=") <= len(v) && !strings.EqualFold(v[i:i+len("boundary=")], "boundary="); i++ {
	}
	if i+len("boundary=") > len(v) {
		return ""
	}
	b := v[i+len("boundary="):]
	if strings.HasPrefix(b, `"`) {
		b, _, _ = strings.Cut(b[1:], `"`)
		return b
	}
	if j := strings.IndexAny(b, "; \t"); j >= 0 {
		b = b[:j]
	}
	return b
}

// partName names a part for a problem: "1.2", or "1" for the body of a
// message that is not multipart.
func partName(part string) string {
	if part == "" {
		return "1"
	}
	return part
}

// bodyLines renders a text part as a table of one column: head (the
// column's name), then the part's lines, each tab and control byte but LF
// as a space.
type bodyLines struct {
	r    io.Reader
	head []byte
}

func (b *bodyLines) Read(p []byte) (int, error) {
	if len(b.head) > 0 {
		n := copy(p, b.head)
		b.head = b.head[n:]
		return n, nil
	}
	n, err := b.r.Read(p)
	for i, c := range p[:n] {
		if c < 0x20 && c != '\n' || c == 0x7f {
			p[i] = ' '
		}
	}
	return n, err
}

// partHeaderGuard passes a multipart body through, and fails once the
// header of one of its parts (from a line that starts with dash, the
// boundary, to the first empty line) passes maxMailHeader bytes: the
// multipart reader reads a part's header whole. It keeps the text before
// the first delimiter (the preamble) and after the last (the epilogue),
// which the multipart reader skips: "This is a multi-part message", or
// anything a sender put there.
type partHeaderGuard struct {
	r        io.Reader
	dash     []byte // "--" and the boundary
	line     int    // bytes of the current line so far
	notDelim bool   // the line is no delimiter
	dashes   int    // '-' right after dash: 2 in the last delimiter
	space    bool   // blanks after dash
	first    byte   // the line's first byte
	inHeader bool
	header   int   // bytes of the part header so far
	err      error // the header was too large
	parts    int   // delimiters seen
	closed   bool  // the last delimiter was seen
	// The preamble and the epilogue, up to maxMailText bytes each, and
	// what they had past that.
	preamble, epilogue []byte
	cut                int64
	mark               int // where the current line starts in the text it goes to
}

// maxMailText is the most of a preamble or an epilogue that is read.
const maxMailText = 1 << 20

func (g *partHeaderGuard) Read(p []byte) (int, error) {
	n, err := g.r.Read(p)
	for _, c := range p[:n] {
		g.line++
		switch {
		case g.inHeader:
			// A header's lines are its fields, whatever they start
			// with, up to the empty line (as the multipart reader
			// reads them).
			g.header++
			if g.header > maxMailHeader {
				g.err = fmt.Errorf("%w: a part's header larger than %d bytes", ErrBomb, maxMailHeader)
				return 0, g.err
			}
		case g.parts == 0 && !g.closed:
			g.keep(&g.preamble, c)
		case g.closed:
			g.keep(&g.epilogue, c)
		}
		g.delimiterByte(c)
		if c != '\n' {
			continue
		}
		switch {
		case g.inHeader:
			if g.line == 1 || g.line == 2 && g.first == '\r' {
				g.inHeader = false // the empty line after the header
			}
		case !g.notDelim && g.line > len(g.dash) && g.dashes != 1:
			// A delimiter, as the multipart reader knows one: dash,
			// "--" for the last, blanks, the end of the line. No text
			// of the preamble or the epilogue.
			if g.parts == 0 && !g.closed {
				g.preamble = g.preamble[:g.mark]
			}
			if g.dashes == 2 {
				g.closed = true
			} else if !g.closed {
				g.parts++
				g.inHeader, g.header = true, 0
			}
		}
		g.line, g.notDelim, g.dashes, g.space = 0, false, 0, false
		g.mark = len(g.preamble)
		if g.closed {
			g.mark = len(g.epilogue)
		}
	}
	return n, err
}

// delimiterByte follows c, the g.line'th byte of a line, in the match of
// the line with a delimiter.
func (g *partHeaderGuard) delimiterByte(c byte) {
	if g.line == 1 {
		g.first = c
	}
	if g.notDelim {
		return
	}
	k := g.line - 1 // c's index in the line
	switch {
	case k < len(g.dash):
		g.notDelim = c != g.dash[k]
	case c == '-' && k-len(g.dash) == g.dashes && g.dashes < 2 && !g.space:
		g.dashes++
	case c == ' ' || c == '\t':
		g.space = true
	case c == '\r' || c == '\n':
	default:
		g.notDelim = true
	}
}

// keep adds c to the text t, up to maxMailText bytes.
func (g *partHeaderGuard) keep(t *[]byte, c byte) {
	if len(*t) >= maxMailText {
		g.cut++
		return
	}
	*t = append(*t, c)
}

// mbox reads the messages of an mbox one after the other, each up to the
// next "From " line that follows an empty line.
func (ex *expansion) mbox(name string, br *bufio.Reader, depth int) error {
	mr := newMboxReader(br)
	for n := 1; mr.next(); n++ {
		if err := ex.ctx.Err(); err != nil {
			return err
		}
		p := itempath.Join(name, "message-"+strconv.Itoa(n))
		if err := ex.memberError(p, ex.mail(p, mr, depth, mr.envelope)); err != nil {
			return err
		}
	}
	if mr.err != nil {
		return &fs.PathError{Op: "mbox", Path: name, Err: mr.err}
	}
	return nil
}

// mboxReader reads an mbox as a series of messages: next starts the next
// one, and Read reads it to its end, with ">From " lines unquoted (one '>'
// less, as mboxrd writes them).
type mboxReader struct {
	br      *bufio.Reader
	line    []byte // what is left of the line being read
	midLine bool   // line is part of a line longer than the buffer
	blank   bool   // the last whole line read was empty
	atSep   bool   // a "From " line was read: the next message starts
	sep     []byte // that line
	// envelope is the "From " line of the current message.
	envelope []byte
	done     bool // the current message has ended
	err      error
	drain    []byte
}

func newMboxReader(br *bufio.Reader) *mboxReader {
	r := &mboxReader{br: br, done: true}
	// The first message's "From " line.
	line, err := br.ReadSlice('\n')
	switch {
	case bytes.HasPrefix(line, []byte("From ")): // as isMbox found it
		r.atSep, r.sep = true, append(r.sep, line...)
	case err != nil && err != io.EOF:
		r.err = err
	}
	return r
}

// next reads past what is left of the current message and reports whether
// another starts.
func (r *mboxReader) next() bool {
	for !r.done {
		if r.drain == nil {
			r.drain = make([]byte, 32<<10)
		}
		if _, err := r.Read(r.drain); err != nil {
			break
		}
	}
	if !r.atSep || r.err != nil {
		return false
	}
	r.envelope = append(r.envelope[:0], r.sep...)
	r.atSep, r.done, r.blank, r.line, r.midLine = false, false, false, nil, false
	return true
}

func (r *mboxReader) Read(p []byte) (int, error) {
	for len(r.line) == 0 {
		if r.done {
			return 0, io.EOF
		}
		line, err := r.br.ReadSlice('\n')
		if err != nil && err != io.EOF && err != bufio.ErrBufferFull {
			r.done, r.err = true, err
			return 0, err
		}
		if len(line) == 0 {
			r.done = true
			return 0, io.EOF
		}
		whole := err != bufio.ErrBufferFull
		if !r.midLine {
			if bytes.HasPrefix(line, []byte("From ")) && whole {
				if r.separator(line) {
					return 0, io.EOF
				}
				line = r.sep // the copy: Peek may have moved the line
			}
			if unquoted := bytes.TrimLeft(line, ">"); len(unquoted) < len(line) && bytes.HasPrefix(unquoted, []byte("From ")) {
				line = line[1:]
			}
			r.blank = whole && isBlankLine(line)
		}
		r.midLine = !whole
		r.line = line
	}
	n := copy(p, r.line)
	r.line = r.line[n:]
	return n, nil
}

// separator reports whether line, a whole line that starts with "From ",
// starts the next message: it is followed by a header field of mail, and
// is a "From " line or follows an empty line (a body's "From here on"
// line is quoted by the programs that write mboxes, or is not followed by
// a header). It keeps the line as the next message's.
func (r *mboxReader) separator(line []byte) bool {
	r.sep = append(r.sep[:0], line...) // Peek may move the line
	from := mboxFromLine(line)
	if !from && !r.blank {
		return false
	}
	next, _ := r.br.Peek(1024)
	if _, field := headerName(next); !field || !from && !mailField(next) {
		// After a "From " line, any field (Status:, Path:); after an
		// empty line and "From " only, a field of mail.
		return false
	}
	r.atSep, r.done = true, true
	return true
}

// isBlankLine reports whether line is an empty line: LF or CRLF.
func isBlankLine(line []byte) bool {
	return len(line) == 1 && line[0] == '\n' || len(line) == 2 && line[0] == '\r' && line[1] == '\n'
}

// mboxFromLine reports whether line is an mbox's "From " line: "From ",
// the sender, and a date with a time of day ("From alice@example.com Thu
// Jan  1 00:00:00 1970"; Thunderbird writes "From - " and the date; some
// tools the sender only).
func mboxFromLine(line []byte) bool {
	if !bytes.HasPrefix(line, []byte("From ")) {
		return false
	}
	for i := 5; i+5 <= len(line); i++ {
		if isDigit(line[i]) && isDigit(line[i+1]) && line[i+2] == ':' && isDigit(line[i+3]) && isDigit(line[i+4]) {
			return true
		}
	}
	sender, _, _ := bytes.Cut(bytes.TrimSpace(line[5:]), []byte(" "))
	return bytes.IndexByte(sender, '@') > 0 || bytes.Equal(sender, []byte("-")) || bytes.Equal(sender, []byte("MAILER-DAEMON"))
}

func isDigit(c byte) bool { return c >= '0' && c <= '9' }

// Header fields that tell a mail message from other "Name: value" text.
// Any of mailCore says mail; the others only beside one of them.
var (
	mailCore = map[string]bool{
		"from": true, "to": true, "cc": true, "bcc": true, "subject": true, "message-id": true,
		"received": true, "return-path": true, "delivered-to": true, "mime-version": true,
		"sender": true, "reply-to": true, "in-reply-to": true, "references": true,
		"x-mailer": true, "dkim-signature": true, "arc-seal": true, "authentication-results": true,
		"envelope-to": true, "x-original-to": true, "thread-index": true, "x-received": true,
		"x-google-dkim-signature": true, "received-spf": true, "x-gm-message-state": true,
		"resent-from": true, "resent-to": true, "x-mozilla-status": true, "x-uidl": true,
	}
	mailOther = map[string]bool{
		"date": true, "content-type": true, "content-transfer-encoding": true,
		"content-disposition": true, "content-language": true, "user-agent": true,
		"organization": true, "importance": true, "priority": true, "keywords": true,
		"comments": true, "list-id": true, "list-unsubscribe": true, "precedence": true,
	}
	// mailStart are fields a message starts with that are long enough
	// to fill the 512 bytes a format is told by on their own.
	mailStart = map[string]bool{
		"received": true, "return-path": true, "delivered-to": true, "dkim-signature": true,
		"arc-seal": true, "x-original-to": true, "envelope-to": true, "x-google-dkim-signature": true,
		"authentication-results": true, "x-received": true, "received-spf": true,
	}
)

// mailStrong are fields only mail has, whatever their case.
var mailStrong = map[string]bool{
	"received": true, "message-id": true, "mime-version": true, "return-path": true,
	"delivered-to": true, "dkim-signature": true, "x-original-to": true,
}

// isMessage reports whether head is the start of a mail message: header
// fields (continued lines allowed) up to an empty line or the end of
// head, of which two are fields of mail and one only mail has; or, when
// head ends in the header, a first field only mail starts with. A field's
// name is capitalised, or one only mail has is there ("from: x" and "to:
// y" are YAML's). A byte-order mark, an .emlx byte count or Outlook's
// first line may come first.
func isMessage(head []byte) bool {
	head = bytes.TrimPrefix(head, utf8BOM)
	head = head[mailPrefixLine(head):]
	var first string
	known, core := 0, 0
	upper, strong := false, false
	bad := 0 // lines that are no field
	seen := map[string]bool{}
	decide := func() bool {
		return (upper || strong) && (bad == 0 || strong) && (known >= 2 && core >= 1 || mailStart[first])
	}
	for len(head) > 0 {
		i := bytes.IndexByte(head, '\n')
		if i < 0 {
			// The line head is cut in: a field's start counts.
			if name, ok := headerName(head); ok && first == "" {
				first, upper = name, head[0] >= 'A' && head[0] <= 'Z'
				strong = mailStrong[name]
			}
			break
		}
		line := bytes.TrimSuffix(head[:i], []byte("\r"))
		head = head[i+1:]
		if len(line) == 0 {
			return decide()
		}
		if line[0] == ' ' || line[0] == '\t' {
			if first == "" {
				return false
			}
			continue
		}
		name, ok := headerName(line)
		if !ok {
			// A line that is no field (a subject folded without a
			// blank): mail all the same if the header has a field only
			// mail has, as the reader reads it; two such lines, not.
			if bad++; bad > 1 || first == "" {
				return bad <= 2 && strong && decide()
			}
			continue
		}
		if line[0] >= 'A' && line[0] <= 'Z' {
			upper = true
		}
		strong = strong || mailStrong[name]
		if first == "" {
			first = name
			value := bytes.TrimSpace(bytes.ToLower(line[len(name)+1:]))
			if upper && name == "content-type" && bytes.HasPrefix(value, []byte("multipart/")) {
				return true // a MIME entity: the body of a message, saved
			}
		}
		if seen[name] {
			continue
		}
		seen[name] = true
		switch {
		case mailCore[name]:
			known++
			core++
		case mailOther[name], strings.HasPrefix(name, "x-"):
			known++
		}
	}
	return decide()
}

// maybeHeader reports whether head starts with a header field (after a
// byte-order mark or a line some programs write first).
func maybeHeader(head []byte) bool {
	head = bytes.TrimPrefix(head, utf8BOM)
	_, ok := headerName(head[mailPrefixLine(head):])
	return ok
}

// mailField reports whether line starts a header field mail has.
func mailField(line []byte) bool {
	name, ok := headerName(line)
	return ok && (mailCore[name] || mailOther[name] || mailStart[name] || strings.HasPrefix(name, "x-"))
}

// headerName returns the lower-case name of the header field line starts,
// and whether line is one.
func headerName(line []byte) (string, bool) {
	i := bytes.IndexByte(line, ':')
	if i <= 0 || i > 76 {
		return "", false
	}
	for _, c := range line[:i] {
		if c <= ' ' || c > '~' {
			return "", false
		}
	}
	return strings.ToLower(string(line[:i])), true
}

// isMbox reports whether head is the start of an mbox: a "From " line
// (with a date, or only the sender, as some tools save a message), then
// a header field of mail.
func isMbox(head []byte) bool {
	i := bytes.IndexByte(head, '\n')
	if i < 0 || !mboxFromLine(head[:i+1]) {
		return false
	}
	return mailField(head[i+1:])
}
