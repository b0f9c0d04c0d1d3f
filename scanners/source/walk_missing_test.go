package source

import (
	"context"
	"errors"
	"io/fs"
	"os"
	"testing"
)

// A target that does not exist is ErrMissing (and still ErrNotExist); a
// path that is gone inside a walked directory is not.
func TestWalkMissingIsDistinct(t *testing.T) {
	root := t.TempDir()
	mkTree(t, root, "d/f.txt", "g.txt")
	missing := in(root, "missing")
	underFile := in(root, "g.txt/sub") // ENOTDIR
	dangling := in(root, "link")
	if err := os.Symlink(in(root, "nowhere"), dangling); err != nil {
		t.Skip(err)
	}
	if err := os.Symlink(in(root, "gone"), in(root, "d/broken")); err != nil {
		t.Fatal(err)
	}
	l, err := runWalk(t, context.Background(), []string{missing, underFile, dangling, in(root, "d")}, WalkOptions{FollowSymlinks: true})
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{missing, underFile, dangling} {
		if err := l.errs[p]; !errors.Is(err, ErrMissing) {
			t.Errorf("%s: %v, want ErrMissing", p, err)
		}
	}
	if !errors.Is(l.errs[missing], fs.ErrNotExist) {
		t.Errorf("%v: the missing error no longer says why", l.errs[missing])
	}
	broken := in(root, "d/broken")
	if err := l.errs[broken]; err == nil || errors.Is(err, ErrMissing) {
		t.Errorf("a broken link inside the walk: %v, want an error that is not ErrMissing", err)
	}
	if _, ok := l.items[in(root, "d/f.txt")]; !ok {
		t.Errorf("the existing target was not walked: %q", l.events)
	}
}
