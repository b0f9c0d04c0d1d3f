package scansetup

import (
	"testing"

	"github.com/piiscan/piiscan"
	"github.com/piiscan/piiscan/config"
	"github.com/piiscan/piiscan/finding"
)

// The default rules compile, and the default policy allows nothing.
func TestDefaultRules(t *testing.T) {
	c, err := config.Parse("rules.yaml", piiscan.DefaultRules)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := Engine(c); err != nil {
		t.Fatal(err)
	}
	allow, err := Allowlist(c)
	if err != nil {
		t.Fatal(err)
	}
	// The default allows nothing.
	if allow.Value(finding.ClassCreditCard, []byte("4111111111111111"), []byte("4111111111111111")) ||
		allow.Path("examples/x.log", "") {
		t.Error("default policy allows something")
	}
}
