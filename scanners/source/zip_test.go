package source

import (
	"archive/zip"
	"bufio"
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/klauspost/compress/flate"
	"github.com/piiscan/piiscan/internal/itempath"
)

// manyEntriesZip writes a zip of n tiny stored members to a file.
func manyEntriesZip(t testing.TB, n int) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), fmt.Sprintf("many-%d.zip", n))
	f, err := os.Create(p)
	if err != nil {
		t.Fatal(err)
	}
	bw := bufio.NewWriterSize(f, 1<<20)
	zw := zip.NewWriter(bw)
	for i := range n {
		w, err := zw.CreateHeader(&zip.FileHeader{Name: fmt.Sprintf("d/f%07d.txt", i), Method: zip.Store})
		if err != nil {
			t.Fatal(err)
		}
		fmt.Fprintf(w, "line %d\n", i)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	if err := bw.Flush(); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	return p
}

// countStreams is a StreamFunc that reads every stream and counts them,
// sampling the live heap every 10,000 streams.
type countStreams struct {
	n        int
	peakHeap uint64
}

func (c *countStreams) fn(_ string, br *bufio.Reader, _ *Table) error {
	c.n++
	if c.n%10000 == 0 {
		runtime.GC()
		var ms runtime.MemStats
		runtime.ReadMemStats(&ms)
		c.peakHeap = max(c.peakHeap, ms.HeapAlloc)
	}
	_, err := io.Copy(io.Discard, br)
	return err
}

// A zip of many entries: 200k took 115 s (time grew with the square of
// the count: archive/zip's list of entries was scanned by the garbage
// collector that every member's 64 KiB buffer set off), and 3M entries
// 675 MB of RSS. Memory now stays flat and time linear.
func TestExpandZipManyEntries(t *testing.T) {
	const n = 200_000
	p := manyEntriesZip(t, n)
	f, err := os.Open(p)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	fi, _ := f.Stat()
	runtime.GC()
	var before runtime.MemStats
	runtime.ReadMemStats(&before)
	c := &countStreams{}
	start := time.Now()
	err = (&Expander{}).Expand(context.Background(), p, f, f, fi.Size(), c.fn)
	took := time.Since(start)
	var after runtime.MemStats
	runtime.ReadMemStats(&after)
	live := int64(c.peakHeap) - int64(before.HeapAlloc)
	alloc := after.TotalAlloc - before.TotalAlloc
	t.Logf("%d entries (%d MB): %v, live heap +%d MB, allocated %d MB", n, fi.Size()>>20, took, live>>20, alloc>>20)
	if err != nil || c.n != n {
		t.Fatalf("Expand = %v after %d streams, want %d streams", err, c.n, n)
	}
	// archive/zip held ~250 bytes per entry and every member allocated
	// a 64 KiB buffer: 50 MB live and 13 GB allocated here.
	if live > 24<<20 || alloc > 2<<30 && !raceEnabled {
		regression(t, "memory grows with the entries of a zip",
			"%d entries: live heap +%d MB, %d MB allocated", n, live>>20, alloc>>20)
	}
	if took > 60*time.Second {
		t.Errorf("%d entries took %v", n, took)
	}
}

// BenchmarkExpandZipEntries reads zips of many tiny entries: the time per
// entry must not grow with their number.
//
//	go test -run '^$' -bench ExpandZipEntries -benchtime 1x ./scanners/source/
func BenchmarkExpandZipEntries(b *testing.B) {
	for _, n := range []int{20_000, 100_000, 200_000, 1_000_000} {
		b.Run(fmt.Sprint(n), func(b *testing.B) {
			p := manyEntriesZip(b, n)
			f, err := os.Open(p)
			if err != nil {
				b.Fatal(err)
			}
			defer f.Close()
			fi, _ := f.Stat()
			b.ResetTimer()
			for b.Loop() {
				c := &countStreams{}
				if err := (&Expander{}).Expand(context.Background(), p, f, f, fi.Size(), c.fn); err != nil || c.n != n {
					b.Fatalf("Expand = %v after %d streams", err, c.n)
				}
				b.ReportMetric(float64(c.peakHeap>>20), "peak-heap-MB")
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*n), "ns/entry")
		})
	}
}

