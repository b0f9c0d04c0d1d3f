package retention

import (
	"bytes"
	"errors"
	"fmt"
	"net/netip"
	"strings"

	"github.com/piiscan/piiscan/finding"
	"github.com/piiscan/piiscan/scanners/detect"
	"github.com/piiscan/piiscan/scanners/detect/catalog"
)

// subjectClasses maps the names accepted by --subject to classes.
var subjectClasses = map[string]string{
	"email": finding.ClassEmail, "phone": finding.ClassPhoneNumber, "phone_number": finding.ClassPhoneNumber,
	"ssn": finding.ClassUSSSN, "us_ssn": finding.ClassUSSSN, "card": finding.ClassCreditCard,
	"credit_card": finding.ClassCreditCard, "ip": finding.ClassIPAddress, "ip_address": finding.ClassIPAddress,
}

// ErrSubjectSyntax says a subject is not KIND=VALUE with a known KIND.
var ErrSubjectSyntax = errors.New("want KIND=VALUE with KIND one of email, phone, ssn, card, ip")

// ParseSubject reads "kind=value" (email=alice@example.com,
// phone=+14155552671, ssn=..., card=..., ip=...).
//
// The value must be one detection would report as a value of its class:
// it passes the checks detection applies to what it finds (the SSN's area,
// group and serial rules, the Luhn check and a card brand's ranges, IP
// address parsing, the shape of an email address and its known top-level
// domain, a phone number valid by libphonenumber's metadata), in a written
// form detection reads. A mistyped subject could never be found: an
// erasure that searched for it would report "nothing found, complete"
// while the person's data stays. The error says what is wrong and never
// repeats the value (it is a person's data; errors end up in terminals, CI
// logs and tickets).
func ParseSubject(s, region string, fp *finding.Fingerprinter) (Subject, error) {
	kind, value, ok := strings.Cut(s, "=")
	class := subjectClasses[strings.ToLower(strings.TrimSpace(kind))]
	value = strings.TrimSpace(value)
	if !ok || class == "" || value == "" {
		return Subject{}, ErrSubjectSyntax
	}
	if err := checkSubject(class, []byte(value), region); err != nil {
		return Subject{}, err
	}
	norm := detect.Normalize(class, []byte(value), region)
	return Subject{Class: class, Norm: norm, Fingerprint: fp.Sum(class, norm), Masked: finding.Mask(class, []byte(value))}, nil
}

// checkSubject reports what is wrong with v as a value of class, in words
// that do not repeat it, or nil when detection would report it.
func checkSubject(class string, v []byte, region string) error {
	switch class {
	case finding.ClassEmail:
		return checkEmail(detect.Normalize(class, v, region))
	case finding.ClassPhoneNumber:
		const want = "not a valid phone number (give it with its country code, +1...)"
		for i, c := range v {
			if !isDigit(c) && !strings.ContainsRune(" -.()", rune(c)) && !(c == '+' && i == 0) {
				return fmt.Errorf("%s: only digits, a leading '+', spaces, '-', '.' and parentheses may be in it", want)
			}
		}
		// Normalize gives the E.164 form only for a number valid by the
		// metadata the phone detector checks every candidate with.
		if !bytes.HasPrefix(detect.Normalize(class, v, region), []byte("+")) {
			return errors.New(want)
		}
	case finding.ClassUSSSN:
		return checkSSN(v)
	case finding.ClassCreditCard:
		return checkCard(v)
	case finding.ClassIPAddress:
		return checkIP(v)
	}
	return nil
}

func isDigit(c byte) bool { return c >= '0' && c <= '9' }

// checkEmail checks an address (lower case, "%40" decoded) as the email
// detector reads one: a dot-atom local part of at most 64 characters, and
// a domain of at least two labels whose top-level domain exists.
func checkEmail(v []byte) error {
	const want = "not a valid email address (want LOCAL@DOMAIN"
	at := bytes.LastIndexByte(v, '@')
	if at < 0 {
		return errors.New(want + ": it has no '@')")
	}
	local := v[:at]
	switch {
	case len(local) == 0:
		return errors.New(want + ": nothing before the '@')")
	case at == len(v)-1:
		return errors.New(want + ": nothing after the '@')")
	case bytes.IndexByte(local, '%') >= 0, bytes.Contains(local, []byte("..")),
		strings.IndexByte(".-+", local[0]) >= 0, local[len(local)-1] == '.':
		return errors.New(want + ": its local part is not one detection reads: no '%', no '..', not starting with '.', '-' or '+' nor ending with '.')")
	case !detect.Validators["email"](v):
		return errors.New(want + ": letters, digits and ._%+- before the '@', and a domain with a known top-level domain after it)")
	}
	return nil
}

