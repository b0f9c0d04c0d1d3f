package retention

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/piiscan/piiscan/finding"
	"github.com/piiscan/piiscan/internal/itempath"
	"github.com/piiscan/piiscan/scanners"
	"github.com/piiscan/piiscan/scanners/detect"
	"github.com/piiscan/piiscan/scanners/detect/catalog"
)

// Masker rewrites text, replacing the personal data it is told to.
type Masker struct {
	Engine *detect.Engine
	// Select decides whether a value of class is replaced, and by what.
	// region is the phone region to normalise the value with (see
	// detect.Normalize): the region a national number was read in
	// (detect.Match.Region), else the engine's default region.
	Select func(class string, raw []byte, region string) (replacement string, ok bool)
	// MinConfidence leaves matches of a lower confidence as they are
	// (enforcement.min_confidence): a doubtful match is reported by scans,
	// never rewritten. Zero selects every match.
	MinConfidence finding.Confidence
	// DropLines drops each line that holds a selected value, instead of
	// replacing the value (erasure of whole records). Every line of a
	// private-key block is dropped.
	DropLines bool
	// MaxLine is the longest line that can be rewritten (default 64 MiB).
	MaxLine int
	// Tag, when set, returns a short keyed tag of a value that goes into
	// its mask where masked values must stay distinct: the text columns
	// of an SQL dump, whose UNIQUE, PRIMARY KEY and FOREIGN KEY
	// constraints pg_dump adds after the data ([email:3f9a1c2b7d4e]; the
	// same value, the same mask).
	Tag func(class string, raw []byte, region string) string

	layout layout // of the file being masked, for DropLines
}

// MaskStats count what a Masker changed.
type MaskStats struct {
	Values   int64 // values replaced (or found in dropped lines)
	Lines    int64 // lines changed or dropped
	BytesIn  int64
	BytesOut int64

	linesIn int64 // lines read, for errors
}

// ErrLineTooLong means a line is longer than Masker.MaxLine. Mask fails
// with it (naming the line) before the end of the input, so the caller
// discards the partial output and the values of that line stay.
var ErrLineTooLong = errors.New("line too long to rewrite")

// ErrPatternUnfinished is returned by Masker.Mask when a pattern rule did
// not finish on a line (a match timed out, or the rule used up its time in
// the file): values it would have found could stay, so nothing is written
// as if the file had been cleaned.
var ErrPatternUnfinished = errors.New("a pattern rule did not finish")

// ErrSQLColumn is returned by Masker.Mask when a value to replace sits in
// a column of an SQL dump that cannot take its mask (a number, a date, a
// varchar too short) and cannot be NULL either, or whose type the dump
// does not declare: a mask there would stop the dump from restoring (the
// whole COPY block of the table fails), so the file is left unchanged.
var ErrSQLColumn = errors.New("cannot hold a mask")

