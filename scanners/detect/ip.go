package detect

import (
	"bytes"
	"net/netip"

	"github.com/piiscan/piiscan/finding"
)

// versionWords precede dotted numbers that are versions or object
// identifiers, not addresses.
var versionWords = []string{"version", "ver", "v", "rv", "release", "build", "firmware", "fw", "rev", "revision", "vsn", "oid"}

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
//   - a version by its surroundings (see versionContext): after a
//     product name ("Git 1.8.1.2", "Chrome 119.0.0.0"), a version
//     operator ("(>= 2.0.3.4)", "pkg==1.2.3.4"), in a Debian changelog
//     header ("dpkg (1.16.1.1) unstable; urgency=low") or in a list of
//     versions ("3.33.2 3.33.2.1 3.34.0");
//   - a section number: after a section word or '§' ("Section 6.1.7.1",
//     "§ 4.1.2.3");
//   - 0.0.0.0, the unspecified address a server binds to, which names no
//     host and no person, and 255.x.x.x netmasks and broadcasts.
//
// Java's InetAddress and InetSocketAddress forms, "host/10.1.2.3:8030",
// "/10.1.2.3:62260" and "10.1.2.3/10.1.2.3:2181", as Hadoop, ZooKeeper,
// Kafka and Cassandra write them, are addresses.
func (s *Matcher) ipv4(i, j int) int {
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
	if !portAfter(b, p) && (wordBefore(b, i) != nil && (wordIn(wordBefore(b, i), versionWords) || wordIn(wordBefore(b, i), sectionWords)) ||
		versionContext(b, i, p) || versionKey(b, i) || imageTag(b, i)) {
		return 0
	}
	if p-i == 12 && oct[0] < 24 && oct[1] < 60 && oct[2] < 60 && oct[3] >= 100 && afterDate(b, i) {
		return 0 // hh.mm.ss.fff: the octets, without leading zeros, are 2, 2, 2 and 3 digits
	}
	s.emit(dIPv4, i, p, finding.ConfidenceHigh)
	return p
}

// sectionWords precede dotted numbers that number a part of a document.
var sectionWords = []string{"section", "sec", "sect", "chapter", "clause", "paragraph", "para", "appendix", "annex", "figure", "fig", "table", "article", "art"}

// addressWords introduce an address: a quad after one of them is an
// address even where a version could be written ("upstream_10.20.30.40",
// "host_192.168.0.1:80"): after '_', only these words make a quad an
// address.
var addressWords = []string{
	"a", "accept", "accepted", "addr", "address", "allow", "an", "and", "at", "backend", "ban", "banned", "bind",
	"block", "blocked", "broadcast", "by", "client", "connect", "connected", "connecting", "connection",
	"deny", "denied", "dest", "destination", "dns", "drop", "dropped", "dst", "endpoint", "failed", "for",
	"forward", "forwarded", "from", "gateway", "gw", "host", "hostname", "hosts", "iface", "in", "inet", "interface",
	"ip", "ipaddr", "ipv4", "is", "lease", "lhost", "listen", "listening", "local", "localhost", "mask", "master", "nameserver",
	"nat", "net", "netmask", "network", "new", "nexthop", "node", "ns", "of", "on", "or", "origin", "peer", "ping",
	"primary", "proxy", "reject", "rejected", "relay", "remote", "replica", "reply", "request", "resolved", "resolver", "rhost",
	"route", "router", "secondary", "sender", "server", "slave", "source", "src", "subnet", "target", "the", "to",
	"unban", "upstream", "via", "was", "with", "worker",
}

// portAfter reports whether the quad that ends at p is followed by a port,
// as sshd writes it ("… user git 203.0.113.11 port 511") or after a ':':
// an address, whatever word comes before it.
func portAfter(b []byte, p int) bool {
	return p+6 < len(b) && b[p] == ' ' && hasPrefixFold(b[p+1:], "port ") && isDigit(b[p+6]) ||
		p+1 < len(b) && b[p] == ':' && isDigit(b[p+1]) // "blockMap updated: 10.251.73.220:50010"
}

