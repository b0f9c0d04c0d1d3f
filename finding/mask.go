package finding

import (
	"strings"
	"unicode/utf8"
)

// Class names. They are a stable contract: reports, rules.yaml and the tools
// that read piiscan's output all use them.
const (
	ClassEmail         = "email"
	ClassIPAddress     = "ip_address"
	ClassCreditCard    = "credit_card"
	ClassPhoneNumber   = "phone_number"
	ClassUSSSN         = "us_ssn"
	ClassHealth        = "health"
	ClassCredential    = "credential"
	ClassPersonName    = "person_name"
	ClassPostalAddress = "postal_address"
	ClassDateOfBirth   = "date_of_birth"
)

// BuiltinClasses lists the classes piiscan's own detectors produce.
func BuiltinClasses() []string {
	return []string{ClassEmail, ClassIPAddress, ClassCreditCard, ClassPhoneNumber, ClassUSSSN,
		ClassHealth, ClassCredential, ClassPersonName, ClassPostalAddress, ClassDateOfBirth}
}

// Mask returns a display form of raw that keeps enough shape to triage a
// finding (the domain of an email, the last four digits of a card) without
// revealing the value. It never returns raw itself for any class.
func Mask(class string, raw []byte) string {
	s := string(raw)
	switch class {
	case ClassEmail:
		r, _ := utf8.DecodeRuneInString(s)
		if at := strings.LastIndexByte(s, '@'); at > 0 {
			return string(r) + "***" + s[at:]
		}
		if at := strings.Index(s, "%40"); at > 0 { // URL-encoded
			return string(r) + "***@" + s[at+3:]
		}
		return "***"
	case ClassCreditCard:
		return maskDigits(s, 4, 4)
	case ClassPhoneNumber:
		keepFirst := 0
		if strings.HasPrefix(s, "+") {
			// Keep the country code: it is not personal and helps triage.
			keepFirst = countryCodeDigits(s)
		}
		return maskDigits(s, keepFirst, 4)
	case ClassUSSSN:
		return maskDigits(s, 0, 4)
	case ClassDateOfBirth:
		return maskDigits(s, 0, 0)
	case ClassIPAddress:
		return maskIP(s)
	case ClassCredential:
		if strings.HasPrefix(s, "-----BEGIN") {
			// A PEM private key is reported on its BEGIN marker, which
			// names the key type and holds no secret. Anything after the
			// marker (a custom rule matching a whole block) is hidden.
			if end := strings.Index(s[5:], "-----"); end >= 0 {
				marker := s[:5+end+5]
				if len(marker) < len(s) {
					return marker + "****"
				}
				return marker
			}
			return "-----BEGIN ****"
		}
		// A prefix that names the kind of token (AKIA, eyJ, ghp_) helps
		// triage and holds no secret; anything else, a password above all,
		// shows nothing.
		for _, p := range tokenPrefixes {
			if strings.HasPrefix(s, p) && len(s) >= len(p)+12 {
				return p + "****"
			}
		}
		return "****"
	case ClassPersonName, ClassPostalAddress, ClassHealth:
		return maskWords(s)
	default:
		return maskGeneric(s)
	}
}

// maskDigits replaces every ASCII digit with '*' except the first keepFirst
// and the last keepLast digits. Separators and other characters are kept.
func maskDigits(s string, keepFirst, keepLast int) string {
	total := 0
	for i := 0; i < len(s); i++ {
		if isDigit(s[i]) {
			total++
		}
	}
	if total == 0 {
		return "****" // nothing of the expected shape: show nothing
	}
	if keepFirst+keepLast >= total {
		// Too short to show anything safely: mask every digit.
		keepFirst, keepLast = 0, 0
	}
	b := []byte(s)
	n := 0
	for i, c := range b {
		if !isDigit(c) {
			continue
		}
		if n >= keepFirst && n < total-keepLast {
			b[i] = '*'
		}
		n++
	}
	return string(b)
}