// Mask copies r to w with the selected values replaced. path is used for
// CSV header hints (a .csv export's name columns).
//
// A private key is reported on its BEGIN marker, but the whole block is
// replaced: the marker through its END marker, or through the end of its
// base64 body (see detect.PrivateKeyBlockEnd). Text is rewritten in batches
// of whole lines; a batch is not cut inside an open block, unless the block
// is longer than detect.MaxPrivateKeyBlock.
func (m *Masker) Mask(r io.Reader, w io.Writer, path string) (MaskStats, error) {
	maxLine := m.MaxLine
	if maxLine <= 0 {
		maxLine = 64 << 20
	}
	const batchSize = 512 << 10
	br := bufio.NewReaderSize(r, 1<<20)
	bw := bufio.NewWriterSize(w, 256<<10)
	sc := m.Engine.NewMatcher()
	sc.SetFile(detect.CredentialFile(path)) // .pgpass, .netrc: found by name
	var st MaskStats
	var batch, line []byte
	first := true
	m.layout = layout{}
	csvQuoted := false
	var cont recordSplitter // tells the lines that continue a log record
	var cols *detect.Columns
	// An SQL dump, FHIR JSON or HL7 v2 names its values across lines:
	// each batch gets the context the scan gave its lines.
	head, _ := br.Peek(8 << 10)
	fc := scanners.NewFieldContext(path, head)
	var segs []byte // an HL7 batch with lone CRs read as line ends
	flush := func() error {
		if len(batch) == 0 {
			return nil
		}
		c := cols
		if c != nil && first {
			cc := *c
			cc.SkipFirstLine = true
			c = &cc
		}
		scan := batch
		if fc != nil {
			c = fc.Columns()
			if fc.Segments() {
				segs = scanners.SegmentLines(segs, batch)
				scan = segs
			}
		}
		first = false
		err := m.rewrite(sc, batch, scan, c, fc.HL7Separators(), bw, &st)
		fc.Feed(scan)
		batch = batch[:0]
		return err
	}
	for {
		piece, err := br.ReadSlice('\n')
		line = append(line, piece...)
		if errors.Is(err, bufio.ErrBufferFull) {
			if len(line) > maxLine {
				return st, fmt.Errorf("line %d: %w (more than %d bytes): its values stay, the file is left unchanged",
					st.linesIn+1, ErrLineTooLong, maxLine)
			}
			continue
		}
		if err != nil && err != io.EOF {
			return st, err
		}
		if len(line) > 0 {
			st.BytesIn += int64(len(line))
			st.linesIn++
			if first && cols == nil && len(batch) == 0 {
				cols = scanners.CSVColumns(path, line)
				m.layout = layoutOf(path, line)
				if fc.Segments() {
					// HL7 v2: lines are segments of a message, no
					// records to drop; the values go.
					m.layout = layout{structured: true}
				}
			}
			// A full batch is cut before this line unless that would
			// cut a record dropped whole: inside a private-key block,
			// a quoted CSV field, or before a line that continues a
			// log record (unless the batch grew far past its size).
			continues := m.DropLines && m.layout.delim == 0 && !m.layout.structured && cont.continues(line)
			if len(batch) >= batchSize && !keyBlockOpen(batch) && !((csvQuoted || continues) && len(batch) < 4*batchSize) {
				if ferr := flush(); ferr != nil {
					return st, ferr
				}
			}
			if m.layout.quoted {
				csvQuoted = csvOpen(line, m.layout.delim, csvQuoted)
			}
			batch = append(batch, line...)
			line = line[:0]
		}
		if err == io.EOF {
			if ferr := flush(); ferr != nil {
				return st, ferr
			}
			return st, bw.Flush()
		}
	}
}

// keyBlockOpen reports whether batch ends inside a private-key block that
// the lines after it may continue.
func keyBlockOpen(batch []byte) bool {
	const begin = "-----BEGIN "
	// The last marker of the tail; bytes.Index is many times faster than
	// bytes.LastIndex, and a marker is rare.
	start := -1
	for off := max(0, len(batch)-detect.MaxPrivateKeyBlock); ; off++ {
		i := bytes.Index(batch[off:], []byte(begin))
		if i < 0 {
			break
		}
		off += i
		start = off
	}
	if start < 0 {
		return false
	}
	label := batch[start+len(begin) : min(len(batch), start+len(begin)+64)]
	e := bytes.Index(label, []byte("-----"))
	if e < 0 {
		return false
	}
	_, more := detect.PrivateKeyBlockEnd(batch, start, start+len(begin)+e+5)
	return more
}

