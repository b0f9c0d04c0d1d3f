package detect

import (
	"bytes"
	"fmt"
	"net/netip"
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

// cardBrand returns the payment card brand whose issuer ranges and lengths
// fit the digit string d, or "" if none does.
func cardBrand(d []byte) string {
	n := len(d)
	switch {
	case d[0] == '4' && (n == 13 || n == 16 || n == 19):
		return "visa"
	case (prefixIn(d, "51", "55") || prefixIn(d, "2221", "2720")) && n == 16:
		return "mastercard"
	case (prefixIn(d, "34", "34") || prefixIn(d, "37", "37")) && n == 15:
		return "amex"
	case (prefixIn(d, "6011", "6011") || prefixIn(d, "644", "649") || prefixIn(d, "65", "65") ||
		prefixIn(d, "622126", "622925")) && n >= 16 && n <= 19:
		return "discover"
	case prefixIn(d, "3528", "3589") && n >= 16 && n <= 19:
		return "jcb"
	case (prefixIn(d, "300", "305") || prefixIn(d, "3095", "3095") || prefixIn(d, "38", "39")) && n >= 14 && n <= 19,
		prefixIn(d, "36", "36") && n >= 14 && n <= 19:
		return "diners"
	case prefixIn(d, "62", "62") && n >= 16 && n <= 19:
		return "unionpay"
	case prefixIn(d, "2200", "2204") && n >= 16 && n <= 19:
		return "mir"
	case (prefixIn(d, "5018", "5018") || prefixIn(d, "5020", "5020") || prefixIn(d, "5038", "5038") ||
		prefixIn(d, "5893", "5893") || prefixIn(d, "6304", "6304") || prefixIn(d, "6759", "6759") ||
		prefixIn(d, "6761", "6763")) && n >= 13 && n <= 19:
		return "maestro"
	}
	return ""
}

// validSSN applies the Social Security Administration's rules: area not
// 000, 666 or 900-999; group not 00; serial not 0000; and not one of the
// numbers known to be invalid because they were published.
func validSSN(area, group, serial []byte) bool {
	a := string(area)
	if a == "000" || a == "666" || a[0] == '9' {
		return false
	}
	if string(group) == "00" || string(serial) == "0000" {
		return false
	}
	switch a + string(group) + string(serial) {
	case "078051120", "219099999", "123456789":
		return false
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
// own country code; others are read in region.
func normalizePhone(v []byte, region string) string {
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
	if plus {
		d = append([]byte{'+'}, d...)
	}
	num, err := phonenumbers.Parse(string(d), region)
	if err != nil || !phonenumbers.IsValidNumber(num) {
		return ""
	}
	return phonenumbers.Format(num, phonenumbers.E164)
}

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

// nanpCache remembers which NANP numbers are valid. libphonenumber's check
// runs several regular expressions; logs repeat the same numbers.
var nanpCache sync.Map // uint64 -> bool

const nanpCacheMax = 1 << 16

var nanpCacheLen atomic.Int64

// validNANP checks a 10-digit NANP national number, trying the United
// States first (one metadata lookup) before the other NANP regions.
func validNANP(national uint64) bool {
	if v, ok := nanpCache.Load(national); ok {
		return v.(bool)
	}
	num := &phonenumbers.PhoneNumber{CountryCode: proto.Int32(1), NationalNumber: proto.Uint64(national)}
	ok := phonenumbers.IsValidNumberForRegion(num, "US") || phonenumbers.IsValidNumber(num)
	if nanpCacheLen.Add(1) > nanpCacheMax {
		nanpCache.Clear()
		nanpCacheLen.Store(0)
	}
	nanpCache.Store(national, ok)
	return ok
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

// CheckValidator returns an error if name is not a known validator.
func CheckValidator(name string) error {
	if _, ok := Validators[name]; ok {
		return nil
	}
	names := make([]string, 0, len(Validators))
	for n := range Validators {
		names = append(names, n)
	}
	return fmt.Errorf("unknown validator %q (want one of %s)", name, strings.Join(sortedStrings(names), ", "))
}
