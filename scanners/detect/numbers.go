package detect

import (
	"bytes"
	"slices"

	"github.com/piiscan/piiscan/finding"
)

// The prefilter skips a digit run b[i:j] (j < len(b)) where no numeric
// detector can match, judged by the run's length, the bytes around it and
// the next digit group, in two steps: digitRunInert, then digitRunShape.
//
// digitRunInert is the first step, small enough to be inlined in the
// prefilter: most digit runs of a log (the parts of a time, a date, a
// counter) are shorter than nine digits, follow no '+', and are followed by
// a byte after which digitRunShape takes no run of their length (see
// digitNext; a run of two or more that starts with '0' is taken before a
// phone number's separator only). It is true only where digitRunShape is
// false.
func digitRunInert(b []byte, i, j int, nanp bool) bool {
	g, c := j-i, b[i]
	if g >= 9 || i > 0 && b[i-1] == '+' || c == '0' && !nanp || c == '1' && g == 1 {
		return false
	}
	if c == '0' && g > 1 {
		g = zeroLed
	}
	return digitNext[b[j]]&(1<<g) == 0
}

// digitNext holds, for the byte after a digit run, the run lengths below
// nine (bit g for g digits) for which digitRunShape can say yes whatever
// the run's first digit, and at bit zeroLed whether it can for a run of two
// or more digits led by '0' (a national phone number of another region).
var digitNext = func() (t [256]uint16) {
	t['.'] = 1<<1 | 1<<2 | 1<<3 // an IPv4 octet
	t['-'] = 1<<3 | 1<<4        // 555-, 4111-
	t[' '] = t['-']             // 555 , 4111
	t['+'], t['%'] = 1<<4, 1<<4 // card groups in a URL
	t[')'] = 1 << 3             // (555)
	for _, c := range []byte{' ', '-', '.', ')'} {
		t[c] |= 1 << zeroLed // 090-1234-5678, (03) 9999 9999
	}
	return t
}()

// zeroLed is the bit of digitNext for runs led by '0'.
const zeroLed = 9

// digitRunShape is the whole test: false when no numeric detector can
// match at the digit run b[i:j].
func digitRunShape(b []byte, i, j int, nanp bool) bool {
	g := j - i
	next := b[j]
	switch {
	case i > 0 && b[i-1] == '+', g >= 13, g == 12 && (b[i] == '5' || b[i] == '6'), !nanp && b[i] == '0':
		return g <= 19
	case b[i] == '0' && g >= 2, g == 11 && b[i] == '1':
		// A national number of another region when its record names
		// one: 090-1234-5678, 09-7625400, 13812345678.
		return !joinedBefore(b, i) && (phoneSep(next) || next == ')' || g >= 9 && !isLetter(next))
	case g == 9:
		return true // an SSN after its label (ssn=078051121)
	case next == '.':
		return g <= 3
	case next == '-' || next == ' ':
		return g == 3 || g == 1 && b[i] == '1' ||
			g == 4 && j+4 < len(b) && isDigit(b[j+1]) && isDigit(b[j+4])
	case next == '+' || next == '%':
		return g == 4 && cardSep(b, j) > 0
	case next == ')':
		return g == 3
	}
	return false
}

