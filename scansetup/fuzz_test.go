package scansetup

import (
	"testing"

	"github.com/piiscan/piiscan"
	"github.com/piiscan/piiscan/config"
)

// FuzzParse checks that no policy file crashes the loader, and that one it
// accepts compiles.
func FuzzParse(f *testing.F) {
	f.Add(piiscan.DefaultRules)
	f.Add([]byte("version: 1\nrules:\n  - id: a\n    class: x\n    pattern: '(?<value>\\d+)'\n    severity: low\n"))
	f.Add([]byte("version: 1\nrules: [\n"))
	f.Add([]byte("version: 1\nallow:\n  classes:\n    email: {values: [a]}\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		c, err := config.Parse("fuzz.yaml", data)
		if err != nil {
			return
		}
		if _, err := Engine(c); err != nil {
			t.Fatalf("accepted config does not compile: %v", err)
		}
	})
}