// setZipCount rewrites the entry count of a zip's (zip64) end records.
func setZipCount(t *testing.T, z []byte, n uint64) {
	t.Helper()
	end := bytes.LastIndex(z, []byte("PK\x05\x06"))
	if end < 0 {
		t.Fatal("no end record")
	}
	if binary.LittleEndian.Uint16(z[end+10:]) != 0xffff {
		binary.LittleEndian.PutUint16(z[end+8:], uint16(n))
		binary.LittleEndian.PutUint16(z[end+10:], uint16(n))
		return
	}
	end64 := bytes.LastIndex(z, []byte("PK\x06\x06"))
	binary.LittleEndian.PutUint64(z[end64+24:], n)
	binary.LittleEndian.PutUint64(z[end64+32:], n)
}

func TestExpandZipEntryLimit(t *testing.T) {
	entries := func(n int) []entry {
		var es []entry
		for i := range n {
			es = append(es, entry{name: fmt.Sprintf("%d.txt", i), body: "x", store: true})
		}
		return es
	}
	ten := zipBytes(t, entries(10)...)
	eleven := zipBytes(t, entries(11)...)
	// More entries than a uint16 counts, declaring 65,541 mod 65,536 = 5
	// in its zip64 record: archive/zip accepts that, and so would a
	// check of the declared count alone.
	lying := bytes.Clone(zipBytes(t, entries(65541)...))
	setZipCount(t, lying, 5)

	for _, tt := range []struct {
		name    string
		data    []byte
		max     int
		streams int
	}{
		{"at the limit", ten, 10, 10},
		{"over the limit", eleven, 10, 0},
		{"count that lies", lying, 1000, 0},
	} {
		t.Run(tt.name, func(t *testing.T) {
			p := writeFile(t, t.TempDir(), "a.zip", tt.data)
			rec, err := expandFile(t, p, Limits{MaxEntries: tt.max}, true)
			if len(rec.streams) != tt.streams {
				t.Errorf("%d streams, want %d", len(rec.streams), tt.streams)
			}
			if tt.streams > 0 {
				if err != nil {
					t.Errorf("Expand = %v, want nil", err)
				}
				return
			}
			if !errors.Is(err, ErrBomb) || !strings.Contains(err.Error(), "entries") {
				t.Errorf("Expand = %v, want ErrBomb for the entries", err)
			}
		})
	}
}

// deflated returns data compressed with raw deflate.
func deflated(t testing.TB, data []byte) []byte {
	t.Helper()
	var buf bytes.Buffer
	w, _ := flate.NewWriter(&buf, flate.BestCompression)
	w.Write(data)
	w.Close()
	return buf.Bytes()
}

// overlapZip builds David Fifield's "full overlap" zip bomb at small
// scale: one local file header and one deflate stream, which n central
// directory entries all point to.
func overlapZip(t testing.TB, content []byte, n int) []byte {
	t.Helper()
	le := binary.LittleEndian
	comp := deflated(t, content)
	crc := crc32.ChecksumIEEE(content)
	var z bytes.Buffer
	local := make([]byte, 30)
	le.PutUint32(local, 0x04034b50)
	le.PutUint16(local[4:], 20)
	le.PutUint16(local[8:], 8)
	le.PutUint32(local[14:], crc)
	le.PutUint32(local[18:], uint32(len(comp)))
	le.PutUint32(local[22:], uint32(len(content)))
	le.PutUint16(local[26:], 1)
	z.Write(local)
	z.WriteString("a")
	z.Write(comp)
	dirStart := z.Len()
	for i := range n {
		name := fmt.Sprintf("%d.txt", i)
		h := make([]byte, 46)
		le.PutUint32(h, 0x02014b50)
		le.PutUint16(h[4:], 20)
		le.PutUint16(h[6:], 20)
		le.PutUint16(h[10:], 8)
		le.PutUint32(h[16:], crc)
		le.PutUint32(h[20:], uint32(len(comp)))
		le.PutUint32(h[24:], uint32(len(content)))
		le.PutUint16(h[28:], uint16(len(name)))
		z.Write(h) // every entry's local header is at offset 0
		z.WriteString(name)
	}
	end := make([]byte, 22)
	le.PutUint32(end, 0x06054b50)
	le.PutUint16(end[8:], uint16(n))
	le.PutUint16(end[10:], uint16(n))
	le.PutUint32(end[12:], uint32(z.Len()-dirStart))
	le.PutUint32(end[16:], uint32(dirStart))
	z.Write(end)
	return z.Bytes()
}

