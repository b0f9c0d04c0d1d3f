package config

import (
	"fmt"
	"strings"
	"testing"
)

func TestAliasExpansionIsBounded(t *testing.T) {
	const head = "version: 1\nrules:\n  - id: mail\n    detector: email\n    severity: low\n"
	// One large scalar behind many aliases: small to write, 19 MiB to use.
	var wide strings.Builder
	wide.WriteString(head + "    description: &a \"" + strings.Repeat("x", 64<<10) + "\"\nscan:\n  exclude:\n")
	for range 300 {
		wide.WriteString("    - *a\n")
	}
	// The classic nested form: 10 aliases per level, 9 levels.
	var deep strings.Builder
	deep.WriteString(head + "x0: &l0 [\"lol\"]\n")
	for i := 1; i <= 9; i++ {
		fmt.Fprintf(&deep, "x%d: &l%d [%s]\n", i, i, strings.TrimSuffix(strings.Repeat(fmt.Sprintf("*l%d,", i-1), 10), ","))
	}
	for name, doc := range map[string]string{"wide": wide.String(), "deep": deep.String()} {
		t.Run(name, func(t *testing.T) {
			_, err := Parse("x.yaml", []byte(doc))
			if err == nil || !strings.Contains(err.Error(), "aliases expand the document past 16 MiB") {
				t.Fatalf("error %v, want the alias expansion refused", err)
			}
			if !strings.HasPrefix(err.Error(), "x.yaml:") {
				t.Errorf("error %q does not name the file and line", err)
			}
		})
	}
}

func TestAliasesInOrdinaryUse(t *testing.T) {
	doc := `version: 1
rules:
  - id: mail
    detector: email
    severity: low
locations:
  - name: a
    paths: [/srv/a]
    retention: &keep {max_age: 30d}
  - name: b
    paths: [/srv/b]
    retention: *keep
`
	c, err := Parse("x.yaml", []byte(doc))
	if err != nil {
		t.Fatal(err)
	}
	if len(c.Locations) != 2 || c.Locations[1].MaxAge != c.Locations[0].MaxAge {
		t.Errorf("locations = %+v", c.Locations)
	}
}
