package detect

import (
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/nyaruka/phonenumbers"

	"github.com/piiscan/piiscan/finding"
	"github.com/piiscan/piiscan/scanners/detect/catalog"
)

// validNationalSomewhere reports whether v is a valid national number of
// some region: a number found in the national format of the country its
// record names.
func validNationalSomewhere(v []byte) bool {
	for r := range phonenumbers.GetSupportedRegions() {
		if normalizePhone(v, r) != "" {
			return true
		}
	}
	return false
}

// An extension belongs to its phone number's span, in the ways people and
// programs write it.
func TestPhoneExtensions(t *testing.T) {
	e := allBuiltins(t)
	tests := []struct {
		name string
		text string
		want []string // rule=exact span; nil means nothing may be found
	}{
		{"x glued", "call (523)222-8888x623 today", []string{"phone_number=(523)222-8888x623"}},
		{"EXT", "523-222-8888 EXT 623", []string{"phone_number=523-222-8888 EXT 623"}},
		{"ext.", "tel +1 212 555 0123 ext. 12", []string{"phone_number=+1 212 555 0123 ext. 12"}},
		{"Ext:", "(212) 555-0123 Ext: 4", []string{"phone_number=(212) 555-0123 Ext: 4"}},
		{"extension", "212.555.0123 extension 4455", []string{"phone_number=212.555.0123 extension 4455"}},
		{"comma ext", "212-555-0123, ext. 77 ok", []string{"phone_number=212-555-0123, ext. 77"}},
		{"x with spaces", "212-555-0123 x 623", []string{"phone_number=212-555-0123 x 623"}},
		{"hash glued", "212-555-0123#123", []string{"phone_number=212-555-0123#123"}},
		{"rfc 3966", "212-555-0123;ext=55", []string{"phone_number=212-555-0123;ext=55"}},
		{"e164 x", "to=+12125550123x9&", []string{"phone_number=+12125550123x9"}},
		{"international ext", "+44 20 7946 0958 ext 12", []string{"phone_number=+44 20 7946 0958 ext 12"}},
		{"international x glued", "+442079460958x12", []string{"phone_number=+442079460958x12"}},

		// Not extensions: the number alone.
		{"hash after a space", "call 212-555-0123 #2 in the queue", []string{"phone_number=212-555-0123"}},
		{"too long", "212.555.0123 x 12345678", []string{"phone_number=212.555.0123"}},
		{"a word", "212-555-0123 extra 12", []string{"phone_number=212-555-0123"}},
		{"x alone", "212-555-0123 x", []string{"phone_number=212-555-0123"}},
		{"x then a dotted number", "212-555-0123 x 1.5", []string{"phone_number=212-555-0123"}},
		{"hex after the number", "(212)555-0123xff", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := found(e, tt.text, nil)
			if strings.Join(got, "|") != strings.Join(tt.want, "|") {
				t.Errorf("Scan(%q)\n got %q\nwant %q", tt.text, got, tt.want)
			}
		})
	}
}

// A dotted number after a version word is a version, not a phone number;
// a phone number written with dashes or parentheses stays one, and so
// does a dotted one after any other word.
func TestPhoneAfterVersionWord(t *testing.T) {
	e := allBuiltins(t)
	tests := []struct {
		name string
		text string
		want []string
	}{
		{"build", "build 415.555.2671 passed", nil},
		{"version", "version 212.555.0100", nil},
		{"Version colon", "Version: 212.555.0100", nil},
		{"v", "v 415.555.2671 and v415.555.2672", nil},
		{"release", "release 415.555.2671", nil},
		{"firmware", "firmware=415.555.2671", nil},
		{"call dashes", "call 415-555-2671 now", []string{"phone_number=415-555-2671"}},
		{"call dots", "call 415.555.2671 now", []string{"phone_number=415.555.2671"}},
		{"release dashes", "release 415-555-2671", []string{"phone_number=415-555-2671"}},
		{"build parens", "build (415) 555-2671", []string{"phone_number=(415) 555-2671"}},
		{"word ending in v", "dev 415.555.2671", []string{"phone_number=415.555.2671"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := found(e, tt.text, nil)
			if strings.Join(got, "|") != strings.Join(tt.want, "|") {
				t.Errorf("Scan(%q)\n got %q\nwant %q", tt.text, got, tt.want)
			}
		})
	}
}

