package shard

import (
	"testing"

	"github.com/piiscan/piiscan/report"
)

// FormatOf names report's formats as shardspec spells them.
func TestFormatOf(t *testing.T) {
	for name, want := range map[string]report.Format{"a.sarif": report.FormatSARIF, "a.JSON": report.FormatJSON,
		"a.jsonl": report.FormatJSONL, "a.ndjson": report.FormatJSONL, "a.txt": report.FormatTable} {
		if got, err := FormatOf(name); got != want || err != nil {
			t.Errorf("FormatOf(%q) = %q, %v; want %q", name, got, err, want)
		}
	}
	if _, err := FormatOf("a.csv"); err == nil {
		t.Error("FormatOf(a.csv): no error")
	}
}
