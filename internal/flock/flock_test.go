package flock

import (
	"os"
	"path/filepath"
	"runtime"
	"testing"
)

// A lock held through one open file keeps TryLock through another from
// taking it, until it is released.
func TestTryLockSeesAnotherHolder(t *testing.T) {
	if runtime.GOOS == "windows" || runtime.GOOS == "plan9" {
		t.Skip("no flock here")
	}
	p := filepath.Join(t.TempDir(), "f")
	os.WriteFile(p, nil, 0o600)
	a, _ := os.Open(p)
	defer a.Close()
	b, _ := os.Open(p)
	defer b.Close()
	if err := Lock(a); err != nil {
		t.Fatal(err)
	}
	if TryLock(b) {
		t.Fatal("TryLock took a lock another file holds")
	}
	if err := Unlock(a); err != nil {
		t.Fatal(err)
	}
	if !TryLock(b) {
		t.Error("TryLock failed on a free file")
	}
}
