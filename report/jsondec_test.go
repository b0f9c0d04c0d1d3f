package report

import (
	"encoding/json"
	"reflect"
	"testing"

	"github.com/piiscan/piiscan/finding"
)

var decodeCases = []string{
	`{"path":"/var/log/a.log","line":3,"column":7,"length":16,"class":"email","rule":"email","severity":"medium","confidence":"high","masked":"a***@example.com","fingerprint":"0123","disallowed":false}`,
	`{"path":"s3://b/k.tgz!x/y.csv","line":1,"column":1,"length":19,"class":"credit_card","rule":"card","severity":"critical","confidence":"high","masked":"4111 **** **** 1111","fingerprint":"ff","policy":"p §1","location":"web","disallowed":true,"violates":"p §1; q \"2\"","value":"4111 1111 1111 1111"}`,
	`{"path":"exports/o.parquet","line":2,"column":1,"length":15,"field":"customer.email","class":"email","rule":"email","severity":"medium","confidence":"high","masked":"a***@example.com","fingerprint":"0123","disallowed":false}`,
	`{"path":"caf\u00e9\n\ufffd.log","line":0,"column":-1,"length":0,"class":"x","rule":"y","severity":"low","confidence":"low","masked":"\t","fingerprint":"","disallowed":true}`,
	`{ "path": "spaces", "line": 1, "severity": "high" }`,
	`{"Path":"case","line":1}`,
	`{"path":"dup","path":"dup2"}`,
	`{"path":"a","extra":[1,2]}`,
	`{"path":"a","line":1.5}`,
	`{"path":"a","severity":"urgent"}`,
	`{"path":"a","line":01}`,
	`{"path":null}`,
	`{"path":"a"} x`,
	`{"path":"a"`,
	"{\"path\":\"\xff\"}",
	`{"path":"a\\xff\\xfe\\\\x80\\!b","line":1}`,
	`{"path":"a\\x7f\\xf\\x","line":1}`,
	`[]`,
	``,
}

// The fast decoder gives what encoding/json gives, error for error, but
// for the path, which it reads back with finding.DecodePath.
func TestDecoderMatchesEncodingJSON(t *testing.T) {
	for _, c := range decodeCases {
		checkDecode(t, []byte(c))
	}
}

func checkDecode(t *testing.T, b []byte) {
	t.Helper()
	var want, got finding.Finding
	werr := json.Unmarshal(b, &want)
	want.Path = finding.DecodePath(want.Path)
	var d Decoder
	gerr := d.Decode(b, &got)
	if (werr == nil) != (gerr == nil) {
		t.Fatalf("%q: encoding/json error %v, decoder error %v", b, werr, gerr)
	}
	if werr == nil && !reflect.DeepEqual(want, got) {
		t.Fatalf("%q:\n json    %+v\n decoder %+v", b, want, got)
	}
}

// What the encoder writes, the fast path reads back whole.
func TestDecoderRoundTrip(t *testing.T) {
	f := finding.Finding{Path: "/a/b.tgz!c\"d.log", Line: 12, Column: 3, Length: 9, Field: "contacts.list.element.email", Class: "email", Rule: "email",
		Severity: finding.SeverityHigh, Confidence: finding.ConfidenceMedium, Masked: "b**@x.io", Fingerprint: "abc",
		Policy: "p", Location: "l", Disallowed: true, Violates: "v", Value: "bob@x.io"}
	var e encoder
	b := e.appendFinding(nil, &f)
	var d Decoder
	var got finding.Finding
	if err := d.fast(b, &got); err != nil {
		t.Fatalf("fast path refused the encoder's output %s: %v", b, err)
	}
	if got != f {
		t.Fatalf("round trip\n got %+v\nwant %+v", got, f)
	}
}

func FuzzDecodeFinding(f *testing.F) {
	for _, c := range decodeCases {
		f.Add([]byte(c))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		checkDecode(t, b)
	})
}

func BenchmarkDecodeFinding(b *testing.B) {
	line := []byte(decodeCases[1])
	b.Run("decoder", func(b *testing.B) {
		var d Decoder
		var f finding.Finding
		b.SetBytes(int64(len(line)))
		for b.Loop() {
			d.Decode(line, &f)
		}
	})
	b.Run("encoding/json", func(b *testing.B) {
		var f finding.Finding
		b.SetBytes(int64(len(line)))
		for b.Loop() {
			f = finding.Finding{}
			json.Unmarshal(line, &f)
		}
	})
}
