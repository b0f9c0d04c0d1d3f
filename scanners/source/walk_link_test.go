package source

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"testing"
)

func TestWalkFollowsLinkedTargetDirectory(t *testing.T) {
	dir := t.TempDir()
	real := filepath.Join(dir, "real")
	os.MkdirAll(filepath.Join(real, "sub"), 0o755)
	os.WriteFile(filepath.Join(real, "a.log"), []byte("a"), 0o644)
	os.WriteFile(filepath.Join(real, "sub", "b.log"), []byte("b"), 0o644)
	link := filepath.Join(dir, "link")
	if err := os.Symlink(real, link); err != nil {
		t.Fatal(err)
	}
	var got []string
	err := Walk(context.Background(), []string{link}, WalkOptions{}, WalkFuncs{
		Item:    func(it Item) error { got = append(got, it.Path); return nil },
		Error:   func(p string, err error) { t.Errorf("error %s: %v", p, err) },
		Skipped: func(p, r string) { t.Errorf("skipped %s: %s", p, r) },
	})
	if err != nil {
		t.Fatal(err)
	}
	want := []string{filepath.Join(link, "a.log"), filepath.Join(link, "sub", "b.log")}
	if !slices.Equal(got, want) {
		t.Errorf("got %q, want %q", got, want)
	}
}
