package detect

import (
	"slices"
	"strings"
	"testing"
)

// TestDrugVocabulary checks the shape of drugs.txt: sorted, unique, lower
// case, a name a line, and large enough to be the FDA vocabulary rather
// than a hand list.
func TestDrugVocabulary(t *testing.T) {
	lines := strings.Split(strings.TrimSuffix(drugsTxt, "\n"), "\n")
	if len(lines) < 1500 {
		t.Fatalf("drugs.txt has %d names, want the FDA vocabulary (at least 1500)", len(lines))
	}
	if !slices.IsSorted(lines) {
		t.Error("drugs.txt is not sorted")
	}
	for i, n := range lines {
		if n == "" || n != strings.ToLower(strings.TrimSpace(n)) {
			t.Errorf("line %d %q: not a trimmed lower-case name", i+1, n)
		}
		if i > 0 && lines[i-1] == n {
			t.Errorf("line %d %q: duplicate", i+1, n)
		}
		if l := strings.IndexFunc(n, func(r rune) bool { return r < 'a' || r > 'z' }); l >= 0 && l < 2 {
			t.Errorf("line %d %q: the keyword table needs two leading letters", i+1, n)
		}
	}
	for _, want := range []string{"sumatriptan", "rizatriptan", "atorvastatin", "buspirone", "clonidine",
		"hydroxyzine", "lamotrigine", "valacyclovir", "adalimumab", "folic acid", "tranexamic acid"} {
		if _, ok := slices.BinarySearch(lines, want); !ok {
			t.Errorf("drugs.txt misses %q", want)
		}
	}
	// Elements, minerals and words of chemistry or English are left out.
	for _, not := range []string{"iron", "oxygen", "sulfur", "zinc", "water", "sodium", "calcium",
		"magnesium", "potassium", "alcohol", "carbon", "hydrogen", "nitrogen", "silver", "medical",
		"protein", "sterile", "vitamin", "urea", "talc", "olive", "fish", "acids", "citric acid"} {
		if _, ok := slices.BinarySearch(lines, not); ok {
			t.Errorf("drugs.txt has %q, a word of chemistry or English", not)
		}
	}
	spaced := strings.NewReplacer("-", " ", "_", " ")
	for w := range weakMedications {
		if !slices.ContainsFunc(medications, func(m string) bool { return spaced.Replace(m) == w }) {
			t.Errorf("weak medication %q is not a medication", w)
		}
	}
}
