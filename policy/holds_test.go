package policy

import (
	"testing"

	"github.com/piiscan/piiscan/config"
)

func TestCovers(t *testing.T) {
	c, err := config.Parse("x.yaml", []byte(`version: 1
rules:
  - id: m
    detector: email
    severity: low
locations:
  - name: backups
    paths: [/backups]
    retention: {max_age: 13w}
holds:
  - paths: [/backups/2024-incident/**]
    reason: litigation 2024-17
    until: 2027-01-01
`))
	if err != nil {
		t.Fatal(err)
	}
	h := c.Holds[0]
	if !Covers(h, "/backups/2024-incident/db.tar.gz") || Covers(h, "/backups/db.tar.gz") {
		t.Error("hold coverage")
	}
}