// number handles a run of digits that starts a word at i and returns where
// the prefilter goes on. It dispatches on the length of the run and the
// byte after it, so a validator only runs on shapes it can match: most
// digit runs in logs (timestamps, counters, sizes) reach none.
func (s *Matcher) number(i int) int {
	b := s.b
	n := len(b)
	e := s.e
	j := i + 1
	for j < n && isDigit(b[j]) {
		j++
	}
	var next byte
	if j < n {
		next = b[j]
		if isLetter(next) && !(i > 0 && b[i-1] == '+' && (next|0x20 == 'x' || next|0x20 == 'e')) {
			// "500mg", "2x", hex: not a number on its own; but
			// "+14155552671x12" has an extension.
			for j < n && isAlnum[b[j]] {
				j++
			}
			return j
		}
	}
	g := j - i
	if g > 19 || i > 0 && b[i-1] == '_' && !(g <= 3 && next == '.' && addressWordBefore(b, i)) {
		// After '_' a number is part of an identifier, but for an
		// address joined to the word that names it (ip_10.0.0.1).
		return j
	}
	if i > 0 && b[i-1] == '+' {
		// No country code has four digits: "q=x+4111+1111+..." is a card.
		if g == 4 && e.on(dCard) && cardSep(b, j) > 0 {
			if end := s.card(i, j); end > 0 {
				return end
			}
		}
		if e.on(dPhone) {
			if end := s.phone(i, j); end > 0 {
				return end
			}
		}
		return j
	}
	switch {
	case g <= 3 && next == '.':
		if e.on(dIPv4) {
			if end := s.ipv4(i, j); end > 0 {
				return end
			}
		}
	case g == 3 && next == '-':
		if e.on(dSSN) {
			if end := s.ssn(i); end > 0 {
				return end
			}
		}
	case g == 4 && cardSep(b, j) > 0:
		if e.on(dCard) {
			if end := s.card(i, j); end > 0 {
				return end
			}
		}
		return j
	case g >= 12:
		// 12 digits: a Maestro card, or a national phone number.
		if e.on(dCard) {
			if end := s.card(i, j); end > 0 {
				return end
			}
		}
		if g > 12 {
			return j
		}
	}
	if e.on(dSSN) && (g == 9 || g == 3 && (next == ' ' || next == '.') && j+3 < n && b[j+3] == next) {
		// 078051121, 078 05 1123, 078.05.1123: SSNs only after an SSN
		// label.
		if end := s.ssnCued(i, j); end > 0 {
			return end
		}
	}
	if !e.on(dPhone) {
		return j
	}
	if e.nanp {
		// NANP: "1-" or a 3-digit area code followed by a separator and
		// a 3-digit exchange, or "(415) ".
		switch {
		case g == 3 && (next == ' ' || next == '-' || next == '.') && j+4 < n && isDigit(b[j+1]) && isDigit(b[j+3]) && !isDigit(b[j+4]),
			g == 3 && next == ')' && i > 0 && b[i-1] == '(',
			g == 1 && b[i] == '1' && (next == ' ' || next == '-' || next == '.'):
			if end := s.phone(i, j); end > 0 {
				return end
			}
		}
	} else if b[i] == '0' && g >= 2 {
		if end := s.phone(i, j); end > 0 {
			return end
		}
	}
	if (b[i] == '0' && g >= 2 || b[i] == '1' && (g == 11 || g == 3 && phoneSep(next))) && (i == 0 || !isAlnum[b[i-1]] && b[i-1] != ':') {
		if end := s.foreignNational(i, j); end > 0 {
			return end
		}
	}
	return j
}

// continuesNumber reports whether b[k] (a '.' or '-') joins the number to
// more digits, as in 1.2.3.4.5 or 123-45-6789-01.
func continuesNumber(b []byte, k int) bool {
	return k+1 < len(b) && (b[k] == '.' || b[k] == '-') && isDigit(b[k+1])
}

// joinedBefore reports whether the number at i continues a word or number
// to its left ("1.2" + ".3", "2024-" + "01", "blk_-" + "4980...").
func joinedBefore(b []byte, i int) bool {
	return i >= 2 && (b[i-1] == '.' || b[i-1] == '-') && wordChar(b[i-2])
}

// cardWords name card numbers; a plain run of 17 to 19 digits counts as a
// card only with one of them before it on its line, because 64-bit ids
// have that many digits and one in ten passes Luhn.
var cardWords = []string{"card", "pan", "ccnum", "cc", "credit", "visa", "payment", "cardnumber"}

// cardFieldName reports whether a normalised field name (see
// normalizeFieldName) names card numbers: card, cardnumber, creditcard,
// pan, ccnumber, ...
func cardFieldName(n []byte) bool {
	switch string(n) {
	case "pan", "ccnum", "ccnumber", "ccno", "primaryaccountnumber":
		return true
	}
	return bytes.HasSuffix(n, []byte("card")) || bytes.HasSuffix(n, []byte("cardnumber")) ||
		bytes.HasSuffix(n, []byte("cardno")) || bytes.HasSuffix(n, []byte("cardnum"))
}

