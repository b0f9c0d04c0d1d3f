package detect

import (
	"os"
	"strings"
	"testing"
)

func TestZZProbe(t *testing.T) {
	e := allBuiltins(t)
	for _, l := range strings.Split(os.Getenv("PROBE"), "\n") {
		if l == "" {
			continue
		}
		t.Logf("%-60q -> %q", l, found(e, l, nil))
	}
}