// rewrite writes batch (whole lines) with the selected matches replaced.
// scan is batch as the scan reads it (the same bytes, or an HL7 batch
// through scanners.SegmentLines): matches are found in it. hl7 are the
// separators of the HL7 v2 message the batch starts in, nil when it is
// not HL7 v2.
func (m *Masker) rewrite(sc *detect.Matcher, batch, scan []byte, cols *detect.Columns, hl7 []byte, w *bufio.Writer, st *MaskStats) error {
	matches := sc.Scan(scan, cols)
	if ps := sc.PatternProblems(); len(ps) > 0 {
		line := batchLine(batch, ps[0].Offset, st)
		return fmt.Errorf("line %d: %w: %v: values it would mask could stay, the file is left unchanged",
			line, ErrPatternUnfinished, ps[0].Err)
	}
	rs := m.selected(matches, scan, nil)
	if hl7 != nil {
		rs = hl7Spans(scan, rs, hl7)
	}
	sqlDump := cols.SQL()
	if sqlDump && len(rs) > 0 {
		var vals []detect.SQLValue
		// Only the values that hold a span: a batch has many. They
		// come in order but for a row read again.
		k, last := 0, -1
		vals, _ = detect.SQLValues(scan, cols, func(start, end int) bool {
			if start < last {
				k = 0
			}
			last = start
			for k < len(rs) && rs[k].end <= start {
				k++
			}
			return k < len(rs) && rs[k].start < end
		})
		rs = fitSQL(batch, rs, vals, st)
	}
	write := func(b []byte) error {
		st.BytesOut += int64(len(b))
		_, err := w.Write(b)
		return err
	}
	if !m.DropLines || m.layout.structured {
		// A config file (JSON, YAML, XML, ...) is not a list of
		// records: dropping lines would break it. The values go.
		return m.writeMasked(batch, 0, rs, write, st)
	}
	var others []int // where other people's identifiers start
	if len(rs) > 0 {
		others = m.others(matches, scan)
	}
	bounds := m.layout.records(batch)
	k, o := 0, 0
	for i := 0; i < len(bounds)-1; i++ {
		start, end := bounds[i], bounds[i+1]
		own := end // the record as the layout found it, before a value ran on
		first := k
		hit := int64(0)
		for k < len(rs) && rs[k].start < end {
			hit += rs[k].values
			for rs[k].end > end && i < len(bounds)-2 {
				i++ // a value (a key block) runs on into the next record
				end = bounds[i+1]
			}
			k++
		}
		shared := false
		for o < len(others) && others[o] < end {
			shared = shared || others[o] >= start
			o++
		}
		var err error
		switch {
		case hit == 0:
			err = write(batch[start:end])
		case sqlDump:
			// A row of an SQL dump is never dropped: other tables may
			// reference it (a foreign key pg_dump adds after the data
			// would then fail on restore, and a restore in one
			// transaction with it), and a line may be part of a
			// statement. The subject's values are masked (see fitSQL).
			err = m.writeMasked(batch[start:end], start, rs[first:k], write, st)
		case shared:
			// The record holds other people's values too (a mysqldump
			// INSERT of many rows, a bounce message naming others):
			// dropping it would erase them. The subject's values are
			// masked instead.
			err = m.writeMasked(batch[start:end], start, rs[first:k], write, st)
		case m.layout.delim == 0 && !startsDated(batch[start:own]):
			// A log record of several lines whose first line has no
			// time: where it ends is a guess (a right-aligned level,
			// a pretty-printed document), so nothing is dropped on it.
			err = m.writeMasked(batch[start:end], start, rs[first:k], write, st)
		default:
			m.drop(batch[start:end], hit, st)
		}
		if err != nil {
			return err
		}
	}
	return nil
}

// drop counts a record dropped: it is not written.
func (m *Masker) drop(rec []byte, hit int64, st *MaskStats) {
	st.Values += hit
	st.Lines += int64(bytes.Count(rec, []byte{'\n'}))
	if len(rec) > 0 && rec[len(rec)-1] != '\n' {
		st.Lines++
	}
}

