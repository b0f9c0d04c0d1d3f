package shard

import (
	"bytes"
	"slices"
	"testing"

	"github.com/piiscan/piiscan/finding"
	"github.com/piiscan/piiscan/internal/hostiletest"
	"github.com/piiscan/piiscan/scanners"
)

// Two names that differ only in invalid UTF-8 keep different paths in a
// shard's findings file (finding.EncodePath), and a merge gets the paths
// back as they were.
func TestMergeKeepsInvalidUTF8Apart(t *testing.T) {
	fs := hostiletest.Findings()
	st := hostiletest.Stats()

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
	if !slices.Contains(problems, hostiletest.BadUTF8One) || !slices.Contains(problems, hostiletest.BadUTF8Two) {
		t.Errorf("merged unreadable %q", problems)
	}
}
