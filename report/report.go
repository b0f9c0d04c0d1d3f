// Package report writes scan findings in the formats people and tools read:
// JSON lines, a JSON document, SARIF 2.1.0 and a table for terminals. Every
// format streams: findings are written as they arrive and only counts are
// kept in memory.
package report

import (
	"fmt"
	"io"
	"slices"
	"strings"
	"time"

	"github.com/piiscan/piiscan/finding"
	"github.com/piiscan/piiscan/scanners"
	"github.com/piiscan/piiscan/scanners/detect"
)

// Format names a report format.
type Format string

// Formats.
const (
	FormatTable Format = "table"
	FormatJSONL Format = "jsonl"
	FormatJSON  Format = "json"
	FormatSARIF Format = "sarif"
)

// Formats lists the valid formats.
func Formats() []Format { return []Format{FormatTable, FormatJSONL, FormatJSON, FormatSARIF} }

// ParseFormat checks a format name.
func ParseFormat(s string) (Format, error) {
	for _, f := range Formats() {
		if string(f) == s {
			return f, nil
		}
	}
	return "", fmt.Errorf("unknown format %q (want table, jsonl, json or sarif)", s)
}

// Meta describes the scan a report is about.
type Meta struct {
	Version string
	Rules   []detect.Rule
	Targets []string
	Start   time.Time
}

// Writer is a report being written. Add findings, then Close with the stats
// of the finished scan.
type Writer interface {
	scanners.Sink
	Close(stats *scanners.Stats) error
}

// New returns a Writer for format writing to w.
func New(format Format, w io.Writer, meta Meta) (Writer, error) {
	switch format {
	case FormatJSONL:
		return newJSONL(w), nil
	case FormatJSON:
		return newJSON(w, meta)
	case FormatSARIF:
		return newSARIF(w, meta)
	case FormatTable:
		return newTable(w, meta), nil
	}
	return nil, fmt.Errorf("unknown format %q", format)
}

// Summary counts findings.
type Summary struct {
	Total int64 `json:"findings"`
	// Disallowed counts findings of classes their location does not allow.
	Disallowed int64            `json:"disallowed"`
	ByLocation map[string]int64 `json:"by_location"`
	ByClass    map[string]int64 `json:"by_class"`
	BySeverity map[string]int64 `json:"by_severity"`
	ByPath     map[string]int64 `json:"by_path"`
	ByRule     map[string]int64 `json:"by_rule"`
}

func newSummary() Summary {
	return Summary{ByClass: map[string]int64{}, BySeverity: map[string]int64{}, ByPath: map[string]int64{}, ByRule: map[string]int64{}, ByLocation: map[string]int64{}}
}

// Add counts f.
func (s *Summary) Add(f *finding.Finding) {
	s.Total++
	s.ByClass[f.Class]++
	s.BySeverity[f.Severity.String()]++
	s.ByPath[f.Path]++
	s.ByRule[f.Rule]++
	if f.Disallowed {
		s.Disallowed++
	}
	if f.Location != "" {
		s.ByLocation[f.Location]++
	}
}

// Count is a name with a number, for sorted listings.
type Count struct {
	Name  string
	Count int64
}

// Top returns the n largest counts of m, largest first, ties by name.
func Top(m map[string]int64, n int) []Count {
	out := make([]Count, 0, len(m))
	for k, v := range m {
		out = append(out, Count{k, v})
	}
	slices.SortFunc(out, func(a, b Count) int {
		if a.Count != b.Count {
			if a.Count > b.Count {
				return -1
			}
			return 1
		}
		return strings.Compare(a.Name, b.Name)
	})
	if n > 0 && len(out) > n {
		out = out[:n]
	}
	return out
}
