package finding

import (
	"encoding/json"
	"strings"
	"testing"
	"unicode/utf8"
)

// escapeName writes a real name as a finding path does (itempath.Escape).
var escapeName = strings.NewReplacer(`\`, `\\`, `!`, `\!`).Replace

func TestEncodePath(t *testing.T) {
	tests := []struct{ in, want string }{
		{"logs/app.log", "logs/app.log"},
		{"Zoë/日本.log", "Zoë/日本.log"},
		{"a\xff.log", `a\xff.log`},
		{"a\xfe.log", `a\xfe.log`},
		{"M\xfcller.csv", `M\xfcller.csv`},
		{"ab\xe6\x97", `ab\xe6\x97`},
		{"\xed\xa0\x80", `\xed\xa0\x80`},
		{escapeName(`x\xff!y`) + "\xff", `x\\xff\!y\xff`},
		{"a\uFFFDb", "a\uFFFDb"},
	}
	for _, tt := range tests {
		got := EncodePath(tt.in)
		if got != tt.want {
			t.Errorf("EncodePath(%q) = %q, want %q", tt.in, got, tt.want)
		}
		if !utf8.ValidString(got) {
			t.Errorf("EncodePath(%q) = %q: not UTF-8", tt.in, got)
		}
		if back := DecodePath(got); back != tt.in {
			t.Errorf("DecodePath(%q) = %q, want %q", got, back, tt.in)
		}
	}
}

// Two names that differ only in invalid UTF-8 keep different paths through
// JSON, and read back as they were.
func TestEncodePathDistinctInJSON(t *testing.T) {
	names := []string{"a\xff.log", "a\xfe.log", "a\uFFFD.log", `a\xff.log`, "a\xc3.log", "a\xc3\x28.log"}
	seen := map[string]string{}
	for _, n := range names {
		p := escapeName(n)
		data, err := json.Marshal(EncodePath(p))
		if err != nil {
			t.Fatal(err)
		}
		if other, dup := seen[string(data)]; dup {
			t.Errorf("%q and %q both encode to %s", other, n, data)
		}
		seen[string(data)] = n
		var s string
		if err := json.Unmarshal(data, &s); err != nil {
			t.Fatal(err)
		}
		if got := DecodePath(s); got != p {
			t.Errorf("%q: read back as %q", p, got)
		}
	}
}

func FuzzEncodePath(f *testing.F) {
	for _, s := range []string{"", "a", "\xff", `\x80`, `\`, "!", "a\xe6\x97b", "\\\xff!", "é\xc3"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, name string) {
		p := escapeName(name)
		enc := EncodePath(p)
		if !utf8.ValidString(enc) {
			t.Fatalf("EncodePath(%q) = %q: not UTF-8", p, enc)
		}
		if got := DecodePath(enc); got != p {
			t.Fatalf("DecodePath(EncodePath(%q)) = %q", p, got)
		}
	})
}