// Entries that share their compressed bytes: the ratio was checked per
// member, from 64 MiB on, so 1,500 members of 20 MB read from one 100 KB
// block turned 109 KB into 30 GB of findings.
func TestExpandZipOverlappingEntries(t *testing.T) {
	zeros := make([]byte, 2<<20)
	full := overlapZip(t, zeros, 200) // 200 x 2 MiB from 2 KB

	// Two ordinary members; then the first one's sizes are changed so its
	// data runs over the second one's header and data.
	two := zipBytes(t, entry{name: "a.txt", body: "first\n", store: true}, entry{name: "b.txt", body: "second\n", store: true})
	runOver := bytes.Clone(two)
	setZipSizes(t, runOver, "a.txt", 60)

	// The first member's local header claims a longer extra field than
	// it has: its data starts later, and ends inside the next entry.
	longExtra := bytes.Clone(two)
	binary.LittleEndian.PutUint16(longExtra[28:], 40)

	for _, tt := range []struct {
		name string
		data []byte
	}{
		{"every entry at offset 0", full},
		{"data runs into the next entry", runOver},
		{"local header shifts the data into the next entry", longExtra},
	} {
		t.Run(tt.name, func(t *testing.T) {
			p := writeFile(t, t.TempDir(), "o.zip", tt.data)
			f, err := os.Open(p)
			if err != nil {
				t.Fatal(err)
			}
			defer f.Close()
			d := newDrain(64 << 20)
			x := &Expander{MemberError: func(string, error) {}}
			err = x.Expand(context.Background(), p, f, f, int64(len(tt.data)), d.fn)
			t.Logf("%d bytes: Expand = %v, %d bytes read", len(tt.data), err, d.total)
			if d.total > 0 {
				regression(t, "overlapping zip entries are read",
					"%d bytes read from %d overlapping members of a %d-byte zip", d.total, len(d.order), len(tt.data))
			}
			if !errors.Is(err, ErrBomb) || !strings.Contains(err.Error(), "overlap") {
				t.Errorf("Expand = %v, want ErrBomb for overlapping entries", err)
			}
		})
	}
}

// setZipSizes rewrites the compressed and uncompressed size of member
// name in the central directory of a zip.
func setZipSizes(t *testing.T, z []byte, name string, size uint32) {
	t.Helper()
	setZipUncompressedSize(t, z, name, size)
	for i := 0; i+46 <= len(z); i++ {
		if string(z[i:i+4]) == "PK\x01\x02" && string(z[i+46:i+46+len(name)]) == name {
			binary.LittleEndian.PutUint32(z[i+20:], size)
			return
		}
	}
	t.Fatalf("no entry %s", name)
}