// checkSSN checks a US Social Security number written NNN-NN-NNNN,
// NNN NN NNNN or as nine digits, by the Social Security Administration's
// rules (detect.Validators["us_ssn"]).
func checkSSN(v []byte) error {
	d := make([]byte, 0, 9)
	var seps []byte
	for i, c := range v {
		switch {
		case isDigit(c):
			d = append(d, c)
		case (c == '-' || c == ' ') && (len(d) == 3 || len(d) == 5) && i > 0 && isDigit(v[i-1]):
			seps = append(seps, c)
		default:
			return errors.New("not an SSN: want NNN-NN-NNNN (or its nine digits alone)")
		}
	}
	if len(d) != 9 || len(seps) == 1 || len(seps) == 2 && seps[0] != seps[1] {
		return errors.New("not an SSN: want NNN-NN-NNNN (or its nine digits alone)")
	}
	if !detect.Validators["us_ssn"](d) {
		switch a := string(d[:3]); {
		case a == "000" || a == "666" || a[0] == '9':
			return errors.New("not a valid SSN: no SSN has that area number (000, 666 and 900-999 are never issued)")
		case string(d[3:5]) == "00":
			return errors.New("not a valid SSN: no SSN has the group number 00")
		case string(d[5:]) == "0000":
			return errors.New("not a valid SSN: no SSN has the serial number 0000")
		}
		return errors.New("not a valid SSN: it is a published number known to be invalid")
	}
	return nil
}

// checkCard checks a payment card number: 13 to 19 digits, in groups
// separated by single spaces or dashes or none, that pass the Luhn check
// and fit a card brand's issuer ranges and lengths
// (detect.Validators["credit_card"]).
func checkCard(v []byte) error {
	d := make([]byte, 0, 19)
	for i, c := range v {
		switch {
		case isDigit(c):
			d = append(d, c)
		case (c == ' ' || c == '-') && i > 0 && isDigit(v[i-1]) && i+1 < len(v) && isDigit(v[i+1]):
		default:
			return errors.New("not a card number: only digits, in groups separated by single spaces or dashes, may be in it")
		}
	}
	switch {
	case len(d) < 13 || len(d) > 19:
		return fmt.Errorf("not a card number: it has %d digits, card numbers have 13 to 19", len(d))
	case !detect.Validators["luhn"](d):
		return errors.New("not a valid card number: it fails the Luhn check (a digit mistyped?)")
	case !detect.Validators["credit_card"](d):
		return errors.New("not a valid card number: no card brand issues numbers with its prefix and length")
	}
	return nil
}

// checkIP checks an IPv4 or IPv6 address as detection reports one: IPv4
// in dotted-quad form without leading zeros, IPv6 without a zone, and no
// netmask or broadcast address (255.x.x.x), which detection leaves alone.
func checkIP(v []byte) error {
	if !detect.Validators["ip"](v) {
		return errors.New("not a valid IP address (want an IPv4 address as 192.0.2.1, or an IPv6 address)")
	}
	a := netip.MustParseAddr(string(v))
	switch {
	case a.Zone() != "":
		return errors.New("not an IP address detection reports: give it without its zone (%...)")
	case a.Is4() && a.As4()[0] == 255:
		return errors.New("not an IP address detection reports: 255.x.x.x are netmasks and broadcast addresses, not hosts")
	}
	return nil
}

// Detectable returns an error when none of rules reports the subject's
// values: a built-in detector of its class (for an IP address, of its
// family) or a pattern rule of its class. Without one, an erasure would
// search for the subject, find nothing, and look complete.
func (s Subject) Detectable(rules []detect.Rule) error {
	want := map[string]string{
		finding.ClassEmail: catalog.Email, finding.ClassPhoneNumber: catalog.PhoneNumber,
		finding.ClassUSSSN: catalog.USSSN, finding.ClassCreditCard: catalog.CreditCard,
		finding.ClassIPAddress: catalog.IPv4,
	}[s.Class]
	if s.Class == finding.ClassIPAddress && bytes.IndexByte(s.Norm, ':') >= 0 {
		want = catalog.IPv6
	}
	for _, r := range rules {
		if r.Class == s.Class && (r.Pattern != "" || r.Detector == want) {
			return nil
		}
	}
	return fmt.Errorf("the policy has no rule that finds %s values (detector: %s): add one to rules.yaml, or the erasure cannot find them", s.Class, want)
}
