package shard

import (
	"bytes"
	"slices"
	"testing"

	"github.com/piiscan/piiscan/finding"
	"github.com/piiscan/piiscan/internal/itempath"
	"github.com/piiscan/piiscan/scanners"
)

// Names an attacker can give files (finding paths, escaped as the scanner
// escapes them).
var (
	// escName sets the terminal's window title, clears the screen and
	// colours what follows.
	escName = itempath.Escape("logs/\x1b]0;pwned\x07\x1b[2J\x1b[31mred.log")
	// bidiName shows as "logs/invoiceexe.pdf" with a right-to-left
	// override.
	bidiName   = itempath.Escape("logs/invoice\u202efdp.exe")
	fenceName  = itempath.Escape("logs/```<!here>.log")
	badUTF8One = itempath.Escape("logs/a\xff.log")
	badUTF8Two = itempath.Escape("logs/a\xfe.log")
)

func hostileFindings() []finding.Finding {
	var fs []finding.Finding
	for i, p := range []string{escName, bidiName, fenceName, badUTF8One, badUTF8Two} {
		fs = append(fs, finding.Finding{Path: p, Line: i + 1, Column: 1, Length: 5, Class: finding.ClassEmail, Rule: "email",
			Severity: finding.SeverityMedium, Confidence: finding.ConfidenceHigh, Masked: "a***@example.com", Fingerprint: "ab"})
	}
	return fs
}

func hostileStats() *scanners.Stats {
	return &scanners.Stats{Files: 5, Findings: 5, Problems: []scanners.Problem{
		{Path: escName, Error: "open " + escName + ": permission denied"},
		{Path: bidiName, Error: "permission denied"},
		{Path: badUTF8One, Error: "permission denied"},
		{Path: badUTF8Two, Error: "permission denied"},
	}}
}

// Two names that differ only in invalid UTF-8 keep different paths in a
// shard's findings file (finding.EncodePath), and a merge gets the paths
// back as they were.
func TestMergeKeepsInvalidUTF8Apart(t *testing.T) {
	fs := hostileFindings()
	st := hostileStats()

	// A shard's findings file, merged: the exact paths, findings and
	// unreadable inputs alike.
	var shard bytes.Buffer
	w, err := NewWriter(&shard, Header{Count: 1, Targets: []string{"logs"}})
	if err != nil {
		t.Fatal(err)
	}
	for i := range fs {
		w.Add(&fs[i])
	}
	if err := w.Close(st); err != nil {
		t.Fatal(err)
	}
	var merged []string
	m, err := mergeInputs([]input{{Name: "s0", R: &shard}}, scanners.SinkFunc(func(f *finding.Finding) error {
		merged = append(merged, f.Path)
		return nil
	}))
	if err != nil {
		t.Fatal(err)
	}
	var want []string
	for _, f := range fs {
		want = append(want, f.Path)
	}
	slices.Sort(want)
	slices.Sort(merged)
	if !slices.Equal(merged, want) {
		t.Errorf("merged paths %q, want %q", merged, want)
	}
	var problems []string
	for _, p := range m.Stats.Problems {
		problems = append(problems, p.Path)
	}
	if !slices.Contains(problems, badUTF8One) || !slices.Contains(problems, badUTF8Two) {
		t.Errorf("merged unreadable %q", problems)
	}
}