// countryCodeDigits returns how many digits of a "+CC..." number form its
// country calling code, judged by the separator that follows it.
func countryCodeDigits(s string) int {
	n := 0
	for i := 1; i < len(s) && i <= 4; i++ {
		if !isDigit(s[i]) {
			return n
		}
		n++
	}
	// No separator after the country code (E.164): keep only "+1" or the
	// first digit, which never identifies a person.
	return 1
}

// maskIP keeps the first two IPv4 octets or the first two IPv6 groups.
func maskIP(s string) string {
	if strings.IndexByte(s, ':') >= 0 {
		parts := strings.SplitN(s, ":", 3)
		if len(parts) == 3 && parts[0] != "" && parts[1] != "" {
			return parts[0] + ":" + parts[1] + ":****"
		}
		return "****:****"
	}
	first := strings.IndexByte(s, '.')
	if first < 0 {
		return "*.*.*.*"
	}
	second := strings.IndexByte(s[first+1:], '.')
	if second < 0 {
		return "*.*.*.*"
	}
	return s[:first+1+second] + ".*.*"
}

// maskWords keeps the first character of each word longer than one
// character; a value of one-character words shows nothing.
func maskWords(s string) string {
	long := false
	for _, w := range strings.FieldsFunc(s, isWordSep) {
		long = long || utf8.RuneCountInString(w) > 1
	}
	if !long {
		return "****"
	}
	var b strings.Builder
	b.Grow(len(s))
	start := true
	for _, r := range s {
		switch {
		case isWordSep(r):
			b.WriteRune(r)
			start = true
		case start:
			if isDigit(byte(r)) && r < utf8.RuneSelf {
				b.WriteByte('*')
			} else {
				b.WriteRune(r)
			}
			start = false
		default:
			b.WriteByte('*')
		}
	}
	return b.String()
}

// tokenPrefixes mark generated credentials by their issuer or format.
var tokenPrefixes = []string{
	"AKIA", "ASIA", // AWS access key ids
	"eyJ",                                                 // JWT (base64 of '{"')
	"ghp_", "gho_", "ghu_", "ghs_", "ghr_", "github_pat_", // GitHub
	"glpat-",                           // GitLab
	"xoxb-", "xoxp-", "xoxa-", "xapp-", // Slack
	"sk_live_", "rk_live_", "sk_test_", // Stripe
	"AIza", // Google API keys
	"SG.",  // SendGrid
}

func isWordSep(r rune) bool { return r == ' ' || r == '\t' || r == ',' || r == '-' || r == '/' }

// maskGeneric keeps the first and last character of longer values.
func maskGeneric(s string) string {
	if utf8.RuneCountInString(s) < 6 {
		return "****"
	}
	first, _ := utf8.DecodeRuneInString(s)
	last, _ := utf8.DecodeLastRuneInString(s)
	return string(first) + "***" + string(last)
}

func isDigit(c byte) bool { return c >= '0' && c <= '9' }

// Redaction returns what replaces a value when a file is redacted: the
// class and, where it helps to tell values apart without revealing them,
// the last four digits of a number or the domain of an email:
// [credit_card:…1111], [email:…@example.com], [credential].
func Redaction(class string, raw []byte) string {
	s := string(raw)
	switch class {
	case ClassCreditCard, ClassPhoneNumber, ClassUSSSN:
		var digits []byte
		for i := 0; i < len(s); i++ {
			if isDigit(s[i]) {
				digits = append(digits, s[i])
			}
		}
		if len(digits) >= 8 {
			return "[" + class + ":…" + string(digits[len(digits)-4:]) + "]"
		}
	case ClassEmail:
		if at := strings.LastIndexByte(s, '@'); at > 0 {
			return "[email:…" + s[at:] + "]"
		}
		if at := strings.Index(s, "%40"); at > 0 {
			return "[email:…@" + s[at+3:] + "]"
		}
	}
	return "[" + class + "]"
}
