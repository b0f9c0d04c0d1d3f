// Package hostiletest holds file names an attacker can give and findings
// and problems that carry them, for the tests of everything that shows or
// stores finding paths (reports, shard files).
package hostiletest

import (
	"github.com/piiscan/piiscan/finding"
	"github.com/piiscan/piiscan/internal/itempath"
	"github.com/piiscan/piiscan/scanners"
)

// Names an attacker can give files (finding paths, escaped as the scanner
// escapes them).
var (
	// EscName sets the terminal's window title, clears the screen and
	// colours what follows.
	EscName = itempath.Escape("logs/\x1b]0;pwned\x07\x1b[2J\x1b[31mred.log")
	// BidiName shows as "logs/invoiceexe.pdf" with a right-to-left
	// override.
	BidiName   = itempath.Escape("logs/invoice\u202efdp.exe")
	FenceName  = itempath.Escape("logs/```<!here>.log")
	BadUTF8One = itempath.Escape("logs/a\xff.log")
	BadUTF8Two = itempath.Escape("logs/a\xfe.log")
)

// Findings returns one email finding in each hostile path.
func Findings() []finding.Finding {
	var fs []finding.Finding
	for i, p := range []string{EscName, BidiName, FenceName, BadUTF8One, BadUTF8Two} {
		fs = append(fs, finding.Finding{Path: p, Line: i + 1, Column: 1, Length: 5, Class: finding.ClassEmail, Rule: "email",
			Severity: finding.SeverityMedium, Confidence: finding.ConfidenceHigh, Masked: "a***@example.com", Fingerprint: "ab"})
	}
	return fs
}

// Stats returns scan statistics whose problems name hostile paths.
func Stats() *scanners.Stats {
	return &scanners.Stats{Files: 5, Findings: 5, Problems: []scanners.Problem{
		{Path: EscName, Error: "open " + EscName + ": permission denied"},
		{Path: BidiName, Error: "permission denied"},
		{Path: BadUTF8One, Error: "permission denied"},
		{Path: BadUTF8Two, Error: "permission denied"},
	}}
}