// A number and its extension normalise to the number alone, so that
// fingerprints, allowlists and a data subject's values match either way.
func TestNormalizePhoneExtension(t *testing.T) {
	for _, v := range []string{"(523)222-8888x623", "523-222-8888 EXT 623", "+1 523 222 8888 ext. 1", "523-222-8888#12", "523-222-8888;ext=9"} {
		if got := string(Normalize(finding.ClassPhoneNumber, []byte(v), "US")); got != "+15232228888" {
			t.Errorf("Normalize(%q) = %q, want +15232228888", v, got)
		}
	}
	if !Validators["phone"]([]byte("212-555-0123 x 623")) {
		t.Error("the phone validator rejects a number with an extension")
	}
	if got := string(Normalize(finding.ClassPhoneNumber, []byte("tel:+1-523-222-8888;ext=5"), "US")); got != "+15232228888" {
		t.Errorf("Normalize(tel:+1-523-222-8888;ext=5) = %q", got)
	}
}

// National-format numbers of other countries are found when the record
// names the country (a country field or column, a +CC number on the same
// line); elsewhere they are not phone numbers (a US log is full of
// 0-leading ids).
func TestPhoneCountryFromRecord(t *testing.T) {
	e := allBuiltins(t)
	tests := []struct {
		name string
		text string
		want []string
	}{
		{"country=JP", "country=JP tel=090-1234-5678", []string{"phone_number=090-1234-5678"}},
		{"json country name", `{"country":"Japan","phone":"090-1234-5678"}`, []string{"phone_number=090-1234-5678"}},
		{"json country after the phone", `{"phone":"090-1234-5678","country":"Japan"}`, []string{"phone_number=090-1234-5678"}},
		{"israel", `{"country":"Israel","phone":"09-7625400"}`, []string{"phone_number=09-7625400"}},
		{"alpha-3", "country=ISR tel 09-7625400", []string{"phone_number=09-7625400"}},
		{"camel country code", `billingCountryCode: "IL" phone: 09-7625400`, []string{"phone_number=09-7625400"}},
		{"country_code far into the line", strings.Repeat(`"x":"y",`, 20) + `"country_code":"JP","mobile":"080-9876-5432"`, []string{"phone_number=080-9876-5432"}},
		{"china bare mobile", `{"country":"CN","mobile":"13812345678"}`, []string{"phone_number=13812345678"}},
		{"china spaced", "country=China tel 138 1234 5678", []string{"phone_number=138 1234 5678"}},
		{"japan bare mobile", `{"country":"JP","phone":"09012345678"}`, []string{"phone_number=09012345678"}},
		{"country of two words", "country=United Kingdom&phone=07400 123456", []string{"phone_number=07400 123456"}},
		{"country plus-encoded", "country=United+Kingdom&phone=07400+123456", nil},
		{"+CC elsewhere on the line", "office +81 3-1234-5678, mobile 090-1234-5678", []string{"phone_number=+81 3-1234-5678", "phone_number=090-1234-5678"}},
		{"extension in a national number", "country=JP tel 03-1234-5678 ext. 12", []string{"phone_number=03-1234-5678 ext. 12"}},

		{"pretty-printed json", "{\n  \"name\": \"Aiko\",\n  \"country\": \"JP\",\n  \"phone\": \"090-1234-5678\"\n}", []string{"phone_number=090-1234-5678"}},
		{"pretty-printed json, country after", "[\n  {\n    \"mobile\": \"13812345678\",\n    \"address\": {\n      \"city\": \"Beijing\"\n    },\n    \"country\": \"CN\"\n  }\n]", []string{"phone_number=13812345678"}},
		{"nested address country", "{\n  \"phone\": \"09-7625400\",\n  \"address\": {\n    \"country\": \"Israel\"\n  }\n}", []string{"phone_number=09-7625400"}},
		{"yaml list item", "contacts:\n  - name: Aiko\n    country: JP\n    phone: 090-1234-5678\n", []string{"phone_number=090-1234-5678"}},

		// Hard negatives.
		{"no country", "tel 090-1234-5678", nil},
		{"country of the record before", "[\n  {\n    \"country\": \"JP\"\n  },\n  {\n    \"phone\": \"090-1234-5678\"\n  }\n]", nil},
		{"yaml list item before", "contacts:\n  - name: Aiko\n    country: JP\n  - name: Bo\n    phone: 090-1234-5678\n", nil},
		{"log lines", "2026-01-01 country=JP\n2026-01-01 tel 090-1234-5678", nil},
		{"version strings", "Windows 10.0.19045.3803 build 0.9.12345678 openssl 1.1.1w rev 01.2345.6789", nil},
		{"bare without a country", "id 13812345678", nil},
		{"country on another line", "country=JP\ntel 090-1234-5678", nil},
		{"bare landline", `{"country":"JP","phone":"0312345678"}`, nil},
		{"date in a JP record", "country=JP date=2026-11-30 at 30-11-2026", nil},
		{"date with a zero", "country=JP 03-12-2024", nil},
		{"version string", "country=JP version 0.9.1234.5678 go1.26.8 v10.0.19041.1", nil},
		{"isbn", "country=JP ISBN 0-306-40615-2", nil},
		{"iban", "country=DE iban DE89 3704 0044 0532 0130 00", nil},
		{"timezone is no country code", "country=xx [10/Oct/2024:13:55:36 +0900] 090-1234-5678", nil},
		{"invalid in the country", "country=IL tel 09-1234", nil},
		{"unknown country name", "country=Atlantis tel 090-1234-5678", nil},
		{"bare id in a CN record", `{"country":"CN","order":"12345678901"}`, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := found(e, tt.text, nil)
			if strings.Join(got, "|") != strings.Join(tt.want, "|") {
				t.Errorf("Scan(%q)\n got %q\nwant %q", tt.text, got, tt.want)
			}
		})
	}
}