// productWords are names of software that logs, changelogs and user
// agents write before a version with a space ("Git 1.8.1.2", "Chrome
// 119.0.0.0", "Windows NT 10.0.19041.1"). Any other word, log levels and
// the words of access logs included ("INFO 85.14.22.190 - -", "Visitor
// 178.22.91.4"), leaves an address an address.
var productWords = []string{
	"android", "apache", "bios", "brave", "centos", "chrome", "chromium", "darwin", "debian", "docker",
	"dotnet", "edg", "fedora", "firefox", "firmware", "gecko", "git", "gnome", "gtk",
	"httpd", "ie", "ios", "java", "jdk", "jetty", "jre", "kde", "kernel", "linux", "macos", "mono",
	"mozilla", "msie", "nginx", "nodejs", "nt", "office", "openjdk", "openssh",
	"openssl", "opera", "outlook", "perl", "php", "powershell", "python", "qt", "rhel", "ruby",
	"safari", "sdk", "tomcat", "trident", "ubuntu", "uefi", "vivaldi", "webkit", "windows", "x11",
	"xcode", "xfree86", "xorg", "gcc", "glibc", "clang", "llvm", "binutils", "gdb", "emacs", "bash",
	"miui", "zune", "samsungbrowser", "ucbrowser", "yabrowser",
}

// versionContext reports whether what surrounds the quad b[i:end] makes
// it a version:
//   - a product name before it (productWords: "Git", "GIT", "Chrome",
//     "NT"), then a single space, and no port after the quad ("Chrome
//     10.1.2.3:8080" is an address);
//   - "to" or "from" after a version word ("Standards-Version to
//     4.6.2.0");
//   - a version operator before it, ">=", "<=", "==", "~=", "!=", "<<",
//     ">>", or "(=", with or without a space (Debian, pip);
//   - a Debian changelog header: "name (1.15.5.1) unstable; urgency=",
//     or "; priority=" in the oldest ones;
//   - a section number after '§' ("§ 4.1.2.3");
//   - a list of versions: the token before or after it, across one space,
//     is a dotted number that is not a quad ("3.33.2 3.33.2.1 3.34.0").
func versionContext(b []byte, i, end int) bool {
	n := len(b)
	if end+1 < n && b[end] == ':' && isDigit(b[end+1]) {
		return false // a port: an address
	}
	q := i
	if q > 1 && b[q-1] == ':' && isDigit(b[q-2]) {
		// A Debian epoch: "(>= 1:1.2.2.3)".
		k := q - 2
		for k > 0 && q-k < 6 && isDigit(b[k-1]) {
			k--
		}
		if k == 0 || !isAlnum[b[k-1]] && b[k-1] != '.' {
			q = k
		}
	}
	if q > 0 && b[q-1] == ' ' {
		q--
	}
	if q >= 2 {
		switch string(b[q-2 : q]) {
		case ">=", "<=", "==", "~=", "!=", "<<", ">>", "(=":
			return true
		}
	}
	if q >= 2 && b[q-2] == 0xc2 && b[q-1] == 0xa7 {
		return true // '§': a section number
	}
	if i >= 12 && b[i-1] == '(' && end < n && b[end] == ')' && b[i-2] == ' ' && isDate(b[i-12:i-2]) {
		return true // "2013-04-12 (3.7.16.2)": a release's date and version
	}
	if i > 0 && b[i-1] == '(' && end < n && b[end] == ')' {
		line := b[end:min(n, end+80)]
		if nl := bytes.IndexByte(line, '\n'); nl >= 0 {
			line = line[:nl]
		}
		if bytes.Contains(line, []byte("; urgency=")) || bytes.Contains(line, []byte("; priority=")) {
			return true
		}
	}
	if i >= 2 && b[i-1] == ' ' {
		e := i - 1
		p := e
		for p > 0 && e-p < 24 && isAlnum[b[p-1]] {
			p--
		}
		if p < e && (p == 0 || !wordChar(b[p-1]) && b[p-1] != '.' && b[p-1] != '-') && wordIn(b[p:e], productWords) {
			return true
		}
		if (equalFoldASCII(b[p:e], "to") || equalFoldASCII(b[p:e], "from")) && p >= 2 && b[p-1] == ' ' && versionWordEnds(b, p-1) ||
			(equalFoldASCII(b[p:e], "to") || equalFoldASCII(b[p:e], "for")) && p >= 2 && b[p-1] == ' ' && bumpBefore(b, p-1) {
			return true // "Bump Standards-Version to 4.6.2.0", "upgrade version from 1.2.3.4"
		}
		if p < e && isDigit(b[e-1]) && versionToken(b, p, e) {
			return true
		}
	}
	if end+1 < n && b[end] == ' ' && isDigit(b[end+1]) {
		e := end + 1
		for e < n && (isDigit(b[e]) || b[e] == '.') {
			e++
		}
		if versionToken(b, end+1, e) {
			return true
		}
	}
	return false
}

