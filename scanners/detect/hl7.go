package detect

import (
	"bytes"

	"github.com/piiscan/piiscan/finding"
)

// HL7 version 2 messages (ER7, the pipe format) are lines of segments: a
// three-letter segment id, then fields separated by the field separator,
// each made of repetitions, components and subcomponents. Every message
// starts with an MSH segment whose first fields are the separators
// themselves ("MSH|^~\&|..."). What a field holds is known from its
// segment and position alone: PID-5 is the patient's name, DG1-3 a
// diagnosis. Real messages end segments with a CR alone; the reader turns
// such a CR into a line end (see NewHL7Tracker), so each segment is a line
// and findings carry its segment number in the file as their line.
//
// An identifier in PID-3 (a medical record number) identifies a patient
// but is none of the classes reported here; it is reported only when its
// identifier type code says it is an SSN ("SS"). OBX results are reported
// only when coded (value type CE or CWE: "Positive", "Never smoker"):
// numbers and narrative text mean nothing without the test they belong
// to, and the test's name alone is no one's health.
//
// A name is read with its escape sequences decoded (O\T\BRIEN), and
// reported as its raw text. A segment longer than a block (a field of
// megabytes) is read on after the cut: the tracker counts the fields of
// the segment it is in, and the next block reads the fields after the one
// it starts in by their number.

// hl7Seps are the separators a message declares in its MSH.
type hl7Seps struct{ field, comp, rep, esc, sub byte }

var defaultHL7Seps = hl7Seps{'|', '^', '~', '\\', '&'}

// hl7Context is the state a block of an HL7 stream starts in.
type hl7Context struct {
	seps    hl7Seps
	midLine bool // the block starts inside a segment
	// Where inside its segment a block that starts mid-line starts (a
	// segment longer than a block: a field of megabytes): the segment's
	// id, when it is one read (else ""), and the field it starts in.
	// The block skips the rest of that field, unless it starts at the
	// field's start, and reads the fields after it.
	seg        string
	field      int
	fieldStart bool
}

// hl7LineHead is how many bytes of a segment's start the tracker keeps:
// MLLP's framing bytes, the segment id and an MSH's separators.
const hl7LineHead = 16

// HL7Tracker follows the MSH segments of an HL7 v2 stream read in order,
// so that a block knows the separators of the message it starts in, and
// where in its segment a block that starts mid-line is. An HL7Tracker is
// not safe for concurrent use.
type HL7Tracker struct {
	seps      hl7Seps
	lineStart bool
	head      []byte // the start of the current line (at most hl7LineHead bytes)
	read      bool   // head was read for separators
	fields    int    // field separators seen in the current line
	lastSep   bool   // the last byte fed is a field separator
}

// NewHL7Tracker returns a tracker for an HL7 stream read from a line
// start (the stream's start, or a resume point).
func NewHL7Tracker() *HL7Tracker {
	return &HL7Tracker{seps: defaultHL7Seps, lineStart: true}
}

// Columns returns the context of a block that starts after the bytes fed
// so far.
func (t *HL7Tracker) Columns() *Columns {
	c := &hl7Context{seps: t.seps, midLine: !t.lineStart}
	if c.midLine {
		if !t.read {
			if seps, ok := mshSeps(t.head); ok {
				c.seps = seps
			}
		}
		if h := trimFraming(t.head); len(h) > 3 && h[3] == c.seps.field {
			if _, ok := hl7Fields[string(h[:3])]; ok {
				c.seg = string(h[:3])
			}
		}
		c.field, c.fieldStart = t.fields, t.lastSep
	}
	return &Columns{hl7: c}
}

// Feed follows the MSH segments in p, the next bytes of the stream.
func (t *HL7Tracker) Feed(p []byte) {
	for len(p) > 0 {
		if t.lineStart {
			t.head, t.read, t.fields, t.lastSep = t.head[:0], false, 0, false
			t.lineStart = false
		}
		nl := bytes.IndexByte(p, '\n')
		piece := p
		if nl >= 0 {
			piece = p[:nl]
		}
		if !t.read {
			k := min(len(piece), hl7LineHead-len(t.head))
			t.head = append(t.head, piece[:k]...)
			if len(t.head) == hl7LineHead || nl >= 0 {
				if seps, ok := mshSeps(t.head); ok {
					t.seps = seps
				}
				t.read = true
			}
		}
		if nl < 0 {
			// The line goes on in the next bytes: count its fields.
			if len(piece) > 0 {
				t.fields += bytes.Count(piece, []byte{t.seps.field})
				t.lastSep = piece[len(piece)-1] == t.seps.field
			}
			return
		}
		p = p[nl+1:]
		t.lineStart = true
	}
}

