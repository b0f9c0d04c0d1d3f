package config

import (
	"os/exec"
	"strings"
	"testing"
)

// TestConfigIsALeaf keeps config a leaf: it may import only this
// module's value packages, never the scanners, sources, reports or jobs
// that are built from it (they import config).
func TestConfigIsALeaf(t *testing.T) {
	if _, err := exec.LookPath("go"); err != nil {
		t.Skip("no go command")
	}
	out, err := exec.Command("go", "list", "-deps", "-f", "{{.ImportPath}}", ".").Output()
	if err != nil {
		t.Fatalf("go list: %v", err)
	}
	const module = "github.com/piiscan/piiscan/"
	allowed := map[string]bool{
		"config":                  true,
		"finding":                 true,
		"internal/itempath":       true,
		"scanners/allow":          true,
		"scanners/detect/catalog": true,
		"shard/shardspec":         true,
	}
	for _, p := range strings.Fields(string(out)) {
		if rel, ok := strings.CutPrefix(p, module); ok && !allowed[rel] {
			t.Errorf("config depends on %s: build it from config elsewhere (scansetup, policy)", p)
		}
	}
}
