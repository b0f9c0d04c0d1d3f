package retention

import (
	"context"
	"errors"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/piiscan/piiscan/internal/flock"
	"github.com/piiscan/piiscan/internal/openat"
)

func mkfile(t *testing.T, path, content string, mode os.FileMode, mtime time.Time) {
	t.Helper()
	os.MkdirAll(filepath.Dir(path), 0o755)
	if err := os.WriteFile(path, []byte(content), mode); err != nil {
		t.Fatal(err)
	}
	os.Chmod(path, mode)
	if !mtime.IsZero() {
		os.Chtimes(path, mtime, mtime)
	}
}

func snap(t *testing.T, path string) Snapshot {
	t.Helper()
	fi, err := os.Lstat(path)
	if err != nil {
		t.Fatal(err)
	}
	return SnapshotOf(fi)
}

func TestRewriteKeepsModeAndTime(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "logs", "app.log")
	old := time.Date(2024, 3, 1, 10, 0, 0, 0, time.UTC)
	mkfile(t, path, "old content\n", 0o640, old)
	tr, err := OpenTree(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer tr.Close()
	n, err := tr.Rewrite(path, snap(t, path), func(w io.Writer) error {
		_, err := io.WriteString(w, "new\n")
		return err
	})
	if err != nil || n != 4 {
		t.Fatalf("Rewrite = %d, %v", n, err)
	}
	data, _ := os.ReadFile(path)
	fi, _ := os.Stat(path)
	if string(data) != "new\n" || fi.Mode().Perm() != 0o640 || !fi.ModTime().Equal(old) {
		t.Errorf("content %q mode %v mtime %v", data, fi.Mode().Perm(), fi.ModTime())
	}
	entries, _ := os.ReadDir(filepath.Dir(path))
	if len(entries) != 1 {
		t.Errorf("temporary files left: %v", entries)
	}
}

func TestRewriteFailureLeavesOld(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "a.log")
	mkfile(t, path, "old\n", 0o644, time.Time{})
	tr, _ := OpenTree(dir)
	defer tr.Close()
	boom := errors.New("boom")
	_, err := tr.Rewrite(path, snap(t, path), func(w io.Writer) error {
		io.WriteString(w, "half")
		return boom
	})
	if !errors.Is(err, boom) {
		t.Fatalf("err = %v", err)
	}
	if data, _ := os.ReadFile(path); string(data) != "old\n" {
		t.Errorf("content %q", data)
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 1 {
		t.Errorf("temporary files left: %v", entries)
	}
}

func TestRewriteRefusesChangedFile(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "a.log")
	mkfile(t, path, "old\n", 0o644, time.Time{})
	s := snap(t, path)
	tr, _ := OpenTree(dir)
	defer tr.Close()
	_, err := tr.Rewrite(path, s, func(w io.Writer) error {
		// The application appends while piiscan rewrites.
		f, _ := os.OpenFile(path, os.O_APPEND|os.O_WRONLY, 0)
		f.WriteString("appended\n")
		f.Close()
		_, err := io.WriteString(w, "new\n")
		return err
	})
	if !errors.Is(err, ErrChanged) {
		t.Fatalf("err = %v, want ErrChanged", err)
	}
	if data, _ := os.ReadFile(path); string(data) != "old\nappended\n" {
		t.Errorf("content %q: the appended line must survive", data)
	}
	if err := tr.Remove(path, s); !errors.Is(err, ErrChanged) {
		t.Errorf("Remove of a changed file: %v", err)
	}
}

func TestTreeStaysInside(t *testing.T) {
	base := t.TempDir()
	root := filepath.Join(base, "root")
	outside := filepath.Join(base, "outside")
	mkfile(t, filepath.Join(outside, "secret.log"), "keep me\n", 0o644, time.Time{})
	mkfile(t, filepath.Join(root, "ok.log"), "x\n", 0o644, time.Time{})
	os.Symlink(outside, filepath.Join(root, "escape"))
	os.Symlink(filepath.Join(outside, "secret.log"), filepath.Join(root, "link.log"))
	tr, _ := OpenTree(root)
	defer tr.Close()

	target := filepath.Join(outside, "secret.log")
	s := snap(t, target)
	cases := map[string]string{
		"outside path":       target,
		"dot dot":            filepath.Join(root, "..", "outside", "secret.log"),
		"through a dir link": filepath.Join(root, "escape", "secret.log"),
		"a file link":        filepath.Join(root, "link.log"),
	}
	for name, p := range cases {
		if err := tr.Remove(p, s); err == nil {
			t.Errorf("%s: Remove(%s) succeeded", name, p)
		}
		if _, err := tr.Rewrite(p, s, func(w io.Writer) error { return nil }); err == nil {
			t.Errorf("%s: Rewrite(%s) succeeded", name, p)
		}
	}
	if data, _ := os.ReadFile(target); string(data) != "keep me\n" {
		t.Errorf("file outside the root changed: %q", data)
	}
	if _, err := os.Lstat(filepath.Join(root, "link.log")); err != nil {
		t.Errorf("the link itself was removed: %v", err)
	}
}

