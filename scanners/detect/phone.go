package detect

import "github.com/piiscan/piiscan/finding"

// phone parses a phone number around the digit run b[i:j]. Written forms:
//
//	NANP:          (415) 555-2671, 415-555-2671, 415.555.2671, 415 555 2671,
//	               1-415-555-2671, +1 415 555 2671, +1 (415) 555-2671, +14155552671
//	international: +44 20 7946 0958, +49-30-1234567, +33 1 23 45 67 89
//	national:      020 7946 0958 (when the default region is not NANP)
//
// Bare digit strings are not phone numbers here (ids, timestamps and counters
// look the same); they are found only in phone fields (see fields.go).
// Every candidate must be a valid number by libphonenumber's metadata.
func (s *Scanner) phone(i, j int) int {
	b := s.b
	g := j - i
	plus := i > 0 && b[i-1] == '+'
	if plus && i >= 2 && isAlnum[b[i-2]] {
		return 0
	}
	if joinedBefore(b, i) {
		return 0
	}
	switch {
	case plus && b[i] == '1' && (g == 1 || g == 11):
		return s.nanp(i-1, i)
	case plus:
		return s.international(i)
	case g == 3 || (g == 1 && b[i] == '1'):
		if s.e.nanp {
			return s.nanp(i, i)
		}
	}
	if !s.e.nanp && b[i] == '0' && g >= 2 {
		return s.national(i)
	}
	return 0
}

// nanp parses a NANP number. start is where the match begins ('+', '(' or
// the first digit); p is the first digit.
func (s *Scanner) nanp(start, p int) int {
	b := s.b
	// Country code.
	if b[p] == '1' && (start < p || !isDigit(byteAt(b, p+1))) {
		if start < p && digitRun(b, p)-p == 11 {
			// +14155552671
			end := p + 11
			if !boundaryAfter(b, end) || !s.validPhone(b[start:end]) {
				return 0
			}
			s.emit(dPhone, start, end, finding.ConfidenceHigh)
			return end
		}
		p++
		if phoneSep(byteAt(b, p)) {
			p++
		}
	}
	// Area code, in parentheses or followed by a separator.
	var sep byte
	switch {
	case byteAt(b, p) == '(' && threeDigits(b, p+1) && byteAt(b, p+4) == ')':
		p += 5
		if c := byteAt(b, p); c == ' ' || c == '-' {
			p++
		}
	case p > 0 && b[p-1] == '(' && start == p && threeDigits(b, p) && byteAt(b, p+3) == ')':
		start = p - 1
		p += 4
		if c := byteAt(b, p); c == ' ' || c == '-' {
			p++
		}
	case threeDigits(b, p) && phoneSep(byteAt(b, p+3)):
		sep = b[p+3]
		p += 4
	default:
		return 0
	}
	// Exchange and line number.
	if c := byteAt(b, p+3); !threeDigits(b, p) || !phoneSep(c) || (sep != 0 && c != sep) {
		return 0
	}
	p += 4
	if !threeDigits(b, p) || !isDigit(byteAt(b, p+3)) {
		return 0
	}
	end := p + 4
	if !boundaryAfter(b, end) || continuesNumber(b, end) {
		return 0
	}
	if !s.validPhone(b[start:end]) {
		return 0
	}
	s.emit(dPhone, start, end, finding.ConfidenceHigh)
	return end
}

// byteAt returns b[k], or 0 past the end.
func byteAt(b []byte, k int) byte {
	if k < len(b) {
		return b[k]
	}
	return 0
}

func threeDigits(b []byte, k int) bool {
	return k+3 <= len(b) && isDigit(b[k]) && isDigit(b[k+1]) && isDigit(b[k+2])
}

func phoneSep(c byte) bool { return c == ' ' || c == '-' || c == '.' }

// international parses +CC... at i (the first digit after '+').
func (s *Scanner) international(i int) int {
	return s.groupedNumber(i-1, i, "")
}

// national parses a number in the default (non-NANP) region's own format.
func (s *Scanner) national(i int) int {
	start := i
	if i > 0 && s.b[i-1] == '(' {
		start = i - 1
	}
	return s.groupedNumber(start, i, s.e.region)
}

// groupedNumber reads digit groups joined by single separators from p and
// validates the longest prefix of at least 8 digits that is a valid number.
// region "" means the number starts with '+' at start.
func (s *Scanner) groupedNumber(start, p int, region string) int {
	b := s.b
	n := len(b)
	var ends [8]int
	var lens [8]int
	ng, digits, seps := 0, 0, 0
groups:
	for ng < 8 {
		q := digitRun(b, p)
		if q == p {
			break
		}
		digits += q - p
		if digits > 15 {
			break
		}
		lens[ng] = q - p
		ends[ng] = q
		ng++
		c := byte(0)
		if q < n {
			c = b[q]
		}
		switch {
		case (c == ' ' || c == '-' || c == '.') && q+1 < n && isDigit(b[q+1]):
			p = q + 1
		case (c == ' ' || c == '-') && q+2 < n && b[q+1] == '(' && isDigit(b[q+2]):
			p = q + 2
		case c == ')' && q+2 < n && (b[q+1] == ' ' || b[q+1] == '-') && isDigit(b[q+2]):
			p = q + 2
		default:
			break groups
		}
		seps++
	}
	if region != "" && (seps == 0 || dateShaped(lens[:ng])) {
		return 0
	}
	for k := ng; k >= 1; k-- {
		end := ends[k-1]
		if !boundaryAfter(b, end) || (k == ng && continuesNumber(b, end)) {
			continue
		}
		nd := 0
		for _, l := range lens[:k] {
			nd += l
		}
		if nd < 8 {
			break
		}
		if !s.validPhoneIn(b[start:end], region) {
			continue
		}
		s.emit(dPhone, start, end, finding.ConfidenceHigh)
		return end
	}
	return 0
}

// dateShaped reports whether digit groups look like a date or time.
func dateShaped(l []int) bool {
	return len(l) >= 3 && ((l[0] == 4 && l[1] == 2 && l[2] == 2) || (l[0] == 2 && l[1] == 2 && (l[2] == 4 || l[2] == 2)))
}

func (s *Scanner) validPhone(v []byte) bool { return s.validPhoneIn(v, s.e.region) }

func (s *Scanner) validPhoneIn(v []byte, region string) bool {
	if region == "" {
		region = "ZZ"
	}
	return normalizePhone(v, region) != ""
}
