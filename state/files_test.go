package state

import (
	"encoding/json"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	bolt "go.etcd.io/bbolt"

	"github.com/piiscan/piiscan/scanners"
	"github.com/piiscan/piiscan/scanners/source"
)

// checkInodeIndex fails unless the inode index of job holds exactly one
// entry for each device and inode of its file entries, naming the file
// (of files sharing one, the last by path).
func checkInodeIndex(t *testing.T, s *Store, job string) {
	t.Helper()
	states := fileStates(t, s, job)
	want := map[string]string{}
	for _, path := range slices.Sorted(maps.Keys(states)) {
		if st := states[path]; st.Ino != 0 {
			want[idKeyOf(st.Dev, st.Ino)] = path
		}
	}
	got := map[string]string{}
	s.db.View(func(tx *bolt.Tx) error {
		return tx.Bucket(bucketFiles).Bucket([]byte(job)).ForEach(func(k, v []byte) error {
			if strings.HasPrefix(string(k), "i:") {
				got[string(k)] = string(v)
			}
			return nil
		})
	})
	if !maps.Equal(got, want) {
		t.Errorf("inode index:\n got  %q\n want %q", got, want)
	}
}

// A checkpoint writes only the positions that changed since the last
// save: with nothing changed, nothing (as many pages as a commit of
// nothing); with a few, a few pages. The final save of a complete scan
// that changed nothing writes nothing either.
func TestTrackerSaveWritesWhatChanged(t *testing.T) {
	s := openTemp(t)
	tr, paths := benchTracker(t, s, 5000)
	if _, err := s.Save(Commit{Files: tr}); err != nil {
		t.Fatal(err)
	}
	save := func(c Commit) int64 {
		t.Helper()
		before := pagesWritten(s)
		if _, err := s.Save(c); err != nil {
			t.Fatal(err)
		}
		return pagesWritten(s) - before
	}
	empty := save(Commit{})
	if n := save(Commit{Files: tr}); n != empty {
		t.Errorf("a checkpoint with nothing changed wrote %d pages (a commit of nothing: %d)", n, empty)
	}
	for i := range 10 {
		tr.Done(source.Item{Path: paths[i*499]}, scanners.Position{Offset: 77, Line: 7})
	}
	if n := save(Commit{Files: tr}); n > empty+16 {
		t.Errorf("a checkpoint with 10 positions changed wrote %d pages", n)
	}
	states := fileStates(t, s, "job")
	for i, path := range paths {
		want := 20_000
		if i%499 == 0 && i < 10*499 {
			want = 7
		}
		if st := states[path]; st.Line != want {
			t.Fatalf("%s: line %d, want %d", path, st.Line, want)
		}
	}
	checkInodeIndex(t, s, "job")
	tr.Complete()
	if n := save(Commit{Files: tr}); n != empty {
		t.Errorf("the final save of a complete scan with nothing changed wrote %d pages (nothing: %d)", n, empty)
	}
	if n := len(fileStates(t, s, "job")); n != len(paths) {
		t.Errorf("%d entries after the final save, want %d", n, len(paths))
	}
}

// A save rolled back (here by an outbox entry that cannot be written)
// leaves its positions to the next save.
func TestTrackerSaveRolledBack(t *testing.T) {
	s := openTemp(t)
	tr, paths := benchTracker(t, s, 10)
	bad := OutboxEntry{Route: "r", Summary: json.RawMessage("{")}
	if _, err := s.Save(Commit{Files: tr, Outbox: []OutboxEntry{bad}}); err == nil {
		t.Fatal("a commit with an unwritable outbox entry saved")
	}
	if n := len(fileStates(t, s, "job")); n != 0 {
		t.Fatalf("%d entries after a rolled back save", n)
	}
	if _, err := s.Save(Commit{Files: tr}); err != nil {
		t.Fatal(err)
	}
	if n := len(fileStates(t, s, "job")); n != len(paths) {
		t.Errorf("%d entries saved after a rolled back save, want %d", n, len(paths))
	}
	checkInodeIndex(t, s, "job")
}