// Members that do not overlap but together declare far more than the
// archive's size times MaxRatio: each is under the 64 MiB floor the
// per-member check starts at, the archive is not.
func TestExpandZipWholeArchiveRatio(t *testing.T) {
	zeros := string(make([]byte, 2<<20))
	var es []entry
	for i := range 40 { // 80 MiB declared, ~100 KB of archive
		es = append(es, reg(fmt.Sprintf("%02d.txt", i), zeros))
	}
	z := zipBytes(t, es...)
	p := writeFile(t, t.TempDir(), "r.zip", z)
	f, err := os.Open(p)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	d := newDrain(1 << 30)
	err = (&Expander{}).Expand(context.Background(), p, f, f, int64(len(z)), d.fn)
	t.Logf("%d bytes: Expand = %v, %d bytes read", len(z), err, d.total)
	if d.total > 0 {
		regression(t, "the zip ratio is checked per member only",
			"%d bytes read from a %d-byte zip of %d members", d.total, len(z), len(es))
	}
	if !errors.Is(err, ErrBomb) || !strings.Contains(err.Error(), "ratio") {
		t.Errorf("Expand = %v, want ErrBomb for the archive's ratio", err)
	}
}

// Zips written by the zip tool read as unzip reads them: deflated and
// stored members, zip64, a comment, and what zip read from a pipe (a data
// descriptor, and a member recorded as a named pipe: it was skipped, its
// content unscanned).
func TestExpandZipFromTheZipTool(t *testing.T) {
	for _, tool := range []string{"zip", "unzip"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Skipf("no %s binary", tool)
		}
	}
	dir := t.TempDir()
	writeFile(t, dir, "src/a.txt", []byte(text(70<<10, 21)))
	writeFile(t, dir, "src/sub/b.csv", []byte("name,email\nbob,bob@example.com\n"))
	writeFile(t, dir, "src/empty", nil)
	run := func(name string, args ...string) {
		t.Helper()
		cmd := exec.Command(name, args...)
		cmd.Dir = dir
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("%s %v: %v\n%s", name, args, err, out)
		}
	}
	run("zip", "-qr", "plain.zip", "src")
	run("zip", "-qr0", "stored.zip", "src")
	run("zip", "-qr", "-fz", "zip64.zip", "src")
	run("sh", "-c", "cat src/a.txt | zip -q piped.zip -") // streamed: data descriptor
	run("sh", "-c", "cp plain.zip comment.zip && echo 'a comment' | zip -qz comment.zip")
	run("zip", "-qr", "-P", "secret", "encrypted.zip", "src")

	t.Run("encrypted.zip", func(t *testing.T) {
		p := filepath.Join(dir, "encrypted.zip")
		rec, err := expandFile(t, p, Limits{}, true)
		if err != nil || len(rec.streams) != 0 || len(rec.members) != 3 {
			t.Fatalf("Expand = %v, streams %q, member errors %v: want an error for each member", err, rec.paths(), rec.members)
		}
		for _, m := range rec.members {
			if !errors.Is(m.err, errEncrypted) {
				t.Errorf("%s: %v, want it reported as encrypted", m.path, m.err)
			}
		}
	})
	for _, name := range []string{"plain.zip", "stored.zip", "zip64.zip", "piped.zip", "comment.zip"} {
		t.Run(name, func(t *testing.T) {
			p := filepath.Join(dir, name)
			rec, err := expandFile(t, p, Limits{}, true)
			if err != nil {
				t.Fatalf("Expand = %v", err)
			}
			checkMembers(t, rec, nil)
			for _, s := range rec.streams {
				_, members := itempath.Split(s.path)
				out, err := exec.Command("unzip", "-p", p, members[0]).Output()
				if err != nil && len(out) == 0 {
					t.Errorf("unzip -p %s: %v", members[0], err)
				}
				if string(out) != s.content {
					t.Errorf("%s: %s, unzip gives %s", s.path, abbrev(s.content), abbrev(string(out)))
				}
			}
			if want := map[string]int{"piped.zip": 1}[name]; want == 0 && len(rec.streams) != 3 || want == 1 && len(rec.streams) != 1 {
				t.Errorf("streams %q, want every file", rec.paths())
			}
		})
	}
}