// Separators returns the separators of the message the next block starts
// in: field, component, repetition, escape and subcomponent.
func (t *HL7Tracker) Separators() []byte { return t.seps.bytes() }

// HL7Separators returns the separators a segment that starts with line
// declares (field, component, repetition, escape and subcomponent), when
// it is an MSH, FHS or BHS header.
func HL7Separators(line []byte) ([]byte, bool) {
	s, ok := mshSeps(line)
	if !ok {
		return nil, false
	}
	return s.bytes(), true
}

func (s hl7Seps) bytes() []byte { return []byte{s.field, s.comp, s.rep, s.esc, s.sub} }

// trimFraming drops the MLLP framing bytes (start block 0x0b, end block
// 0x1c) a segment may start with.
func trimFraming(line []byte) []byte {
	for len(line) > 0 && (line[0] == 0x0b || line[0] == 0x1c) {
		line = line[1:]
	}
	return line
}

// mshSeps reads the separators of a segment that starts with line, when it
// is an MSH, FHS or BHS header.
func mshSeps(line []byte) (hl7Seps, bool) {
	line = trimFraming(line)
	if len(line) < 8 || !(bytes.HasPrefix(line, []byte("MSH")) || bytes.HasPrefix(line, []byte("FHS")) ||
		bytes.HasPrefix(line, []byte("BHS"))) {
		return hl7Seps{}, false
	}
	s := hl7Seps{line[3], line[4], line[5], line[6], line[7]}
	all := []byte{s.field, s.comp, s.rep, s.esc, s.sub}
	for i, c := range all {
		if !hl7SepByte(c) || bytes.IndexByte(all[i+1:], c) >= 0 {
			return hl7Seps{}, false
		}
	}
	return s, true
}

// hl7SepByte reports whether c can be a separator: printable ASCII
// punctuation.
func hl7SepByte(c byte) bool { return c > ' ' && c < 0x7f && !isAlnum[c] }

// hl7Segments are segment ids an HL7 v2 message may start with when it
// is framed or logged without its MSH (a message's body, a segment log).
var hl7Segments = map[string]bool{"EVN": true, "PID": true, "PD1": true, "PV1": true, "PV2": true,
	"NK1": true, "GT1": true, "IN1": true, "DG1": true, "OBR": true, "OBX": true, "ORC": true, "NTE": true,
	"AL1": true, "PRB": true, "RXO": true, "RXE": true, "RXD": true, "RXA": true, "MRG": true, "SCH": true}

// HL7Stream reports whether a stream whose first bytes are head is HL7 v2
// in the pipe format: it starts with an MSH (or a batch's FHS or BHS)
// segment that declares its separators ("MSH|^~\&|", or "MSH|^~\&#|"
// from v2.7 on, with the truncation character), possibly after a
// byte-order mark and MLLP's start byte. A message's body without its
// MSH (framed by MLLP, or a log of segments) is HL7 too when it starts
// with a patient's segment in the default separators (see hl7Body).
func HL7Stream(head []byte) bool {
	head = bytes.TrimPrefix(head, []byte("\xef\xbb\xbf"))
	framed := len(head) > 0 && head[0] == 0x0b
	head = bytes.TrimLeft(head, "\x0b\x1c\r\n")
	s, ok := mshSeps(head)
	if !ok {
		return hl7Body(head, framed)
	}
	all := []byte{s.field, s.comp, s.rep, s.esc, s.sub}
	switch {
	case len(head) > 8 && head[8] == s.field:
		return true
	case len(head) > 9 && head[9] == s.field && hl7SepByte(head[8]) && bytes.IndexByte(all, head[8]) < 0:
		return true // v2.7's truncation character
	}
	return false
}

