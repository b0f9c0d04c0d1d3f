package detect

import (
	"strings"
	"testing"
)

// A CSV or TSV column headed "version" (os_version, ...) holds versions:
// its dotted quads are not IP addresses, those of other columns are.
func TestCSVVersionColumn(t *testing.T) {
	e := allBuiltins(t)
	for _, tt := range []struct {
		name, text string
		want       string
	}{
		{"csv", "name,version,host\nfoo,1.2.3.4,10.1.2.3\nbar,\"10.0.17763.1\",192.0.2.7\n", "ipv4=10.1.2.3 ipv4=192.0.2.7"},
		{"tsv", "package\tos_version\tclient\nfoo\t6.1.7601.1\t203.0.113.9\n", "ipv4=203.0.113.9"},
		{"no version column", "name,host\nfoo,1.2.3.4\n", "ipv4=1.2.3.4"},
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
