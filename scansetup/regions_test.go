package scansetup

import (
	"testing"

	"github.com/piiscan/piiscan/config"
)

// detection.regions reaches the engine: national numbers of the listed
// regions are found, in any case the codes are written.
func TestDetectionRegions(t *testing.T) {
	base := "version: 1\nrules:\n  - id: phone\n    detector: phone_number\n    severity: low\n"
	for _, tt := range []struct {
		yaml string
		want int
	}{
		{base, 0},
		{base + "detection:\n  regions: [jp, IL]\n", 2},
	} {
		c, err := config.Parse("x.yaml", []byte(tt.yaml))
		if err != nil {
			t.Fatal(err)
		}
		e, err := Engine(c)
		if err != nil {
			t.Fatal(err)
		}
		if got := len(e.NewMatcher().Scan([]byte("tel 090-1234-5678, 09-7625400\n"), nil)); got != tt.want {
			t.Errorf("%q: %d phone numbers found, want %d", tt.yaml, got, tt.want)
		}
	}
}
