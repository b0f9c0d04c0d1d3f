//go:build unix

package source

import (
	"context"
	"errors"
	"io/fs"
	"os"
	"syscall"
	"testing"
	"time"
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
		// Stat of a fifo does not open it, so this cannot block. Named
		// by the user, it is read (as <(command) gives).
		l, err := runWalk(t, context.Background(), []string{fifo, in(root, "a.txt")}, WalkOptions{})
		if err != nil {
			t.Fatal(err)
		}
		checkEvents(t, l.events, []string{evItem(fifo), evItem(in(root, "a.txt"))})
	})
	t.Run("device as target", func(t *testing.T) {
		if _, err := os.Stat(os.DevNull); err != nil {
			t.Skip(err)
		}
		l, err := runWalk(t, context.Background(), []string{os.DevNull}, WalkOptions{})
		if err != nil {
			t.Fatal(err)
		}
		// Named by the user, it is an error, not a silent skip.
		checkEvents(t, l.events, []string{"error " + os.DevNull})
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

// openWithin opens it in the background and gives up after d. A stuck
// open of a named pipe is released by opening the pipe for writing.
func openWithin(t *testing.T, it Item, d time.Duration) (*os.File, error) {
	t.Helper()
	type res struct {
		f   *os.File
		err error
	}
	done := make(chan res, 1)
	go func() {
		f, err := it.Open()
		done <- res{f, err}
	}()
	select {
	case r := <-done:
		return r.f, r.err
	case <-time.After(d):
		if w, err := os.OpenFile(it.Path, os.O_WRONLY, 0); err == nil {
			w.Close()
		}
		if r := <-done; r.f != nil {
			r.f.Close()
		}
		regression(t, "opening a file replaced by a named pipe blocks",
			"Item.Open(%s) still blocked after %v", it.Path, d)
		return nil, nil
	}
}

// A file listed by the walk and replaced before it is opened: by a named
// pipe without a writer (open used to block forever, and with it the
// scan and its shutdown), by a directory, or by a symbolic link.
func TestItemOpenRefusesWhatReplacedAFile(t *testing.T) {
	root := t.TempDir()
	mkTree(t, root, "fifo.log", "dir.log", "link.log", "kept.log", "secret")
	if err := os.WriteFile(in(root, "secret"), []byte("not for this scan"), 0o600); err != nil {
		t.Fatal(err)
	}
	symlink(t, "kept.log", in(root, "followed.log"))
	l, err := runWalk(t, context.Background(), []string{root}, WalkOptions{FollowSymlinks: true})
	if err != nil {
		t.Fatal(err)
	}

	swap := func(name string, make func(p string) error) {
		t.Helper()
		p := in(root, name)
		if err := os.Remove(p); err != nil {
			t.Fatal(err)
		}
		if err := make(p); err != nil {
			t.Skipf("replacing %s: %v", name, err)
		}
	}
	swap("fifo.log", func(p string) error { return syscall.Mkfifo(p, 0o644) })
	swap("dir.log", func(p string) error { return os.Mkdir(p, 0o755) })
	swap("link.log", func(p string) error { return os.Symlink("secret", p) })

	for _, tt := range []struct {
		name    string
		refused bool
	}{
		{"fifo.log", true},
		{"dir.log", true},
		{"link.log", true},
		{"kept.log", false},
		{"followed.log", false}, // the walk followed this link: so does Open
	} {
		t.Run(tt.name, func(t *testing.T) {
			it, ok := l.items[in(root, tt.name)]
			if !ok {
				t.Fatalf("the walk did not list %s: %q", tt.name, l.events)
			}
			start := time.Now()
			f, err := openWithin(t, it, 10*time.Second)
			if f != nil {
				f.Close()
			}
			if !tt.refused {
				if err != nil {
					t.Fatalf("Open = %v, want the file", err)
				}
				return
			}
			if !errors.Is(err, ErrNotRegular) {
				t.Fatalf("Open = %v, want an error wrapping ErrNotRegular", err)
			}
			var pe *fs.PathError
			if !errors.As(err, &pe) || pe.Path != it.Path {
				t.Errorf("Open = %v, want a *fs.PathError for %s", err, it.Path)
			}
			t.Logf("refused in %v: %v", time.Since(start), err)
		})
	}
}
