package detect

import (
	"net/netip"

	"github.com/piiscan/piiscan/finding"
)

// versionWords precede dotted numbers that are versions or object
// identifiers, not addresses.
var versionWords = []string{"version", "ver", "v", "release", "build", "firmware", "fw", "rev", "revision", "vsn", "oid"}

// ipv4 parses a dotted quad at i, whose first octet ends at j.
//
// A quad is an address unless its context says it is something else:
//   - a version: after a version word ("version 1.2.3.4", "Version=…",
//     "ver. 1.2.3.4", "v1.2.3.4") or "oid", after '~' or '_' (Windows
//     component identities such as
//     "Package_for_KB3121255~31bf3856ad364e35~amd64~~6.1.1.0" and
//     "amd64_…_6.1.7.1_none"; number skips the '_' ones), or after a
//     product name and '/' ("Chrome/120.0.0.0"; see javaAddress);
//   - part of a longer number: joined by '.' or '-' to a word before it or
//     to digits after it (OIDs, package names, "1.2.3.4.5");
//   - a time written with dots (hh.mm.ss.fff) right after a date
//     ("2026-11-30 13.55.36.120");
//   - 0.0.0.0, the unspecified address a server binds to, which names no
//     host and no person, and 255.x.x.x netmasks and broadcasts.
//
// Java's InetAddress and InetSocketAddress forms, "host/10.1.2.3:8030",
// "/10.1.2.3:62260" and "10.1.2.3/10.1.2.3:2181", as Hadoop, ZooKeeper,
// Kafka and Cassandra write them, are addresses.
func (s *Scanner) ipv4(i, j int) int {
	b := s.b
	n := len(b)
	if joinedBefore(b, i) {
		return 0
	}
	// A quad after '~' is the version of a Windows component identity
	// (…~amd64~~6.1.1.0, …~en-US~6.1.7601.17514), which ends with it; one
	// with a '~' after it is a field of an Envoy/Istio node id
	// (sidecar~10.44.3.17~pod.ns~ns.svc.cluster.local), an address.
	tilde := i > 0 && b[i-1] == '~'
	// The first octet is the digit run b[i:j], at most 3 digits before a
	// '.' (number only calls with that shape).
	var oct [4]int
	for _, c := range b[i:j] {
		oct[0] = oct[0]*10 + int(c-'0')
	}
	if (j-i > 1 && b[i] == '0') || oct[0] > 255 {
		return 0
	}
	p := j
	for k := 1; k < 4; k++ {
		if p >= n || b[p] != '.' {
			return 0
		}
		p++
		st, v := p, 0
		for p < n && isDigit(b[p]) {
			if p-st == 3 {
				return 0
			}
			v = v*10 + int(b[p]-'0')
			p++
		}
		if p == st || (p-st > 1 && b[st] == '0') || v > 255 {
			return 0
		}
		oct[k] = v
	}
	if !boundaryAfter(b, p) || continuesNumber(b, p) {
		return 0
	}
	if tilde && (p >= n || b[p] != '~') {
		return 0
	}
	if oct[0] == 255 {
		return 0 // netmasks and broadcast, not hosts
	}
	if oct == [4]int{} {
		return 0 // 0.0.0.0: any address, no host
	}
	if i >= 2 && b[i-1] == '/' && isAlnum[b[i-2]] && !javaAddress(b, i, p) {
		return 0
	}
	if precededByWord(b, i, versionWords) {
		return 0
	}
	if p-i == 12 && oct[0] < 24 && oct[1] < 60 && oct[2] < 60 && oct[3] >= 100 && afterDate(b, i) {
		return 0 // hh.mm.ss.fff: the octets, without leading zeros, are 2, 2, 2 and 3 digits
	}
	s.emit(dIPv4, i, p, finding.ConfidenceHigh)
	return p
}

// isHostChar reports whether c may be part of a host name.
func isHostChar(c byte) bool { return isAlnum[c] || c == '-' || c == '.' || c == '_' }

// javaAddress reports whether the quad b[i:end], written right after a
// '/' that follows a word, is Java's host/address form rather than a
// product and its version ("Chrome/120.0.0.0", "Apache Tomcat/10.1.16.0")
// or a directory of a path ("/repo/lib2/1.2.3.4/"). It is when a port
// follows: InetSocketAddress writes "host/addr:port", and no user agent
// or path puts a colon and digits after a version. Without a port it is
// when the word is a host name, not a product token: it holds a digit or a
// '.' ("rm-host-07", "BUILD-AGENT3", "node.example.com", "10.1.2.3") or it
// is localhost, and it does not follow a '/' (a path segment).
func javaAddress(b []byte, i, end int) bool {
	if end+1 < len(b) && b[end] == ':' && isDigit(b[end+1]) {
		return true
	}
	p := i - 1 // the '/'
	host := false
	for p > 0 && i-p <= 254 && isHostChar(b[p-1]) {
		p--
		host = host || isDigit(b[p]) || b[p] == '.'
	}
	if p > 0 && b[p-1] == '/' {
		return false
	}
	return host || equalFoldASCII(b[p:i-1], "localhost")
}

// afterDate reports whether the quad at i directly follows an ISO date
// ("2026-11-30 " or "2026-11-30-"): it is then a time with dots, as DB2
// and some Java formatters write them.
func afterDate(b []byte, i int) bool {
	if i < 11 || (b[i-1] != ' ' && b[i-1] != '-' && b[i-1] != 'T') {
		return false
	}
	d := b[i-11 : i-1]
	return isDigit(d[0]) && isDigit(d[1]) && isDigit(d[2]) && isDigit(d[3]) && d[4] == '-' &&
		isDigit(d[5]) && isDigit(d[6]) && d[7] == '-' && isDigit(d[8]) && isDigit(d[9])
}

// precededByWord reports whether the word before position i (skipping
// spaces, ':', '=' and '.') is one of words (lower case).
func precededByWord(b []byte, i int, words []string) bool {
	p := i
	for p > 0 && i-p < 4 && (b[p-1] == ' ' || b[p-1] == ':' || b[p-1] == '=' || b[p-1] == '.') {
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
