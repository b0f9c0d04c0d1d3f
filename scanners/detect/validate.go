package detect

import (
	"bytes"
	"net/netip"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/nyaruka/phonenumbers"
	"golang.org/x/net/publicsuffix"
	"google.golang.org/protobuf/proto"

	"github.com/piiscan/piiscan/finding"
)

// Validators are the checks a custom rule may name with "validator:".
var Validators = map[string]func([]byte) bool{
	"luhn":        func(v []byte) bool { return luhnDigits(digitsOf(v, nil)) },
	"credit_card": func(v []byte) bool { d := digitsOf(v, nil); return luhnDigits(d) && cardBrand(d) != "" },
	"us_ssn":      validSSNText,
	"ip":          func(v []byte) bool { _, err := netip.ParseAddr(string(v)); return err == nil },
	"email":       func(v []byte) bool { return validEmail(v) },
	"phone":       func(v []byte) bool { return normalizePhone(v, "US") != "" },
}

// digitsOf appends the ASCII digits of v to dst.
func digitsOf(v []byte, dst []byte) []byte {
	for _, c := range v {
		if isDigit(c) {
			dst = append(dst, c)
		}
	}
	return dst
}

// luhnDigits reports whether the digit string d passes the Luhn check.
func luhnDigits(d []byte) bool {
	if len(d) < 2 {
		return false
	}
	sum := 0
	dbl := false
	for i := len(d) - 1; i >= 0; i-- {
		v := int(d[i] - '0')
		if dbl {
			v *= 2
			if v > 9 {
				v -= 9
			}
		}
		sum += v
		dbl = !dbl
	}
	return sum%10 == 0
}

// prefixIn reports whether the number formed by the first len(lo) digits of
// d lies in [lo, hi] (both given with the same number of digits).
func prefixIn(d []byte, lo, hi string) bool {
	if len(d) < len(lo) {
		return false
	}
	p := string(d[:len(lo)])
	return p >= lo && p <= hi
}

// cardRange is an issuer identification number (IIN) range of a card
// brand: the numbers whose first len(lo) digits lie in [lo, hi], with one
// of the lengths in lens (a bit per length).
type cardRange struct {
	lo, hi string
	lens   uint32
	brand  string
}

// lengths returns the bit set of the lengths from min to max, and of more.
func lengths(min, max int, more ...int) uint32 {
	var m uint32
	for n := min; n <= max; n++ {
		m |= 1 << n
	}
	for _, n := range more {
		m |= 1 << n
	}
	return m
}

// cardRanges are the IIN ranges of the card brands in use, from the table
// of "Payment card number" (Wikipedia, 2026) checked against the card
// schemes' published ranges. Ranges of one brand that lie inside another
// brand's (Visa Electron, Elo's 4xxxxx BINs, RuPay's 65) are not listed
// twice: the number is a card either way. Order matters only for the name.
var cardRanges = []cardRange{
	{"4", "4", lengths(13, 13, 16, 19), "visa"},
	{"51", "55", lengths(16, 16), "mastercard"},
	{"2221", "2720", lengths(16, 16), "mastercard"},
	{"34", "34", lengths(15, 15), "amex"},
	{"37", "37", lengths(15, 15), "amex"},
	{"6011", "6011", lengths(16, 19), "discover"},
	{"644", "649", lengths(16, 19), "discover"},
	{"65", "65", lengths(16, 19), "discover"}, // also RuPay and Troy
	{"622126", "622925", lengths(16, 19), "discover"},
	{"3528", "3589", lengths(16, 19), "jcb"},
	{"300", "305", lengths(14, 19), "diners"},
	{"3095", "3095", lengths(14, 19), "diners"},
	{"36", "36", lengths(14, 19), "diners"},
	{"38", "39", lengths(14, 19), "diners"}, // also Hipercard 3841x0
	{"62", "62", lengths(16, 19), "unionpay"},
	{"81", "81", lengths(16, 19), "unionpay"}, // also RuPay
	{"31", "31", lengths(19, 19), "t-union"},
	{"2200", "2204", lengths(16, 19), "mir"},
	{"5019", "5019", lengths(16, 16), "dankort"},
	{"5018", "5018", lengths(12, 19), "maestro"},
	{"5020", "5020", lengths(12, 19), "maestro"},
	{"5038", "5038", lengths(12, 19), "maestro"},
	{"5893", "5893", lengths(12, 19), "maestro"},
	{"6304", "6304", lengths(12, 19), "maestro"},
	{"6759", "6759", lengths(12, 19), "maestro"},
	{"6761", "6763", lengths(12, 19), "maestro"},
	{"676770", "676770", lengths(12, 19), "maestro"},
	{"676774", "676774", lengths(12, 19), "maestro"},
	{"60", "60", lengths(16, 19), "rupay"}, // also UkrCard 604001-604200 (16-19)
	{"82", "82", lengths(16, 16), "rupay"},
	{"508", "508", lengths(16, 16), "rupay"},
	{"9792", "9792", lengths(16, 16), "troy"},
	{"506099", "506198", lengths(16, 16, 18, 19), "verve"},
	{"507865", "507964", lengths(16, 16, 18, 19), "verve"},
	{"504175", "504175", lengths(16, 16), "elo"},
	{"506699", "506778", lengths(16, 16), "elo"},
	{"509000", "509999", lengths(16, 16), "elo"},
	{"627780", "627780", lengths(16, 16), "elo"},
	{"636297", "636297", lengths(16, 16), "elo"},
	{"636368", "636368", lengths(16, 16), "elo"},
	{"606282", "606282", lengths(16, 16, 19), "hipercard"},
	{"636", "636", lengths(16, 19), "interpayment"},
	{"637", "639", lengths(16, 16), "instapayment"},
	{"9704", "9704", lengths(16, 16, 19), "napas"},
	{"8600", "8600", lengths(16, 16), "uzcard"},
	{"9860", "9860", lengths(16, 16), "humo"},
	{"1", "1", lengths(15, 15), "uatp"},
}

