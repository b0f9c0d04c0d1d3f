package detect

import (
	"strings"
	"testing"

	"github.com/piiscan/piiscan/finding"
	"github.com/piiscan/piiscan/scanners/detect/catalog"
)

// SSNs written without dashes (078 05 1123, 078.05.1123, 078051121) are
// found after an SSN label or in an SSN field or column, never on their
// own; the SSA's rules on area, group and serial hold for every form.
func TestSSNWithLabel(t *testing.T) {
	e := allBuiltins(t)
	tests := []struct {
		name string
		text string
		want []string // rule=exact span; nil means nothing may be found
	}{
		{"spaced after SSN", "SSN 078 05 1123 on file", []string{"us_ssn=078 05 1123"}},
		{"dotted after SSN:", "SSN: 078.05.1123", []string{"us_ssn=078.05.1123"}},
		{"plain after SSN#", "SSN# 078051121", []string{"us_ssn=078051121"}},
		{"plain after SS#", "SS#078051121", []string{"us_ssn=078051121"}},
		{"social security number", "Social Security Number: 078 05 1123", []string{"us_ssn=078 05 1123"}},
		{"social security no.", "social security no. 078.05.1123", []string{"us_ssn=078.05.1123"}},
		{"social security", "his social security 078051121 was", []string{"us_ssn=078051121"}},
		{"key=value spaced", "ssn=078 05 1123 name=x", []string{"us_ssn=078 05 1123"}},
		{"prefixed key", "customer_ssn=078051121", []string{"us_ssn=078051121"}},
		{"json camel", `{"socialSecurityNumber":"078 05 1123"}`, []string{"us_ssn=078 05 1123"}},
		{"json snake upper", `{"SOCIAL_SECURITY_NO": "078.05.1123"}`, []string{"us_ssn=078.05.1123"}},
		{"json plain", `{"ssn":"078051121"}`, []string{"us_ssn=078051121"}},
		{"escaped json", `{"msg":"{\"ssn\":\"078 05 1123\"}"}`, []string{"us_ssn=078 05 1123"}},
		{"json dashed", `{"ssn":"078-05-1123"}`, []string{"us_ssn=078-05-1123"}},
		{"xml", "<ssn>078 05 1123</ssn>", []string{"us_ssn=078 05 1123"}},
		{"ssnNumber", "ssnNumber=078051121", []string{"us_ssn=078051121"}},
		{"tax id in the US", "tax_id=078051121", []string{"us_ssn=078051121"}},
		{"tax id label in the US", "Tax ID: 078 05 1123", []string{"us_ssn=078 05 1123"}},

		// Hard negatives.
		{"spaced without a label", "ref 078 05 1123 ok", nil},
		{"dotted without a label", "build 078.05.1123", nil},
		{"bare nine digits", "order 078051121 shipped", nil},
		{"order id", `{"order_id":"412345678"}`, nil},
		{"zip+4 without a dash", "zip=941031234", nil},
		{"zip+4 after the label", "ssn zip 941031234", nil},
		{"timestamp", "ts=1700000000 t=170000000", nil},
		{"label on another line", "SSN\n078 05 1123", nil},
		{"label far before", "SSN checked ok; next, order number 078051121", nil},
		{"class is not ssn", "class 078051121", nil},
		{"area 000", "SSN 000 05 1123", nil},
		{"area 666", "SSN: 666.05.1123", nil},
		{"area 9xx", "ssn=912051123", nil},
		{"group 00", "ssn=078001123", nil},
		{"serial 0000", "SSN 078 05 0000", nil},
		{"advertised number", "SSN 078 05 1120", nil},
		{"advertised number plain", `{"ssn":"078051120"}`, nil},
		{"longer spaced number", "SSN 078 05 1123 4", nil},
		{"part of a spaced number", "ssn 4 078 05 1123", nil},
		{"mixed separators", "SSN 078 05.1123", nil},
		{"ten digits", "ssn=0780511234", nil},
		{"field with a letter", `{"ssn":"078O51121"}`, nil},
		{"version after SSN", "ssn-lib v078.05.11234", nil},
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

// A tax id is an SSN only where US is the region.
func TestSSNTaxIDOutsideUS(t *testing.T) {
	e, err := New([]Rule{{ID: "ssn", Detector: catalog.USSSN, Severity: finding.SeverityHigh}}, Options{DefaultRegion: "GB"})
	if err != nil {
		t.Fatal(err)
	}
	for _, text := range []string{"tax_id=078051121", "Tax ID: 078 05 1123", `{"taxId":"078051121"}`} {
		if got := found(e, text, nil); got != nil {
			t.Errorf("region GB: Scan(%q) = %q", text, got)
		}
	}
	e, err = New([]Rule{{ID: "ssn", Detector: catalog.USSSN, Severity: finding.SeverityHigh}}, Options{DefaultRegion: "GB", Regions: []string{"us"}})
	if err != nil {
		t.Fatal(err)
	}
	if got := found(e, "tax_id=078051121", nil); strings.Join(got, "|") != "ssn=078051121" {
		t.Errorf("regions [us]: got %q", got)
	}
}

// An SSN column of a CSV export names its values, in any written form.
func TestSSNColumn(t *testing.T) {
	e := allBuiltins(t)
	csv := "id,Social Security Nbr,zip,tax_id\n" +
		"1,078 05 1123,941031234,\n" +
		"2,078.05.1123,94103,078051121\n" +
		"3,078051121,10001,\n" +
		"4,078051120,10001,\n" +
		"5,not known,10001,\n"
	cols := HeaderColumns([]byte(csv[:strings.IndexByte(csv, '\n')]), 0)
	cols.SkipFirstLine = true
	got := found(e, csv, cols)
	want := []string{"us_ssn=078 05 1123", "us_ssn=078.05.1123", "us_ssn=078051121", "us_ssn=078051121"}
	if strings.Join(got, "|") != strings.Join(want, "|") {
		t.Errorf("got  %q\nwant %q", got, want)
	}
}

// Nine bare digits after an SSN word are an SSN only by that word:
// medium confidence. In a field named as an SSN (the name and the SSA
// rules agree), or written with separators after a label, high.
func TestSSNConfidence(t *testing.T) {
	e := allBuiltins(t)
	for text, want := range map[string]finding.Confidence{
		"ssn=078051121":   finding.ConfidenceHigh,
		"SSN 078051121":   finding.ConfidenceMedium,
		"SSN 078 05 1123": finding.ConfidenceHigh,
		"SSN 078-05-1123": finding.ConfidenceHigh,
		`{"ssn":"0780511`: 0,
	} {
		ms := e.NewMatcher().Scan([]byte(text), nil)
		if want == 0 {
			if len(ms) != 0 {
				t.Errorf("Scan(%q) found %v", text, ms)
			}
			continue
		}
		if len(ms) != 1 || ms[0].Confidence != want {
			t.Errorf("Scan(%q) = %+v, want one match of confidence %v", text, ms, want)
		}
	}
}
