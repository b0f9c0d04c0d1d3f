package detect

import (
	"testing"

	"github.com/piiscan/piiscan/finding"
)

// A weak field match that gives way to a precise match of its class
// (a medication named in a medication field) leaves its evidence with it:
// the field's name makes the medication as sure as a dose would.
func TestWeakFieldConfidenceStays(t *testing.T) {
	e := allBuiltins(t)
	for text, want := range map[string]finding.Confidence{
		`{"medication":"sumatriptan daily"}`:  finding.ConfidenceHigh,
		`prescribed sumatriptan for the pain`: finding.ConfidenceMedium,
	} {
		ms := e.NewScanner().Scan([]byte(text), nil)
		if len(ms) != 1 || ms[0].Confidence != want || e.Rules()[ms[0].Rule].Detector != DetHealthMedication {
			t.Errorf("Scan(%q) = %+v, want one medication of confidence %v", text, ms, want)
		}
	}
}