// cardBrand returns the payment card brand whose issuer ranges and lengths
// fit the digit string d, or "" if none does.
func cardBrand(d []byte) string {
	n := len(d)
	if n < 12 || n > 19 {
		return ""
	}
	for i := range cardRanges {
		r := &cardRanges[i]
		if r.lens&(1<<n) != 0 && prefixIn(d, r.lo, r.hi) {
			return r.brand
		}
	}
	return ""
}

// cardNeedsCue reports whether a number of brand d, of length n, is a card
// only with a card word or field nearby (see cardContext): its shape is
// also a common shape of ids. UATP numbers start with 1 like most
// 15-digit ids and sequence numbers; the ranges that start with 8 or 9
// (RuPay, UnionPay 81, Troy, Napas, UzCard, Humo) are new and rare in the
// logs and exports piiscan reads; 12-digit Maestro numbers are as long as
// many order numbers, and Visa has not issued 13-digit numbers for decades
// while 13-digit ids are everywhere.
func cardNeedsCue(d []byte) bool {
	return d[0] == '1' || d[0] == '8' || d[0] == '9' || len(d) <= 13
}

// validSSN applies the Social Security Administration's rules: area not
// 000, 666 or 900-999; group not 00; serial not 0000; and not one of the
// numbers known to be invalid because they were published, nor nine of
// one digit.
func validSSN(area, group, serial []byte) bool {
	a := string(area)
	if a == "000" || a == "666" || a[0] == '9' {
		return false
	}
	if string(group) == "00" || string(serial) == "0000" {
		return false
	}
	switch d := a + string(group) + string(serial); {
	case d == "078051120", d == "219099999", d == "123456789":
		return false
	case strings.Count(d, d[:1]) == 9:
		return false // 111-11-1111, 555-55-5555: fill-ins of forms and fixtures
	}
	return true
}

func validSSNText(v []byte) bool {
	d := digitsOf(v, nil)
	return len(d) == 9 && validSSN(d[0:3], d[3:5], d[5:9])
}

// knownTLD reports whether tld (lower case) is an ICANN top-level domain or
// one of the names reserved for tests and examples (RFC 2606), which
// examples and real leaks use.
func knownTLD(tld string) bool {
	switch tld {
	case "test", "example", "invalid", "localhost":
		return true
	}
	if len(tld) < 2 {
		return false
	}
	for i := 0; i < len(tld); i++ {
		if !isLetter(tld[i]) && !(i >= 2 && strings.HasPrefix(tld, "xn--")) {
			return false
		}
	}
	_, icann := publicsuffix.PublicSuffix(tld)
	return icann
}

// validEmail checks a whole address.
func validEmail(v []byte) bool {
	at := bytes.LastIndexByte(v, '@')
	if at <= 0 || at > 64 {
		return false
	}
	for _, c := range v[:at] {
		if !localChar(c) {
			return false
		}
	}
	return validDomain(v[at+1:])
}

