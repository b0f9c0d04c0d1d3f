package detect

import (
	"testing"

	"github.com/piiscan/piiscan/finding"
)

// piiscan redact and erase write masks ("[credential]", "[person_name]",
// "[health]", "[credit_card:…1111]", "[email:erased]") in place of values.
// No rule reports a mask again, not even a pattern rule whose value group
// takes whatever follows its keyword, or one that matches a word inside a
// mask; a value that holds more than masks is still reported.
func TestOwnMasksAreNeverFindings(t *testing.T) {
	rules := []Rule{
		{ID: "patient", Class: finding.ClassPersonName, Pattern: `(?i)\bpatient\s*[:=]\s*(?<value>[^,\n]+)`, Severity: finding.SeverityHigh},
		{ID: "secret", Class: finding.ClassCredential, Pattern: `(?i)\b(?:vaultkey|vaultpin)\s*[:=]\s*(?<value>\S+)`, Severity: finding.SeverityHigh},
		{ID: "condition", Class: finding.ClassHealth, Pattern: `(?i)\bcondition\s*[:=]\s*(?<value>[^,\n]+)`, Severity: finding.SeverityHigh},
		{ID: "word", Class: "class_word", Pattern: `\b(?:person_name|credential|health)\b`, Severity: finding.SeverityLow},
	}
	e, err := New(append(rules, builtinRules()...), Options{})
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		text string
		want []string
	}{
		{"name mask", "patient=[person_name]\n", nil},
		{"two masks", "patient: [person_name] [person_name]\n", nil},
		{"quoted mask", `vaultkey="[credential]"` + "\n", nil},
		{"mask and comma", "vaultpin=[credential], retry\n", nil},
		{"joined masks", "vaultpin=[credential][email:…@example.com]\n", nil},
		{"erased", "condition=[health:erased]\n", nil},
		{"health mask", "condition: [health]\n", nil},
		{"tail mask", "vaultkey=[credit_card:…1111]\n", nil},
		{"mask then a surname", "patient: [person_name] Smith\n", []string{"patient=[person_name] Smith"}},
		{"value", "vaultkey=hunter2\n", []string{"secret=hunter2"}},
		{"bracketed value", "vaultpin=[9731]\n", []string{"secret=[9731]"}},
		{"word outside a mask", "credential rotated\n", []string{"word=credential"}},
		// A bracket before a value with a space, quote, '=' or ',' between
		// is no mask around the value.
		{"word after a bracket and a space", "[note credential rotated]\n", []string{"word=credential"}},
		{"word after a bracket and a comma", "[note,credential]\n", []string{"word=credential"}},
		{"word inside a mask after a bracket", "x [person_name]\n", nil},
		// Data shaped like a mask is not one: piiscan writes four digits
		// or "@domain" after the ellipsis, never a whole value.
		{"whole card in a mask shape", "[credit_card:…4111111111111111]\n", []string{"credit_card=4111111111111111"}},
		{"whole email in a mask shape", "[email:…alice.smith@gmail.com]\n", []string{"email=alice.smith@gmail.com"}},
		{"address after the at", "x[email:…@carol.white@hotmail.com]\n", []string{"email=carol.white@hotmail.com"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := found(e, tt.text, nil)
			if len(got) != len(tt.want) {
				t.Fatalf("found %q, want %q", got, tt.want)
			}
			for i := range got {
				if got[i] != tt.want[i] {
					t.Errorf("found %q, want %q", got, tt.want)
				}
			}
		})
	}
}