func TestQuarantine(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "data", "dump.zip")
	mkfile(t, path, "zipdata", 0o644, time.Time{})
	q := filepath.Join(t.TempDir(), "quarantine")
	tr, _ := OpenTree(dir)
	defer tr.Close()
	dst, err := tr.Quarantine(path, snap(t, path), q)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(path); !os.IsNotExist(err) {
		t.Errorf("original still there: %v", err)
	}
	fi, err := os.Stat(dst)
	if err != nil || fi.Mode().Perm() != 0o600 || !strings.HasSuffix(dst, "data_dump.zip") {
		t.Fatalf("quarantined %s: %v %v", dst, fi, err)
	}
	if qi, _ := os.Stat(q); qi.Mode().Perm() != 0o700 {
		t.Errorf("quarantine dir mode %v", qi.Mode().Perm())
	}
	if data, _ := os.ReadFile(dst); string(data) != "zipdata" {
		t.Errorf("content %q", data)
	}
}

func TestCleanTemp(t *testing.T) {
	dir := t.TempDir()
	mkfile(t, filepath.Join(dir, "a", TempPrefix+"0123456789ab-app.log"), "half", 0o600, time.Time{})
	mkfile(t, filepath.Join(dir, "a", "app.log"), "x", 0o644, time.Time{})
	tr, _ := OpenTree(dir)
	defer tr.Close()
	if n, err := tr.CleanTemp(context.Background(), noHold, justRemove); n != 1 || err != nil {
		t.Errorf("CleanTemp = %d, %v", n, err)
	}
	if _, err := os.Stat(filepath.Join(dir, "a", "app.log")); err != nil {
		t.Error(err)
	}
}

// Two paths that flatten to the same quarantine name both keep their copy.
func TestQuarantineCopyNeverOverwrites(t *testing.T) {
	qdir := filepath.Join(t.TempDir(), "q")
	a, err := quarantineCopy(strings.NewReader("first"), qdir, "a_b.log")
	if err != nil {
		t.Fatal(err)
	}
	b, err := quarantineCopy(strings.NewReader("second"), qdir, "a_b.log")
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]string{}
	for _, p := range []string{a, b} {
		data, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		fi, _ := os.Stat(p)
		if fi.Mode().Perm() != 0o600 {
			t.Errorf("%s: mode %v", p, fi.Mode())
		}
		got[p] = string(data)
	}
	if a == b || got[a] != "first" || got[b] != "second" {
		t.Errorf("copies %v", got)
	}
	if left, _ := filepath.Glob(filepath.Join(qdir, TempPrefix+"*")); len(left) != 0 {
		t.Errorf("temporary files left: %v", left)
	}
}

// A temporary file whose writer still holds its lock (a concurrent run's
// rewrite) survives another run's clean-up.
func TestCleanTempLeavesLockedFiles(t *testing.T) {
	dir := t.TempDir()
	mkfile(t, filepath.Join(dir, TempPrefix+"dead00000000-app.log"), "x", 0o600, time.Time{})
	busy := filepath.Join(dir, TempPrefix+"b0b000000000-app.log")
	mkfile(t, busy, "x", 0o600, time.Time{})
	f, _ := os.Open(busy)
	defer f.Close()
	flock.TryLock(f)
	tr, err := OpenTree(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer tr.Close()
	if n, err := tr.CleanTemp(context.Background(), noHold, justRemove); n != 1 || err != nil {
		t.Errorf("removed %d, %v", n, err)
	}
	if _, err := os.Stat(busy); err != nil {
		t.Errorf("the locked file: %v", err)
	}
}

// noHold holds nothing; justRemove removes without recording.
func noHold(string) bool { return false }

func justRemove(_ string, _ Snapshot, remove func() error) error { return remove() }

// A file a killed run set aside is removed by the next run only if it is
// the file that run planned to act on (or the new content it wrote): a
// file someone renamed over the planned name in the last instant, then
// set aside by the killed run, is kept.
func TestCleanTempRemovesOnlyWhatWasPlanned(t *testing.T) {
	dir := t.TempDir()
	park := func(content string, inodes func(own uint64) []uint64) string {
		p := filepath.Join(dir, "x")
		mkfile(t, p, content, 0o600, time.Time{})
		fi, err := os.Lstat(p)
		if err != nil {
			t.Fatal(err)
		}
		parked := filepath.Join(dir, openat.ParkName(inodes(openat.IDOf(fi).Ino)...))
		if err := os.Rename(p, parked); err != nil {
			t.Fatal(err)
		}
		return parked
	}
	planned := park("expired", func(own uint64) []uint64 { return []uint64{own} })
	rewritten := park("new content", func(own uint64) []uint64 { return []uint64{own + 7, own} })
	foreign := park("someone else's", func(own uint64) []uint64 { return []uint64{own + 7} })
	tr, _ := OpenTree(dir)
	defer tr.Close()
	var failed []string
	act := func(path string, _ Snapshot, remove func() error) error {
		err := remove()
		if err != nil {
			failed = append(failed, filepath.Base(path))
		}
		return err
	}
	if n, err := tr.CleanTemp(context.Background(), noHold, act); n != 2 || err != nil {
		t.Errorf("CleanTemp = %d, %v; want the 2 files piiscan made", n, err)
	}
	for _, p := range []string{planned, rewritten} {
		if _, err := os.Lstat(p); !errors.Is(err, fs.ErrNotExist) {
			t.Errorf("%s: %v, want it removed", filepath.Base(p), err)
		}
	}
	if b, err := os.ReadFile(foreign); err != nil || string(b) != "someone else's" {
		t.Errorf("the foreign file: %q, %v; want it kept", b, err)
	}
	if len(failed) != 1 || failed[0] != filepath.Base(foreign) {
		t.Errorf("failed removals recorded: %q, want the foreign one", failed)
	}
}