// Checkpoints keep the inode index in step and forget nothing; the save
// after Complete forgets the files the scan did not visit. A rotated file
// resumes by its inode, across checkpoints and runs.
func TestTrackerSaveAfterComplete(t *testing.T) {
	dir := t.TempDir()
	s := openKeyed(t)
	a, b, c := filepath.Join(dir, "app.log"), filepath.Join(dir, "b.log"), filepath.Join(dir, "c.log")
	appendLines(t, a, "a1@example.com")
	appendLines(t, b, "b1@example.com")
	appendLines(t, c, "c1@example.com")
	scanWith(t, s, "job", dir, false)
	checkInodeIndex(t, s, "job")

	// Rotation, and c.log gone. A run that saves after each file.
	appendLines(t, a, "a2@example.com")
	if err := os.Rename(a, a+".1"); err != nil {
		t.Fatal(err)
	}
	appendLines(t, a, "n1@example.com")
	if err := os.Remove(c); err != nil {
		t.Fatal(err)
	}
	tr := s.Tracker("job", false, nil)
	for _, path := range []string{a + ".1", a, b} {
		f, err := os.Open(path)
		if err != nil {
			t.Fatal(err)
		}
		fi, _ := f.Stat()
		it := source.Item{Path: path, Size: fi.Size(), ModTime: fi.ModTime()}
		from := tr.Start(it, f)
		f.Close()
		switch path {
		case a + ".1":
			if from.Offset != int64(len("a1@example.com\n")) || from.Line != 1 {
				t.Errorf("rotated file starts at %+v, want after its first line", from)
			}
			tr.Done(it, scanners.Position{Offset: fi.Size(), Line: 2})
		case a:
			tr.Done(it, scanners.Position{Offset: fi.Size(), Line: 1})
		case b:
			if !from.Skip {
				t.Errorf("unchanged file starts at %+v", from)
			}
			tr.Done(it, from)
		}
		if _, err := s.Save(Commit{Files: tr}); err != nil {
			t.Fatal(err)
		}
		checkInodeIndex(t, s, "job")
		if _, ok := fileStates(t, s, "job")[c]; !ok {
			t.Fatal("a checkpoint forgot a file the scan had not visited")
		}
	}
	tr.Complete()
	if _, err := s.Save(Commit{Files: tr}); err != nil {
		t.Fatal(err)
	}
	states := fileStates(t, s, "job")
	if got := slices.Sorted(maps.Keys(states)); !slices.Equal(got, []string{a, a + ".1", b}) {
		t.Errorf("entries after the final save: %q", got)
	}
	checkInodeIndex(t, s, "job")

	// Rotated again: each file resumes where the last run left it.
	appendLines(t, a, "n2@example.com")
	if err := os.Rename(a+".1", a+".2"); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(a, a+".1"); err != nil {
		t.Fatal(err)
	}
	appendLines(t, a, "m1@example.com")
	if got := scanWith(t, s, "job", dir, false); !slices.Equal(got, []string{"app.log.1:2", "app.log:1"}) {
		t.Errorf("after the second rotation: %q", got)
	}
	checkInodeIndex(t, s, "job")
}

// A rotation seen by a checkpoint before the renamed file is reached (the
// new file at the old path is saved first, or the run is killed after
// that checkpoint): the renamed file still resumes where it was, in the
// same run and in the next; a complete scan drops what was kept by inode.
func TestRotatedFileResumesAfterCheckpointOfNewFile(t *testing.T) {
	for _, killed := range []bool{false, true} {
		t.Run(fmt.Sprintf("killed=%v", killed), func(t *testing.T) {
			dir := t.TempDir()
			s := openKeyed(t)
			a := filepath.Join(dir, "app.log")
			appendLines(t, a, "a1@example.com", "a2@example.com")
			scanWith(t, s, "job", dir, false)
			appendLines(t, a, "a3@example.com")
			if err := os.Rename(a, a+".1"); err != nil {
				t.Fatal(err)
			}
			appendLines(t, a, "n1@example.com")

			tr := s.Tracker("job", false, nil)
			start := func(path string) (source.Item, scanners.Position, int64) {
				f, err := os.Open(path)
				if err != nil {
					t.Fatal(err)
				}
				defer f.Close()
				fi, _ := f.Stat()
				it := source.Item{Path: path, Size: fi.Size(), ModTime: fi.ModTime()}
				return it, tr.Start(it, f), fi.Size()
			}
			it, from, size := start(a)
			if from != (scanners.Position{}) {
				t.Fatalf("the new file starts at %+v", from)
			}
			tr.Done(it, scanners.Position{Offset: size, Line: 1})
			if _, err := s.Save(Commit{Files: tr}); err != nil { // a checkpoint
				t.Fatal(err)
			}
			if killed {
				tr = s.Tracker("job", false, nil) // the next run
				if _, from, _ = start(a); !from.Skip {
					t.Errorf("the new file, saved, starts at %+v", from)
				}
			}
			want := endOfLine([]byte("a1@example.com\na2@example.com\n"), 2)
			if _, from, _ = start(a + ".1"); from.Offset != want || from.Line != 2 {
				t.Errorf("the rotated file starts at %+v, want offset %d line 2", from, want)
			}
			if got := scanWith(t, s, "job", dir, false); !slices.Equal(got, []string{"app.log.1:3"}) {
				t.Errorf("a scan after that reports %q, want only the rotated file's new line", got)
			}
			s.db.View(func(tx *bolt.Tx) error {
				return tx.Bucket(bucketFiles).Bucket([]byte("job")).ForEach(func(k, _ []byte) error {
					if strings.HasPrefix(string(k), "r:") {
						t.Errorf("%s kept after a complete scan", k)
					}
					return nil
				})
			})
			checkInodeIndex(t, s, "job")
		})
	}
}
