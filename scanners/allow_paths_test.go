package scanners

import (
	"path/filepath"
	"slices"
	"testing"

	"github.com/piiscan/piiscan/finding"
	"github.com/piiscan/piiscan/scanners/allow"
)

// The globs of a class's rules allow that class alone in the paths they
// match: other classes there, and the class elsewhere, are still found.
func TestScanAllowlistClassPaths(t *testing.T) {
	dir := t.TempDir()
	line := []byte("eve@example.com from 192.0.2.1\n")
	writeFile(t, filepath.Join(dir, "app.log"), line)
	writeFile(t, filepath.Join(dir, "web", "access.log"), line)
	list, err := NewAllowlist(allow.Rules{}, map[string]allow.Rules{
		finding.ClassIPAddress: {Paths: []string{"**/web/*.log"}},
		finding.ClassEmail:     {Values: []string{"nobody@example.com"}},
	}, "US")
	if err != nil {
		t.Fatal(err)
	}
	opts := testOptions(t)
	opts.Allow = list
	got, _ := collect(t, opts, dir)
	var seen []string
	for _, f := range got {
		seen = append(seen, filepath.Base(f.Path)+" "+f.Class)
	}
	slices.Sort(seen)
	want := []string{"access.log " + finding.ClassEmail, "app.log " + finding.ClassEmail, "app.log " + finding.ClassIPAddress}
	if !slices.Equal(seen, want) {
		t.Errorf("got %q, want %q", seen, want)
	}
}