// cardCue reports whether the card number at i has a card word before it
// on its line (see cardContext) or stands in the card column of a
// delimited file.
func (s *Matcher) cardCue(i int) bool {
	if cardContext(s.b, i) {
		return true
	}
	c := s.cols
	if c == nil || c.card == 0 {
		return false
	}
	b := s.b
	ls := i
	for ls > 0 && i-ls < separatorWindow && b[ls-1] != '\n' {
		ls--
	}
	if ls > 0 && b[ls-1] != '\n' {
		return false // too far into a long line to count cells
	}
	col, inq := 0, false
	for p := ls; p < i; p++ {
		switch b[p] {
		case '"':
			inq = !inq
		case c.Delim:
			if !inq {
				col++
			}
		}
	}
	return col == c.card-1
}

// cardContext reports whether a card word appears in the 48 bytes before i
// on the same line.
func cardContext(b []byte, i int) bool {
	for p := i - 1; p >= 0 && i-p <= 48 && b[p] != '\n'; p-- {
		if !isLetter(b[p]) || (p > 0 && isLetter(b[p-1])) {
			continue
		}
		for _, w := range cardWords {
			if hasPrefixFold(b[p:i], w) {
				return true
			}
		}
	}
	return false
}

// ssn parses ddd-dd-dddd at i.
func (s *Matcher) ssn(i int) int {
	b := s.b
	if i+11 > len(b) || joinedBefore(b, i) {
		return 0
	}
	t := b[i : i+11]
	for k, c := range t {
		if k == 3 || k == 6 {
			if c != '-' {
				return 0
			}
		} else if !isDigit(c) {
			return 0
		}
	}
	end := i + 11
	if !boundaryAfter(b, end) || continuesNumber(b, end) {
		return 0
	}
	if !validSSN(t[0:3], t[4:6], t[7:11]) {
		return 0
	}
	s.emit(dSSN, i, end, finding.ConfidenceHigh)
	return end
}

// ssnCued parses an SSN written without dashes, 078 05 1123, 078.05.1123
// or 078051121, at i (its first digit run ends at j), and reports it when
// an SSN label stands right before it on its line (see ssnLabel). Such
// numbers are everyday digits without their label: zip+4 codes, order and
// account numbers, version strings.
func (s *Matcher) ssnCued(i, j int) int {
	b := s.b
	if joinedBefore(b, i) || i > 0 && (b[i-1] == '+' || b[i-1] == '_') {
		return 0
	}
	var d [9]byte
	end := 0
	switch j - i {
	case 9:
		end = j
		copy(d[:], b[i:j])
	case 3:
		sep := b[j]
		if i+11 > len(b) || b[j+3] != sep || digitRun(b, j+1) != j+3 || digitRun(b, j+4) != j+8 {
			return 0
		}
		if sep == ' ' && i >= 2 && b[i-1] == ' ' && isDigit(b[i-2]) {
			return 0 // one group of a longer spaced number
		}
		end = i + 11
		if sep == ' ' && end+1 < len(b) && b[end] == ' ' && isDigit(b[end+1]) {
			return 0
		}
		copy(d[0:3], b[i:j])
		copy(d[3:5], b[j+1:j+3])
		copy(d[5:9], b[j+4:end])
	default:
		return 0
	}
	if !boundaryAfter(b, end) || continuesNumber(b, end) || !validSSN(d[0:3], d[3:5], d[5:9]) || !s.ssnLabel(i) {
		return 0
	}
	s.emit(dSSN, i, end, ssnConfidence(b[i:end]))
	return end
}

// ssnConfidence is the confidence of an SSN value: high when written with
// its separators, medium for nine bare digits, which only their label
// makes an SSN.
func ssnConfidence(v []byte) finding.Confidence {
	if len(v) == 9 {
		return finding.ConfidenceMedium
	}
	return finding.ConfidenceHigh
}

// ssnField reports the value b[vs:ve] of a field or column named as an SSN
// when it is one in any written form: 078-05-1123, 078 05 1123,
// 078.05.1123 or 078051121.
func (s *Matcher) ssnField(vs, ve int) {
	v := s.b[vs:ve]
	if !ssnShape(v) || !validSSNText(v) {
		return
	}
	// The field's name and the SSA rules agree: high in every form.
	s.emit(dSSN, vs, ve, finding.ConfidenceHigh)
}

