package shard

import (
	"bytes"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/piiscan/piiscan/finding"
	"github.com/piiscan/piiscan/internal/itempath"
	"github.com/piiscan/piiscan/scanners"
)

// shardFile writes a findings file of shard index/count holding paths'
// findings (one per path, two for paths ending in "*2").
func shardFile(t *testing.T, index, count int, targets []string, paths ...string) []byte {
	t.Helper()
	var b bytes.Buffer
	w, err := NewWriter(&b, Header{Index: index, Count: count, Targets: targets, Config: "sha256:x", Version: "test", Started: time.Unix(0, 0)})
	if err != nil {
		t.Fatal(err)
	}
	st := &scanners.Stats{Files: int64(len(paths)), Bytes: 100 * int64(len(paths)), Duration: time.Duration(index+1) * time.Second}
	for _, p := range paths {
		n := 1
		if strings.HasSuffix(p, "*2") {
			p, n = strings.TrimSuffix(p, "*2"), 2
		}
		for l := 1; l <= n; l++ {
			f := &finding.Finding{Path: p, Line: l, Column: 1, Length: 5, Class: "email", Rule: "email", Severity: finding.SeverityMedium,
				Confidence: finding.ConfidenceHigh, Masked: "a***@example.com", Fingerprint: "fp" + p}
			if err := w.Add(f); err != nil {
				t.Fatal(err)
			}
			st.Findings++
		}
	}
	if index == 1 {
		st.Problems = []scanners.Problem{{Path: "/data/unreadable", Error: "permission denied"}}
	}
	if err := w.Close(st); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// mergedFiles is what a merger read: the header the shards share and their
// stats added up.
type mergedFiles struct {
	Header Header
	Stats  scanners.Stats
}

// mergeFiles merges files and returns the findings, as path:line, in
// the order the merger handed them on.
func mergeFiles(files ...[]byte) ([]string, *mergedFiles, error) {
	var in []input
	for i, f := range files {
		in = append(in, input{Name: fmt.Sprintf("file%d", i), R: bytes.NewReader(f)})
	}
	var got []string
	m, err := mergeInputs(in, scanners.SinkFunc(func(f *finding.Finding) error {
		got = append(got, fmt.Sprintf("%s:%d", f.Path, f.Line))
		return nil
	}))
	return got, m, err
}

// mergeInputs merges inputs into sink with a merger.
func mergeInputs(in []input, sink scanners.Sink) (*mergedFiles, error) {
	m, err := newMerger(in)
	if err != nil {
		return nil, err
	}
	st, err := m.Merge(sink)
	if err != nil {
		return nil, err
	}
	return &mergedFiles{Header: m.Header(), Stats: *st}, nil
}

func TestMergeOrder(t *testing.T) {
	targets := []string{"/data", "s3://bucket/logs"}
	// Walk order of /data: "a/" before "a.log" (component order), and
	// key order in the bucket: "logs/a-b" before "logs/a/b".
	f0 := shardFile(t, 0, 3, targets, "/data/a/x.log", "/data/b.tgz!z.log", "s3://bucket/logs/a-b")
	f1 := shardFile(t, 1, 3, targets, "/data/a.log*2", "/data/c.log")
	f2 := shardFile(t, 2, 3, targets, "/data/a/y.log", "s3://bucket/logs/a/b")
	got, m, err := mergeFiles(f2, f1, f0)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"/data/a/x.log:1", "/data/a/y.log:1", "/data/a.log:1", "/data/a.log:2", "/data/b.tgz!z.log:1", "/data/c.log:1",
		"s3://bucket/logs/a-b:1", "s3://bucket/logs/a/b:1"}
	if strings.Join(got, " ") != strings.Join(want, " ") {
		t.Fatalf("merged order\n got %v\nwant %v", got, want)
	}
	if m.Stats.Files != 7 || m.Stats.Findings != 8 || m.Stats.Bytes != 700 || len(m.Stats.Problems) != 1 || m.Stats.Duration != 3*time.Second {
		t.Fatalf("totals %+v", m.Stats)
	}
	if m.Header.Count != 3 || m.Header.Index != 0 || len(m.Header.Targets) != 2 {
		t.Fatalf("header %+v", m.Header)
	}
}

