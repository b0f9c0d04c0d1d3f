package output

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// write creates path, writes s and commits.
func write(t *testing.T, path, s string) error {
	t.Helper()
	f, err := Create(context.Background(), path)
	if err != nil {
		return err
	}
	if _, err := f.Write([]byte(s)); err != nil {
		f.Abort()
		return err
	}
	return f.Commit()
}

func TestRegularFiles(t *testing.T) {
	dir := t.TempDir()
	// A new file is 0600.
	fresh := filepath.Join(dir, "new.json")
	if err := write(t, fresh, "new"); err != nil {
		t.Fatal(err)
	}
	if fi, _ := os.Stat(fresh); fi.Mode().Perm() != NewFileMode {
		t.Errorf("new file mode %v", fi.Mode())
	}
	// A file there keeps its mode.
	kept := filepath.Join(dir, "kept.json")
	os.WriteFile(kept, []byte("old"), 0o644)
	os.Chmod(kept, 0o644)
	if err := write(t, kept, "report"); err != nil {
		t.Fatal(err)
	}
	fi, _ := os.Stat(kept)
	if b, _ := os.ReadFile(kept); string(b) != "report" || fi.Mode().Perm() != 0o644 {
		t.Errorf("replaced file: %q, mode %v", b, fi.Mode())
	}
	// Until the commit, and after an abort, the old content stands.
	f, err := Create(context.Background(), kept)
	if err != nil {
		t.Fatal(err)
	}
	f.Write([]byte("dropped"))
	if b, _ := os.ReadFile(kept); string(b) != "report" {
		t.Errorf("before the commit: %q", b)
	}
	if f.InPlace() || f.Where() != kept {
		t.Errorf("InPlace %v, Where %q", f.InPlace(), f.Where())
	}
	f.Abort()
	f.Abort()
	if err := f.Commit(); err == nil {
		t.Error("a commit after an abort")
	}
	if b, _ := os.ReadFile(kept); string(b) != "report" {
		t.Errorf("after an abort: %q", b)
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 2 {
		t.Errorf("left behind: %v", entries)
	}
	// A directory is refused; a missing directory is an error.
	if err := write(t, dir, "x"); err == nil || !strings.Contains(err.Error(), "is a directory") {
		t.Errorf("a directory: %v", err)
	}
	if err := write(t, filepath.Join(dir, "missing", "r.json"), "x"); err == nil {
		t.Error("written into a missing directory")
	}
}