// The country column of a CSV export gives each row's phone numbers their
// region.
func TestPhoneCountryColumn(t *testing.T) {
	e := allBuiltins(t)
	csv := "name,phone,country\n" +
		"Taro,090-1234-5678,JP\n" +
		"Avi,09-7625400,Israel\n" +
		"Li,13812345678,CN\n" +
		"Bob,(212) 555-0123,US\n" +
		"Ann,090-1234-5678,US\n"
	cols := HeaderColumns([]byte(csv[:strings.IndexByte(csv, '\n')]), 0)
	cols.SkipFirstLine = true
	got := found(e, csv, cols)
	want := []string{"phone_number=090-1234-5678", "phone_number=09-7625400", "phone_number=13812345678", "phone_number=(212) 555-0123"}
	if strings.Join(got, "|") != strings.Join(want, "|") {
		t.Errorf("got  %q\nwant %q", got, want)
	}
	// A country column alone makes a header worth reading.
	if c := HeaderColumns([]byte("id,amount,billing_country"), 0); c == nil || c.country != 3 {
		t.Errorf("HeaderColumns(id,amount,billing_country) = %+v", c)
	}
}

// detection.regions: national numbers of the listed regions are found
// everywhere in their written forms, besides the default region's; bare
// digit runs still need their record's country.
func TestPhoneRegions(t *testing.T) {
	e, err := New([]Rule{{ID: "p", Detector: catalog.PhoneNumber, Severity: finding.SeverityLow}}, Options{Regions: []string{"jp", "IL", "US"}})
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		text string
		want []string
	}{
		{"tel 090-1234-5678", []string{"p=090-1234-5678"}},
		{"tel 09-7625400", []string{"p=09-7625400"}},
		{"call 415-555-2671", []string{"p=415-555-2671"}},
		{"(03) 1234-5678", []string{"p=(03) 1234-5678"}},
		{"09012345678", nil},
		{"2026-11-30 and 30-11-2026", nil},
		{"v1.2.3 0.5 01:02:03", nil},
		{"tel 138 1234 5678", nil}, // CN is not listed
	}
	for _, tt := range tests {
		if got := found(e, tt.text, nil); strings.Join(got, "|") != strings.Join(tt.want, "|") {
			t.Errorf("Scan(%q)\n got %q\nwant %q", tt.text, got, tt.want)
		}
	}
}

