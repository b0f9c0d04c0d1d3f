package openat

import (
	"errors"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"testing"
	"time"
)

// tree makes root/a/b/x.log, root/held/x.log, a link root/a/l -> ../held
// and a link root/a/b/lx -> ../../held/x.log.
func tree(t *testing.T) string {
	t.Helper()
	root := t.TempDir()
	for _, d := range []string{"a/b", "held"} {
		if err := os.MkdirAll(filepath.Join(root, d), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	for _, f := range []string{"a/b/x.log", "held/x.log"} {
		if err := os.WriteFile(filepath.Join(root, f), []byte(f), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.Symlink("../held", filepath.Join(root, "a/l")); err != nil {
		t.Skip("no symbolic links here:", err)
	}
	os.Symlink("../../held/x.log", filepath.Join(root, "a/b/lx"))
	return root
}

func TestOpenDirRefusesLinksAndEscapes(t *testing.T) {
	root := tree(t)
	top, err := Open(root)
	if err != nil {
		t.Fatal(err)
	}
	defer top.Close()
	for _, tc := range []struct {
		rel  string
		want error // nil: opens
	}{
		{".", nil},
		{"a", nil},
		{"a/b", nil},
		{"a/l", ErrSymlink},
		{"a/l/x", ErrSymlink},
		{"a/b/x.log", ErrNotDir},
		{"a/b/lx", ErrSymlink},
		{"..", errAny},
		{"a/../held", errAny},
		{"/etc", errAny},
		{"a//b", errAny},
		{"nope", fs.ErrNotExist},
	} {
		d, err := top.OpenDir(tc.rel)
		switch {
		case tc.want == nil && err != nil:
			t.Errorf("OpenDir(%q): %v", tc.rel, err)
		case tc.want == nil:
			d.Close()
		case err == nil:
			d.Close()
			t.Errorf("OpenDir(%q) opened", tc.rel)
		case tc.want != errAny && !errors.Is(err, tc.want):
			t.Errorf("OpenDir(%q) = %v, want %v", tc.rel, err, tc.want)
		}
	}
}

// errAny stands for any error in the tables.
var errAny = errors.New("any error")

func TestOpenRegular(t *testing.T) {
	root := tree(t)
	top, err := Open(root)
	if err != nil {
		t.Fatal(err)
	}
	defer top.Close()
	d, err := top.OpenDir("a/b")
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	f, fi, err := d.OpenRegular("x.log")
	if err != nil {
		t.Fatal(err)
	}
	data, _ := io.ReadAll(f)
	f.Close()
	if string(data) != "a/b/x.log" || !fi.Mode().IsRegular() {
		t.Errorf("read %q, mode %v", data, fi.Mode())
	}
	for name, want := range map[string]error{"lx": ErrSymlink, "nope": fs.ErrNotExist, "../x": errAny, "x/y": errAny} {
		if f, _, err := d.OpenRegular(name); err == nil {
			f.Close()
			t.Errorf("OpenRegular(%q) opened", name)
		} else if want != errAny && !errors.Is(err, want) {
			t.Errorf("OpenRegular(%q) = %v, want %v", name, err, want)
		}
	}
	if _, _, err := top.OpenRegular("a"); !errors.Is(err, ErrNotRegular) && runtime.GOOS == "linux" {
		t.Errorf("OpenRegular(dir) = %v", err)
	}
}

// Unlink and Replace check the file right before acting, and tell when the
// data stays reachable through another name.
func TestUnlinkAndReplace(t *testing.T) {
	root := tree(t)
	top, _ := Open(root)
	defer top.Close()
	d, err := top.OpenDir("a/b")
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	path := filepath.Join(root, "a/b/x.log")
	want, _ := os.Lstat(path)
	same := func(fi fs.FileInfo) error {
		if !os.SameFile(fi, want) {
			return errors.New("another file")
		}
		return nil
	}
	refuse := errors.New("no")
	if _, err := d.Unlink("x.log", func(fs.FileInfo) error { return refuse }); !errors.Is(err, refuse) {
		t.Fatalf("Unlink refused: %v", err)
	}
	if _, err := d.Unlink("lx", func(fs.FileInfo) error { return nil }); !errors.Is(err, ErrSymlink) {
		t.Errorf("Unlink of a link: %v", err)
	}
	if _, err := os.Lstat(filepath.Join(root, "held/x.log")); err != nil {
		t.Fatal(err)
	}

	// A second name outside the directory.
	other := filepath.Join(t.TempDir(), "other")
	if err := os.Link(path, other); err != nil {
		t.Skip("no hard links here:", err)
	}
	tmp, err := d.Create("tmp", 0o600)
	if err != nil {
		t.Fatal(err)
	}
	io.WriteString(tmp, "new")
	left, err := d.Replace(tmp, "tmp", "x.log", same)
	tmp.Close()
	if err != nil {
		t.Fatal(err)
	}
	if data, _ := os.ReadFile(path); string(data) != "new" {
		t.Errorf("replaced content %q", data)
	}
	if runtime.GOOS == "linux" && left != 1 {
		t.Errorf("Replace left %d names of the old file, want 1", left)
	}
	want, _ = os.Lstat(path)
	left, err = d.Unlink("x.log", same)
	if err != nil || left != 0 {
		t.Errorf("Unlink = %d, %v", left, err)
	}
	if _, err := os.Lstat(path); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("still there: %v", err)
	}
}

func TestChtimesKeepsNanoseconds(t *testing.T) {
	root := t.TempDir()
	d, err := Open(root)
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	f, err := d.Create("f", 0o600)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	mtime := time.Date(2024, 3, 1, 10, 0, 0, 123456789, time.UTC)
	if err := d.Chtimes(f, "f", mtime, mtime); err != nil {
		t.Fatal(err)
	}
	fi, _ := os.Stat(filepath.Join(root, "f"))
	if !fi.ModTime().Equal(mtime) && runtime.GOOS == "linux" {
		t.Errorf("mtime %v, want %v", fi.ModTime(), mtime)
	}
}

// Entries lists the directory that was opened, even after its name was
// given to another directory.
func TestEntriesListsTheOpenedDirectory(t *testing.T) {
	root := tree(t)
	d, err := Open(root)
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	a, err := d.OpenDir("a")
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	if runtime.GOOS == "linux" {
		// The name a now leads to the held folder; the handle does not.
		if err := os.Rename(filepath.Join(root, "a"), filepath.Join(root, "a.old")); err != nil {
			t.Fatal(err)
		}
		if err := os.Rename(filepath.Join(root, "held"), filepath.Join(root, "a")); err != nil {
			t.Fatal(err)
		}
	}
	f, err := a.Entries()
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	names, err := f.Readdirnames(-1)
	if err != nil {
		t.Fatal(err)
	}
	slices.Sort(names)
	if !slices.Equal(names, []string{"b", "l"}) {
		t.Errorf("entries %q, want b and l", names)
	}
}
