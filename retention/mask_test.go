package retention

import (
	"bytes"
	"strings"
	"testing"

	piiscan "github.com/piiscan/piiscan"
	"github.com/piiscan/piiscan/config"
	"github.com/piiscan/piiscan/finding"
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
