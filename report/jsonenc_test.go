package report

import (
	"encoding/json"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/piiscan/piiscan/finding"
)

func TestAppendString(t *testing.T) {
	tests := []struct {
		name, in, want string // want: exact output of appendString
	}{
		{"empty", "", `""`},
		{"plain", "hello world", `"hello world"`},
		{"quotes", `say "hi"`, `"say \"hi\""`},
		{"backslashes", `C:\Users\a\\b`, `"C:\\Users\\a\\\\b"`},
		{"newline tab cr", "a\nb\tc\rd", `"a\nb\tc\rd"`},
		{"control chars", "\x00\x01\x08\x0c\x1b\x1f", `"\u0000\u0001\u0008\u000c\u001b\u001f"`},
		{"DEL is not escaped", "a\x7fb", "\"a\x7fb\""},
		{"html not escaped", "<a href='x'>&amp;</a>", `"<a href='x'>&amp;</a>"`},
		{"line separators kept raw", "a\u2028b\u2029c", "\"a\u2028b\u2029c\""},
		{"non-ASCII", "Zoë Ångström 日本", `"Zoë Ångström 日本"`},
		{"emoji", "🙂 ok 👩‍👩‍👧", `"🙂 ok 👩‍👩‍👧"`},
		{"U+FFFD kept", "a\uFFFDb", "\"a\uFFFDb\""},
		{"invalid byte", "a\xffb", `"a\ufffdb"`},
		{"each invalid byte replaced", "\xff\xfe", `"\ufffd\ufffd"`},
		{"truncated rune", "ab\xe6\x97", `"ab\ufffd\ufffd"`},
		{"surrogate half", "\xed\xa0\x80", `"\ufffd\ufffd\ufffd"`},
		{"overlong slash", "\xc0\xaf", `"\ufffd\ufffd"`},
		{"latin-1", "M\xfcller", `"M\ufffdller"`},
		{"mixed", "\"\xff\n\u2028<", "\"\\\"\\ufffd\\n\u2028<\""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := appendString([]byte("prefix:"), tt.in)
			if !strings.HasPrefix(string(got), "prefix:") {
				t.Fatalf("appendString dropped the prefix: %q", got)
			}
			got = got[len("prefix:"):]
			if string(got) != tt.want {
				t.Errorf("appendString(%q) = %s, want %s", tt.in, got, tt.want)
			}
			if !json.Valid(got) {
				t.Fatalf("appendString(%q) = %s: not valid JSON", tt.in, got)
			}
			std, err := json.Marshal(tt.in)
			if err != nil {
				t.Fatal(err)
			}
			var fromOurs, fromStd string
			if err := json.Unmarshal(got, &fromOurs); err != nil {
				t.Fatal(err)
			}
			if err := json.Unmarshal(std, &fromStd); err != nil {
				t.Fatal(err)
			}
			if fromOurs != fromStd {
				t.Errorf("appendString(%q) decodes to %q, encoding/json's output to %q", tt.in, fromOurs, fromStd)
			}
			if want := jsonDecoded(tt.in); fromOurs != want {
				t.Errorf("appendString(%q) decodes to %q, want %q", tt.in, fromOurs, want)
			}
		})
	}
}

