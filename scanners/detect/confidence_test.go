package detect

import (
	"strings"
	"testing"

	"github.com/piiscan/piiscan/finding"
	"github.com/piiscan/piiscan/scanners/detect/catalog"
)

// A weak field match that gives way to a precise match of its class
// (a medication named in a medication field) leaves its evidence with it:
// the field's name makes the medication as sure as a dose would.
func TestWeakFieldConfidenceStays(t *testing.T) {
	e := allBuiltins(t)
	for text, want := range map[string]finding.Confidence{
		`{"medication":"sumatriptan daily"}`:  finding.ConfidenceHigh,
		`prescribed sumatriptan for the pain`: finding.ConfidenceMedium,
	} {
		ms := e.NewMatcher().Scan([]byte(text), nil)
		if len(ms) != 1 || ms[0].Confidence != want || e.Rules()[ms[0].Rule].Detector != catalog.HealthMedication {
			t.Errorf("Scan(%q) = %+v, want one medication of confidence %v", text, ms, want)
		}
	}
}

// "dx" is a clinical cue, not when it is the x86 register: the register
// names after it (R11) are not diagnosis codes.
func TestRegisterDXIsNoCue(t *testing.T) {
	e := allBuiltins(t)
	for text, want := range map[string]string{
		"MOVQ 144(DX), R11":              "",
		"mov dx, ax ; R11":               "",
		"	MOVW	%dx, R11":                 "",
		"Dx: I10 essential hypertension": "I10 hypertension",
		"patient dx J45.909":             "J45.909",
	} {
		var got []string
		for _, m := range e.NewMatcher().Scan([]byte(text), nil) {
			got = append(got, text[m.Start:m.End])
		}
		if strings.Join(got, " ") != want {
			t.Errorf("Scan(%q) = %q, want %q", text, got, want)
		}
	}
}

// The value of a field named for the class is one finding over the whole
// value, under the rule of the condition, code or drug it names, and as
// sure as the field makes it: a mask over the inner word alone would leave
// "breast [health]" for the next scan to find.
func TestFieldValueIsOneFinding(t *testing.T) {
	e := allBuiltins(t)
	fhir := `{"resourceType": "Condition", "code": {"coding": [{"display": "breast cancer"}], "text": "HIV infection"}}` + "\n" +
		`{"resourceType": "MedicationStatement", "medicationCodeableConcept": {"text": "insulin glargine 20 units"}}` + "\n"
	for _, tt := range []struct {
		name, text string
		cols       func(string) *Columns
		want       []string
	}{
		{"json diagnosis", `{"diagnosis":"breast cancer"}`, nil, []string{"health_condition=breast cancer"}},
		{"json medication", `{"medication":"insulin glargine 20 units"}`, nil, []string{"health_medication=insulin glargine 20 units"}},
		{"json two conditions", `{"diagnosis":"HIV infection and hepatitis C"}`, nil, []string{"health_condition=HIV infection and hepatitis C"}},
		{"condition field", `{"condition":"HIV infection","status":"active"}`, nil, []string{"health_condition=HIV infection"}},
		{"condition field, no condition", `{"condition":"mint","price":"12"}`, nil, nil},
		{"fhir", fhir, func(string) *Columns { return NewFHIRTracker().Columns() }, []string{"health_condition=breast cancer", "health_condition=HIV infection",
			"health_medication=insulin glargine 20 units"}},
		{"sql column", "COPY public.visits (id, diagnosis, medication) FROM stdin;\n1\tbreast cancer\tinsulin glargine 20 units\n\\.\n",
			func(s string) *Columns {
				tr := NewSQLTracker([]byte(s))
				c := tr.Columns(false)
				tr.Feed([]byte(s))
				return c
			},
			[]string{"health_condition=breast cancer", "health_medication=insulin glargine 20 units"}},
		{"hl7 dg1", "MSH|^~\\&|A|B|C|D|20260101||ADT^A08|1|P|2.5.1\nDG1|1|I10|B20^HIV infection^I10||20260101|F\n",
			func(string) *Columns { return NewHL7Tracker().Columns() },
			[]string{"health_field=B20", "health_condition=HIV infection"}},
	} {
		var cols *Columns
		if tt.cols != nil {
			cols = tt.cols(tt.text)
		}
		var got []string
		for _, m := range e.NewMatcher().Scan([]byte(tt.text), cols) {
			got = append(got, e.Rules()[m.Rule].ID+"="+tt.text[m.Start:m.End])
			if m.Confidence != finding.ConfidenceHigh {
				t.Errorf("%s: %s is %v, want high", tt.name, tt.text[m.Start:m.End], m.Confidence)
			}
		}
		if strings.Join(got, "|") != strings.Join(tt.want, "|") {
			t.Errorf("%s: got %q, want %q", tt.name, got, tt.want)
		}
	}
}
