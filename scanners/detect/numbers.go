package detect

import (
	"bytes"
	"slices"

	"github.com/piiscan/piiscan/finding"
)

// digitRunMayMatch is the cheap test of the prefilter for the digit run
// b[i:j] (j < len(b)): it is false when no numeric detector can match
// there, judged by the run's length, the bytes around it and the next
// digit group.
func digitRunMayMatch(b []byte, i, j int, nanp bool) bool {
	g := j - i
	next := b[j]
	switch {
	case i > 0 && b[i-1] == '+', g >= 13, g == 12 && (b[i] == '5' || b[i] == '6'), !nanp && b[i] == '0':
		return g <= 19
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
func (s *Scanner) number(i int) int {
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
		if isLetter(next) {
			// "500mg", "2x", hex: not a number on its own.
			for j < n && isAlnum[b[j]] {
				j++
			}
			return j
		}
	}
	g := j - i
	if g > 19 || (i > 0 && b[i-1] == '_') {
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
func (s *Scanner) ssn(i int) int {
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
func (s *Scanner) lineQuotes(k int) (line int, in bool) {
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
func (s *Scanner) commaSeparates(k int) bool {
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

// card parses a payment card number at i whose first digit group ends at j.
func (s *Scanner) card(i, j int) int {
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
		if !luhnDigits(d) || cardBrand(d) == "" || (g > 16 || cardNeedsCue(d)) && !cardContext(b, i) {
			return 0
		}
		s.emit(dCard, i, j, finding.ConfidenceHigh)
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
	// Try the longest grouping that fits a layout and validates.
	for k := ng; k >= 3; k-- {
		end := ends[k-1]
		if !boundaryAfter(b, end) || (k == ng && continuesNumber(b, end) && b[end] != sep[0]) {
			continue
		}
		if !isCardLayout(groups[:k]) {
			continue
		}
		d := dbuf[:0]
		for g := range k {
			d = append(d, b[starts[g]:ends[g]]...)
		}
		if len(d) < 12 || !luhnDigits(d) || cardBrand(d) == "" || cardNeedsCue(d) && !cardContext(b, i) {
			continue
		}
		s.emit(dCard, i, end, finding.ConfidenceHigh)
		return end
	}
	return 0
}
