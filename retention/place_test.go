package retention

import (
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"
)

// TestPlaceOf checks that placeOf tells an object from a file by its path
// alone, and what each place says where they differ.
func TestPlaceOf(t *testing.T) {
	dir := t.TempDir()
	real := filepath.Join(dir, "real")
	if err := os.Mkdir(real, 0o755); err != nil {
		t.Fatal(err)
	}
	link := filepath.Join(dir, "link")
	if err := os.Symlink(real, link); err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	for _, tc := range []struct {
		path      string
		object    bool
		holdNames []string
	}{
		{"s3://logs/app/x.log", true, []string{"s3://logs/app/x.log"}},
		{"s3://logs", true, []string{"s3://logs"}},
		{real, false, []string{real}},
		{link, false, []string{link, real}},
		{"relative/s3://x", false, []string{"relative/s3://x"}},
	} {
		at := placeOf(tc.path)
		if _, object := at.(objectSide); object != tc.object {
			t.Errorf("placeOf(%q) = %T, want an object: %v", tc.path, at, tc.object)
		}
		if got := at.holdNames(tc.path); !slices.Equal(got, tc.holdNames) {
			t.Errorf("%q: holdNames = %q, want %q", tc.path, got, tc.holdNames)
		}
		if got := at.originalTimeInMeta(); got != tc.object {
			t.Errorf("%q: originalTimeInMeta = %v", tc.path, got)
		}
		// An hour ahead on the plan's clock: a file is as old as the
		// real clock says, an object as old as the plan's.
		age := at.age(now, now.Add(time.Hour))
		if tc.object != (age >= time.Hour) {
			t.Errorf("%q: age = %v", tc.path, age)
		}
	}
	// An item made without a place (as tests make them) is where its
	// path says: a file, or an object for an s3:// URL, never a local
	// folder that happens to be named s3:.
	if at := (&Item{Path: real}).where(); at != (fileSide{}) {
		t.Errorf("an item without a place is at %T", at)
	}
	if at := (&Item{Path: "s3://b/k"}).where(); at != (objectSide{}) {
		t.Errorf("an s3:// item without a place is at %T", at)
	}
}

// A local folder named like a bucket URL (./s3:/b) is an ordinary folder
// of the local root: a bucket root of the same location is never taken for
// the folder its local files are acted on under.
func TestRootOfIgnoresBucketRoots(t *testing.T) {
	dir := t.TempDir()
	t.Chdir(dir)
	mkfile(t, filepath.Join(dir, "s3:", "b", "k.log"), "x", 0o644, time.Time{})
	c := loadPolicy(t, dir, "locations:\n  - name: mixed\n    paths: [., \"s3://b/\"]\n")
	root, err := rootOf(c.Locations[0], filepath.Join("s3:", "b", "k.log"))
	if err != nil {
		t.Fatal(err)
	}
	if want, _ := filepath.Abs("."); root != want {
		t.Errorf("root %s, want %s", root, want)
	}
}
