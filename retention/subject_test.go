package retention

import (
	"errors"
	"strings"
	"testing"

	"github.com/piiscan/piiscan/finding"
	"github.com/piiscan/piiscan/scanners/detect"
	"github.com/piiscan/piiscan/scanners/detect/catalog"
)

// A subject detection could never report is refused, with a reason that
// does not repeat it: an erasure that searched for a mistyped value would
// report "nothing found, complete" while the person's data stays.
func TestParseSubjectRefusesValuesDetectionWouldNotReport(t *testing.T) {
	fp := finding.NewFingerprinter([]byte("5c1e0a9d3b7f4286e1d0c5a7b92f38e4"))
	valid := []struct{ subject, norm, masked string }{
		{"email=alice@example.com", "alice@example.com", "a***@example.com"},
		{"Email = Alice%40Example.COM", "alice@example.com", ""},
		{"phone=+1 (415) 555-2671", "+14155552671", ""},
		{"phone=+14155552671", "+14155552671", ""},
		{"phone=(415) 555-2671", "+14155552671", ""},
		{"phone=415.555.2671", "+14155552671", ""},
		{"phone_number=+44 20 7946 0958", "+442079460958", ""},
		{"ssn=123-45-8451", "123458451", "***-**-8451"},
		{"us_ssn=123458451", "123458451", ""},
		{"ssn=123 45 8451", "123458451", ""},
		{"card=4111111111111111", "4111111111111111", ""},
		{"card=4111 1111 1111 1111", "4111111111111111", ""},
		{"credit_card=4111-1111-1111-1111", "4111111111111111", ""},
		{"card=378282246310005", "378282246310005", ""},
		{"ip=10.0.0.1", "10.0.0.1", ""},
		{"ip_address=2001:DB8::1", "2001:db8::1", ""},
		{"ip=::ffff:10.0.0.1", "::ffff:10.0.0.1", ""},
	}
	for _, tt := range valid {
		s, err := ParseSubject(tt.subject, "US", fp)
		if err != nil {
			t.Errorf("%q: %v", tt.subject, err)
			continue
		}
		if tt.norm != "" && string(s.Norm) != tt.norm {
			t.Errorf("%q: normalised %q, want %q", tt.subject, s.Norm, tt.norm)
		}
		if tt.masked != "" && s.Masked != tt.masked {
			t.Errorf("%q: masked %q, want %q", tt.subject, s.Masked, tt.masked)
		}
	}
	invalid := []struct{ subject, want string }{
		{"ssn=123-45-845", "not an SSN"},
		{"SSN=123-45-8451x", "not an SSN"},
		{"ssn=123-45-84511", "not an SSN"},
		{"ssn=123-458451", "not an SSN"},
		{"ssn=123-45 8451", "not an SSN"},
		{"ssn=-123-45-8451", "not an SSN"},
		{"ssn=000-12-3456", "area number"},
		{"ssn=912-12-3456", "area number"},
		{"ssn=123-00-4567", "group number"},
		{"ssn=123-45-0000", "serial number"},
		{"ssn=078-05-1120", "published"},
		{"card=4111111111111112", "Luhn"},
		{"card=4111 1111 1111 1111x", "only digits"},
		{"card=4111  1111 1111 1111", "only digits"},
		{"card=4111-1111-1111-", "only digits"},
		{"card=411111111111", "12 digits"},
		{"card=1000000000000008", "card brand"},
		{"ip=10.0.0.999", "not a valid IP address"},
		{"ip=10.0.0", "not a valid IP address"},
		{"ip=010.0.0.1", "not a valid IP address"},
		{"ip=10.0.0.1x", "not a valid IP address"},
		{"ip=fe80::1%eth0", "zone"},
		{"ip=255.255.255.0", "netmask"},
		{"email=alice@", "nothing after"},
		{"email=alice", "no '@'"},
		{"email=@example.com", "nothing before"},
		{"email=alice@example", "not a valid email address"},
		{"email=alice@example.nosuchtld", "not a valid email address"},
		{"email=alice smith@example.com", "not a valid email address"},
		{"email=.alice@example.com", "local part"},
		{"email=al..ice@example.com", "local part"},
		{"email=alice.@example.com", "local part"},
		{"phone=12", "not a valid phone number"},
		{"phone=+1 415 555 2671 x5", "only digits"},
		{"phone=+1 415 555 267", "not a valid phone number"},
		{"phone=4+15 555 2671", "only digits"},
		{"mail=alice@example.com", "want KIND=VALUE"},
		{"email=", "want KIND=VALUE"},
		{"alice@example.com", "want KIND=VALUE"},
	}
	for _, tt := range invalid {
		_, err := ParseSubject(tt.subject, "US", fp)
		if err == nil {
			t.Errorf("%q: accepted", tt.subject)
			continue
		}
		if !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%q: %v; want %q", tt.subject, err, tt.want)
		}
		_, value, _ := strings.Cut(tt.subject, "=")
		if value = strings.TrimSpace(value); len(value) >= 3 && strings.Contains(err.Error(), value) {
			t.Errorf("%q: the error repeats the value: %v", tt.subject, err)
		}
	}
	if _, err := ParseSubject("=x", "US", fp); !errors.Is(err, ErrSubjectSyntax) {
		t.Errorf("no kind: %v, want ErrSubjectSyntax", err)
	}
}

func TestSubjectDetectable(t *testing.T) {
	fp := finding.NewFingerprinter([]byte("5c1e0a9d3b7f4286e1d0c5a7b92f38e4"))
	v4 := detect.Rule{ID: "ip", Class: finding.ClassIPAddress, Detector: catalog.IPv4}
	ssnPattern := detect.Rule{ID: "ssn", Class: finding.ClassUSSSN, Pattern: `\d{9}`}
	for _, tt := range []struct {
		subject string
		rules   []detect.Rule
		ok      bool
	}{
		{"ip=192.0.2.1", []detect.Rule{v4}, true},
		{"ip=2001:db8::1", []detect.Rule{v4}, false},
		{"ip=2001:db8::1", []detect.Rule{v4, {Class: finding.ClassIPAddress, Detector: catalog.IPv6}}, true},
		{"ssn=123-45-8451", []detect.Rule{v4}, false},
		{"ssn=123-45-8451", []detect.Rule{v4, ssnPattern}, true},
		{"email=alice@example.com", nil, false},
	} {
		s, err := ParseSubject(tt.subject, "US", fp)
		if err != nil {
			t.Fatal(err)
		}
		if err := s.Detectable(tt.rules); (err == nil) != tt.ok {
			t.Errorf("%s: %v, want ok %v", tt.subject, err, tt.ok)
		}
	}
}
