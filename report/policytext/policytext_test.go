package policytext

import (
	"strings"
	"testing"

	"github.com/piiscan/piiscan/config"
)

func TestWrite(t *testing.T) {
	cfg, err := config.Parse("x.yaml", []byte(`version: 1
policies:
  PP: {organisation: Example, file: privacy.md}
rules:
  - id: cards
    detector: credit_card
    severity: critical
    policy: ["PP 4.2 no card numbers in logs"]
  - id: ticket
    pattern: 'TCK-[0-9]{6}'
    class: ticket
    severity: low
    enabled: false
locations:
  - name: web
    paths: [/var/log/nginx]
    allowed: [ip_address]
    retention: {max_age: 30d}
holds:
  - paths: [/var/log/nginx/incident]
    reason: case 17
`))
	if err != nil {
		t.Fatal(err)
	}
	var b strings.Builder
	Write(&b, cfg)
	out := b.String()
	for _, want := range []string{
		"Policy: x.yaml",
		"cards   credit_card  critical  detector credit_card  yes",
		"ticket  ticket       low       pattern               no",
		"web             ip_address  30d by mtime, then delete  report",
		"hold: /var/log/nginx/incident (no end date): case 17",
		"  - PP 4.2 no card numbers in logs [Example, privacy.md]",
		"ticket\n  (cites no policy clause)",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("no %q in\n%s", want, out)
		}
	}
}
