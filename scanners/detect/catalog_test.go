package detect

import (
	"maps"
	"slices"
	"testing"

	"github.com/piiscan/piiscan/scanners/detect/catalog"
)

// The catalog config checks rules.yaml with names exactly the validators
// and built-in detectors detection has.
func TestCatalog(t *testing.T) {
	if got, want := slices.Sorted(maps.Keys(Validators)), catalog.Validators(); !slices.Equal(got, want) {
		t.Errorf("validators %v, catalog has %v", got, want)
	}
	if n := len(catalog.Detectors()); n != numBuiltinDetectors {
		t.Errorf("catalog has %d detectors, detect %d", n, numBuiltinDetectors)
	}
	for id, b := range builtins {
		if b.Name != detectorNames[id] {
			t.Errorf("detector %d is %q, want %q", id, b.Name, detectorNames[id])
		}
	}
}