// ssnShape reports whether v is nine digits, or 3-2-4 digits joined by
// one separator (' ', '-' or '.') used twice.
func ssnShape(v []byte) bool {
	switch len(v) {
	case 9:
		return allDigits(v)
	case 11:
		c := v[3]
		return (c == ' ' || c == '-' || c == '.') && v[6] == c && allDigits(v[0:3]) && allDigits(v[4:6]) && allDigits(v[7:11])
	}
	return false
}

// ssnLabelWindow bounds how far before a number ssnLabel looks.
const ssnLabelWindow = 48

// ssnLabel reports whether the number at i is labelled as an SSN: right
// before it, past punctuation (quotes, escaped quotes, ':', '=', '#', '>',
// '(', spaces), stands a name or phrase that ends in "SSN", "social
// security" (also socialSecurityNumber, SOCIAL_SECURITY_NO, "Social
// Security No."), "SS#", or, when US is the default region or one of the
// regions, "tax id", each optionally followed by "number", "no", "num" or
// "nr". Labels are compared by whole words (customer_ssn and ssnNumber
// count, "class" does not), and only on the number's own line.
func (s *Matcher) ssnLabel(i int) bool {
	b := s.b
	lo := max(0, i-ssnLabelWindow)
	p := i
	hash := false
	for p > lo && i-p < 10 {
		c := b[p-1]
		if c == '#' {
			hash = true
		} else if c != ' ' && c != '\t' && c != ':' && c != '=' && c != '"' && c != '\'' && c != '\\' && c != '>' && c != '(' && c != '.' && c != '-' {
			break
		}
		p--
	}
	// Up to three words back from p: letters, split at '_', '-', '.', a
	// space and lower-to-upper case changes.
	var ws [3][2]int
	nw := 0
	q := p
	for nw < len(ws) {
		e := q
		for q > lo && isLetter(b[q-1]) {
			q--
			if q > lo && isUpper(b[q]) && isLetter(b[q-1]) && !isUpper(b[q-1]) {
				break // camelCase
			}
		}
		if q == e || q == lo && lo > 0 && isLetter(b[lo-1]) {
			break // no word, or one cut by the window
		}
		ws[nw] = [2]int{q, e}
		nw++
		switch {
		case q > lo && isLetter(b[q-1]):
			// camelCase: the next word ends here.
		case q-1 > lo && (b[q-1] == '_' || b[q-1] == '-' || b[q-1] == ' ' || b[q-1] == '.') && isLetter(b[q-2]):
			q--
		default:
			q = lo // no more words
		}
		if q == lo {
			break
		}
	}
	word := func(k int) []byte {
		if k >= nw {
			return nil
		}
		return b[ws[k][0]:ws[k][1]]
	}
	w := 0
	if nw > 1 && wordIn(word(0), []string{"number", "no", "num", "nr", "nbr"}) {
		w = 1
	}
	w0, w1 := word(w), word(w+1)
	switch {
	case wordIn(w0, []string{"ssn", "ssns", "ssnumber", "socialsecurity", "socialsecuritynumber", "socialsecurityno"}):
		return true
	case equalFoldASCII(w0, "security") && equalFoldASCII(w1, "social"):
		return true
	case equalFoldASCII(w0, "ss") && hash && w == 0:
		return true
	case s.e.usTaxID && (equalFoldASCII(w0, "taxid") || equalFoldASCII(w0, "id") && equalFoldASCII(w1, "tax")):
		return true
	}
	return false
}

// separatorWindow bounds how far commaSeparates looks along the line on
// either side of the comma, so that a long line costs no more per
// candidate.
const separatorWindow = 512

// quoteState follows the text being scanned up to the last comma that
// commaSeparates looked at: the line it is on and whether it stands inside
// double quotes. Candidates come in increasing order, so this costs one
// pass over the text however many of them a line holds.
type quoteState struct {
	pos  int  // the bytes before pos are accounted for
	line int  // the start of the line holding pos
	in   bool // pos is inside double quotes
}

