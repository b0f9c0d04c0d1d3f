package state

import (
	"bytes"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	bolt "go.etcd.io/bbolt"

	"github.com/piiscan/piiscan/scanners"
	"github.com/piiscan/piiscan/scanners/source"
)

// fileStates returns the file entries the state holds for job, by path.
func fileStates(t *testing.T, s *Store, job string) map[string]FileState {
	t.Helper()
	out := map[string]FileState{}
	err := s.db.View(func(tx *bolt.Tx) error {
		b := tx.Bucket(bucketFiles).Bucket([]byte(job))
		if b == nil {
			return nil
		}
		return b.ForEach(func(k, v []byte) error {
			if !bytes.HasPrefix(k, []byte("p:")) {
				return nil
			}
			var st FileState
			if err := json.Unmarshal(v, &st); err != nil {
				return err
			}
			out[string(k[2:])] = st
			return nil
		})
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// The state of a one-line file does not give its content away: the
// digest of its beginning is keyed, so guessing the SSN in it and hashing
// each guess finds nothing. (Before, the state held the plain SHA-256 of
// the first KiB, and this search found the SSN.)
func TestStateDigestsAreKeyed(t *testing.T) {
	dir := t.TempDir()
	const line = "ssn=219-09-8451\n"
	if err := os.WriteFile(filepath.Join(dir, "one.log"), []byte(line), 0o644); err != nil {
		t.Fatal(err)
	}
	s := openKeyed(t)
	scanWith(t, s, "job", dir, false)

	states := fileStates(t, s, "job")
	if len(states) != 1 {
		t.Fatalf("state holds %d files, want 1", len(states))
	}
	plain := sha256.Sum256([]byte(line))
	raw, err := os.ReadFile(s.Path)
	if err != nil {
		t.Fatal(err)
	}
	for _, needle := range [][]byte{plain[:16], []byte(base64.StdEncoding.EncodeToString(plain[:16]))} {
		if bytes.Contains(raw, needle) {
			t.Errorf("the state file holds the SHA-256 of the file's content (%x)", plain[:16])
		}
	}
	// An attacker with the state file, who knows the form of the line,
	// tries every serial number of the SSN's area and group.
	for path, st := range states {
		for serial := 0; serial < 10000; serial++ {
			guess := fmt.Sprintf("ssn=219-09-%04d\n", serial)
			if sum := sha256.Sum256([]byte(guess)); bytes.Equal(sum[:16], st.Head) {
				t.Fatalf("%s: the state's digest gives the SSN away: %q", path, guess)
			}
		}
		if !st.Keyed || len(st.Head) != 16 {
			t.Errorf("%s: head %x keyed %v", path, st.Head, st.Keyed)
		}
	}

	// Another key gives another digest: it is keyed, not a fixed salt.
	other, err := Open(filepath.Join(t.TempDir(), "state.db"), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer other.Close()
	if err := other.CheckKey([]byte("another fingerprint key")); err != nil {
		t.Fatal(err)
	}
	scanWith(t, other, "job", dir, false)
	for path, st := range fileStates(t, other, "job") {
		if bytes.Equal(st.Head, states[path].Head) {
			t.Errorf("%s: the same digest under two keys", path)
		}
	}

	// Object versions (an ETag is often the MD5 of the content) are
	// keyed too.
	tr := s.Tracker("job", false, nil)
	it := source.Item{Path: "s3://b/one.log", Size: int64(len(line)), Version: `"0123456789abcdef0123456789abcdef"`}
	tr.Start(it, nil)
	tr.Done(it, scanners.Position{Whole: true, Offset: it.Size})
	if _, err := s.Save(Commit{Files: tr}); err != nil {
		t.Fatal(err)
	}
	raw, _ = os.ReadFile(s.Path)
	if bytes.Contains(raw, []byte("0123456789abcdef0123456789abcdef")) {
		t.Error("the state file holds an object's ETag")
	}
	if p := s.Tracker("job", false, nil).Start(it, nil); !p.Skip {
		t.Error("an unchanged object is read again")
	}
}

// A state file of an older piiscan (plain digests, raw ETags) keeps its
// incremental scans: an unchanged file is still skipped and a grown one
// resumed, and their entries are written again keyed. Entries the run
// does not check are dropped: those files are scanned again from the
// start.
func TestStateMigratesPlainDigests(t *testing.T) {
	dir := t.TempDir()
	same := filepath.Join(dir, "same.log")
	grown := filepath.Join(dir, "grown.log")
	appendLines(t, same, "a1@example.com")
	appendLines(t, grown, "b1@example.com")
	s := openKeyed(t)
	scanWith(t, s, "job", dir, false)

	// Make the entries look as an older piiscan wrote them.
	legacy := func(extra ...string) {
		t.Helper()
		err := s.db.Update(func(tx *bolt.Tx) error {
			b := tx.Bucket(bucketFiles).Bucket([]byte("job"))
			for path, st := range fileStates(t, s, "job") {
				data, err := os.ReadFile(path)
				if err != nil {
					return err
				}
				sum := sha256.Sum256(data[:st.HeadLen])
				st.Head, st.Keyed = sum[:16], false
				if err := putJSON(b, []byte("p:"+path), st); err != nil {
					return err
				}
			}
			for _, p := range extra {
				if err := putJSON(b, []byte("p:"+p), FileState{HeadLen: 3, Head: []byte("0123456789abcdef")}); err != nil {
					return err
				}
			}
			ob, err := tx.Bucket(bucketObjects).CreateBucketIfNotExists([]byte("objects"))
			if err != nil {
				return err
			}
			return ob.Put([]byte("s3://b/x.log"), []byte(`"etag-1"`))
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	legacy(filepath.Join(t.TempDir(), "gone.log"))
	appendLines(t, grown, "b2@example.com")
	if got := scanWith(t, s, "job", dir, false); len(got) != 1 || got[0] != "grown.log:2" {
		t.Errorf("after the upgrade: %q, want only grown.log:2", got)
	}
	states := fileStates(t, s, "job")
	if len(states) != 2 {
		t.Errorf("entries after the upgrade: %d, want 2 (the unchecked one dropped)", len(states))
	}
	for path, st := range states {
		data, _ := os.ReadFile(path)
		sum := sha256.Sum256(data[:st.HeadLen])
		if !st.Keyed || bytes.Equal(st.Head, sum[:16]) {
			t.Errorf("%s: still a plain digest after the upgrade", filepath.Base(path))
		}
	}
	// An object remembered by its raw ETag is skipped once more, then kept
	// keyed.
	tr := s.Tracker("objects", false, nil)
	obj := source.Item{Path: "s3://b/x.log", Size: 10, Version: `"etag-1"`}
	if p := tr.Start(obj, nil); !p.Skip {
		t.Error("an unchanged object of an older state is read again")
	}
	tr.Done(obj, scanners.Position{Skip: true})
	if _, err := s.Save(Commit{Files: tr}); err != nil {
		t.Fatal(err)
	}
	s.db.View(func(tx *bolt.Tx) error {
		v := tx.Bucket(bucketObjects).Bucket([]byte("objects")).Get([]byte("s3://b/x.log"))
		if !strings.HasPrefix(string(v), versionPrefix) {
			t.Errorf("object version stored as %q", v)
		}
		return nil
	})
	if got := scanWith(t, s, "job", dir, false); len(got) != 0 {
		t.Errorf("nothing changed, yet found %q", got)
	}
}

// Without the key (CheckKey not called) a tracker stores no digest at
// all.
func TestTrackerWithoutKeyRemembersNothing(t *testing.T) {
	dir := t.TempDir()
	appendLines(t, filepath.Join(dir, "a.log"), "a1@example.com")
	s, err := Open(filepath.Join(t.TempDir(), "state.db"), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	scanWith(t, s, "job", dir, false)
	if n := len(fileStates(t, s, "job")); n != 0 {
		t.Errorf("%d entries stored without a key", n)
	}
	if got := scanWith(t, s, "job", dir, false); len(got) != 1 {
		t.Errorf("second run without a key: %q", got)
	}
}
