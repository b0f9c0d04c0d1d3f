package detect

import (
	"net/netip"

	"github.com/piiscan/piiscan/finding"
)

// versionWords precede dotted numbers that are versions, not addresses.
var versionWords = []string{"version", "ver", "v", "release", "build", "firmware", "fw", "rev", "revision", "vsn"}

// ipv4 parses a dotted quad at i, whose first octet ends at j.
func (s *Scanner) ipv4(i, j int) int {
	b := s.b
	n := len(b)
	if joinedBefore(b, i) {
		return 0
	}
	if i >= 2 && b[i-1] == '/' && isAlnum[b[i-2]] {
		return 0 // product/1.2.3.4 in a user agent
	}
	var oct [4]int
	p := i
	for k := 0; k < 4; k++ {
		if k > 0 {
			if p >= n || b[p] != '.' {
				return 0
			}
			p++
		}
		q := digitRun(b, p)
		if q == p || q-p > 3 || (q-p > 1 && b[p] == '0') {
			return 0
		}
		v := 0
		for _, c := range b[p:q] {
			v = v*10 + int(c-'0')
		}
		if v > 255 {
			return 0
		}
		oct[k] = v
		p = q
	}
	if !boundaryAfter(b, p) || continuesNumber(b, p) {
		return 0
	}
	if oct[0] == 255 {
		return 0 // netmasks and broadcast, not hosts
	}
	if precededByWord(b, i, versionWords) {
		return 0
	}
	s.emit(dIPv4, i, p, finding.ConfidenceHigh)
	return p
}

// precededByWord reports whether the word before position i (skipping
// spaces, ':' and '=') is one of words (lower case).
func precededByWord(b []byte, i int, words []string) bool {
	p := i
	for p > 0 && i-p < 4 && (b[p-1] == ' ' || b[p-1] == ':' || b[p-1] == '=') {
		p--
	}
	e := p
	for p > 0 && e-p < 16 && isLetter(b[p-1]) {
		p--
	}
	if p == e || (p > 0 && isAlnum[b[p-1]]) {
		return false
	}
	for _, w := range words {
		if equalFoldASCII(b[p:e], w) {
			return true
		}
	}
	return false
}

// ipv6 looks for an IPv6 address around the ':' at i and returns the end of
// the token it examined, so the prefilter does not look at its other colons.
// The reported span is the bare address: no brackets, port, zone or prefix.
func (s *Scanner) ipv6(i int) int {
	b := s.b
	n := len(b)
	if i < s.v6end {
		return 0
	}
	st := i
	for st > 0 && i-st < 40 && (isHex(b[st-1]) || b[st-1] == ':') {
		st--
	}
	en := i + 1
	for en < n && en-st < 46 && (isHex(b[en]) || b[en] == ':' || b[en] == '.') {
		en++
	}
	s.v6end = en
	// A trailing '.' ends a sentence; a single trailing ':' separates a port
	// or a log field.
	for en > st && b[en-1] == '.' {
		en--
	}
	if en-st >= 2 && b[en-1] == ':' && b[en-2] != ':' {
		en--
	}
	tok := b[st:en]
	if len(tok) < 3 || !boundaryBefore(b, st) || !boundaryAfter(b, en) {
		return 0
	}
	if st > 0 && b[st-1] == '.' {
		return 0
	}
	colons, double, digit := 0, false, false
	for k, c := range tok {
		switch {
		case c == ':':
			colons++
			if k > 0 && tok[k-1] == ':' {
				double = true
			}
		case isDigit(c):
			digit = true
		}
	}
	if colons < 2 || (!double && colons != 7 && colons != 6) || !digit {
		return 0
	}
	addr, err := netip.ParseAddr(string(tok))
	if err != nil || !addr.Is6() {
		return 0
	}
	s.emit(dIPv6, st, en, finding.ConfidenceHigh)
	return en
}
