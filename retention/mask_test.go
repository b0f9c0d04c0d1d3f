package retention

import (
	"bytes"
	"errors"
	"io"
	"strings"
	"testing"

	piiscan "github.com/piiscan/piiscan"
	"github.com/piiscan/piiscan/config"
	"github.com/piiscan/piiscan/finding"
	"github.com/piiscan/piiscan/scanners"
	"github.com/piiscan/piiscan/scanners/detect"
)

// defaultEngine compiles the rules piiscan ships with.
func defaultEngine(t testing.TB) *detect.Engine {
	t.Helper()
	c, err := config.Parse("rules.yaml", piiscan.DefaultRules)
	if err != nil {
		t.Fatal(err)
	}
	e, err := c.Engine()
	if err != nil {
		t.Fatal(err)
	}
	return e
}

// maskAll returns a Masker that replaces every value by its redaction.
func maskAll(e *detect.Engine) *Masker {
	return &Masker{Engine: e, Select: func(class string, raw []byte) (string, bool) {
		return finding.Redaction(class, raw), true
	}}
}

func mask(t testing.TB, m *Masker, in, path string) (string, MaskStats) {
	t.Helper()
	var out bytes.Buffer
	st, err := m.Mask(strings.NewReader(in), &out, path)
	if err != nil {
		t.Fatalf("Mask: %v", err)
	}
	return out.String(), st
}

func TestMaskReplacesOverlappingValuesOfDifferentClasses(t *testing.T) {
	e := defaultEngine(t)
	tests := []struct {
		name, in, want string
		values         int64
	}{
		{"phone inside an address field", `{"address":"1 Main St, 10001 New York, tel +1 415 555 0100","id":7}` + "\n",
			`{"address":"[postal_address]","id":7}` + "\n", 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, st := mask(t, maskAll(e), tt.in, "app.log")
			if got != tt.want {
				t.Errorf("got  %q\nwant %q", got, tt.want)
			}
			if st.Values != tt.values || st.Lines != 1 {
				t.Errorf("stats %+v, want %d values on 1 line", st, tt.values)
			}
		})
	}
}

func TestMaskReplacesURLEncodedValuesWhole(t *testing.T) {
	e := defaultEngine(t)
	const (
		pre  = `203.0.113.9 - - [01/Nov/2026:10:00:00 +0000] "GET /pay?`
		post = ` HTTP/1.1" 200 512 "-" "Mozilla/5.0"` + "\n"
	)
	tests := []struct{ name, query, want string }{
		{"plus-encoded card and %40 email", "card=4111+1111+1111+1111&email=alice%40example.com",
			"card=[credit_card:…1111]&email=[email:…@example.com]"},
		{"%20-encoded card", "cc=4111%201111%201111%201111&x=1", "cc=[credit_card:…1111]&x=1"},
		{"%20-encoded amex", "cc=3782%20822463%2010005", "cc=[credit_card:…0005]"},
	}
	m := &Masker{Engine: e, Select: func(class string, raw []byte) (string, bool) {
		return finding.Redaction(class, raw), class != finding.ClassIPAddress
	}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, _ := mask(t, m, pre+tt.query+post, "access.log")
			if want := pre + tt.want + post; got != want {
				t.Errorf("got  %q\nwant %q", got, want)
			}
		})
	}
}

// maskCorpus holds lines of the kinds piiscan rewrites, with values the
// scan reports in every form it knows.
var maskCorpus = []struct{ name, path, text string }{
	{"access log", "access.log",
		`203.0.113.9 - - [01/Nov/2026:10:00:00 +0000] "GET /pay?card=4111+1111+1111+1111&email=alice%40example.com HTTP/1.1" 200 512 "-" "Mozilla/5.0"` + "\n" +
			`2001:db8::7 - - [01/Nov/2026:10:00:01 +0000] "GET /pay?cc=4111%201111%201111%201111&tel=%2B14155550100 HTTP/1.1" 200 512 "https://admin:s3cr3tPw@example.com/" "curl/8"` + "\n"},
	{"JSON log", "app.log",
		`{"ts":"2026-11-01T10:00:00Z","email":"bob@example.com","card":"5555-5555-5555-4444","cvv":"123","password":"hunter2!Secret"}` + "\n" +
			`{"address":"1 Main St, 10001 New York, tel +1 415 555 0100","diagnosis":"type 2 diabetes","name":"Alice Smith","dob":"1980-02-29"}` + "\n"},
	{"key=value", "app.log",
		"level=info user=alice@example.com ip=198.51.100.23 ssn=123-45-6789 token=ghp_abcdefghijklmnop1234 card=378282246310005\n" +
			"Authorization: Bearer eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.abc AKIAIOSFODNN7EXAMPLE\n"},
	{"CSV with header", "export.csv",
		"id,name,email,phone,diagnosis\n1,Alice Smith,alice@example.com,(415) 555-0100,asthma\n2,Bob Jones,bob@example.org,+44 20 7946 0958,\n"},
	{"plain text", "notes.txt",
		"patient diagnosed with diabetes, prescribed metformin 500 mg; call (415) 555-0100 or mail carol@example.com\n" +
			"card 4111 1111 1111 1111 exp 12/27, SSN 123-45-6789\n"},
}

