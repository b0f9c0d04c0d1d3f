package state

import (
	"path/filepath"
	"slices"
	"testing"

	bolt "go.etcd.io/bbolt"
)

// pagesWritten returns how many pages the commits of s wrote so far.
func pagesWritten(s *Store) int64 {
	st := s.db.Stats().TxStats
	return st.GetWrite()
}

// The state keeps a violation in few bytes: compact values, and pages
// filled when a first run saves them all. (Schema 1 used 700 bytes of
// leaf pages per violation of this kind: JSON values in half-empty
// pages.)
func TestSaveCompact(t *testing.T) {
	s, err := Open(filepath.Join(t.TempDir(), "state.db"), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	const n = 20_000
	if _, err := s.Save(Commit{Seen: map[string][]Seen{"sec": genSeen(n, 1, benchNow)}}); err != nil {
		t.Fatal(err)
	}
	s.db.View(func(tx *bolt.Tx) error {
		total := 0
		tx.ForEach(func(name []byte, b *bolt.Bucket) error {
			st := b.Stats()
			total += st.BranchAlloc + st.LeafAlloc
			return nil
		})
		if per := total / n; per > 250 {
			t.Errorf("%d bytes of pages per remembered violation", per)
		}
		return nil
	})
}

// Saving violations unchanged (a job saves all it found, most of them
// known) writes nothing of them; a small commit writes a few pages
// however many violations the state holds.
func TestSaveWritesWhatChanged(t *testing.T) {
	s, err := Open(filepath.Join(t.TempDir(), "state.db"), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	list := genSeen(20_000, 1, benchNow)
	if _, err := s.Save(Commit{Seen: map[string][]Seen{"sec": list}}); err != nil {
		t.Fatal(err)
	}
	before := pagesWritten(s)
	if _, err := s.Save(Commit{Seen: map[string][]Seen{"sec": list}}); err != nil {
		t.Fatal(err)
	}
	if n := pagesWritten(s) - before; n > 4 {
		t.Errorf("saving 20k unchanged violations wrote %d pages", n)
	}
	before = pagesWritten(s)
	delta := genSeen(10, 2, benchNow)
	for _, v := range list[:10] {
		v.LastSent = v.LastSent.Add(24 * 3600e9)
		delta = append(delta, v)
	}
	if _, err := s.Save(Commit{Seen: map[string][]Seen{"sec": delta}}); err != nil {
		t.Fatal(err)
	}
	if n := pagesWritten(s) - before; n > 150 {
		t.Errorf("saving 20 violations wrote %d pages", n)
	}
}

// A commit's routes are saved in order, those it only forgets on too (they
// came in map order). (The pages bbolt writes for them are not in any
// order: it writes sub-buckets in map order.)
func TestCommitRoutes(t *testing.T) {
	tests := []struct {
		name         string
		seen, forget []string
		want         []string
	}{
		{"none", nil, nil, nil},
		{"seen", []string{"c", "a", "b"}, nil, []string{"a", "b", "c"}},
		{"forget only", nil, []string{"f", "d", "b", "e", "c", "a"}, []string{"a", "b", "c", "d", "e", "f"}},
		{"both", []string{"m", "c"}, []string{"z", "c", "a", "q", "b"}, []string{"a", "b", "c", "m", "q", "z"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := Commit{Seen: map[string][]Seen{}, Forget: map[string][]Seen{}}
			for _, r := range tt.seen {
				c.Seen[r] = nil
			}
			for _, r := range tt.forget {
				c.Forget[r] = nil
			}
			for range 20 { // map order varies from one range to the next
				if got := c.routes(); !slices.Equal(got, tt.want) {
					t.Fatalf("routes %q, want %q", got, tt.want)
				}
			}
		})
	}
}
