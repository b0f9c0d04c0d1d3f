package scanners

import (
	"bytes"
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/klauspost/compress/gzip"

	"github.com/piiscan/piiscan/finding"
	"github.com/piiscan/piiscan/scanners/source"
)

// memIncremental remembers positions by path.
type memIncremental struct {
	mu       sync.Mutex
	pos      map[string]Position
	progress []progressCall
}

func (m *memIncremental) Start(it source.Item, f *os.File) Position {
	m.mu.Lock()
	defer m.mu.Unlock()
	p := m.pos[it.Path]
	if p.Whole {
		return Position{Skip: p.Offset == it.Size}
	}
	return p
}

func (m *memIncremental) Done(it source.Item, end Position) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.pos[it.Path] = end
}

// Progress keeps the position in progress as the one to resume from, as
// state.Tracker does until the item is Done; calls are recorded.
func (m *memIncremental) Progress(it source.Item, at Position) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.pos[it.Path] = at
	m.progress = append(m.progress, progressCall{it.Path, at})
}

type progressCall struct {
	path string
	at   Position
}

func appendFile(t *testing.T, path string, data []byte) {
	t.Helper()
	f, err := os.OpenFile(path, os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if _, err := f.Write(data); err != nil {
		t.Fatal(err)
	}
}

// Scanning a growing log in steps finds exactly what one scan of the
// final file finds, at the same lines: nothing missed, nothing twice
// (apart from a last line still being written, which is read again once
// complete).
func TestIncrementalAppend(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	data := randomLog(r, 3000)
	dir := t.TempDir()
	path := filepath.Join(dir, "app.log")
	writeFile(t, path, nil)
	opts := testOptions(t)
	opts.ChunkSize = 1 // many chunks
	inc := &memIncremental{pos: map[string]Position{}}
	opts.Incremental = inc
	var got []string
	written := 0
	for written < len(data) {
		// Append a piece that usually ends mid-line.
		n := min(len(data)-written, 1+r.IntN(40<<10))
		appendFile(t, path, data[written:written+n])
		written += n
		fs, _ := collect(t, opts, path)
		for _, k := range keys(fs) {
			// A partial last line may be reported again when complete.
			if !slices.Contains(got, k) {
				got = append(got, k)
			}
		}
	}
	want := perLine(opts.Engine, path, data)
	slices.Sort(got)
	slices.Sort(want)
	// got may hold findings cut short on an unfinished line; every real
	// finding must be there.
	for _, w := range want {
		if _, ok := slices.BinarySearch(got, w); !ok {
			t.Fatalf("missed %s", w)
		}
	}
	if p := inc.pos[path]; p.Offset != int64(len(data)) || p.Line != bytes.Count(data, []byte("\n")) {
		t.Errorf("final position %+v, want offset %d line %d", p, len(data), bytes.Count(data, []byte("\n")))
	}
	// Nothing new: nothing read.
	if fs, st := collect(t, opts, path); len(fs) != 0 || st.Bytes != 0 {
		t.Errorf("unchanged file: %d findings, %d bytes", len(fs), st.Bytes)
	}
}

func TestIncrementalResumedCSVAndWhole(t *testing.T) {
	dir := t.TempDir()
	csv := filepath.Join(dir, "users.csv")
	writeFile(t, csv, []byte("name,email\nAda,ada@example.com\n"))
	var gz bytes.Buffer
	zw := gzip.NewWriter(&gz)
	zw.Write([]byte("card 4111 1111 1111 1111\n"))
	zw.Close()
	gzPath := filepath.Join(dir, "old.log.gz")
	writeFile(t, gzPath, gz.Bytes())
	opts := testOptions(t)
	opts.Incremental = &memIncremental{pos: map[string]Position{}}
	first, _ := collect(t, opts, dir)
	if len(first) == 0 {
		t.Fatal("nothing found")
	}
	appendFile(t, csv, []byte("Bob,bob@example.com\n"))
	second, st := collect(t, opts, dir)
	if st.Unchanged != 1 {
		t.Errorf("unchanged = %d, want 1 (the gzip)", st.Unchanged)
	}
	// The resumed CSV keeps its line numbers, and its first new line is
	// not taken for a header.
	k := keys(second)
	if len(k) == 0 || !slices.ContainsFunc(k, func(s string) bool { return bytes.Contains([]byte(s), []byte("users.csv:3:5+15 email")) }) {
		t.Errorf("second scan: %q", k)
	}
	for _, s := range k {
		if bytes.Contains([]byte(s), []byte("old.log.gz")) || bytes.Contains([]byte(s), []byte("users.csv:2:")) {
			t.Errorf("rescanned: %s", s)
		}
	}
}

// Rows appended to a CSV are read with the columns of its header, and
// bytes at the resume point that look binary do not end the reading.
func TestIncrementalResumedColumnsAndBinaryLooking(t *testing.T) {
	dir := t.TempDir()
	csv := filepath.Join(dir, "people.csv")
	writeFile(t, csv, []byte("id,full_name,note\n1,Grace Hopper,x\n"))
	log := filepath.Join(dir, "app.log")
	writeFile(t, log, []byte("start\n"))
	opts := testOptions(t)
	opts.Incremental = &memIncremental{pos: map[string]Position{}}
	first, _ := collect(t, opts, dir)
	if !slices.ContainsFunc(keys(first), func(k string) bool { return strings.Contains(k, "people.csv:2:3") }) {
		t.Fatalf("first scan: %q", keys(first))
	}
	appendFile(t, csv, []byte("2,Ada Lovelace,y\n"))
	appendFile(t, log, append(bytes.Repeat([]byte{0}, 64), []byte("\nmail bob@example.com\n")...))
	k := keys(mustCollect(t, opts, dir))
	if !slices.ContainsFunc(k, func(s string) bool {
		return strings.Contains(s, "people.csv:3:3") && strings.Contains(s, "person_name")
	}) {
		t.Errorf("appended CSV row: %q", k)
	}
	if !slices.ContainsFunc(k, func(s string) bool { return strings.Contains(s, "app.log:3:6") }) {
		t.Errorf("after NUL padding: %q", k)
	}
}

func mustCollect(t *testing.T, opts Options, targets ...string) []finding.Finding {
	t.Helper()
	fs, _ := collect(t, opts, targets...)
	return fs
}

// After a cancellation, no item is recorded as read unless its findings
// were all delivered.
func TestIncrementalCancelled(t *testing.T) {
	dir := t.TempDir()
	for i := range 200 {
		writeFile(t, filepath.Join(dir, fmt.Sprintf("%03d.log", i)), []byte(fmt.Sprintf("x\nuser%d@example.com\n", i)))
	}
	for range 20 {
		inc := &memIncremental{pos: map[string]Position{}}
		opts := testOptions(t)
		opts.Incremental = inc
		s, err := New(opts)
		if err != nil {
			t.Fatal(err)
		}
		ctx, cancel := context.WithCancel(context.Background())
		got := map[string]bool{}
		s.Scan(ctx, []string{dir}, SinkFunc(func(f *finding.Finding) error {
			got[f.Path] = true
			if len(got) == 5 {
				cancel()
			}
			return nil
		}))
		cancel()
		for p := range inc.pos {
			if !got[p] {
				t.Fatalf("%s recorded as read, but its finding never reached the sink", p)
			}
		}
	}
}