// fitSQL checks the spans rs of a batch of an SQL dump against the
// declared types of the columns whose values they are in (vals): a value
// of a text column keeps its masks when they fit its length; any other
// value is replaced whole by NULL (\N in COPY data), which removes it and
// keeps the dump restorable, when its column may be NULL. A value whose
// column may not be NULL, or whose type the dump does not declare (a
// data-only dump, an INSERT into a table without CREATE TABLE), fails
// with ErrSQLColumn when it is written (not when its row is dropped
// whole): the caller keeps the file as it is.
func fitSQL(batch []byte, rs []span, vals []detect.SQLValue, st *MaskStats) []span {
	out := make([]span, 0, len(rs))
	k := 0 // the first value that ends after the span's start: both are in order
	for i := 0; i < len(rs); {
		r := rs[i]
		for k < len(vals) && vals[k].End <= r.start {
			k++
		}
		if k >= len(vals) || vals[k].Start >= r.end {
			// Not in a row's value. In a comment the mask is harmless;
			// in a statement (a CHECK's or an ENUM's list, a view, an
			// index's WHERE, COPY data in CSV format) it would change
			// the schema or break the dump.
			if !sqlComment(batch, r.start) {
				r.fail = sqlStatementError(batch, r.start, st)
			}
			out = append(out, r)
			i++
			continue
		}
		v := vals[k]
		j := i + 1
		for j < len(rs) && rs[j].start < v.End {
			j++
		}
		in := rs[i:j]
		i = j
		if v.Text && !v.Copy && bytes.IndexByte(batch[v.Start:v.End], '\'') < 0 {
			// A bare token (a number in an SQLite column that takes
			// any value): its mask must be a string literal.
			in = []span{quoted(batch, v, in)}
		}
		in = tagged(in)
		if v.Text && fitsLen(batch, v, in) {
			out = append(out, in...)
			continue
		}
		null := span{start: min(v.Start, in[0].start), end: max(v.End, in[len(in)-1].end), with: "NULL"}
		if v.Copy {
			null.with = `\N`
		}
		if v.Type == "" || v.NotNull || v.OwnType || v.Checked {
			null.fail = sqlColumnError(batch, v, st)
		}
		for _, x := range in {
			null.values += x.values
		}
		out = append(out, null)
	}
	return out
}

// quoted returns the span that replaces the bare token v, whose spans in
// are replaced, by a string literal.
func quoted(batch []byte, v detect.SQLValue, in []span) span {
	var b strings.Builder
	b.WriteByte('\'')
	pos := v.Start
	r := span{start: min(v.Start, in[0].start), end: max(v.End, in[len(in)-1].end)}
	for _, x := range in {
		b.Write(batch[pos:max(pos, x.start)])
		b.WriteString(strings.ReplaceAll(x.with, "'", "''"))
		pos = max(pos, x.end)
		r.values += x.values
	}
	b.Write(batch[min(pos, v.End):v.End])
	b.WriteByte('\'')
	r.with = b.String()
	return r
}

// fitsLen reports whether the value v, its spans in replaced, has no more
// characters than its column holds. Quotes and escapes are counted as
// characters: a value that may just fit counts as too long.
func fitsLen(batch []byte, v detect.SQLValue, in []span) bool {
	if v.MaxLen <= 0 {
		return true
	}
	n, pos := 0, v.Start
	for _, r := range in {
		// A mask's bytes, not its characters: in a LATIN1 dump the
		// UTF-8 of '…' is three characters.
		n += utf8.RuneCount(batch[pos:max(pos, r.start)]) + len(r.with)
		pos = max(pos, r.end)
	}
	n += utf8.RuneCount(batch[min(pos, v.End):v.End])
	if !v.Copy && batch[v.Start] == '\'' && batch[v.End-1] == '\'' && v.End-v.Start >= 2 {
		n -= 2
	}
	return n <= v.MaxLen
}

// sqlComment reports whether the line of an SQL dump around p is a
// comment ("-- Name: customers; ...").
func sqlComment(batch []byte, p int) bool {
	ls := bytes.LastIndexByte(batch[:p], '\n') + 1
	line := bytes.TrimLeft(batch[ls:p], " \t")
	return bytes.HasPrefix(line, []byte("--"))
}

// batchLine is the line of the file, counted from 1, at offset p of
// batch, the last lines read (st.linesIn of them so far).
func batchLine(batch []byte, p int, st *MaskStats) int64 {
	lines := int64(bytes.Count(batch, []byte{'\n'}))
	if len(batch) > 0 && batch[len(batch)-1] != '\n' {
		lines++
	}
	return st.linesIn - lines + 1 + int64(bytes.Count(batch[:p], []byte{'\n'}))
}

// sqlStatementError says where a value to mask sits outside the rows of
// an SQL dump, by its line, never the value.
func sqlStatementError(batch []byte, p int, st *MaskStats) error {
	line := batchLine(batch, p, st)
	return fmt.Errorf("line %d: a value outside the rows of a table (in a statement: a CHECK or ENUM list, "+
		"a view, an index, or data piiscan does not read as rows) %w safely: the file is left unchanged", line, ErrSQLColumn)
}