// validDomain checks the labels of a domain and that its TLD is known.
func validDomain(d []byte) bool {
	if len(d) < 3 || len(d) > 253 {
		return false
	}
	labels := 0
	start := 0
	for i := 0; i <= len(d); i++ {
		if i < len(d) && d[i] != '.' {
			c := d[i]
			if !isAlnum[c] && c != '-' {
				return false
			}
			continue
		}
		l := d[start:i]
		if len(l) == 0 || len(l) > 63 || l[0] == '-' || l[len(l)-1] == '-' {
			return false
		}
		labels++
		start = i + 1
	}
	if labels < 2 {
		return false
	}
	tld := d[bytes.LastIndexByte(d, '.')+1:]
	var buf [64]byte
	lt := buf[:0]
	for _, c := range tld {
		lt = append(lt, toLower(c))
	}
	return knownTLD(string(lt))
}

// normalizePhone returns the E.164 form of a phone number if it is valid by
// libphonenumber's metadata, or "". Numbers starting with '+' carry their
// own country code; others are read in region. An extension is left out:
// a number is the same with or without one, for fingerprints, allowlists
// and a data subject's values.
func normalizePhone(v []byte, region string) string {
	v = phoneMain(v)
	var buf [24]byte
	d := buf[:0]
	plus := len(v) > 0 && v[0] == '+'
	d = digitsOf(v, d)
	if len(d) < 7 || len(d) > 15 {
		return ""
	}
	if national, ok := nanpNational(d, plus, region); ok {
		if !validNANP(national) {
			return ""
		}
		return "+" + strconv.FormatUint(10000000000+national, 10)
	}
	key := phoneKey{plus: plus, digits: uint8(len(d))}
	if !plus || !countryCodeLed(d) {
		// A number that starts with a country code reads the same in
		// every region (TestPlusNumbersIgnoreRegion): the detector,
		// which reads it in no region, and the finding's normaliser, in
		// the policy's, share one entry. Other '+' numbers do not:
		// libphonenumber then strips the region's international prefix
		// ("+011 44 …" is British in the United States).
		copy(key.region[:], region)
	}
	for _, c := range d {
		key.n = key.n*10 + uint64(c-'0')
	}
	if v, ok := phoneCache.Load(key); ok {
		return v.(string)
	}
	e164 := libphonenumberE164(d, plus, region)
	if phoneCacheLen.Add(1) > phoneCacheMax {
		phoneCache.Clear()
		phoneCacheLen.Store(0)
	}
	phoneCache.Store(key, e164)
	return e164
}

// countryCodeLed reports whether the digits d start with a country calling
// code, as libphonenumber reads one after '+': one to three digits, not
// led by 0, that number some region.
func countryCodeLed(d []byte) bool {
	if len(d) == 0 || d[0] == '0' {
		return false
	}
	cc := 0
	for _, c := range d[:min(3, len(d))] {
		cc = cc*10 + int(c-'0')
		if len(phonenumbers.GetRegionCodesForCountryCode(cc)) > 0 {
			return true
		}
	}
	return false
}

// libphonenumberE164 is libphonenumber's E.164 form of the digits d
// (after '+' if plus, else read in region), or "" if it holds them invalid.
func libphonenumberE164(d []byte, plus bool, region string) string {
	s := string(d)
	if plus {
		s = "+" + s
	}
	if num, err := phonenumbers.Parse(s, region); err == nil && phonenumbers.IsValidNumber(num) {
		return phonenumbers.Format(num, phonenumbers.E164)
	}
	return ""
}

// phoneKey is a phone number as normalizePhone reads it: its digits (with
// their count, for leading zeros), whether '+' started it, and the region
// it is read in (none after '+' and a country code).
type phoneKey struct {
	n      uint64
	digits uint8
	plus   bool
	region [3]byte
}

// phoneCache remembers normalizePhone's answers for numbers outside NANP
// (see nanpCache): libphonenumber parses and validates with regular
// expressions, tens of microseconds a number.
var phoneCache sync.Map // phoneKey -> string

const phoneCacheMax = 1 << 16

var phoneCacheLen atomic.Int64

// nanpNational returns the 10-digit national number of a NANP number
// (+1 NPA NXX XXXX, or NPA NXX XXXX in a NANP region).
func nanpNational(d []byte, plus bool, region string) (uint64, bool) {
	switch {
	case len(d) == 11 && d[0] == '1' && (plus || isNANPRegion(region)):
		d = d[1:]
	case len(d) == 10 && !plus && isNANPRegion(region):
	default:
		return 0, false
	}
	n, err := strconv.ParseUint(string(d), 10, 64)
	return n, err == nil
}

