package atomicfile

import (
	"os"
	"path/filepath"
	"testing"
)

func TestCommitAndAbort(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "report.json")
	os.WriteFile(path, []byte("old"), 0o644)
	f, err := Create(path, 0o600)
	if err != nil {
		t.Fatal(err)
	}
	f.WriteString("new")
	// Until the commit the old content stands.
	if b, _ := os.ReadFile(path); string(b) != "old" {
		t.Fatalf("before commit: %q", b)
	}
	if err := f.Commit(); err != nil {
		t.Fatal(err)
	}
	f.Abort() // no effect after a commit
	if b, _ := os.ReadFile(path); string(b) != "new" {
		t.Fatalf("after commit: %q", b)
	}
	if fi, _ := os.Stat(path); fi.Mode().Perm() != 0o600 {
		t.Errorf("mode %v", fi.Mode())
	}
	g, _ := Create(path, 0o600)
	g.WriteString("dropped")
	g.Abort()
	if b, _ := os.ReadFile(path); string(b) != "new" {
		t.Fatalf("after abort: %q", b)
	}
	if err := WriteFile(filepath.Join(dir, "cp.json"), []byte("{}"), 0o600); err != nil {
		t.Fatal(err)
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 2 {
		t.Errorf("left behind: %v", entries)
	}
	if err := WriteFile(filepath.Join(dir, "missing", "x"), nil, 0o600); err == nil {
		t.Error("a file in a missing directory was written")
	}
}

// The directory swapped for a symbolic link between Create and Commit
// does not send the file, or its temporary, to where the link points: the
// file lands in the directory that was opened.
func TestCommitStaysInTheOpenedDirectory(t *testing.T) {
	base := t.TempDir()
	dir, other := filepath.Join(base, "out"), filepath.Join(base, "other")
	os.MkdirAll(dir, 0o755)
	os.MkdirAll(other, 0o755)
	os.WriteFile(filepath.Join(other, "report.json"), []byte("other"), 0o644)
	f, err := Create(filepath.Join(dir, "report.json"), 0o600)
	if err != nil {
		t.Fatal(err)
	}
	f.WriteString("new")
	if err := os.Rename(dir, dir+".moved"); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(other, dir); err != nil {
		t.Skip("no symbolic links here:", err)
	}
	if err := f.Commit(); err != nil {
		t.Fatal(err)
	}
	if b, _ := os.ReadFile(filepath.Join(other, "report.json")); string(b) != "other" {
		t.Errorf("the file the link points to was replaced: %q", b)
	}
	if b, _ := os.ReadFile(filepath.Join(dir+".moved", "report.json")); string(b) != "new" {
		t.Errorf("the opened directory holds %q", b)
	}
	for _, d := range []string{other, dir + ".moved"} {
		if entries, _ := os.ReadDir(d); len(entries) != 1 {
			t.Errorf("%s: left behind: %v", d, entries)
		}
	}
}
