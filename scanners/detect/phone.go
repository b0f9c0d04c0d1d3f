package detect

import (
	"bytes"
	"slices"
	"sync"

	"github.com/nyaruka/phonenumbers"
	"golang.org/x/text/language"
	"golang.org/x/text/language/display"

	"github.com/piiscan/piiscan/finding"
)

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
func (s *Matcher) phone(i, j int) int {
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
func (s *Matcher) nanp(start, p int) int {
	b := s.b
	// Country code.
	if b[p] == '1' && (start < p || !isDigit(byteAt(b, p+1))) {
		if start < p && digitRun(b, p)-p == 11 {
			// +14155552671
			end := p + 11
			ext := phoneExtension(b, end)
			if ext == end && !boundaryAfter(b, end) || !s.validPhone(b[start:end]) {
				return 0
			}
			s.emit(dPhone, start, ext, finding.ConfidenceHigh)
			return ext
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
	ext := phoneExtension(b, end)
	if ext == end && (!boundaryAfter(b, end) || continuesNumber(b, end)) {
		return 0
	}
	if sep == '.' && precededByWord(b, start, versionWords) {
		return 0 // "build 415.555.2671", "version 212.555.0100": a version
	}
	if !s.validPhone(b[start:end]) {
		return 0
	}
	s.emit(dPhone, start, ext, finding.ConfidenceHigh)
	return ext
}

// maxExtension is the most digits of a phone extension.
const maxExtension = 6

// phoneExtension returns the end of the extension written after the phone
// number that ends at end, or end when there is none. An extension belongs
// to the number's span: "x623", " x 623", " ext 623", " Ext. 623",
// " EXT: 623", ", ext. 12", " extension 623", ";ext=623" (RFC 3966) and
// "#623" written right after the number. After a space, '#' is not read as
// an extension: "call 415-555-2671 #2 in the queue" numbers something
// else.
func phoneExtension(b []byte, end int) int {
	n := len(b)
	p := end
	switch {
	case p >= n:
		return end
	case b[p] == '#':
		p++
	case b[p] == ';' && p+5 <= n && equalFoldASCII(b[p+1:p+5], "ext="):
		p += 5
	default:
		if b[p] == ',' && p+1 < n && b[p+1] == ' ' {
			p++
		}
		for k := 0; k < 2 && p < n && b[p] == ' '; k++ {
			p++
		}
		switch {
		case hasPrefixFold(b[p:], "extension"):
			p += len("extension")
		case hasPrefixFold(b[p:], "ext"):
			p += len("ext")
			if p < n && b[p] == '.' {
				p++
			}
		case p < n && (b[p] == 'x' || b[p] == 'X'):
			p++
		default:
			return end
		}
		if p < n && b[p] == ':' {
			p++
		}
		for k := 0; k < 2 && p < n && b[p] == ' '; k++ {
			p++
		}
	}
	q := digitRun(b, p)
	if q == p || q-p > maxExtension || !boundaryAfter(b, q) || continuesNumber(b, q) {
		return end
	}
	return q
}

// phoneMain returns the number in a phone span without its extension
// (see phoneExtension): v up to the first letter, '#', ';' or ',' after
// its first digit ("tel:" before a number stays).
func phoneMain(v []byte) []byte {
	digit := false
	for k, c := range v {
		if digit && (isLetter(c) || c == '#' || c == ';' || c == ',') {
			v = v[:k]
			break
		}
		digit = digit || isDigit(c)
	}
	for len(v) > 0 && v[len(v)-1] == ' ' {
		v = v[:len(v)-1]
	}
	return v
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
func (s *Matcher) international(i int) int {
	return s.groupedNumber(i-1, i, "", false)
}

// national parses a number in the default (non-NANP) region's own format.
func (s *Matcher) national(i int) int {
	start := i
	if i > 0 && s.b[i-1] == '(' {
		start = i - 1
	}
	return s.groupedNumber(start, i, s.e.region, false)
}

// groupedNumber reads digit groups joined by single separators from p and
// validates the longest prefix of at least 8 digits that is a valid number.
// region "" means the number starts with '+' at start. With bare set, a
// national number of region may also be one run of digits when it is a
// mobile number.
func (s *Matcher) groupedNumber(start, p int, region string, bare bool) int {
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
		case phoneSep(c) && q+1 < n && isDigit(b[q+1]):
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
	if region != "" && (seps == 0 && !bare || dateShaped(lens[:ng])) {
		return 0
	}
	for k := ng; k >= 1; k-- {
		end := ends[k-1]
		ext := end
		if k == ng {
			ext = phoneExtension(b, end)
		}
		if ext == end && (!boundaryAfter(b, end) || (k == ng && continuesNumber(b, end))) {
			continue
		}
		nd := 0
		for _, l := range lens[:k] {
			nd += l
		}
		if nd < 8 {
			break
		}
		if !s.validPhoneIn(b[start:end], region) || seps == 0 && region != "" && !validMobileIn(b[start:end], region) {
			continue
		}
		s.emitIn(dPhone, start, ext, finding.ConfidenceHigh, region)
		return ext
	}
	return 0
}

// phoneFieldIn reports the value b[vs:ve] of a phone field when it is a
// valid number written in the national format of region (digits and
// separators: 090-1234-5678, 09012345678), and whether it did.
func (s *Matcher) phoneFieldIn(vs, ve int, region string) bool {
	b := s.b
	for vs < ve && b[vs] == ' ' {
		vs++
	}
	for ve > vs && b[ve-1] == ' ' {
		ve--
	}
	v := b[vs:ve]
	digits := 0
	for _, c := range v {
		switch {
		case isDigit(c):
			digits++
		case c == ' ' || c == '-' || c == '.' || c == '(' || c == ')':
		default:
			return false
		}
	}
	if digits < 7 || !s.e.on(dPhone) || !s.validPhoneIn(v, region) {
		return false
	}
	s.emitIn(dPhone, vs, ve, finding.ConfidenceHigh, region)
	return true
}

// dateShaped reports whether digit groups look like a date or time.
func dateShaped(l []int) bool {
	return len(l) >= 3 && ((l[0] == 4 && l[1] == 2 && l[2] == 2) || (l[0] == 2 && l[1] == 2 && (l[2] == 4 || l[2] == 2)))
}

func (s *Matcher) validPhone(v []byte) bool { return s.validPhoneIn(v, s.e.region) }

func (s *Matcher) validPhoneIn(v []byte, region string) bool {
	if region == "" {
		region = "ZZ"
	}
	return normalizePhone(v, region) != ""
}

// maxContextRegions bounds the regions a record can name for its phone
// numbers.
const maxContextRegions = 4

// phoneContext caches the regions the record (line) around a national
// phone number candidate names; candidates come in increasing order.
type phoneContext struct {
	lo, hi  int // the bytes looked at; hi 0: nothing cached
	regions []string
}

// phoneContextWindow bounds how far along its line the record of a
// candidate is read for a country, on either side.
const phoneContextWindow = 2048

// contextRegions returns the regions other than the default that the
// record of the number at i names: the value of a country field on its
// line (country=JP, "country":"Japan", "billingCountryCode": "IL"), of the
// country column of a CSV file, and the country code of any +CC phone
// number on the line. NANP regions are left out (their numbers are read
// by the NANP parser when the default region is one).
func (s *Matcher) contextRegions(i int) []string {
	c := &s.pctx
	if i >= c.lo && i < c.hi {
		return c.regions
	}
	b := s.b
	lo := i
	for lo > 0 && i-lo < phoneContextWindow && b[lo-1] != '\n' {
		lo--
	}
	hi := min(len(b), i+phoneContextWindow)
	if nl := bytes.IndexByte(b[i:hi], '\n'); nl >= 0 {
		hi = i + nl
	}
	lo, hi = nestedRecord(b, lo, hi, i)
	c.lo, c.hi = lo, max(hi, i+1)
	c.regions = c.regions[:0]
	add := func(r string) {
		if r == "" || r == s.e.region || isNANPRegion(r) || len(c.regions) == maxContextRegions || slices.Contains(c.regions, r) {
			return
		}
		c.regions = append(c.regions, r)
	}
	// The record is read at its '+' and "country" (in any case) only, in
	// order.
	rec := b[:hi]
	countryAt := func(from int) int {
		if d := indexFold(rec[from:], "country"); d >= 0 {
			return from + d
		}
		return hi
	}
	plus, country := indexByteFrom(rec, '+', lo), countryAt(lo)
	for {
		k := min(plus, country)
		if k == hi {
			break
		}
		if k == plus {
			if (k == lo || !isAlnum[b[k-1]]) && k+1 < hi && b[k+1] > '0' && isDigit(b[k+1]) {
				add(callingCodeRegion(b[k+1 : hi]))
			}
			plus = indexByteFrom(rec, '+', k+1)
			continue
		}
		if k == lo || !isLetter(b[k-1]) || b[k] == 'C' && !isUpper(b[k-1]) {
			add(countryFieldValue(rec, k+len("country")))
		}
		country = countryAt(k + 1)
	}
	if cols := s.cols; cols != nil && cols.country > 0 && (lo == 0 || b[lo-1] == '\n') {
		add(countryRegion(columnValue(b[lo:hi], cols.Delim, cols.country-1)))
	}
	return c.regions
}

// nestedRecord widens the line b[lo:hi] to the record it is a field of
// when it is an indented field of a pretty-printed JSON object or a YAML
// mapping ("  \"phone\": \"090-…\"," with "  \"country\": \"JP\"" two lines
// up): the lines around it at its indentation or deeper, up to the lines
// that open and close the record, within phoneContextWindow of i. A line
// that is not indented (a log line, a CSV row) is its own record.
func nestedRecord(b []byte, lo, hi, i int) (int, int) {
	ind := fieldIndent(b, lo, hi)
	if ind <= 0 {
		return lo, hi
	}
	for lo > 0 && i-lo < phoneContextWindow {
		ps := bytes.LastIndexByte(b[:lo-1], '\n') + 1
		if d := lineIndent(b, ps, lo-1); d < ind {
			if d == ind-2 && ps+d+1 < lo-1 && b[ps+d] == '-' && b[ps+d+1] == ' ' {
				lo = ps // "- name: …": a YAML list item's first field
			}
			break
		}
		lo = ps
	}
	for hi < len(b) && hi-i < phoneContextWindow {
		ne := bytes.IndexByte(b[hi+1:], '\n')
		if ne < 0 {
			ne = len(b) - hi - 1
		}
		if ne == 0 || lineIndent(b, hi+1, hi+1+ne) < ind {
			break
		}
		hi += 1 + ne
	}
	return lo, hi
}

// lineIndent returns the number of spaces that start the line b[ls:le].
func lineIndent(b []byte, ls, le int) int {
	p := ls
	for p < le && b[p] == ' ' {
		p++
	}
	return p - ls
}

// fieldIndent returns the indentation of the line b[ls:le] when it is a
// field of a JSON object or YAML mapping (a key, quoted or not, then ':'),
// counting a YAML list item's "- " as indentation; -1 otherwise.
func fieldIndent(b []byte, ls, le int) int {
	p := ls
	for p < le && b[p] == ' ' {
		p++
	}
	if p+1 < le && b[p] == '-' && b[p+1] == ' ' {
		p += 2
	}
	ind := p - ls
	q := p
	if q < le && b[q] == '"' {
		q++
	}
	k := q
	for q < le && q-k < 64 && (isAlnum[b[q]] || b[q] == '_' || b[q] == '-') {
		q++
	}
	if q == k || k < le && !isLetter(b[k]) {
		return -1
	}
	if q < le && b[q] == '"' {
		q++
	}
	if q >= le || b[q] != ':' {
		return -1
	}
	return ind
}

// callingCodeRegion returns the main region of the country calling code
// that d (the digits after a '+') starts with, when a phone number of at
// least 8 digits follows it, or "".
func callingCodeRegion(d []byte) string {
	digits := 0
	for k := 0; k < len(d) && k < 24; k++ {
		switch {
		case isDigit(d[k]):
			digits++
		case (d[k] == ' ' || d[k] == '-' || d[k] == '.' || d[k] == '(' || d[k] == ')') && k+1 < len(d) && (isDigit(d[k+1]) || d[k+1] == '('):
		default:
			k = len(d)
		}
	}
	if digits < 8 {
		return ""
	}
	cc := 0
	for l := 0; l < 3 && isDigit(d[l]); l++ {
		cc = cc*10 + int(d[l]-'0')
		if r := phonenumbers.GetRegionCodeForCountryCode(cc); r != "" && r != "ZZ" {
			return r
		}
	}
	return ""
}

// countryFieldValue reads the value of a field whose name has "country" end
// at p (country, country_code, countryIso2, "billingCountry") and returns
// the region it names, or "".
func countryFieldValue(b []byte, p int) string {
	n := len(b)
	name := p
	for p < n && p-name < 32 && (isAlnum[b[p]] || b[p] == '_' || b[p] == '-') {
		p++
	}
	if p < n && (b[p] == '"' || b[p] == '\'') {
		p++
	}
	for p < n && b[p] == ' ' {
		p++
	}
	if p >= n || b[p] != ':' && b[p] != '=' {
		return ""
	}
	p++
	for p < n && b[p] == ' ' {
		p++
	}
	vs, ve := fieldValue(b, p)
	if ve-vs > 64 {
		return ""
	}
	r := countryRegion(b[vs:ve])
	// Unquoted names of more words: country=United Kingdom,
	// country=United+Kingdom.
	for w := 0; r == "" && w < 3 && ve+1 < n && (b[ve] == ' ' || b[ve] == '+') && isLetter(b[ve+1]) && ve-vs < 48; w++ {
		ve++
		for ve < n && isLetter(b[ve]) {
			ve++
		}
		r = countryRegion(b[vs:ve])
	}
	return r
}

// columnValue returns cell col of the delimited line.
func columnValue(line []byte, delim byte, col int) []byte {
	k, fs, inq := 0, 0, false
	for p := 0; p <= len(line); p++ {
		if p < len(line) && (line[p] == '"' || line[p] != delim || inq) {
			if line[p] == '"' {
				inq = !inq
			}
			continue
		}
		if k == col {
			return bytes.Trim(line[fs:p], "\"' \r")
		}
		k++
		fs = p + 1
	}
	return nil
}

// countryFieldName reports whether a normalised field name (see
// normalizeFieldName) names a country: country, countrycode, countryiso2,
// billingcountry, ...
func countryFieldName(n []byte) bool {
	for _, suf := range []string{"country", "countrycode", "countryiso", "countryiso2", "countryname"} {
		if bytes.HasSuffix(n, []byte(suf)) {
			return true
		}
	}
	return false
}

// countryRegion returns the ISO 3166 region a country value names: an
// alpha-2 or alpha-3 code (JP, JPN) or an English name (Japan, "United
// Kingdom", UK), or "" for anything else.
func countryRegion(v []byte) string {
	v = bytes.TrimSpace(v)
	if len(v) < 2 || len(v) > 64 {
		return ""
	}
	if len(v) <= 3 && allLetters(v) {
		var buf [3]byte
		for k, c := range v {
			buf[k] = c &^ 0x20
		}
		code := string(buf[:len(v)])
		if len(v) == 2 {
			if phonenumbers.GetCountryCodeForRegion(code) != 0 {
				return code
			}
		} else if r, err := language.ParseRegion(code); err == nil && r.IsCountry() {
			if rc := r.String(); phonenumbers.GetCountryCodeForRegion(rc) != 0 {
				return rc
			}
		}
	}
	var buf [64]byte
	return countryNames()[string(countryKey(buf[:0], v))]
}

func allLetters(v []byte) bool {
	for _, c := range v {
		if !isLetter(c) {
			return false
		}
	}
	return true
}

// countryKey lower-cases the ASCII letters of a country name into dst and
// drops everything else ("United Kingdom" and "united-kingdom" are both
// "unitedkingdom").
func countryKey(dst, name []byte) []byte {
	for _, c := range name {
		if isLetter(c) {
			dst = append(dst, c|0x20)
		}
	}
	return dst
}

// countryAliases are English names of countries in common use besides the
// CLDR names (display.English).
var countryAliases = map[string]string{
	"usa": "US", "unitedstatesofamerica": "US", "america": "US", "uk": "GB", "greatbritain": "GB",
	"england": "GB", "scotland": "GB", "wales": "GB", "northernireland": "GB", "britain": "GB",
	"korea": "KR", "southkorea": "KR", "republicofkorea": "KR", "northkorea": "KP", "hongkong": "HK",
	"macau": "MO", "macao": "MO", "russianfederation": "RU", "czechrepublic": "CZ", "holland": "NL",
	"ivorycoast": "CI", "cotedivoire": "CI", "northmacedonia": "MK", "turkey": "TR", "turkiye": "TR",
	"prc": "CN", "peoplesrepublicofchina": "CN", "mainlandchina": "CN", "uae": "AE", "vietnam": "VN",
	"burma": "MM", "eswatini": "SZ", "swaziland": "SZ", "capeverde": "CV", "caboverde": "CV",
	"vaticancity": "VA", "holysee": "VA", "palestine": "PS", "taiwan": "TW", "republicofchina": "TW",
	"bosnia": "BA", "bosniaandherzegovina": "BA", "congokinshasa": "CD", "drc": "CD", "congobrazzaville": "CG",
	"republicofireland": "IE", "eire": "IE", "thenetherlands": "NL", "laos": "LA", "syria": "SY",
	"iran": "IR", "moldova": "MD", "tanzania": "TZ", "bolivia": "BO", "venezuela": "VE",
}

var (
	countryNamesOnce sync.Once
	countryNameMap   map[string]string
)

// countryNames maps country keys (see countryKey) of the English names of
// every region libphonenumber knows, and of countryAliases, to the region.
func countryNames() map[string]string {
	countryNamesOnce.Do(func() {
		m := make(map[string]string, 320)
		names := display.English.Regions()
		for r := range phonenumbers.GetSupportedRegions() {
			reg, err := language.ParseRegion(r)
			if err != nil {
				continue
			}
			if name := names.Name(reg); name != "" {
				m[string(countryKey(nil, []byte(name)))] = r
			}
		}
		for k, r := range countryAliases {
			m[k] = r
		}
		countryNameMap = m
	})
	return countryNameMap
}

// foreignNational parses a phone number in the national format of a region
// other than the default one, at i (its first digit run ends at j): one
// of the regions its record names (see contextRegions), or of the
// detection regions (Options.Regions). Written forms are those of
// national: 090-1234-5678 (JP), 09-7625400 (IL), 138 1234 5678 (CN). A
// bare run of digits (09012345678, 13812345678) counts only when its
// record names the region and the number is a mobile number there: the
// regions setting alone does not make every run of eleven digits a phone.
func (s *Matcher) foreignNational(i, j int) int {
	b := s.b
	if i > 0 && (isAlnum[b[i-1]] || b[i-1] == '+' || b[i-1] == '_' || b[i-1] == '/' || b[i-1] == ':') || joinedBefore(b, i) {
		return 0
	}
	if i >= 2 && phoneSep(b[i-1]) && isDigit(b[i-2]) {
		return 0 // a later group of a longer number (an IBAN, a card)
	}
	g := j - i
	digits, groups := nationalDigits(b, i)
	bare := groups == 1
	if bare && (g < 9 || g > 12) || digits < 8 {
		return 0
	}
	ctx := s.contextRegions(i)
	start := i
	if i > 0 && b[i-1] == '(' {
		start = i - 1
	}
	try := func(r string) int {
		if r == s.e.region || isNANPRegion(r) {
			return 0
		}
		return s.groupedNumber(start, i, r, bare)
	}
	for _, r := range ctx {
		if end := try(r); end > 0 {
			return end
		}
	}
	if bare {
		return 0
	}
	for _, r := range s.e.regions {
		if !slices.Contains(ctx, r) {
			if end := try(r); end > 0 {
				return end
			}
		}
	}
	return 0
}

// nationalDigits counts the digits and the groups of the digit groups
// joined by single separators (or a ')' and one) that start at i, up to
// 16 digits. It returns no digits when a group after the first has one
// digit: ISBNs (0-306-40615-2) and other codes, not phone numbers.
func nationalDigits(b []byte, i int) (digits, groups int) {
	for p := i; p < len(b) && digits <= 15; {
		q := digitRun(b, p)
		if q-p == 1 && p > i {
			return 0, groups
		}
		digits += q - p
		groups++
		if q < len(b) && b[q] == ')' && q+1 < len(b) && phoneSep(b[q+1]) {
			q++
		}
		if q+1 < len(b) && (phoneSep(b[q]) || b[q] == ')') && isDigit(b[q+1]) {
			p = q + 1
			continue
		}
		break
	}
	return digits, groups
}

// validMobileIn reports whether v, a national number of region, is a valid
// mobile number there.
func validMobileIn(v []byte, region string) bool {
	var buf [24]byte
	d := digitsOf(phoneMain(v), buf[:0])
	num, err := phonenumbers.Parse(string(d), region)
	if err != nil || !phonenumbers.IsValidNumberForRegion(num, region) {
		return false
	}
	t := phonenumbers.GetNumberType(num)
	return t == phonenumbers.MOBILE || t == phonenumbers.FIXED_LINE_OR_MOBILE
}