// imageTag reports whether the quad at i is the tag of a container image
// reference (registry.example.com/app:1.2.3.4, image: nginx:1.25.3.1,
// FROM python:3.11.4.2-slim): after ':', a name with a '/' or one written
// after "image" or FROM.
func imageTag(b []byte, i int) bool {
	if i < 2 || b[i-1] != ':' {
		return false
	}
	p := i - 1
	slash := false
	for p > 0 && i-p < 256 && (isAlnum[b[p-1]] || b[p-1] == '.' || b[p-1] == '_' || b[p-1] == '-' || b[p-1] == '/') {
		p--
		slash = slash || b[p] == '/'
	}
	if p == i-1 || !isLetter(b[p]) && !isDigit(b[p]) {
		return false
	}
	if slash {
		return true
	}
	q := p
	for q > 0 && p-q < 4 && (b[q-1] == ' ' || b[q-1] == '"' || b[q-1] == '\'' || b[q-1] == ':' || b[q-1] == '=') {
		q--
	}
	w := q
	for w > 0 && q-w < 5 && isLetter(b[w-1]) {
		w--
	}
	return q-w == 5 && equalFoldASCII(b[w:q], "image") || q-w == 4 && equalFoldASCII(b[w:q], "from") && b[q] == ' '
}

// bumpWords say a version is changed to the one after "to" ("Bump to
// 1.2.99.2", "Update draft release notes to 1.7.11.6").
var bumpWords = []string{"bump", "bumped", "bumps", "update", "updated", "updates", "upgrade", "upgraded",
	"upgrades", "downgrade", "downgraded", "notes", "version", "versions", "prepare", "prepared", "preparing"}

// bumpBefore reports whether the word that ends at e, or the one before
// it ("Upgrade V8 to 3.9.24.9"), is one of bumpWords.
func bumpBefore(b []byte, e int) bool {
	for range 2 {
		p := e
		for p > 0 && e-p < 16 && isAlnum[b[p-1]] {
			p--
		}
		if wordIn(b[p:e], bumpWords) {
			return true
		}
		if p < 2 || b[p-1] != ' ' {
			return false
		}
		e = p - 1
	}
	return false
}

// versionKey reports whether the quad at i is the value of a key whose
// name ends in "version", however long (SerializationVersion: 1.1.0.1 in a
// PowerShell transcript, "os_version": "10.0.19041.1").
func versionKey(b []byte, i int) bool {
	p := i
	for p > 0 && i-p < 4 && (b[p-1] == ' ' || b[p-1] == '"' || b[p-1] == '\'') {
		p--
	}
	if p == 0 || b[p-1] != ':' && b[p-1] != '=' {
		return false
	}
	p--
	for p > 0 && i-p < 8 && (b[p-1] == ' ' || b[p-1] == '"' || b[p-1] == '\'') {
		p--
	}
	return versionWordEnds(b, p) || bumpBefore(b, p)
}

// isDate reports whether d is a date written YYYY-MM-DD.
func isDate(d []byte) bool {
	return len(d) == 10 && d[4] == '-' && d[7] == '-' && allDigits(d[:4]) && allDigits(d[5:7]) && allDigits(d[8:])
}

// versionWordEnds reports whether the word that ends at e is a version
// word or ends in "version" (Standards-Version, os_version).
func versionWordEnds(b []byte, e int) bool {
	p := e
	for p > 0 && e-p < 24 && isLetter(b[p-1]) {
		p--
	}
	w := b[p:e]
	return wordIn(w, versionWords) || len(w) >= 7 && equalFoldASCII(w[len(w)-7:], "version")
}