func TestCountryRegion(t *testing.T) {
	for in, want := range map[string]string{
		"JP": "JP", "jp": "JP", "JPN": "JP", "Japan": "JP", "israel": "IL", "United Kingdom": "GB", "UK": "GB",
		"united-states": "US", "USA": "US", "China": "CN", "South Korea": "KR", "Côte d’Ivoire": "CI",
		"XX": "", "Atlantis": "", "": "", "ZZZ": "",
	} {
		if got := countryRegion([]byte(in)); got != want {
			t.Errorf("countryRegion(%q) = %q, want %q", in, got, want)
		}
	}
}

// A record's country is looked for once per line, and on a long line
// only near the number: a line of 20,000 national numbers scans in about
// the time of the same numbers one a line.
func TestPhoneCountryOnALongLine(t *testing.T) {
	e := allBuiltins(t)
	const n = 20000
	cell := "country=JP tel 090-1234-5678, "
	long := []byte(strings.Repeat(cell, n))
	rows := []byte(strings.Repeat(strings.TrimSuffix(cell, " ")+"\n", n))
	best := func(text []byte) (time.Duration, int) {
		var least time.Duration
		var got int
		for i := range 3 {
			start := time.Now()
			got = len(e.NewMatcher().Scan(text, nil))
			if took := time.Since(start); i == 0 || took < least {
				least = took
			}
		}
		return least, got
	}
	tr, nr := best(rows)
	tl, nl := best(long)
	if nr != n || nl != n {
		t.Errorf("found %d numbers in rows, %d on one line, want %d", nr, nl, n)
	}
	if tl > 10*tr+time.Second {
		t.Errorf("one line scanned in %v, the same records in rows in %v", tl, tr)
	}
}

// A national number read in the region its record names carries that
// region, so that it normalises to its E.164 form; one read in the default
// region carries none.
func TestPhoneMatchRegion(t *testing.T) {
	e := allBuiltins(t)
	tests := []struct{ name, text, region, norm string }{
		{"country field", `{"country":"JP","mobile":"090-1234-5678"}`, "JP", "+819012345678"},
		{"calling code on the line", "tel +972 3 123 4567, home 09-7625400", "IL", "+97297625400"},
		{"default region", "call 415-555-2671", "", "+14155552671"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ms := e.NewMatcher().Scan([]byte(tt.text), nil)
			m := ms[len(ms)-1]
			raw := []byte(tt.text[m.Start:m.End])
			if m.Region != tt.region {
				t.Errorf("Scan(%q): region %q, want %q", tt.text, m.Region, tt.region)
			}
			if got := string(Normalize(finding.ClassPhoneNumber, raw, m.RegionOr("US"))); got != tt.norm {
				t.Errorf("Normalize(%q) in %q = %q, want %q", raw, m.RegionOr("US"), got, tt.norm)
			}
		})
	}
}