// lineQuotes returns the start of the line holding b[k] and whether b[k]
// stands inside double quotes on that line ("" in a quoted field toggles
// twice). Asked about an earlier k, it starts over at k's line.
func (s *Matcher) lineQuotes(k int) (line int, in bool) {
	b := s.b
	q := &s.quotes
	if k < q.pos {
		l := lineStart(b, k)
		*q = quoteState{pos: l, line: l}
	}
	for p := q.pos; p < k; p++ {
		switch b[p] {
		case '\n':
			q.line, q.in = p+1, false
		case '"':
			q.in = !q.in
		}
	}
	q.pos = k
	return q.line, q.in
}

// commaSeparates reports whether the comma at b[k], which has a digit
// before it, separates two values ("1,4539…": the cells of a CSV row, a
// JSON array) rather than being a decimal comma ("0,4539…", whose digits
// after it are a fraction). A thousands separator is never followed by a
// run of 13 or more digits, so only a decimal comma is in question.
//
// A comma inside a quoted field never separates. Otherwise, with the
// header of a delimited file known, its delimiter decides. Without one,
// the comma is decimal when the line has another delimiter near it (';',
// a tab or '|': files written with decimal commas are delimited by one of
// them). It separates only when the value before it (a number, date,
// time or code) is a whole cell: after another cell's comma, or first on
// its line or in '[' — and then, when that value is a bare zero ("0,4539…",
// "-0,4539…"), only if another cell follows on the line. Anything else
// before the value (a space, '(', "ratio:", '=', a quote) makes it prose or
// a key's value, where the comma is decimal.
func (s *Matcher) commaSeparates(k int) bool {
	b := s.b
	line, quoted := s.lineQuotes(k)
	if quoted {
		return false
	}
	if c := s.cols; c != nil && c.Delim != 0 {
		return c.Delim == ','
	}
	lo := max(line, k-separatorWindow)
	hi := min(len(b), k+separatorWindow)
	if nl := bytes.IndexByte(b[k:hi], '\n'); nl >= 0 {
		hi = k + nl
	}
	if bytes.ContainsAny(b[lo:hi], ";\t|") {
		return false
	}
	t := k
	for t > lo && valueByte(b, t-1) {
		t--
	}
	switch {
	case t > lo && b[t-1] == ',':
		// A cell after a cell. No quote stands between, so that comma
		// is outside quotes too.
		return true
	case t > lo && b[t-1] != '[', t == lo && lo > line:
		return false
	}
	return !zeroNumber(b[t:k]) || laterCell(b, k+1, hi)
}

// valueByte reports whether b[p] belongs to a value that can be a cell
// before a comma: a number ("1.5", "-1"), a date, a time ("12:30:05", but
// not "ratio:"), a code ("A1", "ref-2-6789").
func valueByte(b []byte, p int) bool {
	switch c := b[p]; {
	case isAlnum[c], c == '.', c == '-', c == '+', c == '/', c == '_':
		return true
	case c == ':':
		return p > 0 && isDigit(b[p-1]) && p+1 < len(b) && isDigit(b[p+1])
	}
	return false
}

// zeroNumber reports whether v is a zero with an optional sign: "0", "-0".
func zeroNumber(v []byte) bool {
	if len(v) > 0 && (v[0] == '-' || v[0] == '+') {
		v = v[1:]
	}
	return len(v) > 0 && len(bytes.TrimLeft(v, "0")) == 0
}

// laterCell reports whether b[from:hi], the rest of a line after a comma
// outside quotes, holds another comma at the same level (outside quotes
// and brackets): another cell of the row. A comma followed by a space is
// prose ("0,45, 0,5"), and a closing bracket ends the level.
func laterCell(b []byte, from, hi int) bool {
	depth, in := 0, false
	for p := from; p < hi; p++ {
		switch c := b[p]; {
		case c == '"':
			in = !in
		case in:
		case c == '[' || c == '(' || c == '{':
			depth++
		case c == ']' || c == ')' || c == '}':
			if depth == 0 {
				return false
			}
			depth--
		case c == ',' && depth == 0:
			return p+1 == hi || b[p+1] != ' '
		}
	}
	return false
}

