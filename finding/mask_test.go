package finding

import (
	"strings"
	"testing"
)

func TestMask(t *testing.T) {
	tests := []struct {
		class, raw, want string
	}{
		// email: first character of the local part and the domain.
		{ClassEmail, "alice@example.com", "a***@example.com"},
		{ClassEmail, "alice%40example.com", "a***@example.com"}, // URL-encoded
		{ClassEmail, "bob.smith+tag@mail.example.co.uk", "b***@mail.example.co.uk"},
		{ClassEmail, "\"a@b\"@example.com", "\"***@example.com"},       // last '@' wins
		{ClassEmail, "élise@example.fr", "é***@example.fr"},            // first rune, not byte
		{ClassEmail, "\xffalice@example.com", "\uFFFD***@example.com"}, // invalid UTF-8
		{ClassEmail, "@example.com", "***"},
		{ClassEmail, "alice", "***"},

		// credit_card: first 4 and last 4 digits, separators kept.
		{ClassCreditCard, "4111111111111111", "4111********1111"},
		{ClassCreditCard, "4111 1111 1111 1111", "4111 **** **** 1111"},
		{ClassCreditCard, "4111-1111-1111-1111", "4111-****-****-1111"},
		{ClassCreditCard, "378282246310005", "3782*******0005"},
		{ClassCreditCard, "12345678", "********"}, // too short to keep anything

		// phone_number: country code after '+', last 4 digits.
		{ClassPhoneNumber, "+1 415 555 2671", "+1 *** *** 2671"},
		{ClassPhoneNumber, "+1 (415) 555-2671", "+1 (***) ***-2671"},
		{ClassPhoneNumber, "(415) 555-2671", "(***) ***-2671"},
		{ClassPhoneNumber, "415.555.2671", "***.***.2671"},
		{ClassPhoneNumber, "+14155552671", "+1******2671"},   // E.164: first digit only
		{ClassPhoneNumber, "+442079460958", "+4*******0958"}, // E.164: first digit only
		{ClassPhoneNumber, "+44 20 7946 0958", "+44 ** **** 0958"},
		{ClassPhoneNumber, "+353-1-234-5678", "+353-*-***-5678"},
		{ClassPhoneNumber, "+1 4155", "+* ****"}, // too short: every digit masked

		// us_ssn: last 4 digits.
		{ClassUSSSN, "123-45-6789", "***-**-6789"},
		{ClassUSSSN, "123456789", "*****6789"},

		// date_of_birth: every digit.
		{ClassDateOfBirth, "1985-03-14", "****-**-**"},
		{ClassDateOfBirth, "03/14/1985", "**/**/****"},
		{ClassDateOfBirth, "March 14, 1985", "March **, ****"},

		// ip_address: first two IPv4 octets or IPv6 groups.
		{ClassIPAddress, "192.168.1.23", "192.168.*.*"},
		{ClassIPAddress, "10.0.0.1", "10.0.*.*"},
		{ClassIPAddress, "2001:db8:85a3::8a2e:370:7334", "2001:db8:****"},
		{ClassIPAddress, "2001:db8::1", "2001:db8:****"},
		{ClassIPAddress, "fe80::1", "****:****"},
		{ClassIPAddress, "::1", "****:****"},
		{ClassIPAddress, "::ffff:192.0.2.1", "****:****"},
		{ClassIPAddress, "not-an-ip", "*.*.*.*"},
		{ClassIPAddress, "1.2", "*.*.*.*"},
		{ClassIPAddress, "", "*.*.*.*"},

		// credential: nothing for short values, first 4 bytes of long ones.
		{ClassCredential, "hunter2", "****"},
		{ClassCredential, "abcdefghijklmno", "****"},              // 15 bytes
		{ClassCredential, "abcdefghijklmnop", "****"},             // a long password shows nothing
		{ClassCredential, "correct-horse-battery-staple", "****"}, // nor does a passphrase
		{ClassCredential, "eyJhbGciOiJIUzI1NiJ9.e30.sig", "eyJ****"},
		{ClassCredential, "ghp_0123456789abcdefghijklmnopqrstuv", "ghp_****"},
		{ClassCredential, "ghp_short", "****"},
		{ClassCredential, "AKIAIOSFODNN7EXAMPLE", "AKIA****"},
		{ClassCredential, "-----BEGIN RSA PRIVATE KEY-----", "-----BEGIN RSA PRIVATE KEY-----"},
		{ClassCredential, "-----BEGIN OPENSSH PRIVATE KEY-----", "-----BEGIN OPENSSH PRIVATE KEY-----"},

		// person_name, postal_address, health: first character of each word.
		{ClassPersonName, "Alice Smith", "A**** S****"},
		{ClassPersonName, "Jean-Luc O'Neil", "J***-L** O*****"},
		{ClassPersonName, "Zoë Ångström", "Z** Å*******"},
		{ClassPostalAddress, "221B Baker Street, London NW1 6XE", "**** B**** S*****, L***** N** ***"},
		{ClassPostalAddress, "1600 Amphitheatre Pkwy\tMountain View/CA", "**** A*********** P***\tM******* V***/C*"},
		{ClassHealth, "type 2 diabetes", "t*** * d*******"},
		{ClassHealth, "E11.9", "E****"},
		{ClassHealth, "metformin 500 mg", "m******** *** m*"},

		// other classes: first and last character of values of 6+ runes.
		{"employee_id", "EMP-123456", "E***6"},
		{"employee_id", "ñandú-7", "ñ***7"},
		{"employee_id", "12345", "****"},
		{"employee_id", "", "****"},
	}
	for _, tt := range tests {
		if got := Mask(tt.class, []byte(tt.raw)); got != tt.want {
			t.Errorf("Mask(%q, %q) = %q, want %q", tt.class, tt.raw, got, tt.want)
		}
	}
}