// Items are ordered by the real names of their files: an escaped '!' in a
// name, or an archive's members, do not move them in the walk order.
func TestMergeOrderOfEscapedPaths(t *testing.T) {
	targets := []string{"/data"}
	// Walk order: "a.tgz" < "a.tgz x" < "r!a.log" < "r#b.log".
	f0 := shardFile(t, 0, 2, targets, itempath.Join("/data/a.tgz", "m.csv"), itempath.Escape("/data/r!a.log"))
	f1 := shardFile(t, 1, 2, targets, "/data/a.tgz x", "/data/r#b.log")
	got, _, err := mergeFiles(f1, f0)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"/data/a.tgz!m.csv:1", "/data/a.tgz x:1", `/data/r\!a.log:1`, "/data/r#b.log:1"}
	if strings.Join(got, " ") != strings.Join(want, " ") {
		t.Fatalf("merged order\n got %v\nwant %v", got, want)
	}
}

// An archive is one item: its members in two shards mean broken sharding.
func TestMergeRefusesArchiveInTwoShards(t *testing.T) {
	tg := []string{"/data"}
	f0 := shardFile(t, 0, 2, tg, itempath.Join("/data/a.tgz", "m1.csv"))
	f1 := shardFile(t, 1, 2, tg, itempath.Join("/data/a.tgz", "m2.csv"))
	if _, _, err := mergeFiles(f0, f1); err == nil || !strings.Contains(err.Error(), "/data/a.tgz is in two shards") {
		t.Fatalf("error = %v, want the archive in two shards", err)
	}
}

func TestMergeRefuses(t *testing.T) {
	tg := []string{"/data"}
	ok0 := shardFile(t, 0, 2, tg, "/data/a.log")
	ok1 := shardFile(t, 1, 2, tg, "/data/b.log")
	other := bytes.Replace(shardFile(t, 1, 2, tg, "/data/b.log"), []byte("sha256:x"), []byte("sha256:y"), 1)
	truncated := ok1[:bytes.LastIndex(ok1[:len(ok1)-1], []byte("\n"))+1]
	midRecord := ok1[:len(ok1)-5]
	for _, tc := range []struct {
		name  string
		files [][]byte
		err   string
	}{
		{"missing shard", [][]byte{ok0}, "1 of 2 shards are missing: 1"},
		{"shard twice", [][]byte{ok0, ok0}, "shard 0 of 2 is there twice"},
		{"other rules", [][]byte{ok0, other}, "different scans"},
		{"other count", [][]byte{ok0, shardFile(t, 1, 3, tg)}, "different scans"},
		{"other run", [][]byte{ok0, bytes.Replace(ok1, []byte(`"count":2,"targets"`), []byte(`"count":2,"run":"r2","targets"`), 1)}, "different runs"},
		{"no end record", [][]byte{ok0, truncated}, "no end record"},
		{"cut mid-record", [][]byte{ok0, midRecord}, "ends mid-record"},
		{"item in two shards", [][]byte{ok0, shardFile(t, 1, 2, tg, "/data/a.log")}, "is in two shards"},
		{"not a shard file", [][]byte{ok0, []byte(`{"path":"/data/a.log"}` + "\n")}, "not a shard's findings file"},
		{"empty", [][]byte{ok0, nil}, "empty"},
		{"records after the end", [][]byte{ok0, append(append([]byte{}, ok1...), ok1...)}, "after the end record"},
		{"count mismatch", [][]byte{ok0, bytes.Replace(ok1, []byte(`"findings":1`), []byte(`"findings":2`), 1)}, "counts 2 findings but it holds 1"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, _, err := mergeFiles(tc.files...)
			if err == nil || !strings.Contains(err.Error(), tc.err) {
				t.Fatalf("error = %v, want %q", err, tc.err)
			}
		})
	}
	if _, _, err := mergeFiles(ok1, ok0); err != nil {
		t.Fatalf("a good pair: %v", err)
	}
}

// withKeyID gives a findings file's header a key id, as a shard writes
// it (the raw JSON: the test holds for files of any version).
func withKeyID(file []byte, id string) []byte {
	return bytes.Replace(file, []byte(`"config":"sha256:x"`), []byte(`"config":"sha256:x","key_id":"`+id+`"`), 1)
}

