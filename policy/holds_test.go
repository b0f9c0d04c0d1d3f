package policy

import "testing"

func TestCovers(t *testing.T) {
	c := parse(t, `locations:
  - name: backups
    paths: [/backups]
    retention: {max_age: 13w}
holds:
  - paths: [/backups/2024-incident/**]
    reason: litigation 2024-17
    until: 2027-01-01
`)
	h := c.Holds[0]
	if !Covers(h, "/backups/2024-incident/db.tar.gz") || Covers(h, "/backups/db.tar.gz") {
		t.Error("hold coverage")
	}
}