// TestMaskNeverReturnsRaw checks the promise of Mask's documentation: for
// any class the display form differs from the value. The only exception is
// a PEM BEGIN marker, which names the key type and holds no secret.
func TestMaskNeverReturnsRaw(t *testing.T) {
	values := map[string][]string{
		ClassEmail:         {"alice@example.com", "a@b.co", "alice%40example.com", "x@y", "élise@example.fr"},
		ClassIPAddress:     {"192.168.1.23", "8.8.8.8", "1.2.3.4", "2001:db8::1", "::1", "fe80::1%eth0", "::ffff:10.0.0.1"},
		ClassCreditCard:    {"4111111111111111", "4111 1111 1111 1111", "5500-0000-0000-0004", "378282246310005"},
		ClassPhoneNumber:   {"+14155552671", "+1 415 555 2671", "(415) 555-2671", "+44 20 7946 0958", "4155552671", "+1 4155"},
		ClassUSSSN:         {"123-45-6789", "123456789", "078 05 1120"},
		ClassHealth:        {"diabetes", "E11.9", "HIV", "metformin 500 mg", "type 2 diabetes", "F32"},
		ClassCredential:    {"hunter2", "s3cr3t", "abcdefghijklmnop", "AKIAIOSFODNN7EXAMPLE", "dXNlcjpwYXNz", "Zm9vOmJhcg==", "x"},
		ClassPersonName:    {"Alice Smith", "Li", "Zoë", "O'Neil", "Jean-Luc Picard"},
		ClassPostalAddress: {"221B Baker Street", "1 Main St", "Apt 4, 12 Rue de Rivoli, Paris"},
		ClassDateOfBirth:   {"1985-03-14", "14/03/1985", "19850314", "March 14, 1985", "14 Mar 1985"},
		"employee_id":      {"EMP-123456", "12345", "abcdef", "ñandú-7", "\xff\xfeab"},
	}
	// The values each class's detectors report.
	for class, vs := range values {
		for _, raw := range vs {
			if got := Mask(class, []byte(raw)); got == raw {
				t.Errorf("Mask(%q, %q) = %q: returns the raw value", class, raw, got)
			}
		}
	}
	// Custom rules may give any class to any pattern, so every class must
	// also hold on the values of every other class.
	var all []string
	for _, vs := range values {
		all = append(all, vs...)
	}
	for class := range values {
		for _, raw := range all {
			if got := Mask(class, []byte(raw)); got == raw {
				t.Errorf("Mask(%q, %q) = %q: returns the raw value", class, raw, got)
			}
		}
	}
	for _, raw := range []string{"-----BEGIN RSA PRIVATE KEY-----", "-----BEGIN PRIVATE KEY-----"} {
		if got := Mask(ClassCredential, []byte(raw)); got != raw {
			t.Errorf("Mask(credential, %q) = %q, want the marker unchanged", raw, got)
		}
	}
}

// TestMaskHidesSecretPart checks, per class, that the part of the value
// Mask must hide does not appear in its output.
func TestMaskHidesSecretPart(t *testing.T) {
	tests := []struct {
		class, raw, hidden string
	}{
		{ClassEmail, "alice@example.com", "alice"},
		{ClassEmail, "alice%40example.com", "alice"},
		{ClassCreditCard, "4111 1111 1234 5678", "1111 1234"},
		{ClassCreditCard, "4111111112345678", "11111234"},
		{ClassPhoneNumber, "+1 415 555 2671", "415 555"},
		{ClassPhoneNumber, "+14155552671", "415555"},
		{ClassUSSSN, "123-45-6789", "123-45"},
		{ClassDateOfBirth, "1985-03-14", "1985"},
		{ClassIPAddress, "192.168.77.23", "77.23"},
		{ClassIPAddress, "2001:db8:85a3::8a2e", "85a3"},
		{ClassCredential, "hunter2", "hunter"},
		{ClassCredential, "abcdefghijklmnopqrstuvwxyz", "efgh"},
		{ClassPersonName, "Alice Smith", "lice"},
		{ClassPostalAddress, "221B Baker Street", "221"},
		{ClassHealth, "diabetes", "iabetes"},
		{"employee_id", "EMP-123456", "123456"},
	}
	for _, tt := range tests {
		if got := Mask(tt.class, []byte(tt.raw)); strings.Contains(got, tt.hidden) {
			t.Errorf("Mask(%q, %q) = %q: shows %q", tt.class, tt.raw, got, tt.hidden)
		}
	}
}

func TestBuiltinClasses(t *testing.T) {
	got := BuiltinClasses()
	want := []string{"email", "ip_address", "credit_card", "phone_number", "us_ssn",
		"health", "credential", "person_name", "postal_address", "date_of_birth"}
	if strings.Join(got, ",") != strings.Join(want, ",") {
		t.Errorf("BuiltinClasses() = %q, want %q", got, want)
	}
}
