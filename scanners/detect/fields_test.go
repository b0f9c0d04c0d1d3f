package detect

import (
	"strings"
	"testing"
)

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

// maskByte holds every byte of every mask maskLen accepts, or ownMask's
// early stop would let a mask be reported again.
func TestMaskByte(t *testing.T) {
	for _, m := range []string{"[person_name]", "[credit_card:…1111]", "[email:…@Mail-1.example.co_uk]", "[health:erased]", "[icd10-code]"} {
		if n := maskLen([]byte(m), nil); n != len(m) {
			t.Fatalf("maskLen(%q) = %d: not a mask", m, n)
		}
		for k := 1; k < len(m)-1; k++ {
			if !maskByte(m[k]) {
				t.Errorf("maskByte(%q) is false; %q holds it", m[k], m)
			}
		}
	}
}