// leftAfterMasking masks text with every value selected and returns what a
// scan of the result still reports, as "class=value".
func leftAfterMasking(t testing.TB, e *detect.Engine, path, text string) []string {
	t.Helper()
	out, _ := mask(t, maskAll(e), text, path)
	ob := []byte(out)
	var cols *detect.Columns
	if c := scanners.CSVColumns(path, ob); c != nil {
		cc := *c
		cc.SkipFirstLine = true
		cols = &cc
	}
	var left []string
	for _, m := range e.NewScanner().Scan(ob, cols) {
		left = append(left, e.Rules()[m.Rule].Class+"="+string(ob[m.Start:m.End]))
	}
	return left
}

func TestMaskLeavesNothingTheScanReports(t *testing.T) {
	e := defaultEngine(t)
	for _, tt := range maskCorpus {
		t.Run(tt.name, func(t *testing.T) {
			sc := e.NewScanner()
			if len(sc.Scan([]byte(tt.text), nil)) == 0 {
				t.Fatal("the corpus has nothing to mask")
			}
			if left := leftAfterMasking(t, e, tt.path, tt.text); len(left) > 0 {
				t.Errorf("after masking the scan still reports %d values: %q", len(left), left)
			}
		})
	}
}

func TestMaskIsIdempotent(t *testing.T) {
	e := defaultEngine(t)
	for _, tt := range maskCorpus {
		t.Run(tt.name, func(t *testing.T) {
			once, _ := mask(t, maskAll(e), tt.text, tt.path)
			twice, st := mask(t, maskAll(e), once, tt.path)
			if twice != once || st.Values != 0 {
				t.Errorf("masking the masked text replaced %d more values:\n%s", st.Values, twice)
			}
		})
	}
}

func TestMaskNamesTheLineTooLongToRewrite(t *testing.T) {
	e := defaultEngine(t)
	m := maskAll(e)
	m.MaxLine = 4 << 10
	in := "ok alice@example.com\nok\n" + strings.Repeat("x", 8<<20) + " bob@example.com\nafter\n"
	_, err := m.Mask(strings.NewReader(in), io.Discard, "app.log")
	if !errors.Is(err, ErrLineTooLong) {
		t.Fatalf("err = %v, want ErrLineTooLong", err)
	}
	msg := err.Error()
	for _, want := range []string{"line 3", "left unchanged"} {
		if !strings.Contains(msg, want) {
			t.Errorf("error %q does not say %q", msg, want)
		}
	}
	if strings.Contains(msg, "example.com") {
		t.Errorf("error %q holds a value", msg)
	}
}

// FuzzMaskLeavesNothing checks, on variants of the corpus, that no byte of
// a value the scan reports survives masking. Values are replaced by NUL
// bytes of the same length (the input holds none), so the output lines up
// with the input: every byte the scan of the input reports is NUL in the
// output, and every other byte is unchanged. Inputs where two values
// overlap without one holding the other are skipped: their union is
// replaced by both replacements, which does not line up.
func FuzzMaskLeavesNothing(f *testing.F) {
	for _, c := range maskCorpus {
		f.Add(c.path, c.text)
	}
	e := defaultEngine(f)
	m := &Masker{Engine: e, Select: func(_ string, raw []byte) (string, bool) {
		return strings.Repeat("\x00", len(raw)), true
	}}
	f.Fuzz(func(t *testing.T, path, text string) {
		if strings.IndexByte(text, 0) >= 0 || len(text) > 1<<16 {
			t.Skip()
		}
		in := []byte(text)
		var cols *detect.Columns
		if c := scanners.CSVColumns(path, in); c != nil {
			cc := *c
			cc.SkipFirstLine = true
			cols = &cc
		}
		reported := make([]bool, len(in))
		end := 0
		for _, mt := range e.NewScanner().Scan(in, cols) {
			if mt.Start < end && mt.End > end {
				t.Skip() // partial overlap
			}
			end = max(end, mt.End)
			for k := mt.Start; k < mt.End; k++ {
				reported[k] = true
			}
		}
		out, _ := mask(t, m, text, path)
		if len(out) != len(in) {
			t.Fatalf("output is %d bytes, input %d", len(out), len(in))
		}
		for k := range in {
			switch {
			case reported[k] && out[k] != 0:
				t.Fatalf("byte %d of a reported value survives: %q", k, out)
			case !reported[k] && out[k] != in[k]:
				t.Fatalf("byte %d changed but is in no reported value: %q", k, out)
			}
		}
	})
}
