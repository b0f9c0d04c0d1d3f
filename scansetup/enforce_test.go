package scansetup

import (
	"testing"

	"github.com/piiscan/piiscan/scanners"
)

// Enforcement acts on every finding: the per-stream cap of a report scan
// would leave the rest of a large file unredacted or unerased.
func TestEnforcementScanSeesEveryFinding(t *testing.T) {
	for _, erase := range []bool{false, true} {
		o := enforcementScan(scanners.Options{MaxFindings: 10}, erase)
		if o.MaxFindings >= 0 {
			t.Errorf("erase=%v: MaxFindings = %d, want no cap", erase, o.MaxFindings)
		}
	}
}