// sqlColumnError says which column of an SQL dump cannot take a mask, by
// the line of the value: it names the table, the column and its type,
// never the value.
func sqlColumnError(batch []byte, v detect.SQLValue, st *MaskStats) error {
	line := batchLine(batch, v.Start, st)
	col := "column " + v.Table + "." + v.Column
	if v.Column == "" {
		col = "a column of table " + v.Table
	}
	switch {
	case v.Type == "":
		return fmt.Errorf("line %d: %s (type not declared: no CREATE TABLE before its data) %w safely: the file is left unchanged",
			line, col, ErrSQLColumn)
	case v.Text:
		return fmt.Errorf("line %d: %s (%s(%d)) %w (too short) and may not be NULL: the file is left unchanged",
			line, col, v.Type, v.MaxLen, ErrSQLColumn)
	case v.Checked && !v.NotNull:
		return fmt.Errorf("line %d: %s (%s, named in a CHECK, which may refuse a mask and NULL alike) %w: the file is left unchanged",
			line, col, v.Type, ErrSQLColumn)
	case v.OwnType && !v.NotNull:
		return fmt.Errorf("line %d: %s (%s, a type the dump defines, which may refuse NULL) %w: the file is left unchanged",
			line, col, v.Type, ErrSQLColumn)
	}
	return fmt.Errorf("line %d: %s (%s) %w and may not be NULL: the file is left unchanged", line, col, v.Type, ErrSQLColumn)
}

// layout is how a file's records are laid out, for dropping them whole.
type layout struct {
	// structured: a document (JSON, YAML, XML, TOML, INI, properties),
	// whose lines are not records.
	structured bool
	// delim is the delimiter of a CSV-like file (0: a log).
	delim byte
	// quoted: fields may be quoted (RFC 4180), so a record may span
	// lines. Only .csv; TSV as mysql --batch and psql's text format write
	// it has no quoting: a field that starts with '"' is just text.
	quoted bool
}

// structuredExts are the file types whose lines are not records.
var structuredExts = map[string]bool{".json": true, ".yaml": true, ".yml": true, ".xml": true, ".toml": true,
	".ini": true, ".conf": true, ".cfg": true, ".properties": true, ".env": true, ".tf": true, ".tfstate": true}

// layoutOf tells a file's layout by its name and first line: a delimited
// file by its extension (the delimiter the header uses most), a document
// by its extension; anything else is a log.
func layoutOf(path string, header []byte) layout {
	ext := itempath.Ext(path)
	switch ext {
	case ".csv":
		best, n := byte(','), 0
		for _, d := range []byte{',', ';', '\t', '|'} {
			if c := bytes.Count(header, []byte{d}); c > n {
				best, n = d, c
			}
		}
		return layout{delim: best, quoted: true}
	case ".tsv":
		return layout{delim: '\t'}
	case ".psv":
		return layout{delim: '|'}
	}
	return layout{structured: structuredExts[ext]}
}

// records returns the starts of the records of batch, which starts at a
// record's start, followed by len(batch). A CSV record ends at the line
// break outside a quoted field (RFC 4180: a field is quoted when it starts
// with a quote; "" inside it is a quote; a quote inside an unquoted field,
// an inch mark, is a plain character). A log record is a line and the
// lines that continue it (see recordSplitter.continues).
func (l layout) records(batch []byte) []int {
	bounds := []int{0}
	var cont recordSplitter
	quoted := false // a CSV field open at the end of the line before
	for pos := 0; pos < len(batch); {
		end := len(batch)
		if nl := bytes.IndexByte(batch[pos:], '\n'); nl >= 0 {
			end = pos + nl + 1
		}
		line := batch[pos:end]
		switch {
		case l.delim != 0:
			if pos > 0 && !quoted {
				bounds = append(bounds, pos)
			}
			quoted = l.quoted && csvOpen(line, l.delim, quoted)
		case pos > 0 && !cont.continues(line):
			bounds = append(bounds, pos)
		}
		pos = end
	}
	return append(bounds, len(batch))
}

// startsDated reports whether a log record can be dropped whole: it is
// one line, or its first line starts with a time (see TimeParser), so the
// lines after it are its continuation and not records of an unknown
// format.
func startsDated(rec []byte) bool {
	nl := bytes.IndexByte(rec, '\n')
	if nl < 0 || nl == len(rec)-1 {
		return true
	}
	var p TimeParser
	t, _ := p.ParseStart(rec[:nl+1], time.Time{})
	return !t.IsZero()
}

