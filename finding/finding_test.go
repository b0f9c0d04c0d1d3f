package finding

import (
	"encoding/json"
	"strings"
	"testing"
)

func TestParseSeverity(t *testing.T) {
	tests := []struct {
		in      string
		want    Severity
		wantErr bool
	}{
		{"low", SeverityLow, false},
		{"medium", SeverityMedium, false},
		{"high", SeverityHigh, false},
		{"critical", SeverityCritical, false},
		{"HIGH", SeverityHigh, false},
		{"Critical", SeverityCritical, false},
		{"", 0, true},
		{"severe", 0, true},
		{" low", 0, true},
		{"low ", 0, true},
		{"severity(1)", 0, true},
	}
	for _, tt := range tests {
		got, err := ParseSeverity(tt.in)
		if (err != nil) != tt.wantErr || got != tt.want {
			t.Errorf("ParseSeverity(%q) = %v, %v; want %v, error %v", tt.in, got, err, tt.want, tt.wantErr)
		}
	}
	_, err := ParseSeverity("severe")
	if want := `unknown severity "severe" (want low, medium, high or critical)`; err == nil || err.Error() != want {
		t.Errorf("ParseSeverity(severe) error = %v, want %q", err, want)
	}
}

func TestParseConfidence(t *testing.T) {
	tests := []struct {
		in      string
		want    Confidence
		wantErr bool
	}{
		{"low", ConfidenceLow, false},
		{"medium", ConfidenceMedium, false},
		{"high", ConfidenceHigh, false},
		{"Medium", ConfidenceMedium, false},
		{"critical", 0, true},
		{"", 0, true},
		{"sure", 0, true},
	}
	for _, tt := range tests {
		got, err := ParseConfidence(tt.in)
		if (err != nil) != tt.wantErr || got != tt.want {
			t.Errorf("ParseConfidence(%q) = %v, %v; want %v, error %v", tt.in, got, err, tt.want, tt.wantErr)
		}
	}
	_, err := ParseConfidence("sure")
	if want := `unknown confidence "sure" (want low, medium or high)`; err == nil || err.Error() != want {
		t.Errorf("ParseConfidence(sure) error = %v, want %q", err, want)
	}
}

func TestSeverityString(t *testing.T) {
	tests := []struct {
		s    Severity
		want string
	}{
		{SeverityLow, "low"},
		{SeverityMedium, "medium"},
		{SeverityHigh, "high"},
		{SeverityCritical, "critical"},
		{0, "severity(0)"},
		{5, "severity(5)"},
		{-1, "severity(-1)"},
	}
	for _, tt := range tests {
		if got := tt.s.String(); got != tt.want {
			t.Errorf("Severity(%d).String() = %q, want %q", int(tt.s), got, tt.want)
		}
	}
}

func TestConfidenceString(t *testing.T) {
	tests := []struct {
		c    Confidence
		want string
	}{
		{ConfidenceLow, "low"},
		{ConfidenceMedium, "medium"},
		{ConfidenceHigh, "high"},
		{0, "confidence(0)"},
		{4, "confidence(4)"},
	}
	for _, tt := range tests {
		if got := tt.c.String(); got != tt.want {
			t.Errorf("Confidence(%d).String() = %q, want %q", int(tt.c), got, tt.want)
		}
	}
}

func TestSeveritiesOrder(t *testing.T) {
	got := Severities()
	want := []Severity{SeverityLow, SeverityMedium, SeverityHigh, SeverityCritical}
	if len(got) != len(want) {
		t.Fatalf("Severities() = %v, want %v", got, want)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("Severities()[%d] = %v, want %v", i, got[i], want[i])
		}
		if i > 0 && got[i] <= got[i-1] {
			t.Errorf("Severities() not increasing at %d: %v", i, got)
		}
	}
}

