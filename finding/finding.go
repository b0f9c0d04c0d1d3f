// Package finding defines what piiscan reports: a located, classified and
// masked occurrence of personal data. Nothing in a Finding holds a raw value
// unless the user asked for it with --reveal.
package finding

import (
	"fmt"
	"strings"
)

// Finding is one occurrence of personal data. The JSON field names are a
// stable contract: other tools read them.
type Finding struct {
	// Path is the file path, "-" for standard input, or ARCHIVE!MEMBER for
	// archive members (nested: a.tar.gz!dump.zip!users.csv). A '!' or '\'
	// in a name is escaped with '\' (report\!2026-11.log is one file);
	// itempath.Split and itempath.Outer read it back. It holds the
	// bytes of the names, valid UTF-8 or not; the JSON reports write a
	// byte of invalid UTF-8 as \xNN (see EncodePath).
	Path string `json:"path"`
	// Line is the 1-based line number.
	Line int `json:"line"`
	// Column is the 1-based byte offset of the value within its line.
	Column int `json:"column"`
	// Length is the length of the value in bytes.
	Length int `json:"length"`
	// Field names where a structured source holds the value: a Parquet
	// or Avro column's path, or a worksheet's cell (Customers!D2). Line is
	// then the row number and Column the 1-based byte offset of the value
	// in the field.
	Field string `json:"field,omitempty"`
	// Class is the kind of personal data (email, ip_address, ...).
	Class string `json:"class"`
	// Rule is the id of the rule in rules.yaml that found it.
	Rule string `json:"rule"`
	// Severity comes from the rule.
	Severity Severity `json:"severity"`
	// Confidence says how sure the detector is.
	Confidence Confidence `json:"confidence"`
	// Masked is a display form of the value that does not reveal it.
	Masked string `json:"masked"`
	// Fingerprint is a keyed HMAC-SHA256 of the normalised value, so the same
	// value can be correlated across files and runs without being revealed.
	Fingerprint string `json:"fingerprint"`
	// Policy references the policy clauses the rule enforces; `piiscan
	// rules list` shows their text.
	Policy string `json:"policy,omitempty"`
	// Location is the policy location the path belongs to ("" for none).
	Location string `json:"location,omitempty"`
	// Disallowed says the class is not allowed where it was found: any
	// class outside the classes its location allows, and everything in a
	// path that no location names.
	Disallowed bool `json:"disallowed"`
	// Violates references the clauses a disallowed finding breaks: its
	// location's and its rule's.
	Violates string `json:"violates,omitempty"`
	// Value is the raw value. It is empty unless the scan ran with --reveal.
	Value string `json:"value,omitempty"`
}

// Severity orders findings for --fail-on and reports.
type Severity int

// Severities, lowest first. The zero value is invalid so that a missing
// severity in a config is caught.
const (
	SeverityLow Severity = iota + 1
	SeverityMedium
	SeverityHigh
	SeverityCritical
)

var severityNames = [...]string{"", "low", "medium", "high", "critical"}

// Severities lists every valid severity, lowest first.
func Severities() []Severity {
	return []Severity{SeverityLow, SeverityMedium, SeverityHigh, SeverityCritical}
}

// String returns the lower-case name of s.
func (s Severity) String() string {
	if s < SeverityLow || s > SeverityCritical {
		return fmt.Sprintf("severity(%d)", int(s))
	}
	return severityNames[s]
}

// ParseSeverity parses a severity name (case-insensitive).
func ParseSeverity(name string) (Severity, error) {
	for i := SeverityLow; i <= SeverityCritical; i++ {
		if strings.EqualFold(name, severityNames[i]) {
			return i, nil
		}
	}
	return 0, fmt.Errorf("unknown severity %q (want low, medium, high or critical)", name)
}

// MarshalText implements encoding.TextMarshaler.
func (s Severity) MarshalText() ([]byte, error) {
	if s < SeverityLow || s > SeverityCritical {
		return nil, fmt.Errorf("invalid severity %d", int(s))
	}
	return []byte(s.String()), nil
}

// UnmarshalText implements encoding.TextUnmarshaler.
func (s *Severity) UnmarshalText(b []byte) error {
	v, err := ParseSeverity(string(b))
	if err != nil {
		return err
	}
	*s = v
	return nil
}

// Confidence says how likely a finding is to be real personal data.
type Confidence int

// Confidence levels, lowest first.
const (
	ConfidenceLow Confidence = iota + 1
	ConfidenceMedium
	ConfidenceHigh
)

var confidenceNames = [...]string{"", "low", "medium", "high"}

// String returns the lower-case name of c.
func (c Confidence) String() string {
	if c < ConfidenceLow || c > ConfidenceHigh {
		return fmt.Sprintf("confidence(%d)", int(c))
	}
	return confidenceNames[c]
}

// ParseConfidence parses a confidence name (case-insensitive).
func ParseConfidence(name string) (Confidence, error) {
	for i := ConfidenceLow; i <= ConfidenceHigh; i++ {
		if strings.EqualFold(name, confidenceNames[i]) {
			return i, nil
		}
	}
	return 0, fmt.Errorf("unknown confidence %q (want low, medium or high)", name)
}

// MarshalText implements encoding.TextMarshaler.
func (c Confidence) MarshalText() ([]byte, error) {
	if c < ConfidenceLow || c > ConfidenceHigh {
		return nil, fmt.Errorf("invalid confidence %d", int(c))
	}
	return []byte(c.String()), nil
}

// UnmarshalText implements encoding.TextUnmarshaler.
func (c *Confidence) UnmarshalText(b []byte) error {
	v, err := ParseConfidence(string(b))
	if err != nil {
		return err
	}
	*c = v
	return nil
}
