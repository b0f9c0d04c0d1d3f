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