// hl7Body reports whether head starts with a segment of hl7Segments in
// the default separators, with at least three fields and a set id (a
// number, or nothing) as first field, and, unless MLLP frames it, a
// second segment after it: not a pipe-delimited table whose header
// names a PID column.
func hl7Body(head []byte, framed bool) bool {
	if len(head) < 4 || head[3] != '|' || !hl7Segments[string(head[:3])] {
		return false
	}
	line, rest := head, []byte(nil)
	if e := bytes.IndexAny(line, "\r\n"); e >= 0 {
		line, rest = line[:e], bytes.TrimLeft(line[e:], "\r\n")
	}
	if bytes.Count(line, []byte{'|'}) < 3 {
		return false
	}
	if string(line[:3]) != "EVN" {
		f1 := line[4:]
		f1 = f1[:bytes.IndexByte(f1, '|')]
		if len(f1) > 4 || len(f1) > 0 && !allDigits(f1) {
			return false
		}
	}
	if framed {
		return true
	}
	rest = trimFraming(rest)
	if len(rest) < 4 || rest[3] != '|' {
		return false
	}
	for _, c := range rest[:3] {
		if !(c >= 'A' && c <= 'Z' || c >= '0' && c <= '9') {
			return false
		}
	}
	return true
}

type hl7Kind uint8

const (
	hl7Name    hl7Kind = iota + 1 // XPN: family^given^middle...
	hl7Address                    // XAD: street^other^city^state^zip^country
	hl7DOB                        // TS/DTM: YYYYMMDD[HHMM...]
	hl7Phone                      // XTN: number, or ^use^type^email^country^area^local
	hl7SSN                        // ST: an SSN
	hl7IDList                     // CX: an SSN when its type code is SS
	hl7Coded                      // CE/CWE: code^text^system: health data
	hl7Text                       // ST: health data
	hl7Result                     // OBX-5: health data when OBX-2 is CE or CWE
)

// hl7FieldKinds are the fields read, by segment and field number.
var hl7FieldKinds = map[string]map[int]hl7Kind{
	"PID": {3: hl7IDList, 5: hl7Name, 6: hl7Name, 7: hl7DOB, 9: hl7Name, 11: hl7Address, 13: hl7Phone, 14: hl7Phone, 19: hl7SSN},
	"NK1": {2: hl7Name, 4: hl7Address, 5: hl7Phone, 6: hl7Phone, 37: hl7SSN},
	"GT1": {3: hl7Name, 5: hl7Address, 6: hl7Phone, 7: hl7Phone, 8: hl7DOB, 12: hl7SSN},
	"IN1": {16: hl7Name, 18: hl7DOB, 19: hl7Address},
	"DG1": {3: hl7Coded, 4: hl7Text},
	"PRB": {3: hl7Coded},
	"AL1": {3: hl7Coded, 5: hl7Text},
	"RXO": {1: hl7Coded},
	"RXE": {2: hl7Coded},
	"RXD": {2: hl7Coded},
	"RXA": {5: hl7Coded},
	"OBX": {5: hl7Result},
}

// hl7Fields are hl7FieldKinds as tables indexed by field number, up to
// the last field read.
var hl7Fields = map[string][]hl7Kind{}

func init() {
	for seg, kinds := range hl7FieldKinds {
		last := 0
		for f := range kinds {
			last = max(last, f)
		}
		t := make([]hl7Kind, last+1)
		for f, k := range kinds {
			t[f] = k
		}
		hl7Fields[seg] = t
	}
}

