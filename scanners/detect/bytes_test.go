package detect

import "testing"

func TestKeyChar(t *testing.T) {
	for c := range 256 {
		want := 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '_' || c == '-' || c == '.'
		if got := keyChar(byte(c)); got != want {
			t.Errorf("keyChar(%q) = %v, want %v", byte(c), got, want)
		}
	}
}

func TestIsV6Byte(t *testing.T) {
	for c := range 256 {
		want := '0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F' || c == ':' || c == '.'
		if got := isV6Byte[c]; got != want {
			t.Errorf("isV6Byte[%q] = %v, want %v", byte(c), got, want)
		}
	}
}

func TestIndexFold(t *testing.T) {
	tests := []struct {
		b, w string
		want int
	}{
		{"country", "country", 0},
		{"billingCountryCode", "country", 7},
		{"COUNTRY=JP", "country", 0},
		{"cOuNtRy", "country", 0},
		{"ccc CCC cOUNTRx country", "country", 16},
		{"Ccountry", "country", 1},
		{"countr", "country", -1},
		{"", "country", -1},
		{"no such word", "country", -1},
		{"a-b-c", "-c", 3},
		{"xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxCOUNTRY", "country", 74},
	}
	for _, tc := range tests {
		if got := indexFold([]byte(tc.b), tc.w); got != tc.want {
			t.Errorf("indexFold(%q, %q) = %d, want %d", tc.b, tc.w, got, tc.want)
		}
	}
}
