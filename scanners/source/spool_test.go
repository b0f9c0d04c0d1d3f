package source

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"
)

// A spool file holds raw archive content: one left by a run that was
// killed stayed in TMPDIR for good. The next run removes it.
func TestExpandRemovesSpoolFilesLeftBehind(t *testing.T) {
	dir := t.TempDir()
	old := time.Now().Add(-2 * time.Hour)
	for _, name := range []string{"piiscan-spool-123.zip", "piiscan-spool-fresh.zip", "other.txt"} {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte("PK\x03\x04 raw archive content"), 0o600); err != nil {
			t.Fatal(err)
		}
		if name != "piiscan-spool-fresh.zip" {
			if err := os.Chtimes(p, old, old); err != nil {
				t.Fatal(err)
			}
		}
	}
	rec := newRecorder()
	if err := rec.expander(Limits{SpoolDir: dir}).Expand(context.Background(), "in", bytes.NewReader([]byte("plain")), nil, -1, rec.fn); err != nil {
		t.Fatal(err)
	}
	// A fresh name may be another run's, between creating its file and
	// removing the name.
	want := []string{"other.txt", "piiscan-spool-fresh.zip"}
	if got := dirEntries(t, dir); !slices.Equal(got, want) {
		if slices.Contains(got, "piiscan-spool-123.zip") {
			regression(t, "spool files left by killed runs stay forever", "spool directory after a run: %q, want %q", got, want)
		}
		t.Errorf("spool directory after a run: %q, want %q", got, want)
	}
}

// A spool file on Linux never has a name (O_TMPFILE), so no instant exists
// at which a killed run leaves one behind; it is still a usable file.
func TestCreateSpoolHasNoName(t *testing.T) {
	dir := t.TempDir()
	f, err := CreateSpool(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer CloseSpool(f)
	if got := dirEntries(t, dir); len(got) > 0 {
		t.Errorf("spool directory holds %q while a spool file is open, want nothing", got)
	}
	if _, err := f.WriteString("raw archive content"); err != nil {
		t.Fatal(err)
	}
	b := make([]byte, 3)
	if _, err := f.ReadAt(b, 4); err != nil || string(b) != "arc" {
		t.Errorf("ReadAt = %q, %v; want \"arc\"", b, err)
	}
	if fi, err := f.Stat(); err != nil || fi.Mode().Perm() != 0o600 {
		t.Errorf("spool file mode: %v, %v; want 0600", fi, err)
	}
}