func TestSeverityTextRoundTrip(t *testing.T) {
	for _, s := range Severities() {
		b, err := s.MarshalText()
		if err != nil {
			t.Fatalf("%v.MarshalText: %v", s, err)
		}
		if string(b) != s.String() {
			t.Errorf("%v.MarshalText = %q, want %q", s, b, s.String())
		}
		var back Severity
		if err := back.UnmarshalText(b); err != nil || back != s {
			t.Errorf("UnmarshalText(%q) = %v, %v; want %v", b, back, err, s)
		}
	}
	for _, s := range []Severity{0, -1, SeverityCritical + 1} {
		if b, err := s.MarshalText(); err == nil {
			t.Errorf("Severity(%d).MarshalText = %q, want an error", int(s), b)
		}
	}
	if _, err := json.Marshal(struct{ S Severity }{}); err == nil {
		t.Error("json.Marshal of a zero Severity succeeded, want an error")
	}
	back := SeverityHigh
	if err := back.UnmarshalText([]byte("bogus")); err == nil {
		t.Error("UnmarshalText(bogus) succeeded")
	}
	if back != SeverityHigh {
		t.Errorf("failed UnmarshalText changed the value to %v", back)
	}
}

func TestConfidenceTextRoundTrip(t *testing.T) {
	for _, c := range []Confidence{ConfidenceLow, ConfidenceMedium, ConfidenceHigh} {
		b, err := c.MarshalText()
		if err != nil {
			t.Fatalf("%v.MarshalText: %v", c, err)
		}
		if string(b) != c.String() {
			t.Errorf("%v.MarshalText = %q, want %q", c, b, c.String())
		}
		var back Confidence
		if err := back.UnmarshalText(b); err != nil || back != c {
			t.Errorf("UnmarshalText(%q) = %v, %v; want %v", b, back, err, c)
		}
	}
	for _, c := range []Confidence{0, ConfidenceHigh + 1} {
		if b, err := c.MarshalText(); err == nil {
			t.Errorf("Confidence(%d).MarshalText = %q, want an error", int(c), b)
		}
	}
	back := ConfidenceLow
	if err := back.UnmarshalText([]byte("bogus")); err == nil || back != ConfidenceLow {
		t.Errorf("UnmarshalText(bogus) = %v, value %v; want an error and no change", err, back)
	}
}

// TestFindingJSON pins the field names and order of the JSON contract and
// checks a round trip through encoding/json.
func TestFindingJSON(t *testing.T) {
	f := Finding{
		Path: "logs/app.log", Line: 3, Column: 7, Length: 17,
		Class: ClassEmail, Rule: "email", Severity: SeverityMedium, Confidence: ConfidenceHigh,
		Masked: "a***@example.com", Fingerprint: "00112233445566778899aabbccddeeff",
	}
	b, err := json.Marshal(f)
	if err != nil {
		t.Fatal(err)
	}
	want := `{"path":"logs/app.log","line":3,"column":7,"length":17,"class":"email","rule":"email",` +
		`"severity":"medium","confidence":"high","masked":"a***@example.com",` +
		`"fingerprint":"00112233445566778899aabbccddeeff","disallowed":false}`
	if string(b) != want {
		t.Errorf("json.Marshal =\n%s\nwant\n%s", b, want)
	}

	f.Policy = "gdpr Art. 5"
	f.Value = "alice@example.com"
	b, err = json.Marshal(f)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasSuffix(string(b), `,"policy":"gdpr Art. 5","disallowed":false,"value":"alice@example.com"}`) {
		t.Errorf("json.Marshal with policy and value = %s", b)
	}
	var back Finding
	if err := json.Unmarshal(b, &back); err != nil {
		t.Fatal(err)
	}
	if back != f {
		t.Errorf("round trip = %+v, want %+v", back, f)
	}

	if err := json.Unmarshal([]byte(`{"severity":"extreme"}`), &back); err == nil {
		t.Error(`Unmarshal of severity "extreme" succeeded`)
	}
}