// hl7Columns reads the segments of the block.
func (s *Matcher) hl7Columns() {
	c := s.cols.hl7
	seps := c.seps
	b := s.b
	p := 0
	if c.midLine {
		nl := bytes.IndexByte(b, '\n')
		end := nl
		if nl < 0 {
			end = len(b)
		}
		if c.seg != "" {
			// The rest of a long segment: the fields after the one
			// the block starts in.
			le := end
			if le > 0 && b[le-1] == '\r' {
				le--
			}
			f, q := c.field, 0
			if !c.fieldStart {
				f, q = f+1, bytes.IndexByte(b[:le], seps.field)+1
			}
			if q > 0 || c.fieldStart {
				s.hl7Segment([]byte(c.seg), q, le, seps, hl7Fields[c.seg], f)
			}
		}
		if nl < 0 {
			return
		}
		p = nl + 1
	}
	for p < len(b) {
		end := bytes.IndexByte(b[p:], '\n')
		if end < 0 {
			end = len(b)
		} else {
			end += p
		}
		line := p
		p = end + 1
		for line < end && (b[line] == 0x0b || b[line] == 0x1c) {
			line++
		}
		le := end
		if le > line && b[le-1] == '\r' {
			le--
		}
		if le-line < 4 {
			continue
		}
		if ms, ok := mshSeps(b[line:le]); ok {
			seps = ms
			continue
		}
		if b[line+3] != seps.field {
			continue
		}
		fields, ok := hl7Fields[string(b[line:line+3])]
		if !ok {
			continue
		}
		s.hl7Segment(b[line:line+3], line+4, le, seps, fields, 1)
	}
}

// hl7Segment reads the fields of the segment whose fields from field
// number f on are b[p:end].
func (s *Matcher) hl7Segment(seg []byte, p, end int, seps hl7Seps, fields []hl7Kind, f int) {
	b := s.b
	coded := false // OBX-2 is CE or CWE
	for ; p <= end && f < len(fields); f++ {
		fe := p + bytes.IndexByte(b[p:end], seps.field)
		if fe < p {
			fe = end
		}
		if f == 2 && seg[0] == 'O' {
			v := b[p:fe]
			coded = string(v) == "CE" || string(v) == "CWE"
		}
		if kind := fields[f]; kind != 0 && fe > p {
			if kind == hl7Result {
				if !coded {
					kind = 0
				} else {
					kind = hl7Coded
				}
			}
			// Each repetition.
			for r := p; kind != 0 && r <= fe; {
				re := r + bytes.IndexByte(b[r:fe], seps.rep)
				if re < r {
					re = fe
				}
				if re > r {
					s.hl7Value(kind, r, re, seps)
				}
				r = re + 1
			}
		}
		p = fe + 1
	}
}

// hl7Comps splits b[p:end] into at most len(out) components and returns
// how many it found.
func hl7Comps(b []byte, p, end int, sep byte, out [][2]int) int {
	k := 0
	for k < len(out) {
		e := p + bytes.IndexByte(b[p:end], sep)
		if e < p {
			e = end
		}
		out[k] = [2]int{p, e}
		k++
		if e == end {
			break
		}
		p = e + 1
	}
	return k
}

// hl7Value reports the personal data in one repetition b[p:end] of a field.
func (s *Matcher) hl7Value(kind hl7Kind, p, end int, seps hl7Seps) {
	b := s.b
	e := s.e
	var comps [8][2]int
	n := hl7Comps(b, p, end, seps.comp, comps[:])
	comp := func(i int) (int, int) { // 1-based; empty when absent
		if i > n {
			return end, end
		}
		return comps[i-1][0], comps[i-1][1]
	}
	switch kind {
	case hl7Name:
		for i := 1; i <= 3; i++ {
			vs, ve := comp(i)
			if ve == vs || !e.on(dPersonName) {
				continue
			}
			// O\T\BRIEN: the name is read unescaped, and its span
			// is the raw text.
			v, ok := hl7Unescape(s.scratch[:0], b[vs:ve], seps)
			if ok && personName(v, false) {
				s.emit(dPersonName, vs, ve, finding.ConfidenceHigh)
			}
			s.scratch = v[:0]
		}
	case hl7Address:
		vs, ve := comp(1)
		if ve == vs || !e.on(dPostalAddress) || !postalAddress(b[vs:ve], false) {
			return
		}
		for i := 2; i <= 5; i++ { // up to the zip code
			if cs, ce := comp(i); ce > cs {
				ve = ce
			}
		}
		s.emit(dPostalAddress, vs, ve, finding.ConfidenceHigh)
	case hl7DOB:
		vs, ve := comp(1)
		if ve-vs >= 8 && e.on(dDateOfBirth) && allDigits(b[vs:ve]) && looksLikeDate(b[vs:vs+8]) {
			s.emit(dDateOfBirth, vs, ve, finding.ConfidenceHigh)
		}
	case hl7Phone:
		if !e.on(dPhone) {
			return
		}
		if vs, ve := comp(1); ve > vs {
			if phoneText(b[vs:ve]) && s.validPhone(b[vs:ve]) {
				s.emit(dPhone, vs, ve, finding.ConfidenceHigh)
			}
			return
		}
		// ^PRN^PH^^1^415^5551234: country, area and local number.
		as, ae := comp(6)
		ls, le := comp(7)
		if le == ls {
			return
		}
		num := append(s.scratch[:0], b[as:ae]...)
		num = append(num, b[ls:le]...)
		if cs, ce := comp(5); ce > cs && allDigits(b[cs:ce]) && ae > as {
			num = append(append([]byte{'+'}, b[cs:ce]...), num...)
		}
		if phoneText(num) && s.validPhone(num) {
			if ae == as {
				as = ls
			}
			s.emit(dPhone, as, le, finding.ConfidenceHigh)
		}
		s.scratch = num[:0]
	case hl7SSN:
		if vs, ve := comp(1); ve > vs && e.on(dSSN) {
			s.ssnField(vs, ve)
		}
	case hl7IDList:
		if ts, te := comp(5); string(b[ts:te]) == "SS" && e.on(dSSN) {
			vs, ve := comp(1)
			s.ssnField(vs, ve)
		}
	case hl7Coded:
		for i := 1; i <= 2; i++ {
			if vs, ve := comp(i); ve > vs {
				s.hl7Health(vs, ve)
			}
		}
	case hl7Text:
		if vs, ve := comp(1); ve > vs {
			s.hl7Health(vs, ve)
		}
	}
}

