package detect

import (
	"slices"

	"github.com/piiscan/piiscan/finding"
)

// number handles a run of digits that starts a word at i and returns where
// the prefilter goes on.
func (s *Scanner) number(i int) int {
	b := s.b
	n := len(b)
	e := s.e
	j := digitRun(b, i)
	if j < n && isLetter(b[j]) {
		// "500mg", "2x", hex: not a number on its own.
		for j < n && isAlnum[b[j]] {
			j++
		}
		return j
	}
	g := j - i
	if g > 19 || (i > 0 && b[i-1] == '_') {
		return j
	}
	next := byte(0)
	if j < n {
		next = b[j]
	}
	if next == '.' && g <= 3 && e.on(dIPv4) {
		if end := s.ipv4(i, j); end > 0 {
			return end
		}
	}
	if next == '-' && g == 3 && e.on(dSSN) {
		if end := s.ssn(i); end > 0 {
			return end
		}
	}
	if (g == 4 || g >= 13) && e.on(dCard) {
		if end := s.card(i, j); end > 0 {
			return end
		}
	}
	if e.on(dPhone) && g <= 15 {
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

// joinedBefore reports whether the number at i continues one to its left
// ("1.2" + ".3", "2024-" + "01").
func joinedBefore(b []byte, i int) bool {
	return i >= 2 && (b[i-1] == '.' || b[i-1] == '-') && isAlnum[b[i-2]]
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

// cardLayouts are the digit groupings of grouped card numbers.
var cardLayouts = [][]int{
	{4, 4, 4, 4, 3}, {4, 4, 4, 4, 2}, {4, 4, 4, 4, 1}, {4, 4, 4, 4},
	{4, 6, 5}, {4, 6, 4}, {4, 4, 4, 3}, {4, 4, 4, 2}, {4, 4, 4, 1},
}

func isCardLayout(g []int) bool {
	for _, l := range cardLayouts {
		if slices.Equal(l, g) {
			return true
		}
	}
	return false
}

// card parses a payment card number at i whose first digit group ends at j.
func (s *Scanner) card(i, j int) int {
	b := s.b
	n := len(b)
	if joinedBefore(b, i) || (i > 0 && (b[i-1] == ',' || b[i-1] == '.') && i >= 2 && isDigit(b[i-2])) {
		return 0
	}
	var dbuf [19]byte
	if g := j - i; g >= 13 {
		if !boundaryAfter(b, j) || continuesNumber(b, j) {
			return 0
		}
		d := append(dbuf[:0], b[i:j]...)
		if !luhnDigits(d) || cardBrand(d) == "" {
			return 0
		}
		s.emit(dCard, i, j, finding.ConfidenceHigh)
		return j
	}
	// Grouped: 4 digits, then groups joined by one consistent separator.
	if j >= n || (b[j] != ' ' && b[j] != '-') {
		return 0
	}
	sep := b[j]
	var groups [5]int
	var ends [5]int
	ng := 0
	p := i
	for ng < 5 {
		q := digitRun(b, p)
		if q == p || q-p > 6 {
			break
		}
		groups[ng] = q - p
		ends[ng] = q
		ng++
		if q+1 < n && b[q] == sep && isDigit(b[q+1]) {
			p = q + 1
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
		if !boundaryAfter(b, end) || (k == ng && continuesNumber(b, end) && b[end] != sep) {
			continue
		}
		if !isCardLayout(groups[:k]) {
			continue
		}
		d := digitsOf(b[i:end], dbuf[:0])
		if len(d) < 13 || !luhnDigits(d) || cardBrand(d) == "" {
			continue
		}
		s.emit(dCard, i, end, finding.ConfidenceHigh)
		return end
	}
	return 0
}
