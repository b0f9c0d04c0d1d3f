package state

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"
)

var t0 = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

func at(h int) time.Time { return t0.Add(time.Duration(h) * time.Hour) }

// sv is a violation with fingerprint fp, last sent h hours after t0.
func sv(fp string, h int) Seen {
	return Seen{First: t0, LastSent: at(h), Location: "web", Rule: "email", Class: "email", Severity: "high",
		Path: "/logs/a.log", Line: 7, Masked: "j***@example.com", Fingerprint: fp}
}

func openTemp(t *testing.T) *Store {
	t.Helper()
	s, err := Open(filepath.Join(t.TempDir(), "state.db"), nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// checkIndex fails unless the due index of route holds exactly one entry
// for each readable violation of its seen bucket, at its LastSent.
func checkIndex(t *testing.T, s *Store, route string) {
	t.Helper()
	var want, got []string
	err := s.db.View(func(tx *bolt.Tx) error {
		if sb := tx.Bucket(bucketSeen).Bucket([]byte(route)); sb != nil {
			sb.ForEach(func(k, data []byte) error {
				if v, err := decodeSeen(k, data); err == nil {
					want = append(want, string(dueKey(nil, v.LastSent, k)))
				}
				return nil
			})
		}
		if db := tx.Bucket(bucketDue).Bucket([]byte(route)); db != nil {
			db.ForEach(func(k, v []byte) error {
				got = append(got, string(k))
				return nil
			})
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	slices.Sort(want)
	if !slices.Equal(got, want) {
		t.Errorf("due index of %s:\n got  %q\n want %q", route, got, want)
	}
}

// due returns "fingerprint@hour" of what EachDue gives for route up to
// hour h, in its order.
func due(t *testing.T, s *Store, route string, h int) []string {
	t.Helper()
	var out []string
	err := s.EachDue(route, at(h), func(v Seen) error {
		out = append(out, fmt.Sprintf("%s@%d", v.Fingerprint, int(v.LastSent.Sub(t0)/time.Hour)))
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func TestDueIndexFollowsSave(t *testing.T) {
	type step struct {
		seen, forget []Seen
		// due: EachDue("r", at(upTo)) after the commit.
		upTo int
		due  []string
	}
	tests := []struct {
		name  string
		steps []step
	}{
		{"new violations, oldest first, bound included", []step{
			{seen: []Seen{sv("c", 3), sv("a", 1), sv("b", 2), sv("d", 5)}, upTo: 3, due: []string{"a@1", "b@2", "c@3"}},
		}},
		{"same time: by key", []step{
			{seen: []Seen{sv("b", 1), sv("c", 1), sv("a", 1)}, upTo: 1, due: []string{"a@1", "b@1", "c@1"}},
		}},
		{"a reminder moves the entry", []step{
			{seen: []Seen{sv("a", 1), sv("b", 2)}, upTo: 2, due: []string{"a@1", "b@2"}},
			{seen: []Seen{sv("a", 10)}, upTo: 9, due: []string{"b@2"}},
			{upTo: 10, due: []string{"b@2", "a@10"}},
		}},
		{"a change other than LastSent keeps the entry", []step{
			{seen: []Seen{sv("a", 1)}, upTo: 1, due: []string{"a@1"}},
			{seen: []Seen{func() Seen { v := sv("a", 1); v.Line = 99; return v }()}, upTo: 1, due: []string{"a@1"}},
		}},
		{"forget removes the entry", []step{
			{seen: []Seen{sv("a", 1), sv("b", 2), sv("c", 3)}, upTo: 5, due: []string{"a@1", "b@2", "c@3"}},
			{forget: []Seen{sv("b", 2), sv("zz", 1)}, upTo: 5, due: []string{"a@1", "c@3"}},
		}},
		{"forget finds the entry whatever LastSent it is given", []step{
			{seen: []Seen{sv("a", 1)}, upTo: 5, due: []string{"a@1"}},
			{forget: []Seen{sv("a", 4)}, upTo: 5, due: nil},
		}},
		{"seen and forgotten in one commit: forgotten", []step{
			{seen: []Seen{sv("a", 1), sv("b", 1)}, upTo: 5, due: []string{"a@1", "b@1"}},
			{seen: []Seen{sv("a", 3), sv("c", 3)}, forget: []Seen{sv("a", 3), sv("c", 3)}, upTo: 5, due: []string{"b@1"}},
		}},
		{"twice in one commit: the later one", []step{
			{seen: []Seen{sv("a", 4), sv("a", 2), sv("b", 3), sv("b", 1)}, upTo: 5, due: []string{"b@1", "a@2"}},
		}},
		{"unchanged save", []step{
			{seen: []Seen{sv("a", 1), sv("b", 2)}, upTo: 5, due: []string{"a@1", "b@2"}},
			{seen: []Seen{sv("a", 1), sv("b", 2)}, upTo: 5, due: []string{"a@1", "b@2"}},
		}},
		{"nothing due", []step{
			{seen: []Seen{sv("a", 1)}, upTo: 0, due: nil},
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := openTemp(t)
			for i, st := range tt.steps {
				c := Commit{Seen: map[string][]Seen{"r": st.seen, "other": {sv("o", 0)}}, Forget: map[string][]Seen{"r": st.forget}}
				if _, err := s.Save(c); err != nil {
					t.Fatal(err)
				}
				checkIndex(t, s, "r")
				checkIndex(t, s, "other")
				if got := due(t, s, "r", st.upTo); !slices.Equal(got, st.due) {
					t.Errorf("step %d: due up to %d: %q, want %q", i, st.upTo, got, st.due)
				}
			}
		})
	}
}

func TestEachDue(t *testing.T) {
	s := openTemp(t)
	if got := due(t, s, "nobody", 100); got != nil {
		t.Errorf("route without violations: %q", got)
	}
	// More than one batch, in reverse order of LastSent.
	defer func(n int) { dueBatch = n }(dueBatch)
	dueBatch = 4
	n := 2*dueBatch + 3
	var list []Seen
	for i := range n {
		list = append(list, sv(fmt.Sprintf("%05d", i), n-i))
	}
	if _, err := s.Save(Commit{Seen: map[string][]Seen{"r": list}}); err != nil {
		t.Fatal(err)
	}
	got := due(t, s, "r", n)
	if len(got) != n || got[0] != fmt.Sprintf("%05d@1", n-1) || got[n-1] != fmt.Sprintf("%05d@%d", 0, n) {
		t.Fatalf("%d due, from %q to %q", len(got), got[0], got[len(got)-1])
	}
	if !slices.IsSortedFunc(got, func(a, b string) int {
		var fa, fb string
		var ha, hb int
		fmt.Sscanf(strings.Replace(a, "@", " ", 1), "%s %d", &fa, &ha)
		fmt.Sscanf(strings.Replace(b, "@", " ", 1), "%s %d", &fb, &hb)
		return ha - hb
	}) {
		t.Error("not oldest first")
	}
	if got := due(t, s, "r", dueBatch); len(got) != dueBatch {
		t.Errorf("up to %d: %d due", dueBatch, len(got))
	}

	// fn's error stops it.
	stop := errors.New("stop")
	calls := 0
	if err := s.EachDue("r", at(n), func(Seen) error { calls++; return stop }); err != stop || calls != 1 {
		t.Errorf("error: %v after %d calls", err, calls)
	}

	// fn may save (a reminder sent): what it moves past the bound is not
	// visited again, and the index follows.
	seen := map[string]bool{}
	err := s.EachDue("r", at(n), func(v Seen) error {
		if seen[v.Fingerprint] {
			return fmt.Errorf("%s visited twice", v.Fingerprint)
		}
		seen[v.Fingerprint] = true
		v.LastSent = at(n + 1)
		_, err := s.Save(Commit{Seen: map[string][]Seen{"r": {v}}})
		return err
	})
	if err != nil || len(seen) != n {
		t.Fatalf("saving from fn: %v, %d visited", err, len(seen))
	}
	if got := due(t, s, "r", n); got != nil {
		t.Errorf("still due after the reminders: %d", len(got))
	}
	checkIndex(t, s, "r")
}

func TestViewSeenMatchesSeen(t *testing.T) {
	s := openTemp(t)
	odd := sv("ff", 2)
	odd.Path = "/logs/b\xff.log"
	odd.First = time.Time{}
	odd.Line = -1
	list := []Seen{sv("a", 1), sv("b", 2), odd}
	if _, err := s.Save(Commit{Seen: map[string][]Seen{"r": list}}); err != nil {
		t.Fatal(err)
	}
	lookups := []struct{ route, location, rule, fp string }{
		{"r", "web", "email", "a"}, {"r", "web", "email", "b"}, {"r", "web", "email", "ff"},
		{"r", "web", "email", "zz"}, {"r", "app", "email", "a"}, {"r", "web", "ssn", "a"},
		{"nobody", "web", "email", "a"},
	}
	for _, l := range lookups {
		want, wantOK := s.Seen(l.route, l.location, l.rule, l.fp)
		err := s.ViewSeen(l.route, func(get func(location, rule, fingerprint string) (Seen, bool)) error {
			for range 2 {
				got, ok := get(l.location, l.rule, l.fp)
				if ok != wantOK || !sameSeen(got, want) {
					t.Errorf("%v: ViewSeen %+v %v, Seen %+v %v", l, got, ok, want, wantOK)
				}
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	if got, ok := s.Seen("r", "web", "email", "ff"); !ok || !sameSeen(got, odd) {
		t.Errorf("round trip: %+v, want %+v", got, odd)
	}
	stop := errors.New("stop")
	if err := s.ViewSeen("r", func(func(string, string, string) (Seen, bool)) error { return stop }); err != stop {
		t.Errorf("fn's error: %v", err)
	}
}

func sameSeen(a, b Seen) bool {
	return a.First.Equal(b.First) && a.LastSent.Equal(b.LastSent) && a.Location == b.Location && a.Rule == b.Rule &&
		a.Class == b.Class && a.Severity == b.Severity && a.Path == b.Path && a.Line == b.Line &&
		a.Masked == b.Masked && a.Fingerprint == b.Fingerprint
}

// The compact encoding reads back what was written, and refuses what is
// cut short.
func TestSeenEncoding(t *testing.T) {
	for _, v := range []Seen{
		sv("a", 1),
		{Location: "web", Rule: "r", Fingerprint: "f"},
		{First: time.Unix(1, 999999999), LastSent: time.Unix(0, 5), Location: "l\x01", Rule: "", Fingerprint: "x",
			Path: "/p\xff", Line: 1 << 40, Masked: "m", Class: "c", Severity: "s"},
	} {
		key := seenKey(v.Location, v.Rule, v.Fingerprint)
		data := appendSeenValue(nil, &v)
		got, err := decodeSeen(key, data)
		if err != nil || !sameSeen(got, v) {
			t.Errorf("%+v: got %+v, %v", v, got, err)
		}
		if ls, ok := lastSentOf(key, data); !ok || !ls.Equal(v.LastSent) {
			t.Errorf("lastSentOf %+v: %v %v", v, ls, ok)
		}
		for i := range len(data) {
			if _, err := decodeSeen(key, data[:i]); err == nil {
				t.Errorf("%+v: %d of %d bytes read", v, i, len(data))
			}
		}
		if _, err := decodeSeen(key[:len(v.Location)], data); err == nil {
			t.Errorf("%+v: read under a short key", v)
		}
	}
}

func TestOutboxOf(t *testing.T) {
	s := openTemp(t)
	var entries []OutboxEntry
	for i, route := range []string{"a", "b", "a", "c", "a"} {
		entries = append(entries, OutboxEntry{Route: route, Job: "j", Created: at(i), Summary: json.RawMessage(fmt.Sprintf(`{"n":%d}`, i))})
	}
	ids, err := s.Save(Commit{Outbox: entries})
	if err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		route string
		want  []int // indexes in entries
	}{
		{"a", []int{0, 2, 4}}, {"b", []int{1}}, {"c", []int{3}}, {"nobody", nil},
	} {
		got, err := s.OutboxOf(tt.route)
		if err != nil {
			t.Fatal(err)
		}
		var gotIDs, wantIDs []uint64
		for _, e := range got {
			gotIDs = append(gotIDs, e.ID)
			if e.Route != tt.route {
				t.Errorf("%s: entry of %s", tt.route, e.Route)
			}
		}
		for _, i := range tt.want {
			wantIDs = append(wantIDs, ids[i])
		}
		if !slices.Equal(gotIDs, wantIDs) {
			t.Errorf("%s: ids %v, want %v", tt.route, gotIDs, wantIDs)
		}
	}
	s.Delivered(ids[2])
	if got, _ := s.OutboxOf("a"); len(got) != 2 || got[0].ID != ids[0] || got[1].ID != ids[4] {
		t.Errorf("after a delivery: %+v", got)
	}
	if all, _ := s.Outbox(); len(all) != 4 {
		t.Errorf("Outbox: %d entries", len(all))
	}
}

// OpenWait waits for another holder of the file lock (here another
// bbolt handle; the daemon in real life) to let go, up to its wait.
func TestOpenWait(t *testing.T) {
	path := filepath.Join(t.TempDir(), "state.db")
	s, err := Open(path, nil)
	if err != nil {
		t.Fatal(err)
	}
	s.Close()
	hold := func(d time.Duration) {
		t.Helper()
		db, err := bolt.Open(path, 0o600, &bolt.Options{Timeout: time.Second})
		if err != nil {
			t.Fatal(err)
		}
		time.AfterFunc(d, func() { db.Close() })
	}

	hold(300 * time.Millisecond)
	start := time.Now()
	s, err = OpenWait(path, nil, 5*time.Second)
	if err != nil {
		t.Fatalf("waiting 5s for a lock held 300ms: %v", err)
	}
	if d := time.Since(start); d < 250*time.Millisecond {
		t.Errorf("opened after %v while the file was locked", d)
	}
	s.Close()

	hold(300 * time.Millisecond)
	_, err = OpenWait(path, nil, 200*time.Millisecond)
	if !errors.Is(err, ErrLocked) || !strings.Contains(err.Error(), "daemon") || !strings.Contains(err.Error(), "200ms") {
		t.Errorf("waiting 200ms for a lock held 300ms: %v", err)
	}
	time.Sleep(200 * time.Millisecond)

	// No wait: one attempt.
	hold(300 * time.Millisecond)
	start = time.Now()
	if _, err = OpenWait(path, nil, 0); !errors.Is(err, ErrLocked) || time.Since(start) > 200*time.Millisecond {
		t.Errorf("no wait: %v after %v", err, time.Since(start))
	}
}

// writeSchema1 writes a state file as piiscan wrote it before the due
// index: JSON values, schema 1.
func writeSchema1(t *testing.T, path string, seen map[string][]Seen, raw map[string]string) {
	t.Helper()
	db, err := bolt.Open(path, 0o600, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	err = db.Update(func(tx *bolt.Tx) error {
		for _, b := range []string{"files", "objects", "seen", "outbox", "meta"} {
			if _, err := tx.CreateBucket([]byte(b)); err != nil {
				return err
			}
		}
		if err := tx.Bucket([]byte("meta")).Put([]byte("schema"), []byte("1")); err != nil {
			return err
		}
		for route, list := range seen {
			b, err := tx.Bucket([]byte("seen")).CreateBucketIfNotExists([]byte(route))
			if err != nil {
				return err
			}
			for _, v := range list {
				data, err := json.Marshal(v)
				if err != nil {
					return err
				}
				if err := b.Put([]byte(v.Location+"\x00"+v.Rule+"\x00"+v.Fingerprint), data); err != nil {
					return err
				}
			}
			for k, v := range raw {
				if err := b.Put([]byte(k), []byte(v)); err != nil {
					return err
				}
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

// A state file of schema 1 opens: its violations are indexed and
// rewritten compact, in the transaction that opens it, and read as
// before.
func TestOpenSchema1(t *testing.T) {
	path := filepath.Join(t.TempDir(), "state.db")
	odd := sv("ff", 3)
	odd.Path = "/logs/b\xff.log"
	old := map[string][]Seen{
		"r":     {sv("b", 2), sv("a", 1), odd, sv("c", 5)},
		"other": append(genSeen(2000, 1, t0), sv("o", 4)),
	}
	writeSchema1(t, path, old, map[string]string{"web\x00email\x00bad": "{not json"})
	s, err := Open(path, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	for route, list := range old {
		checkIndex(t, s, route)
		for _, v := range list {
			if got, ok := s.Seen(route, v.Location, v.Rule, v.Fingerprint); !ok || !sameSeen(got, v) {
				t.Errorf("%s %s: %+v %v, want %+v", route, v.Fingerprint, got, ok, v)
			}
		}
	}
	if got := due(t, s, "r", 3); !slices.Equal(got, []string{"a@1", "b@2", "ff@3"}) {
		t.Errorf("due: %q", got)
	}
	if _, ok := s.Seen("r", "web", "email", "bad"); ok {
		t.Error("an unreadable value read")
	}
	err = s.db.View(func(tx *bolt.Tx) error {
		if v := tx.Bucket(bucketMeta).Get(keySchema); !bytes.Equal(v, schema) {
			t.Errorf("schema %q", v)
		}
		// Rewritten anew: not the pages of the JSON values, each mostly
		// empty now.
		if st := tx.Bucket(bucketSeen).Bucket([]byte("other")).Stats(); st.LeafAlloc/st.KeyN > 150 {
			t.Errorf("%d bytes of leaf pages per violation after the conversion", st.LeafAlloc/st.KeyN)
		}
		return tx.Bucket(bucketSeen).Bucket([]byte("r")).ForEach(func(k, v []byte) error {
			switch {
			case bytes.HasSuffix(k, []byte("bad")):
				if string(v) != "{not json" {
					t.Errorf("unreadable value changed: %q", v)
				}
			case v[0] != seenFormat:
				t.Errorf("%q not rewritten: %q", k, v)
			}
			return nil
		})
	})
	if err != nil {
		t.Fatal(err)
	}
	// Later saves keep the index in step.
	if _, err := s.Save(Commit{Seen: map[string][]Seen{"r": {sv("a", 9)}}, Forget: map[string][]Seen{"r": {sv("b", 0)}}}); err != nil {
		t.Fatal(err)
	}
	checkIndex(t, s, "r")
	if got := due(t, s, "r", 10); !slices.Equal(got, []string{"ff@3", "c@5", "a@9"}) {
		t.Errorf("due after a save: %q", got)
	}
	s.Close()

	// A newer schema is refused, and the file left alone.
	db, err := bolt.Open(path, 0o600, nil)
	if err != nil {
		t.Fatal(err)
	}
	db.Update(func(tx *bolt.Tx) error { return tx.Bucket(bucketMeta).Put(keySchema, []byte("3")) })
	db.Close()
	if _, err := Open(path, nil); err == nil || !strings.Contains(err.Error(), "schema 3") {
		t.Errorf("newer schema: %v", err)
	}
}

// A JSON value Open did not convert (written under a key its fields do
// not make) is still read, and Save replaces it with its index entry.
func TestJSONValueStillRead(t *testing.T) {
	s := openTemp(t)
	v := sv("a", 1)
	data, _ := json.Marshal(v)
	key := seenKey(v.Location, v.Rule, v.Fingerprint)
	err := s.db.Update(func(tx *bolt.Tx) error {
		b, err := tx.Bucket(bucketSeen).CreateBucketIfNotExists([]byte("r"))
		if err != nil {
			return err
		}
		return b.Put(key, data)
	})
	if err != nil {
		t.Fatal(err)
	}
	if got, ok := s.Seen("r", "web", "email", "a"); !ok || !sameSeen(got, v) {
		t.Errorf("JSON value: %+v %v", got, ok)
	}
	v.LastSent = at(4)
	if _, err := s.Save(Commit{Seen: map[string][]Seen{"r": {v}}}); err != nil {
		t.Fatal(err)
	}
	checkIndex(t, s, "r")
	if got := due(t, s, "r", 4); !slices.Equal(got, []string{"a@4"}) {
		t.Errorf("due: %q", got)
	}
}

// The conversion of a schema 1 file is one transaction: when it fails
// part way (here on a route holding what no piiscan writes, after a
// route converted), the file is left as it was.
func TestOpenSchema1AllOrNothing(t *testing.T) {
	path := filepath.Join(t.TempDir(), "state.db")
	writeSchema1(t, path, map[string][]Seen{"a": {sv("x", 1)}, "b": {sv("y", 1)}}, nil)
	db, err := bolt.Open(path, 0o600, nil)
	if err != nil {
		t.Fatal(err)
	}
	snapshot := func() string {
		var out strings.Builder
		db.View(func(tx *bolt.Tx) error {
			var walk func(prefix string, b *bolt.Bucket)
			walk = func(prefix string, b *bolt.Bucket) {
				b.ForEach(func(k, v []byte) error {
					if v == nil {
						walk(prefix+string(k)+"/", b.Bucket(k))
					} else {
						fmt.Fprintf(&out, "%s%q=%q\n", prefix, k, v)
					}
					return nil
				})
			}
			return tx.ForEach(func(name []byte, b *bolt.Bucket) error {
				walk(string(name)+"/", b)
				return nil
			})
		})
		return out.String()
	}
	err = db.Update(func(tx *bolt.Tx) error {
		_, err := tx.Bucket(bucketSeen).Bucket([]byte("b")).CreateBucket([]byte("nested"))
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	before := snapshot()
	db.Close()

	if _, err := Open(path, nil); err == nil || !strings.Contains(err.Error(), "converting") {
		t.Fatalf("open: %v", err)
	}
	db, err = bolt.Open(path, 0o600, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if after := snapshot(); after != before {
		t.Errorf("file changed by a failed conversion:\nbefore\n%s\nafter\n%s", before, after)
	}
}

// OpenContext stops waiting for the lock when its context ends (SIGTERM
// to `piiscan run` while the daemon holds the file), long before its wait.
func TestOpenContextStopsWaiting(t *testing.T) {
	path := filepath.Join(t.TempDir(), "state.db")
	s, err := Open(path, nil)
	if err != nil {
		t.Fatal(err)
	}
	s.Close()
	db, err := bolt.Open(path, 0o600, &bolt.Options{Timeout: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	ctx, cancel := context.WithCancel(context.Background())
	time.AfterFunc(300*time.Millisecond, cancel)
	start := time.Now()
	_, err = OpenContext(ctx, path, nil, time.Minute)
	if took := time.Since(start); took > 5*time.Second {
		t.Errorf("still waiting %v after the context ended", took)
	}
	if !errors.Is(err, ErrLocked) || !errors.Is(err, context.Canceled) {
		t.Errorf("got %v, want ErrLocked and context.Canceled", err)
	}
}

// A JSON value whose location, rule or fingerprint is not what its key
// says is corrupt: Open leaves it as it is, out of the due index, and it
// is neither read nor reminded of. (Indexed, it was due at every run: a
// reminder of it was saved under the key its fields make.)
func TestOpenSchema1ValueAgainstItsKey(t *testing.T) {
	path := filepath.Join(t.TempDir(), "state.db")
	odd, _ := json.Marshal(sv("y", 1))
	writeSchema1(t, path, map[string][]Seen{"r": {sv("a", 2)}}, map[string]string{"web\x00email\x00x": string(odd)})
	s, err := Open(path, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	checkIndex(t, s, "r")
	for _, fp := range []string{"x", "y"} {
		if v, ok := s.Seen("r", "web", "email", fp); ok {
			t.Errorf("Seen %s: %+v", fp, v)
		}
	}
	// Two runs remind of what is due, as a job does.
	for _, h := range []int{5, 10} {
		var list []Seen
		err := s.EachDue("r", at(h), func(v Seen) error {
			v.LastSent = at(h)
			list = append(list, v)
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		if got := len(list); got != 1 || list[0].Fingerprint != "a" {
			t.Errorf("run at %d reminds of %+v, want a only", h, list)
		}
		if _, err := s.Save(Commit{Seen: map[string][]Seen{"r": list}}); err != nil {
			t.Fatal(err)
		}
		if got := due(t, s, "r", h-1); len(got) != 0 {
			t.Errorf("still due after the run at %d: %q", h, got)
		}
	}
	s.db.View(func(tx *bolt.Tx) error {
		if v := tx.Bucket(bucketSeen).Bucket([]byte("r")).Get([]byte("web\x00email\x00x")); !bytes.Equal(v, odd) {
			t.Errorf("the corrupt value changed: %q", v)
		}
		return nil
	})
	checkIndex(t, s, "r")
}
