package detect

import (
	"strings"
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

// "dx" is a clinical cue, not when it is the x86 register: the register
// names after it (R11) are not diagnosis codes.
func TestRegisterDXIsNoCue(t *testing.T) {
	e := allBuiltins(t)
	for text, want := range map[string]string{
		"MOVQ 144(DX), R11":              "",
		"mov dx, ax ; R11":               "",
		"	MOVW	%dx, R11":                 "",
		"Dx: I10 essential hypertension": "I10 hypertension",
		"patient dx J45.909":             "J45.909",
	} {
		var got []string
		for _, m := range e.NewScanner().Scan([]byte(text), nil) {
			got = append(got, text[m.Start:m.End])
		}
		if strings.Join(got, " ") != want {
			t.Errorf("Scan(%q) = %q, want %q", text, got, want)
		}
	}
}
