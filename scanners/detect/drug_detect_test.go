package detect

import (
	"slices"
	"testing"
)

// TestMedicationVocabulary holds the medication detector to the FDA
// vocabulary and to its evidence rules: a drug name counts with a dosage
// right after it or near a clinical cue, never alone; a name that is also a
// word of chemistry or food needs the cue.
func TestMedicationVocabulary(t *testing.T) {
	e := allBuiltins(t)
	tests := []struct {
		name string
		text string
		want []string // rule=exact span; nil means nothing may be found
	}{
		// Generics the hand list missed, with a dosage or a cue.
		{"prescribed with dose", "prescribed sumatriptan 50 mg", []string{"health_medication=sumatriptan 50 mg"}},
		{"takes glued dose", "patient takes atorvastatin 20mg daily", []string{"health_medication=atorvastatin 20mg"}},
		{"dose only", "rizatriptan 10 mg PRN migraine", []string{"health_medication=rizatriptan 10 mg"}},
		{"capitalised", "Buspirone 15 mg BID", []string{"health_medication=Buspirone 15 mg"}},
		{"upper case", "CLONIDINE 0.1 MG", []string{"health_medication=CLONIDINE 0.1 MG"}},
		{"cue only", "patient started on hydroxyzine", []string{"health_medication=hydroxyzine"}},
		{"cue after", "lamotrigine per medication list", []string{"health_medication=lamotrigine"}},
		{"acid phrase", "folic acid 1 mg prescribed", []string{"health_medication=folic acid 1 mg"}},
		{"acid phrase glued", "tranexamic_acid 650 mg", []string{"health_medication=tranexamic_acid 650 mg"}},
		{"biosimilar base", "adalimumab 40 mg every other week", []string{"health_medication=adalimumab 40 mg"}},
		{"json message", `{"msg":"refill ok","note":"valacyclovir 1 g"}`, []string{"health_medication=valacyclovir 1 g"}},
		{"weak with cue", "patient on lithium 300 mg", []string{"health_medication=lithium 300 mg"}},
		{"weak cue no dose", "prescribed nicotine patch", []string{"health_medication=nicotine"}},
		{"hand brand", "imitrex 100 mg", []string{"health_medication=imitrex 100 mg"}},

		// A name alone is not a finding.
		{"name alone", "sumatriptan", nil},
		{"name in prose", "a blog post about atorvastatin pricing", nil},
		{"package install", "npm i aspirin && pip install ibuprofen==1.0.0", nil},
		{"module import", `import metoprolol from "./metoprolol.js"`, nil},
		{"glued word", "sumatriptanx 50 mg", nil},
		{"version not dose", "hydroxyzine 2.1.0 released", nil},

		// Weak names need a cue, whatever number follows.
		{"lithium battery dose-like", "lithium battery 50 mg", nil},
		{"lithium alone dose", "lithium 300 mg", nil},
		{"lithium cell", "lithium cell 3.7 v 2000 mAh", nil},
		{"caffeine label", "caffeine 200 mg per can", nil},
		{"nicotine e-liquid", "nicotine 20 mg/ml e-liquid, 10 ml bottle", nil},
		{"niacin label", "niacin 16 mg (100% DV)", nil},
		{"folic acid label", "folic acid 400 mcg per serving", nil},
		{"folic acid glued label", "folic_acid 400 mcg, alpha-tocopherol 15 mg", nil},

		// Chemistry and infrastructure words are not drugs at all.
		{"minerals", "iron 65 mg, zinc 50 mg, magnesium 400 mg, calcium 500 mg", nil},
		{"lab panel", "sodium 140 mmol/L potassium 4.1 mmol/L", nil},
		{"gases", "oxygen 21 %, nitrogen 78 %", nil},
		{"chemistry", "sulfur 2 g and carbon 12 g in the crucible", nil},
		{"alcohol", "alcohol 5 % vol", nil},
		{"water", "water 250 ml", nil},
		{"medical device word", "sterile 10 ml syringe", nil},
		{"tech log", "memory 512 mb, heap 75 %, protein-service v2 up", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := found(e, tt.text, nil); !slices.Equal(got, tt.want) {
				t.Errorf("%q: got %q, want %q", tt.text, got, tt.want)
			}
		})
	}
}

// TestMedicationSaltWords: salt and release-form words between a drug name
// and its dosage, as prescriptions write them, belong to the finding.
func TestMedicationSaltWords(t *testing.T) {
	e := allBuiltins(t)
	tests := []struct {
		text string
		want []string
	}{
		{"metoprolol succinate ER 25 mg", []string{"health_medication=metoprolol succinate ER 25 mg"}},
		{"Sertraline HCl 50 MG Oral Tablet", []string{"health_medication=Sertraline HCl 50 MG"}},
		{"doxycycline hyclate 100 mg", []string{"health_medication=doxycycline hyclate 100 mg"}},
		{"sumatriptan succinate 25 mg", []string{"health_medication=sumatriptan succinate 25 mg"}},
		{"atorvastatin calcium tablets", nil},
		{"prescribed atorvastatin calcium tablets", []string{"health_medication=atorvastatin calcium"}},
		{`{"medication":"Buspirone HCl"}`, []string{"health_medication=Buspirone HCl"}},
		{"metoprolol er", nil},
		{"lithium carbonate 300 mg", nil}, // weak name, no cue
		{"Lithium carbonate 300 MG capsule", []string{"health_medication=Lithium carbonate 300 MG"}},
		{"nicotine 21 mg patch", []string{"health_medication=nicotine 21 mg"}},
		{"caffeine 200 mg tabletop", nil},
	}
	for _, tt := range tests {
		if got := found(e, tt.text, nil); !slices.Equal(got, tt.want) {
			t.Errorf("%q: got %q, want %q", tt.text, got, tt.want)
		}
	}
}