// hl7Unescape appends v, the text of a field with its escape sequences
// (\F\ \S\ \T\ \R\ \E\ for the separators, \Xhh..\ for bytes) read, to
// dst. Formatting sequences (\H\, \N\, \.br\, character sets) are
// dropped. It reports false for an escape that is not closed.
func hl7Unescape(dst, v []byte, seps hl7Seps) ([]byte, bool) {
	for {
		i := bytes.IndexByte(v, seps.esc)
		if i < 0 {
			return append(dst, v...), true
		}
		dst = append(dst, v[:i]...)
		j := bytes.IndexByte(v[i+1:], seps.esc)
		if j < 0 {
			return dst, false
		}
		seq := v[i+1 : i+1+j]
		v = v[i+2+j:]
		switch {
		case len(seq) == 1 && seq[0] == 'F':
			dst = append(dst, seps.field)
		case len(seq) == 1 && seq[0] == 'S':
			dst = append(dst, seps.comp)
		case len(seq) == 1 && seq[0] == 'T':
			dst = append(dst, seps.sub)
		case len(seq) == 1 && seq[0] == 'R':
			dst = append(dst, seps.rep)
		case len(seq) == 1 && seq[0] == 'E':
			dst = append(dst, seps.esc)
		case len(seq) > 1 && seq[0] == 'X' && len(seq)%2 == 1:
			for k := 1; k+1 < len(seq); k += 2 {
				hi, lo := hexVal(seq[k]), hexVal(seq[k+1])
				if hi < 0 || lo < 0 {
					return dst, false
				}
				dst = append(dst, byte(hi<<4|lo))
			}
		}
	}
}

// hexVal is the value of the hexadecimal digit c, or -1.
func hexVal(c byte) int {
	switch {
	case c >= '0' && c <= '9':
		return int(c - '0')
	case c >= 'a' && c <= 'f':
		return int(c-'a') + 10
	case c >= 'A' && c <= 'F':
		return int(c-'A') + 10
	}
	return -1
}

// hl7Health reports b[vs:ve], a diagnosis, allergy or drug's code or name,
// as health data.
func (s *Matcher) hl7Health(vs, ve int) {
	if !s.e.on(dHealthField) {
		return
	}
	v := s.b[vs:ve]
	ok := false
	for _, c := range v {
		if isAlnum[c] {
			ok = true
			break
		}
	}
	if !ok || len(v) < 2 {
		return
	}
	s.hits = append(s.hits, hit{start: vs, end: vs, kind: kwCue})
	s.matches = append(s.matches, Match{Start: vs, End: ve, Rule: s.e.det[dHealthField],
		Confidence: finding.ConfidenceHigh, weak: true})
}
