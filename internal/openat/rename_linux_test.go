package openat

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// writeFiles creates files (name: content) below root.
func writeFiles(t *testing.T, root string, files map[string]string) {
	t.Helper()
	for name, body := range files {
		p := filepath.Join(root, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// In the instant between the last check and the removal, another file of
// the root is renamed over the planned name: it must not be the one
// removed, and the removal is not reported as done.
func TestUnlinkNeverRemovesAFileRenamedOverTheName(t *testing.T) {
	root := t.TempDir()
	writeFiles(t, root, map[string]string{"a/x.log": "planned\n", "held/x.log": "held\n"})
	top, err := Open(root)
	if err != nil {
		t.Fatal(err)
	}
	defer top.Close()
	d, err := top.OpenDir("a")
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	_, err = d.Unlink("x.log", func(fs.FileInfo) error {
		// The attacker's move, right after the check.
		return os.Rename(filepath.Join(root, "held/x.log"), filepath.Join(root, "a/x.log"))
	})
	if !errors.Is(err, ErrChanged) {
		t.Fatalf("Unlink = %v, want ErrChanged", err)
	}
	if b, err := os.ReadFile(filepath.Join(root, "a/x.log")); err != nil || string(b) != "held\n" {
		t.Errorf("the held file's data: %q, %v; want it kept", b, err)
	}
	if left := parked(t, filepath.Join(root, "a")); len(left) > 0 {
		t.Errorf("parked files left: %q", left)
	}
}

func TestReplaceNeverReplacesAFileRenamedOverTheName(t *testing.T) {
	root := t.TempDir()
	writeFiles(t, root, map[string]string{"a/x.log": "planned\n", "a/.piiscan-tmp-new": "rewritten\n", "held/x.log": "held\n"})
	top, err := Open(root)
	if err != nil {
		t.Fatal(err)
	}
	defer top.Close()
	d, err := top.OpenDir("a")
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	src, _, err := d.OpenRegular(".piiscan-tmp-new")
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	_, err = d.Replace(src, ".piiscan-tmp-new", "x.log", func(fs.FileInfo) error {
		return os.Rename(filepath.Join(root, "held/x.log"), filepath.Join(root, "a/x.log"))
	})
	if !errors.Is(err, ErrChanged) {
		t.Fatalf("Replace = %v, want ErrChanged", err)
	}
	if b, err := os.ReadFile(filepath.Join(root, "a/x.log")); err != nil || string(b) != "held\n" {
		t.Errorf("the held file's data: %q, %v; want it kept", b, err)
	}
	if b, err := os.ReadFile(filepath.Join(root, "a/.piiscan-tmp-new")); err != nil || string(b) != "rewritten\n" {
		t.Errorf("the new content: %q, %v; want it back under its temporary name", b, err)
	}
}

// Without interference, Unlink removes the file and leaves nothing parked.
func TestUnlinkLeavesNothingParked(t *testing.T) {
	root := t.TempDir()
	writeFiles(t, root, map[string]string{"x.log": "x\n"})
	d, err := Open(root)
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	if left, err := d.Unlink("x.log", func(fs.FileInfo) error { return nil }); err != nil || left != 0 {
		t.Fatalf("Unlink = %d, %v", left, err)
	}
	if names := parked(t, root); len(names) > 0 {
		t.Errorf("left behind: %q", names)
	}
	if _, err := os.Lstat(filepath.Join(root, "x.log")); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("x.log still there: %v", err)
	}
}

func parked(t *testing.T, dir string) []string {
	t.Helper()
	es, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range es {
		if strings.HasPrefix(e.Name(), ParkPrefix) {
			names = append(names, e.Name())
		}
	}
	return names
}
