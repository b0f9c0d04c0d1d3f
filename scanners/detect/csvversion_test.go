package detect

import (
	"strings"
	"testing"
)

// A CSV or TSV column headed "version" (os_version, ...) holds versions,
// one headed "phone" or "fax" phone numbers: their dotted quads are not
// IP addresses, those of other columns are.
func TestCSVVersionColumn(t *testing.T) {
	e := allBuiltins(t)
	for _, tt := range []struct {
		name, text string
		want       string
	}{
		{"csv", "name,version,host\nfoo,1.2.3.4,10.1.2.3\nbar,\"10.0.17763.1\",192.0.2.7\n", "ipv4=10.1.2.3 ipv4=192.0.2.7"},
		{"tsv", "package\tos_version\tclient\nfoo\t6.1.7601.1\t203.0.113.9\n", "ipv4=203.0.113.9"},
		{"no version column", "name,host\nfoo,1.2.3.4\n", "ipv4=1.2.3.4"},
		// A phone written with dots, as in France, is no IP address.
		{"phone column", "CompanyName,Phone,Fax,host\nDu monde entier,40.67.88.88,(1) 42.34.22.77,10.1.2.3\n", "ipv4=10.1.2.3"},
		// An address among other text in a phone column is one.
		{"phone column with addresses", "phone,fax\nsip:1001@81.2.69.170,81.2.69.171:5060\n+33 1 23 45 67 89 / 81.2.69.180,Host 81.2.69.172\n",
			"ipv4=81.2.69.170 ipv4=81.2.69.171 phone_number=+33 1 23 45 67 89 ipv4=81.2.69.180 ipv4=81.2.69.172"},
	} {
		header, _, _ := strings.Cut(tt.text, "\n")
		cols := HeaderColumns([]byte(header), 0)
		if cols != nil {
			cols.SkipFirstLine = true
		}
		if got := strings.Join(found(e, tt.text, cols), " "); got != tt.want {
			t.Errorf("%s: found %q, want %q", tt.name, got, tt.want)
		}
	}
}

// A key named "dx" in code is a register or a delta, and code in a field
// named for health is no health data; "dx" names diagnoses as a column.
func TestHealthFieldValuesAreText(t *testing.T) {
	e := allBuiltins(t)
	tests := []struct {
		text string
		want []string
	}{
		{"let{dx:s=0,dy:d=0,margin:l=0}=o", nil},
		{`{"dx": 0.5, "dy": 1.5}`, nil},
		{"diagnosis: max(W, 2)", nil},
		{"diagnosis = e===", nil},
		{`{"diagnosis":"Parkinson's disease (G20)"}`, []string{"health_condition=Parkinson's disease (G20)"}},
		{`{"dx_code":"E11.9"}`, []string{"health_icd10=E11.9"}},
		{`{"diagnosis":"high blood pressure"}`, []string{"health_field=high blood pressure"}},
		{`{"diagnosis":"Diab\u00e8te de type 2"}`, []string{`health_field=Diab\u00e8te de type 2`}},
	}
	for _, tt := range tests {
		if got := found(e, tt.text, nil); strings.Join(got, "|") != strings.Join(tt.want, "|") {
			t.Errorf("Scan(%q)\n got %q\nwant %q", tt.text, got, tt.want)
		}
	}
	cols := HeaderColumns([]byte("id,dx\n"), ',')
	cols.SkipFirstLine = true
	if got := found(e, "id,dx\n1,J45.909\n", cols); strings.Join(got, "|") != "health_field=J45.909" {
		t.Errorf("dx column: got %q", got)
	}
}