// cardLayouts are the digit groupings of grouped card numbers.
var cardLayouts = [][]int{
	{4, 4, 4, 4, 3}, {4, 4, 4, 4, 2}, {4, 4, 4, 4, 1}, {4, 4, 4, 4},
	{4, 6, 5}, {4, 6, 4}, {4, 4, 4, 3}, {4, 4, 4, 2}, {4, 4, 4, 1}, {4, 4, 4},
}

func isCardLayout(g []int) bool {
	for _, l := range cardLayouts {
		if slices.Equal(l, g) {
			return true
		}
	}
	return false
}

// cardSep returns the length of the separator between two digit groups of
// a card number at j, or 0: a space or '-', or, in URLs and form bodies,
// the encoded space '+' or "%20". A digit must follow it.
func cardSep(b []byte, j int) int {
	l := 0
	switch {
	case j >= len(b):
		return 0
	case b[j] == ' ' || b[j] == '-' || b[j] == '+':
		l = 1
	case b[j] == '%' && j+2 < len(b) && b[j+1] == '2' && b[j+2] == '0':
		l = 3
	default:
		return 0
	}
	if j+l < len(b) && isDigit(b[j+l]) {
		return l
	}
	return 0
}

// rowCell reports whether b[i:j] is a cell of a row of numbers: four or
// five digits or hex digits, at least one a decimal digit ("2476", "605F",
// "20BBF").
func rowCell(b []byte, i, j int) bool {
	if j-i < 4 || j-i > 5 {
		return false
	}
	digit := false
	for _, c := range b[i:j] {
		switch {
		case isDigit(c):
			digit = true
		case c >= 'A' && c <= 'F', c >= 'a' && c <= 'f':
		default:
			return false
		}
	}
	return digit && (j == len(b) || b[j] == ' ' || b[j] == '\n' || b[j] == '\r' || b[j] == '\t')
}

// cellStart returns the start of the space-delimited cell that ends at j.
func cellStart(b []byte, j int) int {
	i := j
	for i > 0 && j-i <= 5 && b[i-1] != ' ' && b[i-1] != '\t' && b[i-1] != '\n' {
		i--
	}
	return i
}

// cellEnd returns the end of the space-delimited cell that starts at i.
func cellEnd(b []byte, i int) int {
	j := i
	for j < len(b) && j-i <= 5 && b[j] != ' ' && b[j] != '\t' && b[j] != '\n' && b[j] != '\r' {
		j++
	}
	return j
}

// card parses a payment card number at i whose first digit group ends at j.
func (s *Matcher) card(i, j int) int {
	b := s.b
	n := len(b)
	if joinedBefore(b, i) || (i >= 2 && b[i-1] == '.' && isDigit(b[i-2])) {
		// "1.4539…": the fraction of a decimal.
		return 0
	}
	if i >= 2 && b[i-1] == ',' && isDigit(b[i-2]) && !s.commaSeparates(i-1) {
		// "0,4539…", "0,4539 1488 …": the fraction of a number with a
		// decimal comma.
		return 0
	}
	var dbuf [19]byte
	if g := j - i; g >= 12 {
		if !boundaryAfter(b, j) || continuesNumber(b, j) {
			return 0
		}
		d := append(dbuf[:0], b[i:j]...)
		if !luhnDigits(d) || cardBrand(d) == "" || (g > 16 || cardNeedsCue(d)) && !s.cardCue(i) {
			return 0
		}
		s.emit(dCard, i, j, s.cardConfidence(i))
		return j
	}
	// Grouped: 4 digits, then groups joined by one consistent separator.
	sl := cardSep(b, j)
	if sl == 0 {
		return 0
	}
	sep := b[j : j+sl]
	var groups, starts, ends [5]int
	ng := 0
	p := i
	for ng < 5 {
		q := digitRun(b, p)
		if q == p || q-p > 6 {
			break
		}
		groups[ng], starts[ng], ends[ng] = q-p, p, q
		ng++
		if q+sl < n && bytes.Equal(b[q:q+sl], sep) && isDigit(b[q+sl]) {
			p = q + sl
			continue
		}
		break
	}
	if ng < 3 || (groups[1] != 4 && groups[1] != 6) {
		return 0
	}
	// A row of numbers (a table of counts, a PostScript path, a list of
	// code points: "1151 2476 2477 2907 2908 -") holds four-digit groups
	// that pass Luhn one time in ten: a card there needs a card word.
	row := sep[0] == ' ' && (i >= 2 && b[i-1] == ' ' && rowCell(b, cellStart(b, i-1), i-1) ||
		ng == 5 && groups[0] == 4 && groups[4] == 4)
	// Try the longest grouping that fits a layout and validates. Only
	// spaces may leave a group after the card (a quantity, a code): a
	// group joined by the card's own '-' or '.' makes it part of a longer
	// id (4748-5260-5747-9381-00).
	for k := ng; k >= 3; k-- {
		end := ends[k-1]
		if !boundaryAfter(b, end) || (k == ng && continuesNumber(b, end) && b[end] != sep[0]) {
			continue
		}
		if k < ng && sep[0] != ' ' {
			break
		}
		if !isCardLayout(groups[:k]) {
			continue
		}
		d := dbuf[:0]
		for g := range k {
			d = append(d, b[starts[g]:ends[g]]...)
		}
		inRow := row || k == 4 && end+1 < n && b[end] == ' ' && rowCell(b, end+1, cellEnd(b, end+1))
		if len(d) < 12 || !luhnDigits(d) || cardBrand(d) == "" || (inRow || cardNeedsCue(d)) && !s.cardCue(i) {
			continue
		}
		s.emit(dCard, i, end, s.cardConfidence(i))
		return end
	}
	return 0
}