// versionToken reports whether the token that ends at e (and starts at or
// before s) is a dotted number of other than four parts: "3.33.2",
// "1.2.3.4.5". A quad (another address) or a plain number is not.
func versionToken(b []byte, s, e int) bool {
	for s > 0 && (isDigit(b[s-1]) || b[s-1] == '.') {
		s--
	}
	if s > 0 && !(b[s-1] == ' ' || b[s-1] == '\t') || e < len(b) && !(b[e] == ' ' || b[e] == '\t' || b[e] == '\n' || b[e] == '\r') {
		return false
	}
	t := b[s:e]
	if len(t) < 3 || !isDigit(t[0]) || !isDigit(t[len(t)-1]) || bytes.Contains(t, []byte("..")) {
		return false
	}
	dots := bytes.Count(t, []byte("."))
	return dots == 2 || dots >= 4
}

// wordIn reports whether w, ignoring case, is one of words (lower case).
func wordIn(w []byte, words []string) bool {
	for _, x := range words {
		if equalFoldASCII(w, x) {
			return true
		}
	}
	return false
}

// addressWordBefore reports whether the word joined by '_' to the quad
// at i (b[i-1] is '_') is an address word: "upstream_10.20.30.40",
// "host_192.168.0.1:80", "remote_addr_10.1.2.3". Anything else before the
// '_' ("pkg_1.2.3.4", "amd64_…_6.1.7601.17514_none") makes it a version.
func addressWordBefore(b []byte, i int) bool {
	e := i - 1
	p := e
	for p > 0 && e-p < 16 && isLetter(b[p-1]) {
		p--
	}
	if p == e || p > 0 && (isDigit(b[p-1]) || b[p-1] == '-' || b[p-1] == '.') {
		return false // a package name: xorg-server_1.3.99.0~git
	}
	w := b[p:e]
	return wordIn(w, addressWords) && !wordIn(w, joiningWords)
}

// joiningWords are the address words that are no names of an address:
// joined by '_' to a number they name a version as often
// ("upgrade_to_1.2.3.4", "fixed_in_2.0.1.3").
var joiningWords = []string{"a", "an", "and", "at", "by", "for", "from", "in", "is", "new", "of", "on", "or", "the", "to", "via", "was", "with"}

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
	return isDate(b[i-11 : i-1])
}

// precededByWord reports whether the word before position i (see
// wordBefore) is one of words (lower case).
func precededByWord(b []byte, i int, words []string) bool {
	w := wordBefore(b, i)
	return w != nil && wordIn(w, words)
}

// wordBefore returns the word of letters before position i, skipping
// spaces, ':', '=' and '.', or nil when there is none (or it is joined to
// a letter or digit before it).
func wordBefore(b []byte, i int) []byte {
	p := i
	for p > 0 && i-p < 4 && (b[p-1] == ' ' || b[p-1] == ':' || b[p-1] == '=' || b[p-1] == '.') {
		p--
	}
	e := p
	for p > 0 && e-p < 16 && isLetter(b[p-1]) {
		p--
	}
	if p == e || (p > 0 && isAlnum[b[p-1]]) {
		return nil
	}
	return b[p:e]
}

// v6Lead reports whether c may come before the first colon of an IPv6
// candidate: a hex digit or another colon (the IPv4 tail's '.' only
// follows).
func v6Lead(c byte) bool { return isV6Byte[c] && c != '.' }

// ipv6 looks for an IPv6 address around the ':' at i and returns the end of
// the token it examined, so the prefilter does not look at its other colons.
// The reported span is the bare address: no brackets, port, zone or prefix.
func (s *Matcher) ipv6(i int) int {
	b := s.b
	n := len(b)
	if i < s.v6end {
		return 0
	}
	// Most colons next to a digit in logs are in a time of day: HH:MM:SS
	// alone (before a byte no candidate holds) is a candidate of two
	// colons and no "::", which no address is (see below).
	if i+6 <= n && i >= 2 && isDigit(b[i-2]) && isDigit(b[i-1]) && (i == 2 || !v6Lead(b[i-3])) &&
		isDigit(b[i+1]) && isDigit(b[i+2]) && b[i+3] == ':' && isDigit(b[i+4]) && isDigit(b[i+5]) &&
		(i+6 == n || !isV6Byte[b[i+6]]) {
		s.v6end = i + 6
		return 0
	}
	st := i
	for st > 0 && i-st < 40 && v6Lead(b[st-1]) {
		st--
	}
	en := i + 1
	for en < n && en-st < 46 && isV6Byte[b[en]] {
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
