package detect

import (
	"bytes"
	"net/netip"
	"slices"
	"testing"

	"github.com/piiscan/piiscan/finding"
	"github.com/piiscan/piiscan/scanners/detect/catalog"
)

var fuzzSeeds = []string{
	"contact alice.smith+tag@example.com now",
	"GET /account?email=alice.smith%40example.com&x=1",
	"card=4111111111111111 and 4111 1111 1111 1111 and 3782 822463 10005",
	"tel (415) 555-2671. +1 415 555 2671, +44 20 7946 0958, 1-800-555-0199",
	"ssn 123-45-6788 ok 666-12-3456",
	"src=2001:0db8:85a3::8a2e:0370:7334 [::1]:53 ::ffff:192.0.2.128 fe80::1%eth0 10.1.2.3:8080",
	`{"password":"hunter22","first_name":"Alice","dob":"1990-04-23","address":"221B Baker Street"}`,
	"Authorization: Bearer eyJhbGciOiJIUzI1NiJ9.e30.sig_123 Basic dXNlcjpwYXNzd29yZA==",
	"dsn=postgres://app:s3cr3t@db.example.com:5432/app AKIAIOSFODNN7EXAMPLE",
	"-----BEGIN RSA PRIVATE KEY-----\nMIIE\n-----END RSA PRIVATE KEY-----",
	"patient diagnosed with type 2 diabetes, metformin 500 mg, dx: E11.9, HIV positive",
	`{"msg":"{\"password\":\"p4ss\"}"}`,
	"Served block blk_-4980916519894289629 to /10.250.10.100 token=Token{a64f992",
	"\xff\xfe@\x00:=-%40\n\n::\n...@..\n",
	`1,4539148803436467,"0,4539 1488 0343 6467",(0,4539148803436467) [0,5555555555554444],12:30:05,378282246310005`,
}

// FuzzScan checks what must hold for any input: matches are sorted, in
// bounds, one per span, valid for their class, and detection is line-local
// (scanning a text finds exactly what scanning each of its lines finds).
// Private keys are the exception: whether a BEGIN marker is a key depends on
// the lines after it. A marker alone on its line is open (its body may
// follow), so line by line finds every key of the whole text, and more; and
// the whole text has one key per block, not one per marker.
func FuzzScan(f *testing.F) {
	for _, s := range fuzzSeeds {
		f.Add([]byte(s))
	}
	e := allBuiltins(f)
	whole := e.NewMatcher()
	lines := e.NewMatcher()
	f.Fuzz(func(t *testing.T, data []byte) {
		ms := slices.Clone(whole.Scan(data, nil))
		for i, m := range ms {
			if m.Start < 0 || m.End > len(data) || m.Start >= m.End {
				t.Fatalf("match %d out of bounds: %+v (len %d)", i, m, len(data))
			}
			if i > 0 && (ms[i-1].Start > m.Start || ms[i-1].Start == m.Start && ms[i-1].End == m.End) {
				t.Fatalf("matches %d and %d out of order or duplicated: %+v %+v", i-1, i, ms[i-1], m)
			}
			if bytes.IndexByte(data[m.Start:m.End], '\n') >= 0 && e.rules[m.Rule].Detector != catalog.PrivateKey {
				t.Fatalf("match %q spans a line break", data[m.Start:m.End])
			}
			checkValid(t, e.rules[m.Rule], data[m.Start:m.End])
		}
		var per []Match
		off := 0
		for _, line := range bytes.SplitAfter(data, []byte("\n")) {
			for _, m := range lines.Scan(line, nil) {
				m.Start += off
				m.End += off
				per = append(per, m)
			}
			off += len(line)
		}
		isKey := func(m Match) bool { return e.rules[m.Rule].Detector == catalog.PrivateKey }
		var keys []Match
		for _, m := range ms {
			if !isKey(m) {
				continue
			}
			if !slices.Contains(per, m) {
				t.Fatalf("key %q of the whole text not found line by line", data[m.Start:m.End])
			}
			if k := len(keys) - 1; k >= 0 {
				if end, _ := PrivateKeyBlockEnd(data, keys[k].Start, keys[k].End); m.Start < end {
					t.Fatalf("key %q inside the block %q", data[m.Start:m.End], data[keys[k].Start:end])
				}
			}
			keys = append(keys, m)
		}
		ms, per = slices.DeleteFunc(ms, isKey), slices.DeleteFunc(per, isKey)
		if !slices.Equal(ms, per) {
			t.Fatalf("scanning the whole text found\n%v\nscanning line by line found\n%v", ms, per)
		}
	})
}

// checkValid re-checks a match with the validators, independently of how
// the detector found it.
func checkValid(t *testing.T, r Rule, v []byte) {
	t.Helper()
	switch r.Class {
	case finding.ClassEmail:
		if !validEmail(bytes.Replace(v, []byte("%40"), []byte("@"), 1)) {
			t.Fatalf("invalid email %q", v)
		}
	case finding.ClassCreditCard:
		d := digitsOf(v, nil)
		if !luhnDigits(d) || cardBrand(d) == "" {
			t.Fatalf("invalid card %q", v)
		}
	case finding.ClassUSSSN:
		if !validSSNText(v) {
			t.Fatalf("invalid SSN %q", v)
		}
	case finding.ClassIPAddress:
		if _, err := netip.ParseAddr(string(v)); err != nil {
			t.Fatalf("invalid IP %q: %v", v, err)
		}
	case finding.ClassPhoneNumber:
		if normalizePhone(v, "US") == "" && !validNationalSomewhere(v) {
			t.Fatalf("invalid phone %q", v)
		}
	}
}

// FuzzHeaderColumns checks that any header and any body can be scanned as
// a delimited file.
func FuzzHeaderColumns(f *testing.F) {
	f.Add([]byte("id,first_name,dob,email\n1,Alice,1990-04-23,a@example.com\n"), byte(0))
	f.Add([]byte("a\tb\n\"x\ty\"\t\n"), byte('\t'))
	e := allBuiltins(f)
	s := e.NewMatcher()
	f.Fuzz(func(t *testing.T, data []byte, delim byte) {
		header, _, _ := bytes.Cut(data, []byte("\n"))
		cols := HeaderColumns(header, delim)
		if cols == nil {
			return
		}
		cols.SkipFirstLine = true
		for _, m := range s.Scan(data, cols) {
			if m.Start < 0 || m.End > len(data) || m.Start > m.End {
				t.Fatalf("match out of bounds: %+v", m)
			}
		}
	})
}

// FuzzDetector runs one built-in detector at a time (chosen by the first
// byte), so each detector's parser meets inputs no other detector claims
// first.
func FuzzDetector(f *testing.F) {
	for i, s := range fuzzSeeds {
		f.Add(byte(i), []byte(s))
	}
	var engines []*Engine
	for _, b := range catalog.Detectors() {
		e, err := New([]Rule{{ID: b.Name, Detector: b.Name, Severity: finding.SeverityLow}}, Options{})
		if err != nil {
			f.Fatal(err)
		}
		engines = append(engines, e)
	}
	f.Fuzz(func(t *testing.T, which byte, data []byte) {
		e := engines[int(which)%len(engines)]
		prev := -1
		for _, m := range e.NewMatcher().Scan(data, nil) {
			if m.Start < 0 || m.End > len(data) || m.Start >= m.End || m.Start < prev {
				t.Fatalf("%s: bad match %+v (len %d)", e.rules[0].ID, m, len(data))
			}
			prev = m.Start
			checkValid(t, e.rules[m.Rule], data[m.Start:m.End])
		}
	})
}