// cardConfidence is the confidence of a valid card number at i: medium
// when it is the value of a field named as an identifier of something
// else (order_id, transaction_id, invoice_no, tracking_number,
// reference), where a Luhn-valid run is as likely an id, unless a card
// word or a card column backs it too; high otherwise.
func (s *Matcher) cardConfidence(i int) finding.Confidence {
	if idFieldBefore(s.b, i) && !s.cardCue(i) {
		return finding.ConfidenceMedium
	}
	return finding.ConfidenceHigh
}

// cardColumnValue reports the value b[vs:ve] of a card column (an SQL
// dump's card_number, pan) when it is a valid card number of any brand,
// written as digits, maybe grouped by spaces or dashes: the column is the
// card word that the brands shaped like ids need.
func (s *Matcher) cardColumnValue(vs, ve int) {
	b := s.b
	for vs < ve && b[vs] == ' ' {
		vs++
	}
	for ve > vs && b[ve-1] == ' ' {
		ve--
	}
	if !s.e.on(dCard) || ve-vs < 12 || ve-vs > 23 {
		return
	}
	var dbuf [24]byte
	d := dbuf[:0]
	for _, c := range b[vs:ve] {
		switch {
		case isDigit(c):
			d = append(d, c)
		case c == ' ' || c == '-':
		default:
			return
		}
	}
	if len(d) < 12 || len(d) > 19 || !luhnDigits(d) || cardBrand(d) == "" {
		return
	}
	s.emit(dCard, vs, ve, finding.ConfidenceHigh)
}

// idSuffixes end the normalised names of identifier fields.
var idSuffixes = []string{"id", "no", "nr", "nbr", "num", "number", "ref", "reference", "code", "key"}

// idFieldBefore reports whether the value at i is the value of a field
// whose name (before '=', ':' or "=>", quoted or not, as in key=value,
// JSON, YAML and query strings) names an identifier and no card:
// order_id, transactionId, "invoice_no", tracking-number, reference.
func idFieldBefore(b []byte, i int) bool {
	p := i
	sep := false
	for p > 0 && i-p < 8 {
		c := b[p-1]
		if c == '=' || c == ':' {
			sep = true
		} else if c != ' ' && c != '"' && c != '\'' && c != '>' && c != '\t' {
			break
		}
		p--
	}
	if !sep {
		return false
	}
	e := p
	for p > 0 && e-p < maxKeyLen && keyChar(b[p-1]) {
		p--
	}
	var buf [maxKeyLen]byte
	n := normalizeFieldName(buf[:0], b[p:e])
	if n == nil || cardFieldName(n) {
		return false
	}
	for _, suf := range idSuffixes {
		if bytes.HasSuffix(n, []byte(suf)) {
			return true
		}
	}
	return false
}