// csvOpen reports whether a CSV line leaves a quoted field open, given
// whether one was open before it.
func csvOpen(line []byte, delim byte, quoted bool) bool {
	fieldStart := !quoted
	for i := 0; i < len(line); i++ {
		c := line[i]
		switch {
		case quoted && c == '"' && i+1 < len(line) && line[i+1] == '"':
			i++
			continue
		case quoted && c == '"':
			quoted = false
		case quoted:
		case c == '"' && fieldStart:
			quoted = true
		}
		fieldStart = !quoted && (c == delim || c == '\n')
	}
	return quoted
}

// writeMasked writes text, which starts at offset base of its batch, with
// the spans rs (offsets in the batch) replaced.
func (m *Masker) writeMasked(text []byte, base int, rs []span, write func([]byte) error, st *MaskStats) error {
	pos := 0
	counted := false // the line being written has a replacement already
	for _, r := range rs {
		if r.fail != nil {
			return r.fail
		}
		start, end := r.start-base, r.end-base
		gap := text[pos:start]
		if bytes.IndexByte(gap, '\n') >= 0 {
			counted = false
		}
		if err := write(gap); err != nil {
			return err
		}
		if err := write([]byte(r.with)); err != nil {
			return err
		}
		st.Values += r.values
		if !counted {
			st.Lines++
			counted = true
		}
		st.Lines += int64(bytes.Count(text[start:end], []byte{'\n'}))
		pos = end
	}
	return write(text[pos:])
}

// others returns where the identifiers among matches that the Masker does
// not select start: other people's emails, phone numbers, card numbers and
// SSNs.
func (m *Masker) others(matches []detect.Match, text []byte) []int {
	rules := m.Engine.Rules()
	var out []int
	for _, mt := range matches {
		switch rules[mt.Rule].Class {
		case finding.ClassEmail, finding.ClassPhoneNumber, finding.ClassCreditCard, finding.ClassUSSSN:
		default:
			continue
		}
		if _, ok := m.Select(rules[mt.Rule].Class, text[mt.Start:mt.End], mt.RegionOr(m.Engine.Region())); !ok {
			out = append(out, mt.Start)
		}
	}
	return out
}

// span is a stretch of text to replace and what replaces it.
type span struct {
	start, end int
	with       string
	values     int64  // selected matches inside
	fail       error  // the span cannot be replaced: Mask fails with it
	tag        string // Masker.Tag of the value, for masks that must stay distinct
}

// selected appends to rs the spans of text that the matches Select picks.
// Matches of different classes may overlap (an address inside a password
// field): overlapping picks become one span covering them all, so that no
// part of either value stays. A private key's span is its whole block;
// Select sees the BEGIN marker the scan reports.
func (m *Masker) selected(matches []detect.Match, text []byte, rs []span) []span {
	rules := m.Engine.Rules()
	for _, mt := range matches {
		if mt.Confidence < m.MinConfidence {
			continue
		}
		with, ok := m.Select(rules[mt.Rule].Class, text[mt.Start:mt.End], mt.RegionOr(m.Engine.Region()))
		if !ok {
			continue
		}
		if rules[mt.Rule].Detector == catalog.PrivateKey {
			mt.End, _ = detect.PrivateKeyBlockEnd(text, mt.Start, mt.End)
		}
		if n := trailingBackslashes(text[mt.Start:mt.End]); n%2 == 1 {
			// The match ends inside an escape (a JSON value's \"):
			// replacing the backslash would leave a bare quote.
			mt.End--
		}
		if k := len(rs) - 1; k >= 0 && mt.Start < rs[k].end {
			last := &rs[k]
			if mt.End > last.end {
				last.end = mt.End
				last.with += with
			}
			last.values++
			continue
		}
		sp := span{start: mt.Start, end: mt.End, with: with, values: 1}
		if m.Tag != nil {
			sp.tag = m.Tag(rules[mt.Rule].Class, text[mt.Start:mt.End], mt.RegionOr(m.Engine.Region()))
		}
		rs = append(rs, sp)
	}
	return rs
}

