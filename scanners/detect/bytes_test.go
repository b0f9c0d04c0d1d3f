package detect

import (
	"strings"
	"testing"
)

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

// A field name is read back from its separator for at most maxKeyLen-1
// bytes: a longer run of name bytes names nothing (it is data, a path, a
// hash), whether it starts the text or not.
func TestFieldNameLength(t *testing.T) {
	e := allBuiltins(t)
	const f = "credential_field="
	name := func(n int) string { return strings.Repeat("x", n-len("_password")) + "_password" }
	checkFound(t, e, []foundCase{
		{"longest name", name(maxKeyLen-1) + "=Lf-9x2q", []string{f + "Lf-9x2q"}},
		{"longest name after a space", "set " + name(maxKeyLen-1) + "=Lf-9x2q", []string{f + "Lf-9x2q"}},
		{"name too long", name(maxKeyLen) + "=Lf-9x2q", nil},
		{"name too long after a space", "set " + name(maxKeyLen) + "=Lf-9x2q", nil},
		{"name too long after a word", "set-" + name(maxKeyLen+3) + "=Lf-9x2q", nil},
	})
}
