package detect

import (
	"fmt"
	"strings"
	"testing"

	"github.com/piiscan/piiscan/finding"
	"github.com/piiscan/piiscan/scanners/detect/catalog"
)

// builtinRules is one rule per built-in detector, named after it.
func builtinRules() []Rule {
	var rules []Rule
	for _, b := range catalog.Detectors() {
		rules = append(rules, Rule{ID: b.Name, Detector: b.Name, Severity: finding.SeverityHigh})
	}
	return rules
}

// allBuiltins is an engine with every built-in detector (builtinRules).
func allBuiltins(t testing.TB) *Engine {
	t.Helper()
	e, err := New(builtinRules(), Options{})
	if err != nil {
		t.Fatal(err)
	}
	return e
}

// found renders matches as "rule=value" for comparison.
func found(e *Engine, text string, cols *Columns) []string {
	var out []string
	for _, m := range e.NewMatcher().Scan([]byte(text), cols) {
		out = append(out, fmt.Sprintf("%s=%s", e.Rules()[m.Rule].ID, text[m.Start:m.End]))
	}
	return out
}

func TestDetect(t *testing.T) {
	e := allBuiltins(t)
	tests := []struct {
		name string
		text string
		want []string // rule=exact span; nil means nothing may be found
	}{
		// Emails.
		{"email", "contact alice.smith+tag@example.com now", []string{"email=alice.smith+tag@example.com"}},
		{"email uppercase", "To: Bob@Mail.Example.CO.UK>", []string{"email=Bob@Mail.Example.CO.UK"}},
		{"email reserved tld", "x=erin@test.invalid", []string{"email=erin@test.invalid"}},
		{"email sentence end", "write to carol@example.org.", []string{"email=carol@example.org"}},
		{"email json", `{"email":"dave@example.net"}`, []string{"email=dave@example.net"}},
		{"url encoded", "GET /account?email=alice.smith%40example.com&x=1", []string{"email=alice.smith%40example.com"}},
		{"percent other", "50%4 done, 100%40 ok", nil},
		{"retina image", "GET /img/icon@2x.png", nil},
		{"npm scope", "npm i @scope/pkg@1.2.3", nil},
		{"docker digest", "image@sha256:0123abcd", nil},
		{"localhost", "user@localhost", nil},
		{"no tld", "root@server01", nil},
		{"password reset email sent", "password reset email sent to user 42", nil},
		{"double dot", "a..b@example.com", nil},

		// IP addresses.
		{"ipv4", "client 192.0.2.33 connected", []string{"ipv4=192.0.2.33"}},
		{"ipv4 port", "dial 10.1.2.3:8080", []string{"ipv4=10.1.2.3"}},
		{"ipv4 cidr", "allow 203.0.113.0/24", []string{"ipv4=203.0.113.0"}},
		{"ipv4 nginx", `198.51.100.7 - - [10/Oct/2024:13:55:36 +0000] "GET / HTTP/1.1" 200`, []string{"ipv4=198.51.100.7"}},
		{"ipv4 url", "http://192.0.2.9/admin", []string{"ipv4=192.0.2.9"}},
		{"ipv4 java host/addr:port", "Connecting to ResourceManager at rm-07/10.1.2.3:8030", []string{"ipv4=10.1.2.3"}},
		{"ipv4 unspecified", "listening on 0.0.0.0:8080", nil},
		{"windows component identity", "Package_for_KB3121255~31bf3856ad364e35~amd64~~6.1.1.0", nil},
		{"octet too big", "256.1.1.1 and 1.2.3.999", nil},
		{"version", "version 1.2.3.4 and v10.0.0.1", nil},
		{"user agent", "Chrome/119.0.0.0 Safari/537.36", nil},
		{"oid", "oid 1.3.6.1.4.1.2021", nil},
		{"netmask", "netmask 255.255.255.0", nil},
		{"leading zero", "010.001.002.003", nil},
		{"three parts", "release 2.31.0", nil},
		{"ipv6 full", "src=2001:0db8:85a3:0000:0000:8a2e:0370:7334 ok", []string{"ipv6=2001:0db8:85a3:0000:0000:8a2e:0370:7334"}},
		{"ipv6 compressed", "from 2001:db8::ff00:42:8329.", []string{"ipv6=2001:db8::ff00:42:8329"}},
		{"ipv6 brackets port", "[2001:db8::1]:443", []string{"ipv6=2001:db8::1"}},
		{"ipv6 v4 mapped", "peer ::ffff:192.0.2.128 ok", []string{"ipv6=::ffff:192.0.2.128"}},
		{"ipv6 zone", "fe80::1%eth0", []string{"ipv6=fe80::1"}},
		{"ipv6 loopback", "listen [::1]:53", []string{"ipv6=::1"}},
		{"ipv6 prefix", "route 2001:db8:1::/48", []string{"ipv6=2001:db8:1::"}},
		{"time", "at 12:34:56 and 2024-01-01T10:20:30.123Z", nil},
		{"times", "12:34:56,789 [09:00:00] 23:59:59\t00:00:00", nil},
		{"address of decimal groups", "from 10:20:30:40:50:60:70:80 ok", []string{"ipv6=10:20:30:40:50:60:70:80"}},
		{"address of decimal groups ending in ::", "from 10:20:30:40:: ok", []string{"ipv6=10:20:30:40::"}},
		{"address after a time", "12:34:56 fe80::1 2001:db8::12:34:56", []string{"ipv6=fe80::1", "ipv6=2001:db8::12:34:56"}},
		{"mac", "hw 00:1a:2b:3c:4d:5e", nil},
		{"cpp scope", "std::vector<int> a::b Foo::Bar", nil},
		{"hex words", "dead::beef", nil},

		// Cards.
		{"visa plain", "card=4111111111111111", []string{"credit_card=4111111111111111"}},
		{"visa spaces", "4111 1111 1111 1111 exp", []string{"credit_card=4111 1111 1111 1111"}},
		{"mc dashes", "pan 5555-5555-5555-4444;", []string{"credit_card=5555-5555-5555-4444"}},
		{"amex grouped", "3782 822463 10005", []string{"credit_card=3782 822463 10005"}},
		{"amex plain", "378282246310005", []string{"credit_card=378282246310005"}},
		{"card then cvv", "4111 1111 1111 1111 123", []string{"credit_card=4111 1111 1111 1111"}},
		{"visa 19 no context", "4111111111111111110", nil},
		{"discover", "6011111111111117", []string{"credit_card=6011111111111117"}},
		{"jcb", "3530111333300000", []string{"credit_card=3530111333300000"}},
		{"mastercard 2-series", "2223003122003222", []string{"credit_card=2223003122003222"}},
		{"order id fails luhn", "order_id=4111111111111112", nil},
		{"luhn but no brand", "ref 1234567812345670", nil},
		{"unix millis", "ts=1700000000000", nil},
		{"mixed separators", "4111 1111-1111 1111", nil},
		{"visa plus-encoded in a query", `GET /pay?card=4111+1111+1111+1111&x=1 HTTP/1.1`, []string{"credit_card=4111+1111+1111+1111"}},
		{"visa %20-encoded in a query", `GET /pay?cc=4111%201111%201111%201111&x=1 HTTP/1.1`, []string{"credit_card=4111%201111%201111%201111"}},
		{"plus-encoded after a plus", "q=paid+with+4111+1111+1111+1111", []string{"credit_card=4111+1111+1111+1111"}},
		{"amex %20-encoded", "cc=3782%20822463%2010005&", []string{"credit_card=3782%20822463%2010005"}},
		{"plus-encoded fails luhn", "q=4111+1111+1111+1112", nil},
		{"mixed encoded separators", "q=4111+1111%201111+1111", nil},
		{"long digits", "id 41111111111111111111111", nil},
		{"uuid", "id 12345678-1234-1234-1234-123456789012", nil},
		{"decimal", "0.4111111111111111", nil},
		{"cvv field", `{"pan":"5555-5555-5555-4444","exp":"12/27","cvv":"123"}`, []string{"credit_card=5555-5555-5555-4444", "credit_card=123"}},
		{"cvc not digits", "cvc=abc cvv=12345", nil},
		{"sha256", "sha256=9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08", nil},
		{"md5 digits", "etag 41111111111111114111111111111111", nil},
		{"git sha", "commit 4111111111111111a2b3c4d5e6f708192a3b4c5d", nil},
		{"docker digest", "image@sha256:4111111111111111411111111111111141111111111111114111111111111111 id 4111 1111 1111 111", nil},
		{"uuid digits", "req 41111111-1111-1111-1111-111111111111", nil},
		{"semver", "go1.21.5 v2.10.1-rc.1+build.4111111111111111", nil},
		{"epoch and ms", "ts=1700000000 took=1700000000123ns", nil},
		{"hdfs block id", "Served block blk_-4980916519894289629 to /10.250.10.100", []string{"ipv4=10.250.10.100"}},
		{"int64 id", "trace_id=4980916519894289629", nil},
		{"19 digits with card word", `{"card":"4111111111111111110"}`, []string{"credit_card=4111111111111111110"}},

		// Phones.
		{"nanp parens", "tel (415) 555-2671.", []string{"phone_number=(415) 555-2671"}},
		{"nanp dashes", "415-555-2671", []string{"phone_number=415-555-2671"}},
		{"nanp dots", "415.555.2671", []string{"phone_number=415.555.2671"}},
		{"nanp spaces", "call 415 555 2671 now", []string{"phone_number=415 555 2671"}},
		{"nanp +1", "+1 415 555 2671", []string{"phone_number=+1 415 555 2671"}},
		{"nanp +1 parens", "+1 (415) 555-2671", []string{"phone_number=+1 (415) 555-2671"}},
		{"nanp 1-", "1-800-555-0199", []string{"phone_number=1-800-555-0199"}},
		{"e164", "to=+14155552671&x", []string{"phone_number=+14155552671"}},
		{"555 fictional", `"phone":"(212) 555-0123"`, []string{"phone_number=(212) 555-0123"}},
		{"uk", "ring +44 20 7946 0958 today", []string{"phone_number=+44 20 7946 0958"}},
		{"de", "+49 30 901820", []string{"phone_number=+49 30 901820"}},
		{"fr", "+33 1 23 45 67 89", []string{"phone_number=+33 1 23 45 67 89"}},
		{"phone field digits", `{"phone":"4155552671"}`, []string{"phone_number=4155552671"}},
		{"bare digits", "count 4155552671", nil},
		{"invalid area", "123-555-2671", nil},
		{"timezone", "[10/Oct/2024:13:55:36 +0000]", nil},
		{"date time", "2024-01-01 12:00:00", nil},
		{"mixed phone seps", "415-555.2671", nil},

		// SSNs.
		{"ssn", "ssn 123-45-6788 ok", []string{"us_ssn=123-45-6788"}},
		{"ssn area 000", "000-12-3456", nil},
		{"ssn area 666", "666-12-3456", nil},
		{"ssn area 9xx", "900-12-3456", nil},
		{"ssn group 00", "123-00-4567", nil},
		{"ssn serial 0000", "123-45-0000", nil},
		{"ssn woolworth", "078-05-1120", nil},
		{"ssn longer", "2024-123-45-6789", nil},
		{"ssn field plain", "ssn=123456788", []string{"us_ssn=123456788"}},

		// Health.
		{"condition", "patient was diagnosed with asthma", []string{"health_condition=asthma"}},
		{"condition after", "asthma noted for patient 12", []string{"health_condition=asthma"}},
		{"two conditions", "diagnosis: hypertension and type 2 diabetes", []string{"health_condition=hypertension", "health_condition=type 2 diabetes"}},
		{"acronym", "patient is HIV positive", []string{"health_condition=HIV positive"}},
		{"medication dose", "took metformin 500 mg daily", []string{"health_medication=metformin 500 mg"}},
		{"medication dose glued", "Lisinopril 10mg", []string{"health_medication=Lisinopril 10mg"}},
		{"medication cue", "prescribed sertraline", []string{"health_medication=sertraline"}},
		{"icd10", "dx: E11.9, J45.909", []string{"health_icd10=E11.9", "health_icd10=J45.909"}},
		{"hl7 hex escapes", `patient diagnosed\X0D\\X0A\ ok`, nil},
		{"icd10 cue only", "icd10=F32.A", []string{"health_icd10=F32.A"}},
		{"diagnosis field", `{"diagnosis":"Chronic migraine"}`, []string{"health_condition=Chronic migraine"}},
		{"diagnosis field unknown", `{"diagnosis":"Ehlers-Danlos syndrome"}`, []string{"health_field=Ehlers-Danlos syndrome"}},
		{"healthz", "GET /healthz 200", nil},
		{"health check", "health check ok, service healthy", nil},
		{"no cue", "blog post about asthma and cancer awareness", nil},
		{"acronym lower", "patient hearing aids fitted", nil},
		{"lithium battery", "lithium battery at 80%", nil},
		{"code without cue", "error code E11.9 returned", nil},
		{"cue on other line", "patient record\nasthma", nil},

		// Credentials.
		{"kv password", "login user=bob password=hunter22 ok", []string{"credential_field=hunter22"}},
		{"suffix password", "DB_PASSWORD=s3cr3t!", []string{"credential_field=s3cr3t!"}},
		{"json secret", `{"client_secret":"abcDEF123"}`, []string{"credential_field=abcDEF123"}},
		{"yaml", "  password: correct-horse", []string{"credential_field=correct-horse"}},
		{"escaped json", `{"msg":"{\"password\":\"p4ss\"}"}`, []string{"credential_field=p4ss"}},
		{"api key header", "X-Api-Key: 0123456789abcdef", []string{"credential_field=0123456789abcdef"}},
		{"ini spaced", "password = letmein99", []string{"credential_field=letmein99"}},
		{"bearer", "Authorization: Bearer eyJhbGciOiJIUzI1NiJ9.e30.sig_123", []string{"authorization_header=eyJhbGciOiJIUzI1NiJ9.e30.sig_123"}},
		{"bearer bare", `curl -H "Bearer abcdef0123456789"`, []string{"authorization_header=abcdef0123456789"}},
		{"basic", "Authorization: Basic dXNlcjpwYXNzd29yZA==", []string{"authorization_header=dXNlcjpwYXNzd29yZA=="}},
		{"url", "dsn=postgres://app:s3cr3t@db.example.com:5432/app", []string{"url_credential=s3cr3t"}},
		{"aws key", "key AKIAIOSFODNN7EXAMPLE used", []string{"aws_access_key_id=AKIAIOSFODNN7EXAMPLE"}},
		{"pem", "-----BEGIN RSA PRIVATE KEY-----", []string{"private_key=-----BEGIN RSA PRIVATE KEY-----"}},
		{"pem openssh", `"key":"-----BEGIN OPENSSH PRIVATE KEY-----\nb3Blbn"`, []string{"private_key=-----BEGIN OPENSSH PRIVATE KEY-----"}},
		{"public key", "-----BEGIN PUBLIC KEY-----", nil},
		{"certificate", "-----BEGIN CERTIFICATE-----", nil},
		{"redacted", "password=[REDACTED] token=***** secret=${DB_SECRET}", nil},
		{"piiscan redaction tokens", `{"password":"[credential]","diagnosis":"[health]","name":"[person_name:erased]","token":"[credential:…abcd]"}`, nil},
		{"erasure tokens", `{"email":"[email:erased]","phone":"[phone_number:erased]","address":"[postal_address:erased]","dob":"[date_of_birth:erased]"}`, nil},
		{"bracketed secret is still a secret", `{"password":"[s3cr3tPassw0rd"}`, []string{"credential_field=[s3cr3tPassw0rd"}},
		{"object dump", "wtoken = AppWindowToken{9f4ef63 token=Token{a64f992 ActivityRecord{de9231d}}", nil},
		{"struct", "Priority: 20, Token: Token { kind: ContainerToken, service: 172.22.149.145:28345 }", []string{"ipv4=172.22.149.145"}},
		{"java object", "token: android.os.BinderProxy@2bd79ce", nil},
		{"reverse dns", "token: com.apple.xpc.activity/4505: 132", nil},
		{"generic token", "token=abc123XYZ789", []string{"credential_field=abc123XYZ789"}},
		{"quoted password word", `{"password":"letmein"}`, []string{"credential_field=letmein"}},
		{"sudo pwd", "sudo: deploy : TTY=pts/0 ; PWD=/home/deploy ; USER=root", nil},
		{"prose colon", "invalid password: user locked", nil},
		{"prose", "password reset email sent", nil},
		{"page token", "nextPageToken=abc123def456", nil},
		{"basic prose", "basic authentication failed", nil},
		{"bearer prose", "Bearer authentication required", nil},
		{"empty", "password= user=x", nil},

		// Field hints.
		{"name json", `{"first_name":"Alice","last_name":"O'Neil"}`, []string{"person_name_field=Alice", "person_name_field=O'Neil"}},
		{"generic name person", `{"name":"Alice Smith"}`, []string{"person_name_field=Alice Smith"}},
		{"generic name service", `{"name":"checkout-service","username":"alice"}`, nil},
		{"address", `billing_address="1 Main St, Springfield"`, []string{"postal_address_field=1 Main St, Springfield"}},
		{"network address", `{"address":"10.0.0.1:8080","addr":"0x7ffe"}`, []string{"ipv4=10.0.0.1"}},
		{"dob", "dob=04/23/1990", []string{"date_of_birth_field=04/23/1990"}},
		{"dob words", `"birthdate": "Apr 23, 1990"`, []string{"date_of_birth_field=Apr 23, 1990"}},
		{"dob not date", "dob=unknown", nil},
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

func TestColumns(t *testing.T) {
	e := allBuiltins(t)
	csv := "id,First Name,last_name,email,diagnosis,dob,notes\n" +
		"1,Alice,Smith,alice@example.com,asthma,1990-04-23,\"likes tea, coffee\"\n" +
		"2,\"Bob\",Jones,bob@example.com,Ehlers-Danlos syndrome,04/23/1985,\n"
	cols := HeaderColumns([]byte(csv[:strings.IndexByte(csv, '\n')]), 0)
	if !cols.Any() {
		t.Fatal("no columns found in header")
	}
	cols.SkipFirstLine = true
	got := found(e, csv, cols)
	want := []string{
		"person_name_field=Alice", "person_name_field=Smith", "email=alice@example.com",
		"health_condition=asthma", "date_of_birth_field=1990-04-23",
		"person_name_field=Bob", "person_name_field=Jones", "email=bob@example.com",
		"health_field=Ehlers-Danlos syndrome", "date_of_birth_field=04/23/1985",
	}
	if strings.Join(got, "|") != strings.Join(want, "|") {
		t.Errorf("got  %q\nwant %q", got, want)
	}
	if HeaderColumns([]byte("ts,level,msg"), 0) != nil {
		t.Error("a header without personal fields gave columns")
	}
}

func TestSameSpanReportedOnce(t *testing.T) {
	e := allBuiltins(t)
	// The password value is also an email: one finding, the more severe rule.
	rules := e.Rules()
	for i := range rules {
		if rules[i].Detector == catalog.CredentialField {
			rules[i].Severity = finding.SeverityCritical
		}
	}
	got := found(e, "password=alice@example.com", nil)
	if len(got) != 1 || got[0] != "credential_field=alice@example.com" {
		t.Errorf("got %q", got)
	}
}

func TestCustomRule(t *testing.T) {
	rules := []Rule{
		{ID: "employee-id", Class: "employee_id", Pattern: `(?<=\bEMP-)(?<value>\d{6})\b`, Keywords: []string{"emp-"}, Severity: finding.SeverityLow},
		{ID: "luhn-ref", Class: "card_ref", Pattern: `\bREF(?<value>\d{16})\b`, Validator: "luhn", Severity: finding.SeverityMedium},
	}
	e, err := New(rules, Options{})
	if err != nil {
		t.Fatal(err)
	}
	text := "ok\nbadge emp-123456 and EMP-654321 é EMP-111111\nREF4111111111111111 REF4111111111111112\n"
	got := found(e, text, nil)
	want := []string{"employee-id=654321", "employee-id=111111", "luhn-ref=4111111111111111"}
	if strings.Join(got, "|") != strings.Join(want, "|") {
		t.Errorf("got  %q\nwant %q", got, want)
	}
}

func TestNewErrors(t *testing.T) {
	tests := []struct {
		rule Rule
		want string
	}{
		{Rule{ID: "x", Detector: "nope", Severity: finding.SeverityLow}, "unknown detector"},
		{Rule{ID: "x", Pattern: "(", Severity: finding.SeverityLow}, "pattern"},
		{Rule{ID: "x", Pattern: "a", Validator: "nope", Severity: finding.SeverityLow}, "unknown validator"},
		{Rule{ID: "x", Severity: finding.SeverityLow}, "detector or a pattern"},
		{Rule{ID: "x", Detector: "email"}, "no severity"},
		{Rule{ID: "x", Detector: "email", Class: "ip_address", Severity: finding.SeverityLow}, "finds class"},
	}
	for _, tt := range tests {
		_, err := New([]Rule{tt.rule}, Options{})
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("New(%+v) error %v, want %q", tt.rule, err, tt.want)
		}
	}
}

func TestDisabledDetectorsFindNothing(t *testing.T) {
	e, err := New([]Rule{{ID: "mail", Detector: catalog.Email, Severity: finding.SeverityLow}}, Options{})
	if err != nil {
		t.Fatal(err)
	}
	got := found(e, "4111111111111111 alice@example.com 192.0.2.1 password=abcdef", nil)
	if len(got) != 1 || got[0] != "mail=alice@example.com" {
		t.Errorf("got %q", got)
	}
}

func TestNonNANPRegion(t *testing.T) {
	var rules []Rule
	rules = append(rules, Rule{ID: "phone", Detector: catalog.PhoneNumber, Severity: finding.SeverityLow})
	e, err := New(rules, Options{DefaultRegion: "GB"})
	if err != nil {
		t.Fatal(err)
	}
	got := found(e, "call 020 7946 0958 or 415-555-2671 on 2024-01-01", nil)
	if strings.Join(got, "|") != "phone=020 7946 0958" {
		t.Errorf("got %q", got)
	}
}

func TestNormalize(t *testing.T) {
	tests := []struct{ class, in, want string }{
		{finding.ClassEmail, "Alice@Example.COM", "alice@example.com"},
		{finding.ClassEmail, "alice%40example.com", "alice@example.com"},
		{finding.ClassPhoneNumber, "(415) 555-2671", "+14155552671"},
		{finding.ClassPhoneNumber, "+1 415.555.2671", "+14155552671"},
		{finding.ClassCreditCard, "4111-1111-1111-1111", "4111111111111111"},
		{finding.ClassCreditCard, "4111%201111%201111%201111", "4111111111111111"},
		{finding.ClassCreditCard, "4111+1111+1111+1111", "4111111111111111"},
		{finding.ClassIPAddress, "2001:0db8:0000::0001", "2001:db8::1"},
		{finding.ClassUSSSN, "123-45-6788", "123456788"},
	}
	for _, tt := range tests {
		if got := string(Normalize(tt.class, []byte(tt.in), "US")); got != tt.want {
			t.Errorf("Normalize(%s, %q) = %q, want %q", tt.class, tt.in, got, tt.want)
		}
	}
}