// tagged returns spans whose masks carry their values' tags, so that
// different values get different masks: "[email]" and tag "3f9a1c2b7d4e"
// make "[email:3f9a1c2b7d4e]".
func tagged(in []span) []span {
	out := make([]span, len(in))
	for i, r := range in {
		if r.tag != "" && strings.HasSuffix(r.with, "]") {
			r.with = r.with[:len(r.with)-1] + ":" + r.tag + "]"
		}
		out[i] = r
	}
	return out
}

// trailingBackslashes counts the backslashes b ends with.
func trailingBackslashes(b []byte) int {
	n := 0
	for n < len(b) && b[len(b)-1-n] == '\\' {
		n++
	}
	return n
}

// hl7Spans splits the spans of an HL7 v2 batch at the separators of their
// message (as its MSH declares them: field, component, repetition and
// subcomponent), and at segment ends, which all stay: a value that runs
// over components (an address from street to zip code, a phone's area
// code and number) has each of its components replaced, so that every
// field and component keeps its place. A piece is widened to whole escape
// sequences (O\T\BRIEN), and a replacement that holds a separator has it
// escaped. seps are the separators (field, component, repetition, escape,
// subcomponent) of the message text starts in.
func hl7Spans(text []byte, rs []span, seps []byte) []span {
	if len(rs) == 0 {
		return rs
	}
	out := make([]span, 0, len(rs))
	next := 0 // the next line start to read for an MSH
	for _, r := range rs {
		for next <= r.start && next < len(text) {
			if s, ok := detect.HL7Separators(text[next:min(len(text), next+16)]); ok {
				seps = s
			}
			nl := bytes.IndexByte(text[next:], '\n')
			if nl < 0 {
				next = len(text)
				break
			}
			next += nl + 1
		}
		esc := seps[3]
		sep := func(c byte) bool {
			return c == seps[0] || c == seps[1] || c == seps[2] || c == seps[4] || c == '\r' || c == '\n'
		}
		with := hl7Escape(r.with, seps)
		values := r.values
		ps := r.start
		for i := r.start; i <= r.end; i++ {
			if i < r.end && !sep(text[i]) {
				continue
			}
			if i > ps {
				s, e := hl7WholeEscapes(text, ps, i, esc, sep)
				if k := len(out) - 1; k >= 0 && s < out[k].end {
					// Widened into the piece before: one piece.
					out[k].end = max(out[k].end, e)
					out[k].values += values
				} else {
					out = append(out, span{start: s, end: e, with: with, values: values})
				}
				values = 0
			}
			ps = i + 1
		}
	}
	return out
}

// hl7WholeEscapes widens text[s:e], which holds no separator, to the
// escape sequences it cuts, within its component.
func hl7WholeEscapes(text []byte, s, e int, esc byte, sep func(byte) bool) (int, int) {
	const far = 4 << 10 // a component's start further back than this is not looked for
	cs := s
	for cs > 0 && s-cs < far && !sep(text[cs-1]) {
		cs--
	}
	if cs > 0 && !sep(text[cs-1]) {
		return s, e
	}
	if bytes.Count(text[cs:s], []byte{esc})%2 == 1 {
		s = cs + bytes.LastIndexByte(text[cs:s], esc)
	}
	if bytes.Count(text[cs:e], []byte{esc})%2 == 1 {
		if k := bytes.IndexByte(text[e:], esc); k >= 0 && k < far && bytes.IndexFunc(text[e:e+k+1], func(r rune) bool {
			return r < 0x80 && sep(byte(r))
		}) < 0 {
			e += k + 1
		}
	}
	return s, e
}

// hl7Escape writes the separators in s as HL7 escape sequences (\F\, \S\,
// \R\, \E\, \T\).
func hl7Escape(s string, seps []byte) string {
	if !strings.ContainsAny(s, string(seps)) {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if k := bytes.IndexByte(seps, s[i]); k >= 0 {
			b.WriteByte(seps[3])
			b.WriteByte("FSRET"[k])
			b.WriteByte(seps[3])
			continue
		}
		b.WriteByte(s[i])
	}
	return b.String()
}