// Shards fingerprinted with different keys are never merged, nor shards
// that record a key with shards of an older version that record none; the
// error names the files and their key ids.
func TestMergeRefusesDifferentKeys(t *testing.T) {
	tg := []string{"/data"}
	idA, idB := finding.KeyID([]byte("5c1e0a9d3b7f4286e1d0c5a7b92f38e4")), finding.KeyID([]byte("a8d2f61c04b9e37d5f1a2c8e6b0d4973"))
	if idA == idB || len(idA) != 16 || strings.Contains(idA, "5c1e0a9d") {
		t.Fatalf("key ids %q and %q", idA, idB)
	}
	if finding.KeyID([]byte("5c1e0a9d3b7f4286e1d0c5a7b92f38e4")) != idA {
		t.Fatal("a key id is not stable")
	}
	old0, old1 := shardFile(t, 0, 3, tg, "/data/a.log"), shardFile(t, 1, 3, tg, "/data/b.log")
	old2 := shardFile(t, 2, 3, tg, "/data/c.log")
	a0, a1, a2 := withKeyID(old0, idA), withKeyID(old1, idA), withKeyID(old2, idA)
	b1, b2 := withKeyID(old1, idB), withKeyID(old2, idB)
	for _, tc := range []struct {
		name  string
		files [][]byte
		want  []string // in the error; nil: the merge succeeds
	}{
		{"one key", [][]byte{a0, a1, a2}, nil},
		{"no key ids (an older version)", [][]byte{old0, old1, old2}, nil},
		{"two keys", [][]byte{a0, b1, b2}, []string{"not all written with the same fingerprint key", "key id " + idA + ": file0", "key id " + idB + ": file1, file2", "re-run"}},
		{"old and new", [][]byte{a0, old1, a2}, []string{"key id " + idA + ": file0, file2", "no key id (an older piiscan): file1", "re-run the shards with this version"}},
		// Missing shards do not hide a key mismatch.
		{"two keys, one missing", [][]byte{a0, b1}, []string{"key id " + idB + ": file1"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, m, err := mergeFiles(tc.files...)
			if tc.want == nil {
				if err != nil {
					t.Fatal(err)
				}
				if m.Header.KeyID != "" && m.Header.KeyID != idA {
					t.Errorf("merged header key id %q", m.Header.KeyID)
				}
				return
			}
			if err == nil {
				t.Fatal("merged")
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q\nwant %q in it", err, w)
				}
			}
		})
	}
	// A shard writes its key id in its header.
	var b bytes.Buffer
	w, _ := NewWriter(&b, Header{Count: 1, Targets: tg, Config: "sha256:x", KeyID: idA})
	w.Close(nil)
	if !bytes.Contains(b.Bytes(), []byte(`"key_id":"`+idA+`"`)) {
		t.Errorf("header %s", b.Bytes())
	}
}

func TestTargetOf(t *testing.T) {
	targets := targetsOf([]string{"./x.log", "./d", "a/", "s3://b/logs/", "/abs"})
	for path, want := range map[string]int{
		"./x.log": 0, "d/f": 1, "d/f!m": 1, "a/b/c": 2, "s3://b/logs/k": 3, "/abs/f": 4, "/absent": 5, "x.log": 5, "dd/f": 5,
	} {
		if got := targetOf(path, targets); got != want {
			t.Errorf("targetOf(%q) = %d, want %d", path, got, want)
		}
	}
	if got := targetOf("f/g", targetsOf([]string{"/abs", "."})); got != 1 {
		t.Errorf("under .: %d", got)
	}
}

func TestItemCompare(t *testing.T) {
	for _, tc := range []struct {
		a, b string
		want int
	}{
		{"/d/a/b", "/d/a.log", -1},
		{"/d/a.log", "/d/a/b", 1},
		{"/d/a", "/d/a", 0},
		{"/d/a", "/d/ab", -1},
		{"/d/b", "/d/a/z", 1},
		{"s3://b/k/a-b", "s3://b/k/a/b", -1},
	} {
		got := at(tc.a, nil).compare(tc.a, tc.b)
		if (got < 0) != (tc.want < 0) || (got > 0) != (tc.want > 0) {
			t.Errorf("itemCompare(%q, %q) = %d, want %d", tc.a, tc.b, got, tc.want)
		}
	}
}

func FuzzMerge(f *testing.F) {
	var b bytes.Buffer
	w, _ := NewWriter(&b, Header{Count: 1, Targets: []string{"/d"}})
	w.Add(&finding.Finding{Path: "/d/a", Line: 1, Class: "email", Rule: "email", Severity: finding.SeverityLow})
	w.Close(&scanners.Stats{Findings: 1})
	f.Add(b.Bytes())
	f.Add([]byte(`{"piiscan_shard":{"index":0,"count":1}}` + "\n" + `{"piiscan_shard_end":{}}` + "\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		mergeInputs([]input{{Name: "f", R: bytes.NewReader(data)}}, scanners.SinkFunc(func(*finding.Finding) error { return nil }))
	})
}
