package retention

import (
	"path/filepath"
	"testing"
	"time"
)

// A location keeps its retention for its own files: app (30 days) does not
// take app-archive (ten years) beside it, nor a folder inside it that
// another location names, whichever is declared first.
func TestPurgeMostSpecificLocation(t *testing.T) {
	dir := t.TempDir()
	old := ago(400 * day)
	app := filepath.Join(dir, "app", "a.log")
	nested := filepath.Join(dir, "app", "keep", "k.log")
	archive := filepath.Join(dir, "app-archive", "2023.log")
	for _, p := range []string{app, nested, archive} {
		mkfile(t, p, "x\n", 0o644, old)
	}
	c := loadPolicy(t, dir, `locations:
  - name: app
    paths: [$DIR/app]
    retention: {max_age: 30d}
  - name: app-archive
    paths: [$DIR/app-archive]
    retention: {max_age: 3650d}
  - name: app-keep
    paths: [$DIR/app/keep/]
    retention: {max_age: 3650d}
`)
	p := planPurge(t, c, PlanOptions{Now: now, NoBreaker: true})
	want := map[string]struct{ loc, action string }{
		app:     {"app", Delete},
		nested:  {"app-keep", Keep},
		archive: {"app-archive", Keep},
	}
	if len(p.Items) != len(want) {
		t.Errorf("%d items, want %d", len(p.Items), len(want))
	}
	for path, w := range want {
		it := itemFor(p, path)
		if it == nil || it.Location.Name != w.loc || it.Action != w.action {
			t.Errorf("%s: %s, want %s in %s", path, describe(it), w.action, w.loc)
		}
	}
}

// The same in a bucket: s3://b/app is the folder app/, and its 30 days
// do not reach app-archive/ beside it.
func TestObjectsMostSpecificLocation(t *testing.T) {
	s, objects := objectEnv(t)
	s.Bucket(t, "pfx")
	for _, k := range []string{"app/a.log", "app-archive/2020/a.log", "app.log"} {
		s.Put(t, "pfx", k, []byte("x\n"))
	}
	c := loadPolicy(t, "", `locations:
  - {name: app, paths: ["s3://pfx/app"], retention: {max_age: 30d}}
  - {name: app-archive, paths: ["s3://pfx/app-archive/"], retention: {max_age: 3650d}}
`)
	later := time.Now().Add(400 * 24 * time.Hour)
	p := planPurge(t, c, PlanOptions{Now: later, Objects: objects, NoBreaker: true})
	if it := itemFor(p, "s3://pfx/app/a.log"); it == nil || it.Location.Name != "app" || it.Action != Delete {
		t.Errorf("app/a.log: %s, want a delete in app", describe(it))
	}
	if it := itemFor(p, "s3://pfx/app-archive/2020/a.log"); it == nil || it.Location.Name != "app-archive" || it.Action != Keep {
		t.Errorf("app-archive/2020/a.log: %s, want kept in app-archive", describe(it))
	}
	for _, path := range []string{"s3://pfx/app.log"} {
		if it := itemFor(p, path); it != nil {
			t.Errorf("%s is in no location's folder but was planned: %s", path, describe(it))
		}
	}
	if len(p.Items) != 2 {
		t.Errorf("%d items, want 2", len(p.Items))
	}
}

// describe names an item's location, action and reason.
func describe(it *Item) string {
	if it == nil {
		return "not planned"
	}
	return it.Action + " in " + it.Location.Name + " (" + it.Reason + ")"
}
