package jobs

import (
	"path/filepath"
	"testing"

	"github.com/piiscan/piiscan/config"
)

func TestPlacer(t *testing.T) {
	web, app := t.TempDir(), t.TempDir()
	c, err := config.Parse("test.yaml", []byte(`version: 1
rules:
  - {id: email, detector: email, severity: low}
locations:
  - {name: web, paths: [`+web+`]}
  - {name: app, paths: [`+app+`]}
`))
	if err != nil {
		t.Fatal(err)
	}
	place := Placer(c)
	for _, tt := range []struct{ path, want string }{
		{filepath.Join(web, "a.zip"), "web"},
		{filepath.Join(web, "a.zip"), "web"}, // asked again by the next member
		{filepath.Join(app, "b.log"), "app"},
		{filepath.Join(app, "b.log"), "app"},
		{"/elsewhere/c.log", ""},
		{"/elsewhere/c.log", ""},
		{filepath.Join(web, "a.zip"), "web"},
	} {
		got := ""
		if p := place(tt.path); p != nil {
			got = p.Location
		}
		if got != tt.want {
			t.Errorf("Place(%s) = %q, want %q", tt.path, got, tt.want)
		}
	}
}

// BenchmarkPlacerArchiveMembers places the same archive again and again,
// as the scanner does for each of its members: it used to cost an
// os.Getwd per location pattern each time.
//
//	go test -run '^$' -bench PlacerArchiveMembers ./jobs/
func BenchmarkPlacerArchiveMembers(b *testing.B) {
	dir := b.TempDir()
	c, err := config.Parse("test.yaml", []byte(`version: 1
rules:
  - {id: email, detector: email, severity: low}
locations:
  - {name: a, paths: [`+filepath.Join(dir, "a")+`, `+filepath.Join(dir, "b")+`, "logs/**/*.log"]}
  - {name: web, paths: [`+dir+`]}
`))
	if err != nil {
		b.Fatal(err)
	}
	place := Placer(c)
	p := filepath.Join(dir, "backup.zip")
	for b.Loop() {
		if place(p) == nil {
			b.Fatal("not placed")
		}
	}
}