// nanpCache remembers libphonenumber's verdict on the NANP numbers that
// nanpRanges leaves to it: a few prefixes whose last digits decide, and
// national numbers of fewer than ten digits ("+1 012 …").
var nanpCache sync.Map // uint64 -> bool

const nanpCacheMax = 1 << 16

var nanpCacheLen atomic.Int64

// The verdicts of nanpRanges.
const (
	nanpInvalid = iota
	nanpValid
	nanpUnknown
)

// nanpPrefixes is the number of 6-digit prefixes of nanpRanges.
const nanpPrefixes = 1_000_000

// nanpVerdict returns libphonenumber's verdict on the 10-digit NANP numbers
// that start with the six digits p, from nanpRanges.
func nanpVerdict(p uint32) uint32 {
	x := sort.Search(len(nanpRanges), func(m int) bool { return nanpRanges[m]>>2 > p })
	return nanpRanges[x-1] & 3
}

// validNANP reports whether libphonenumber holds a NANP national number
// valid. For ten digits its verdict is mostly known from the first six
// (nanpRanges); otherwise it is asked, and its answer cached, since its
// check runs several regular expressions per NANP region (about 9 µs for a
// number outside the United States: BenchmarkValidNANP).
func validNANP(national uint64) bool {
	if national >= 1_000_000_000 && national < 10_000_000_000 {
		switch nanpVerdict(uint32(national / 10000)) {
		case nanpValid:
			return true
		case nanpInvalid:
			return false
		}
	}
	if v, ok := nanpCache.Load(national); ok {
		return v.(bool)
	}
	ok := libphonenumberNANP(national)
	if nanpCacheLen.Add(1) > nanpCacheMax {
		nanpCache.Clear()
		nanpCacheLen.Store(0)
	}
	nanpCache.Store(national, ok)
	return ok
}

// libphonenumberNANP is libphonenumber's verdict on a NANP national
// number, trying the United States first (one metadata lookup) before the
// other NANP regions.
func libphonenumberNANP(national uint64) bool {
	num := &phonenumbers.PhoneNumber{CountryCode: proto.Int32(1), NationalNumber: proto.Uint64(national)}
	return phonenumbers.IsValidNumberForRegion(num, "US") || phonenumbers.IsValidNumber(num)
}

// isNANPRegion reports whether phone numbers of region use the North
// American Numbering Plan (country code 1).
func isNANPRegion(region string) bool {
	if region == "US" || region == "CA" {
		return true
	}
	return phonenumbers.GetCountryCodeForRegion(region) == 1
}

// Normalize returns the canonical form of a value of class, used for
// fingerprints and for matching a data subject's values: lower-case emails,
// E.164 phone numbers, digits of cards and SSNs, canonical IP addresses.
// region is the default phone region.
func Normalize(class string, v []byte, region string) []byte {
	switch class {
	case finding.ClassEmail:
		return bytes.ToLower(bytes.Replace(v, []byte("%40"), []byte("@"), 1))
	case finding.ClassCreditCard, finding.ClassUSSSN:
		// "%20" separates the groups of a card number in a URL: its
		// digits are not the card's.
		return digitsOf(bytes.ReplaceAll(v, []byte("%20"), nil), nil)
	case finding.ClassPhoneNumber:
		if p := normalizePhone(v, region); p != "" {
			return []byte(p)
		}
		return digitsOf(v, nil)
	case finding.ClassIPAddress:
		if bytes.IndexByte(v, ':') < 0 && validDottedQuad(v) {
			return v // the detector accepts only canonical IPv4 text
		}
		if a, err := netip.ParseAddr(string(v)); err == nil {
			return []byte(a.String())
		}
	case finding.ClassHealth, finding.ClassPersonName, finding.ClassPostalAddress:
		return bytes.ToLower(bytes.Join(bytes.Fields(v), []byte(" ")))
	}
	return v
}

// validDottedQuad reports whether v is IPv4 text in canonical form: four
// octets 0-255 without leading zeros.
func validDottedQuad(v []byte) bool {
	parts, val, digits := 0, 0, 0
	for i := 0; i <= len(v); i++ {
		if i == len(v) || v[i] == '.' {
			if digits == 0 || val > 255 {
				return false
			}
			parts++
			val, digits = 0, 0
			continue
		}
		c := v[i]
		if !isDigit(c) || (digits == 1 && val == 0) {
			return false
		}
		val = val*10 + int(c-'0')
		digits++
	}
	return parts == 4
}