func FuzzAppendString(f *testing.F) {
	for _, s := range []string{"", "plain", `"\`, "\x00\x1f\x7f", "\u2028\u2029", "<>&",
		"\xff", "\xed\xa0\x80", "ab\xe6\x97", "🙂", "\uFFFD", "M\xfcller"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, in string) {
		out := appendString(nil, in)
		if !json.Valid(out) {
			t.Fatalf("appendString(%q) = %s: not valid JSON", in, out)
		}
		if !utf8.Valid(out) {
			t.Fatalf("appendString(%q) = %q: not valid UTF-8", in, out)
		}
		var got string
		if err := json.Unmarshal(out, &got); err != nil {
			t.Fatalf("appendString(%q) = %s: %v", in, out, err)
		}
		// encoding/json replaces every invalid byte with U+FFFD.
		if want := jsonDecoded(in); got != want {
			t.Fatalf("appendString(%q) decodes to %q, want %q", in, got, want)
		}
		std, _ := json.Marshal(in)
		var fromStd string
		if err := json.Unmarshal(std, &fromStd); err != nil {
			t.Fatal(err)
		}
		if got != fromStd {
			t.Fatalf("appendString(%q) decodes to %q, encoding/json's output to %q", in, got, fromStd)
		}
		// On valid UTF-8 the per-byte replacement and strings.ToValidUTF8
		// agree: nothing is replaced.
		if utf8.ValidString(in) && got != strings.ToValidUTF8(in, "\uFFFD") {
			t.Fatalf("appendString(%q) decodes to %q", in, got)
		}
	})
}

// TestJSONDecodedDiffersFromToValidUTF8 pins the difference the fuzz test
// relies on: strings.ToValidUTF8 replaces a run of invalid bytes once,
// encoding/json each byte.
func TestJSONDecodedDiffersFromToValidUTF8(t *testing.T) {
	in := "a\xff\xfeb"
	if got, want := jsonDecoded(in), "a\uFFFD\uFFFDb"; got != want {
		t.Errorf("jsonDecoded(%q) = %q, want %q", in, got, want)
	}
	if got, want := strings.ToValidUTF8(in, "\uFFFD"), "a\uFFFDb"; got != want {
		t.Errorf("strings.ToValidUTF8(%q) = %q, want %q", in, got, want)
	}
	var fromStd string
	std, _ := json.Marshal(in)
	if err := json.Unmarshal(std, &fromStd); err != nil || fromStd != jsonDecoded(in) {
		t.Errorf("encoding/json round trip of %q = %q, %v; want %q", in, fromStd, err, jsonDecoded(in))
	}
}

// TestEncoderRuleCache checks that the per-rule cache of the encoder writes
// each finding's own rule fields when rules alternate.
func TestEncoderRuleCache(t *testing.T) {
	a := finding.Finding{Path: "a", Line: 1, Column: 2, Length: 3, Class: "email", Rule: "r1",
		Severity: finding.SeverityHigh, Confidence: finding.ConfidenceLow, Masked: "m", Fingerprint: "f", Policy: "P1"}
	b := finding.Finding{Path: "b", Line: 4, Column: 5, Length: 6, Class: "us_ssn", Rule: "r2",
		Severity: finding.SeverityLow, Confidence: finding.ConfidenceHigh, Masked: "n", Fingerprint: "g"}
	var e encoder
	var out []byte
	for _, f := range []*finding.Finding{&a, &b, &a, &a, &b} {
		out = e.appendFinding(out, f)
		out = append(out, '\n')
	}
	la := `{"path":"a","line":1,"column":2,"length":3,"class":"email","rule":"r1","severity":"high","confidence":"low","masked":"m","fingerprint":"f","policy":"P1","disallowed":false}` + "\n"
	lb := `{"path":"b","line":4,"column":5,"length":6,"class":"us_ssn","rule":"r2","severity":"low","confidence":"high","masked":"n","fingerprint":"g","disallowed":false}` + "\n"
	if want := la + lb + la + la + lb; string(out) != want {
		t.Errorf("got:\n%s\nwant:\n%s", out, want)
	}
}

// TestEncodedPathFollowsFindings checks the encoder's remembered path: each
// finding is written with its own path, encoded by finding.EncodePath, as
// the findings of files follow each other and come back.
func TestEncodedPathFollowsFindings(t *testing.T) {
	paths := []string{"a\xff.log", "a\xff.log", "b \"x\".log", "a\xff.log", "a\xfe.log", "a\xff.log"}
	var fs []finding.Finding
	for i, p := range paths {
		fs = append(fs, finding.Finding{Path: p, Line: i + 1, Column: 1, Length: 1, Class: finding.ClassEmail,
			Rule: "email", Severity: finding.SeverityLow, Confidence: finding.ConfidenceHigh, Masked: "a***@b.c"})
	}
	for _, format := range []Format{FormatJSONL, FormatJSON} {
		out := render(t, format, Meta{}, fs, nil)
		var got []string
		if format == FormatJSONL {
			for _, line := range strings.Split(strings.TrimSuffix(string(out), "\n"), "\n") {
				var f finding.Finding
				if err := json.Unmarshal([]byte(line), &f); err != nil {
					t.Fatalf("%s: %v: %s", format, err, line)
				}
				got = append(got, f.Path)
			}
		} else {
			var doc struct{ Findings []finding.Finding }
			if err := json.Unmarshal(out, &doc); err != nil {
				t.Fatalf("%s: %v", format, err)
			}
			for _, f := range doc.Findings {
				got = append(got, f.Path)
			}
		}
		if len(got) != len(paths) {
			t.Fatalf("%s: %d findings, want %d", format, len(got), len(paths))
		}
		for i, p := range paths {
			if got[i] != finding.EncodePath(p) {
				t.Errorf("%s: finding %d has path %q, want %q", format, i, got[i], finding.EncodePath(p))
			}
		}
	}
}
