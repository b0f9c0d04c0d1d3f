//go:build unix

package source

import (
	"context"
	"errors"
	"io/fs"
	"os"
	"syscall"
	"testing"
)

func TestWalkSpecialFiles(t *testing.T) {
	root := t.TempDir()
	mkTree(t, root, "a.txt", "z.txt")
	fifo := in(root, "m.fifo")
	if err := syscall.Mkfifo(fifo, 0o644); err != nil {
		t.Skipf("mkfifo: %v", err)
	}
	symlink(t, "m.fifo", in(root, "n.link"))

	t.Run("fifo in a directory", func(t *testing.T) {
		l, err := runWalk(t, context.Background(), []string{root}, WalkOptions{})
		if err != nil {
			t.Fatal(err)
		}
		checkEvents(t, l.events, []string{
			evItem(in(root, "a.txt")),
			evSkip(fifo, SkipSpecial),
			evSkip(in(root, "n.link"), SkipSymlink),
			evItem(in(root, "z.txt")),
		})
	})
	t.Run("followed link to a fifo", func(t *testing.T) {
		l, err := runWalk(t, context.Background(), []string{root}, WalkOptions{FollowSymlinks: true})
		if err != nil {
			t.Fatal(err)
		}
		checkEvents(t, l.events, []string{
			evItem(in(root, "a.txt")),
			evSkip(fifo, SkipSpecial),
			evSkip(in(root, "n.link"), SkipSpecial),
			evItem(in(root, "z.txt")),
		})
	})
	t.Run("fifo as target", func(t *testing.T) {
		// Stat of a fifo does not open it, so this cannot block.
		l, err := runWalk(t, context.Background(), []string{fifo, in(root, "a.txt")}, WalkOptions{})
		if err != nil {
			t.Fatal(err)
		}
		checkEvents(t, l.events, []string{evSkip(fifo, SkipSpecial), evItem(in(root, "a.txt"))})
	})
	t.Run("device as target", func(t *testing.T) {
		if _, err := os.Stat(os.DevNull); err != nil {
			t.Skip(err)
		}
		l, err := runWalk(t, context.Background(), []string{os.DevNull}, WalkOptions{})
		if err != nil {
			t.Fatal(err)
		}
		checkEvents(t, l.events, []string{evSkip(os.DevNull, SkipSpecial)})
	})
}

// chmod000 makes dir unreadable for the rest of the test; root can read it
// anyway, so the test is skipped for root.
func chmod000(t *testing.T, dir string) {
	t.Helper()
	if os.Geteuid() == 0 {
		t.Skip("running as root: permissions are not enforced")
	}
	if err := os.Chmod(dir, 0); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.Chmod(dir, 0o755) })
}

func TestWalkUnreadableDirectory(t *testing.T) {
	root := t.TempDir()
	mkTree(t, root, "a/f.txt", "locked/secret.txt", "z.txt")
	locked := in(root, "locked")
	chmod000(t, locked)

	l, err := runWalk(t, context.Background(), []string{root}, WalkOptions{})
	if err != nil {
		t.Fatalf("Walk: %v", err)
	}
	checkEvents(t, l.events, []string{evItem(in(root, "a/f.txt")), evErr(locked), evItem(in(root, "z.txt"))})
	if !errors.Is(l.errs[locked], fs.ErrPermission) {
		t.Errorf("error for %s = %v, want ErrPermission", locked, l.errs[locked])
	}

	t.Run("as target", func(t *testing.T) {
		l, err := runWalk(t, context.Background(), []string{locked, in(root, "z.txt")}, WalkOptions{})
		if err != nil {
			t.Fatalf("Walk: %v", err)
		}
		checkEvents(t, l.events, []string{evErr(locked), evItem(in(root, "z.txt"))})
	})
}

// An excluded directory is pruned: the walk does not even read it, so an
// unreadable excluded directory causes no error.
func TestWalkExcludePrunesWithoutReading(t *testing.T) {
	root := t.TempDir()
	mkTree(t, root, "skip/x.txt", "sub/skip/y.txt", "sub/keep.txt")
	chmod000(t, in(root, "skip"))
	chmod000(t, in(root, "sub/skip"))

	for _, glob := range []string{"**/skip/**", "skip"} {
		t.Run(glob, func(t *testing.T) {
			l, err := runWalk(t, context.Background(), []string{root}, WalkOptions{Exclude: []string{glob}})
			if err != nil {
				t.Fatal(err)
			}
			checkEvents(t, l.events, []string{evItem(in(root, "sub/keep.txt"))})
		})
	}
}