// TestContextRegionsOrder checks the regions a record names, in the order
// it names them (the first is tried first), at most maxContextRegions, with
// '+' calling codes and country fields of every case mixed.
func TestContextRegionsOrder(t *testing.T) {
	e := allBuiltins(t)
	tests := []struct {
		text string
		want []string
	}{
		{"country=JP office +49 30 1234567 tel 090-1234-5678", []string{"JP", "DE"}},
		{"office +49 30 1234567 country=JP tel 090-1234-5678", []string{"DE", "JP"}},
		{`{"Country":"France","billingCountryCode":"IL","COUNTRY":"JP"} +44 20 7946 0018 tel 090-1234-5678`, []string{"FR", "IL", "JP", "GB"}},
		{"+33 1 2345 6789 +49 30 1234567 +44 20 7946 0018 +81 3 1234 5678 +61 2 9876 5432 tel 090-1234-5678", []string{"FR", "DE", "GB", "JP"}},
		{"country=JP country=JP +81 3 1234 5678 tel 090-1234-5678", []string{"JP"}},
		{"ccc CCC discount country=DE cc+49 tel 090-1234-5678", []string{"DE"}},
		{"accountry=DE xCountry=IL tel 090-1234-5678", []string{"IL"}},
		{"country=US +1 415 555 2671 tel 090-1234-5678", nil},
		{"no regions here: c C + ++ +0 tel 090-1234-5678", nil},
	}
	for _, tc := range tests {
		s := e.NewMatcher()
		s.b = []byte(tc.text)
		s.pctx = phoneContext{}
		got := s.contextRegions(strings.Index(tc.text, "090"))
		if len(got) == 0 {
			got = nil
		}
		if !slices.Equal(got, tc.want) {
			t.Errorf("%q: regions %q, want %q", tc.text, got, tc.want)
		}
	}
}

// TestPlusNumbersIgnoreRegion checks what normalizePhone's cache rests on:
// libphonenumber reads a number written with '+' and a country code the
// same whatever the default region, so the detector (no region) and the
// finding's normaliser (the policy's) can share an entry. Without a
// country code ("+011 44 …", "+0049 …", "+999 …") it strips the region's
// international prefix, and the region counts.
func TestPlusNumbersIgnoreRegion(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 6))
	regions := []string{"ZZ", "US", "DE", "GB", "JP", "FR", "IT", "BR", "IN", "AU", "FI", "SG", "IL", "MX", "AR", "RU", "KZ"}
	leads := []string{"1", "7", "20", "27", "30", "31", "33", "34", "36", "39", "40", "41", "43", "44", "45", "46", "47", "48", "49",
		"52", "54", "55", "61", "62", "63", "64", "65", "66", "81", "82", "84", "86", "90", "91", "92", "234", "351", "353", "358",
		"372", "380", "420", "421", "852", "886", "966", "971", "972", "998",
		"00", "011", "0011", "010", "001", "09", "99", "990", "999", "0", "8", "800", "882"}
	valid, led := 0, 0
	for range 6000 {
		d := []byte(leads[r.IntN(len(leads))])
		for n := 6 + r.IntN(9); len(d) < n+2 && len(d) < 15; {
			d = append(d, byte('0'+r.IntN(10)))
		}
		if !countryCodeLed(d) {
			continue
		}
		led++
		want := libphonenumberE164(d, true, "ZZ")
		if want != "" {
			valid++
		}
		for _, region := range regions[1:] {
			if got := libphonenumberE164(d, true, region); got != want {
				t.Fatalf("+%s read in %s: %q, in ZZ: %q", d, region, got, want)
			}
		}
	}
	if valid < 200 || led > 5500 {
		t.Fatalf("%d valid numbers, %d led by a country code, of 6000: the test does not test", valid, led)
	}
	// Order does not matter: the detector's reading (no region) and the
	// normaliser's (the policy's) of a number without a country code.
	for _, c := range []struct{ v, region, want string }{
		{"+011 44 20 7946 0958", "US", "+442079460958"},
		{"+0049 30 12345678", "DE", "+493012345678"},
		{"+99978462193529", "FI", "+78462193529"},
	} {
		for range 2 {
			if got := normalizePhone([]byte(c.v), "ZZ"); got != "" {
				t.Errorf("normalizePhone(%q, ZZ) = %q, want none", c.v, got)
			}
			if got := normalizePhone([]byte(c.v), c.region); got != c.want {
				t.Errorf("normalizePhone(%q, %s) = %q, want %q", c.v, c.region, got, c.want)
			}
		}
	}
}
