package source

import (
	"bufio"
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/klauspost/compress/gzip"
	"github.com/klauspost/compress/zstd"
)

// drain is a StreamFunc that counts the bytes of every stream, giving up
// after max bytes in all (so a bomb that gets through fails the test
// instead of running for hours). It keeps the first read error.
type drain struct {
	max     int64
	total   int64
	perPath map[string]int64
	order   []string
	readErr error
}

var errDrainFull = errors.New("drain: read more than its maximum")

func newDrain(max int64) *drain { return &drain{max: max, perPath: map[string]int64{}} }

func (d *drain) fn(p string, br *bufio.Reader, _ *Table) error {
	d.order = append(d.order, p)
	buf := make([]byte, 32<<10)
	for {
		n, err := br.Read(buf)
		d.total += int64(n)
		d.perPath[p] += int64(n)
		if err == io.EOF {
			return nil
		}
		if err != nil {
			if d.readErr == nil {
				d.readErr = err
			}
			return err
		}
		if d.total > d.max {
			return errDrainFull
		}
	}
}

// writeZeros writes a compressed file of n zero bytes without holding them
// in memory.
func writeZeros(t *testing.T, path string, n int64, compress func(io.Writer) io.WriteCloser) {
	t.Helper()
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	w := compress(f)
	zero := make([]byte, 1<<20)
	for left := n; left > 0; left -= int64(len(zero)) {
		if _, err := w.Write(zero[:min(left, int64(len(zero)))]); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
}

func gzipWriter(w io.Writer) io.WriteCloser { return gzip.NewWriter(w) }

func zstdWriter(w io.Writer) io.WriteCloser {
	zw, err := zstd.NewWriter(w, zstd.WithEncoderConcurrency(1))
	if err != nil {
		panic(err)
	}
	return zw
}

func TestExpandRatioBomb(t *testing.T) {
	const floor = 1 << 20
	for _, tt := range []struct {
		name     string
		compress func(io.Writer) io.WriteCloser
	}{
		{"zeros.gz", gzipWriter},
		{"zeros.zst", zstdWriter},
	} {
		t.Run(tt.name, func(t *testing.T) {
			p := filepath.Join(t.TempDir(), tt.name)
			writeZeros(t, p, 200<<20, tt.compress)
			f, err := os.Open(p)
			if err != nil {
				t.Fatal(err)
			}
			defer f.Close()
			fi, _ := f.Stat()
			t.Logf("%s: %d bytes for 200 MiB", tt.name, fi.Size())

			d := newDrain(32 << 20)
			x := &Expander{Limits: Limits{MaxRatio: 100, RatioFloor: floor}}
			err = x.Expand(context.Background(), p, f, f, fi.Size(), d.fn)
			// The ratio is checked as the StreamFunc reads: the StreamFunc
			// gets the error and Expand returns what it returned.
			if !errors.Is(err, ErrBomb) {
				t.Fatalf("Expand = %v, want ErrBomb", err)
			}
			if !errors.Is(d.readErr, ErrBomb) || d.readErr != err {
				t.Errorf("StreamFunc read error = %v, want the ErrBomb that Expand returned", d.readErr)
			}
			if errors.Is(err, ErrCorrupt) {
				t.Errorf("Expand = %v, must not be marked corrupt", err)
			}
			// RatioFloor bytes are always allowed; one 64 KiB buffer more
			// may be read before the check fires.
			if d.total < floor || d.total > floor+64<<10 {
				t.Errorf("StreamFunc read %d bytes, want between %d and %d", d.total, floor, floor+64<<10)
			}
		})
	}

	t.Run("below the floor", func(t *testing.T) {
		p := filepath.Join(t.TempDir(), "small.gz")
		writeZeros(t, p, 4<<20, gzipWriter)
		d := newDrain(32 << 20)
		x := &Expander{Limits: Limits{MaxRatio: 100, RatioFloor: 8 << 20}}
		f, err := os.Open(p)
		if err != nil {
			t.Fatal(err)
		}
		defer f.Close()
		if err := x.Expand(context.Background(), p, f, nil, -1, d.fn); err != nil {
			t.Fatalf("Expand = %v, want nil: 4 MiB is under the 8 MiB ratio floor", err)
		}
		if d.total != 4<<20 {
			t.Errorf("read %d bytes, want %d", d.total, 4<<20)
		}
	})

	// A ratio bomb in one member of an archive is that member's problem.
	t.Run("member of a tar", func(t *testing.T) {
		var zeros bytes.Buffer
		w := gzip.NewWriter(&zeros)
		w.Write(make([]byte, 8<<20))
		w.Close()
		archive := tarBytes(t, reg("before.txt", "before"), reg("bomb.gz", zeros.String()), reg("after.txt", "after"))
		d := newDrain(32 << 20)
		var members []memberErr
		x := &Expander{
			Limits:      Limits{MaxRatio: 100, RatioFloor: 1 << 20},
			MemberError: func(p string, err error) { members = append(members, memberErr{p, err}) },
		}
		if err := x.Expand(context.Background(), "a.tar", bytes.NewReader(archive), nil, -1, d.fn); err != nil {
			t.Fatalf("Expand = %v, want nil", err)
		}
		if len(members) != 1 || members[0].path != "a.tar!bomb.gz" || !errors.Is(members[0].err, ErrBomb) {
			t.Errorf("member errors = %v, want one ErrBomb for a.tar!bomb.gz", members)
		}
		if d.perPath["a.tar!before.txt"] != 6 || d.perPath["a.tar!after.txt"] != 5 {
			t.Errorf("streams read %v, want before.txt and after.txt in full", d.perPath)
		}
		if n := d.perPath["a.tar!bomb.gz"]; n > 1<<20+64<<10 {
			t.Errorf("read %d bytes of the bomb, want at most %d", n, 1<<20+64<<10)
		}
	})
}

func TestExpandMaxBytes(t *testing.T) {
	const (
		member   = 100 << 10
		maxBytes = 250 << 10
	)
	zeros := string(make([]byte, member))
	gzZeros := string(gzipBytes(t, []byte(zeros)))
	var noisy []entry
	for i := range 4 {
		noisy = append(noisy, reg(fmt.Sprintf("m%d", i), string(noise(member, uint64(i)))))
	}
	var stored []entry
	for _, e := range noisy {
		e.store = true
		stored = append(stored, e)
	}
	// In each input all member bytes are charged to the budget (by the
	// gzip layer, or per member), so of four 100 KiB members with a
	// 250 KiB budget the first two arrive whole and the fourth never.
	tests := []struct {
		name string
		data []byte
	}{
		{"tar.gz of incompressible members", gzipBytes(t, tarBytes(t, noisy...))},
		{"tar of gzip members", tarBytes(t, reg("m0", gzZeros), reg("m1", gzZeros), reg("m2", gzZeros), reg("m3", gzZeros))},
		{"zip of stored members", zipBytes(t, stored...)},
		{"zip of deflated members", zipBytes(t, reg("m0", zeros), reg("m1", zeros), reg("m2", zeros), reg("m3", zeros))},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := newDrain(32 << 20)
			var members []memberErr
			x := &Expander{
				Limits:      Limits{MaxBytes: maxBytes, SpoolDir: t.TempDir()},
				MemberError: func(p string, err error) { members = append(members, memberErr{p, err}) },
			}
			err := x.Expand(context.Background(), "in", bytes.NewReader(tt.data), nil, -1, d.fn)
			if !errors.Is(err, ErrBomb) {
				t.Fatalf("Expand = %v, want ErrBomb", err)
			}
			// The budget is for the whole input: reaching it stops
			// everything, it is not one member's problem.
			if len(members) != 0 {
				t.Errorf("MemberError calls %v, want none", members)
			}
			for _, m := range []string{"in!m0", "in!m1"} {
				if d.perPath[m] != member {
					t.Errorf("%s: read %d bytes, want %d", m, d.perPath[m], member)
				}
			}
			if _, ok := d.perPath["in!m3"]; ok {
				t.Errorf("in!m3 was delivered after the budget was spent")
			}
			// limitedReader lets the read that crosses the budget through:
			// at most one 64 KiB buffer more.
			if d.total > maxBytes+64<<10 {
				t.Errorf("delivered %d bytes, want at most %d", d.total, maxBytes+64<<10)
			}
		})
	}
}

// GNU tar writes sparse files as a map of data regions; the holes are read
// back as zeros. A few hundred bytes can so describe a terabyte.
func sparseTar(name string, realSize int64) []byte {
	h := make([]byte, 512)
	copy(h[0:], name)
	copy(h[100:], "0000644\x00")
	copy(h[108:], "0000000\x00")
	copy(h[116:], "0000000\x00")
	copy(h[124:], "00000000000\x00") // no data stored: all hole
	copy(h[136:], fmt.Sprintf("%011o\x00", 1700000000))
	h[156] = 'S' // tar.TypeGNUSparse
	copy(h[257:], "ustar  \x00")
	copy(h[483:], fmt.Sprintf("%011o\x00", realSize))
	setTarChecksum(h)
	return append(h, make([]byte, 1024)...)
}

// paxSparseTar is the same in the format GNU tar writes with
// --format=posix: a PAX header with GNU.sparse.* records, then a member of
// type '0' (TypeReg) whose data starts with the sparse map ("0\n": no data
// regions).
func paxSparseTar(name string, realSize int64) []byte {
	block := func(name string, typ byte, size int) []byte {
		h := make([]byte, 512)
		copy(h[0:], name)
		copy(h[100:], "0000644\x00")
		copy(h[108:], "0000000\x00")
		copy(h[116:], "0000000\x00")
		copy(h[124:], fmt.Sprintf("%011o\x00", size))
		copy(h[136:], fmt.Sprintf("%011o\x00", 1700000000))
		h[156] = typ
		copy(h[257:], "ustar\x0000")
		setTarChecksum(h)
		return h
	}
	pad := func(b []byte) []byte { return append(b, make([]byte, (512-len(b)%512)%512)...) }
	var recs []byte
	for _, kv := range [][2]string{
		{"GNU.sparse.major", "1"}, {"GNU.sparse.minor", "0"},
		{"GNU.sparse.name", name}, {"GNU.sparse.realsize", fmt.Sprint(realSize)},
	} {
		rec := " " + kv[0] + "=" + kv[1] + "\n"
		n := len(rec) + 1
		for len(fmt.Sprint(n))+len(rec) != n {
			n++
		}
		recs = append(recs, fmt.Sprint(n)+rec...)
	}
	var b []byte
	b = append(b, block("./PaxHeaders/"+name, 'x', len(recs))...)
	b = append(b, pad(recs)...)
	b = append(b, block("./GNUSparseFile.0/"+name, '0', 512)...)
	b = append(b, pad([]byte("0\n"))...)
	return append(b, make([]byte, 1024)...)
}

func TestExpandSparseTarBomb(t *testing.T) {
	const maxBytes = 1 << 20
	tests := []struct {
		name string
		data []byte
	}{
		{"sparse.tar", sparseTar("hole.txt", 1<<40)},
		{"sparse.tar.gz", gzipBytes(t, sparseTar("hole.txt", 1<<40))},
		{"pax-sparse.tar", paxSparseTar("hole.txt", 1<<40)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			// The drain gives up at 16 MiB instead of reading a terabyte.
			d := newDrain(16 << 20)
			var members []memberErr
			x := &Expander{
				Limits:      Limits{MaxBytes: maxBytes, MaxRatio: 100, RatioFloor: 64 << 10},
				MemberError: func(p string, err error) { members = append(members, memberErr{p, err}) },
			}
			err := x.Expand(context.Background(), tt.name, bytes.NewReader(tt.data), nil, -1, d.fn)
			t.Logf("%d input bytes, %d delivered, Expand = %v, member errors %v", len(tt.data), d.total, err, members)
			if errors.Is(err, errDrainFull) || d.total > maxBytes+64<<10 {
				regression(t, "sparse tar members bypass MaxBytes and MaxRatio",
					"%d bytes of %s expand to 1 TiB of zeros; the StreamFunc read %d bytes with MaxBytes=%d and no error from Expand",
					len(tt.data), tt.name, d.total, maxBytes)
			}
			// Either the whole input is refused or the member is.
			memberBomb := len(members) == 1 && members[0].path == tt.name+"!hole.txt" && errors.Is(members[0].err, ErrBomb)
			if !errors.Is(err, ErrBomb) && !memberBomb {
				t.Errorf("Expand = %v, member errors %v; want ErrBomb for the input or for %s!hole.txt", err, members, tt.name)
			}
		})
	}
}

func TestExpandZipDeclaredRatio(t *testing.T) {
	zeros := string(make([]byte, 2<<20))
	honest := zipBytes(t, reg("before.txt", "before"), reg("bomb.txt", zeros), reg("after.txt", "after"))
	// The same archive claiming 4 GiB for bomb.txt: if the member were read
	// it would fail as corrupt, not as a bomb.
	lying := setZipUncompressedSize(t, bytes.Clone(honest), "bomb.txt", 0xFFFFFFF0)

	tests := []struct {
		name     string
		data     []byte
		lim      Limits
		wantBomb bool
	}{
		{"declared ratio over the limit", honest, Limits{MaxRatio: 100, RatioFloor: 1 << 20}, true},
		{"declared size lies", lying, Limits{MaxRatio: 100, RatioFloor: 1 << 20}, true},
		{"declared size under the floor", honest, Limits{MaxRatio: 100, RatioFloor: 4 << 20}, false},
		{"declared ratio under the limit", honest, Limits{MaxRatio: 10000, RatioFloor: 1 << 20}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := writeFile(t, t.TempDir(), "a.zip", tt.data)
			rec, err := expandFile(t, p, tt.lim, true)
			if err != nil {
				t.Fatalf("Expand = %v, want nil", err)
			}
			if tt.wantBomb {
				checkStreams(t, rec, []stream{{p + "!before.txt", "before"}, {p + "!after.txt", "after"}})
				checkMembers(t, rec, []memberErr{{p + "!bomb.txt", ErrBomb}})
				if len(rec.members) == 1 && errors.Is(rec.members[0].err, ErrCorrupt) {
					t.Errorf("member error %v: the member was read", rec.members[0].err)
				}
				return
			}
			checkStreams(t, rec, []stream{{p + "!before.txt", "before"}, {p + "!bomb.txt", zeros}, {p + "!after.txt", "after"}})
			checkMembers(t, rec, nil)
		})
	}
}

// setZipUncompressedSize rewrites the uncompressed size of member name in
// the central directory of a zip archive.
func setZipUncompressedSize(t *testing.T, z []byte, name string, size uint32) []byte {
	t.Helper()
	for i := 0; i+46 <= len(z); i++ {
		if string(z[i:i+4]) != "PK\x01\x02" {
			continue
		}
		n := int(binary.LittleEndian.Uint16(z[i+28:]))
		if string(z[i+46:i+46+n]) == name {
			binary.LittleEndian.PutUint32(z[i+24:], size)
			return z
		}
	}
	t.Fatalf("no central directory entry for %s", name)
	return nil
}

func nestGzip(t testing.TB, data []byte, layers int) []byte {
	for range layers {
		data = gzipBytes(t, data)
	}
	return data
}

func TestExpandCompressionLayers(t *testing.T) {
	hello := []byte("hello, layers\n")
	tests := []struct {
		name     string
		data     []byte
		wantBomb bool
	}{
		{"1 gzip layer", nestGzip(t, hello, 1), false},
		{"4 gzip layers", nestGzip(t, hello, 4), false},
		{"5 gzip layers", nestGzip(t, hello, 5), true},
		{"8 gzip layers", nestGzip(t, hello, 8), true},
		{"4 mixed layers", zstdBytes(t, xzBytes(t, gzipBytes(t, zstdBytes(t, hello)))), false},
		{"5 mixed layers", xzBytes(t, zstdBytes(t, xzBytes(t, gzipBytes(t, zstdBytes(t, hello))))), true},
		{"5 layers ending in bzip2", nestGzip(t, helloBzip2(t), 4), true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rec, err := expandBytes(t, "in", tt.data, Limits{})
			if !tt.wantBomb {
				if err != nil {
					t.Fatalf("Expand = %v, want nil", err)
				}
				checkStreams(t, rec, []stream{{"in", string(hello)}})
				return
			}
			if !errors.Is(err, ErrBomb) {
				t.Fatalf("Expand = %v, want ErrBomb", err)
			}
			checkStreams(t, rec, nil)
		})
	}

	// Layers are counted per stream: each member of an archive, itself
	// inside a compression layer, gets its own four.
	t.Run("members count their own layers", func(t *testing.T) {
		archive := gzipBytes(t, tarBytes(t,
			reg("four.gz", string(nestGzip(t, hello, 4))),
			reg("five.gz", string(nestGzip(t, hello, 5))),
			reg("plain.txt", "plain")))
		rec, err := expandBytes(t, "a.tar.gz", archive, Limits{})
		if err != nil {
			t.Fatalf("Expand = %v, want nil", err)
		}
		checkStreams(t, rec, []stream{{"a.tar.gz!four.gz", string(hello)}, {"a.tar.gz!plain.txt", "plain"}})
		checkMembers(t, rec, []memberErr{{"a.tar.gz!five.gz", ErrBomb}})
	})
}

// Where a decompression error surfaces depends on where the damage is.
// Expand peeks at the first 512 decompressed bytes to sniff the format: if
// the damage is within them, Expand itself returns the error and the
// StreamFunc is never called. Otherwise the StreamFunc gets the error from
// its read (limitedReader marks it ErrCorrupt); it must return it, and
// Expand then returns that same error.
func TestExpandCorruptCompressed(t *testing.T) {
	long := []byte(text(256<<10, 3))
	short := []byte("short content, all within the first 512 bytes\n")
	gzLong := gzipBytes(t, long)
	badCRC := bytes.Clone(gzLong)
	badCRC[len(badCRC)-8] ^= 0xff // the gzip trailer's CRC-32
	badSize := bytes.Clone(gzLong)
	badSize[len(badSize)-4] ^= 0xff // the gzip trailer's ISIZE
	// zstd and xz decoders want whole blocks before they return anything:
	// with a 1 MiB input, half of it holds several complete blocks.
	longer := []byte(text(1<<20, 3))
	zstLong := zstdBytes(t, longer)
	xzLong := xzBytes(t, longer)
	gzShort := gzipBytes(t, short)
	bz := helloBzip2(t)

	tests := []struct {
		name   string
		data   []byte
		want   []byte // the content the stream starts with
		fnSees bool   // whether the StreamFunc is called and sees the error
		least  int    // how many bytes of want it must see before the error
	}{
		{"gzip cut in half", gzLong[:len(gzLong)/2], long, true, 512},
		{"gzip without its trailer", gzLong[:len(gzLong)-8], long, true, 512},
		{"gzip bad CRC", badCRC, long, true, 512},
		{"gzip bad size", badSize, long, true, 512},
		// Streams that fail within their first 512 bytes are scanned
		// too: they used to be reported unread (0 findings, exit 3).
		{"short gzip cut in half", gzShort[:len(gzShort)/2], short, true, 1},
		{"short gzip without its trailer", gzShort[:len(gzShort)-8], short, true, len(short)},
		{"gzip header cut", gzShort[:5], nil, false, 0},
		{"gzip bad header flags", append([]byte{0x1f, 0x8b, 8, 0xe0}, gzShort[4:]...), nil, false, 0},
		{"gzip bad compression method", append([]byte{0x1f, 0x8b, 7}, gzShort[3:]...), nil, false, 0},
		{"zstd cut in half", zstLong[:len(zstLong)/2], longer, true, 512},
		{"xz cut in half", xzLong[:len(xzLong)/2], longer, true, 512},
		{"bzip2 cut in half", bz[:len(bz)/2], nil, false, 0},
		{"gzip garbage body", append(bytes.Clone(gzShort[:10]), noise(2000, 4)...), nil, false, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := writeFile(t, t.TempDir(), "in.gz", tt.data)
			rec, err := expandFile(t, p, Limits{}, true)
			if !errors.Is(err, ErrCorrupt) {
				t.Fatalf("Expand = %v, want ErrCorrupt", err)
			}
			if errors.Is(err, ErrBomb) {
				t.Errorf("Expand = %v, must not be a bomb", err)
			}
			if !tt.fnSees {
				checkStreams(t, rec, nil)
				return
			}
			if len(rec.streams) != 1 || rec.streams[0].path != p {
				t.Fatalf("streams %q, want just %s", rec.paths(), p)
			}
			if rerr := rec.readErrs[p]; rerr != err {
				t.Errorf("StreamFunc read error %v, want the error Expand returned (%v)", rerr, err)
			}
			got := rec.streams[0].content
			if len(got) < tt.least || !bytes.HasPrefix(tt.want, []byte(got)) {
				t.Errorf("delivered %d bytes before the error, want a prefix of the content of at least %d bytes", len(got), tt.least)
			}
		})
	}
}

func TestExpandCorruptZip(t *testing.T) {
	junk := append([]byte("PK\x03\x04"), noise(200, 5)...)
	good := zipBytes(t, reg("a.txt", "a"))
	tests := []struct {
		name string
		data []byte
	}{
		{"junk after the local header", junk},
		{"empty-zip magic only", []byte("PK\x05\x06")},
		{"truncated end of central directory", good[:len(good)-10]},
		{"central directory cut off", good[:len(good)/2]},
	}
	for _, tt := range tests {
		for _, inPlace := range []bool{true, false} {
			t.Run(fmt.Sprintf("%s/inPlace=%v", tt.name, inPlace), func(t *testing.T) {
				spool := t.TempDir()
				p := writeFile(t, t.TempDir(), "bad.zip", tt.data)
				rec, err := expandFile(t, p, Limits{SpoolDir: spool}, inPlace)
				if !errors.Is(err, ErrCorrupt) {
					t.Fatalf("Expand = %v, want ErrCorrupt", err)
				}
				checkStreams(t, rec, nil)
				checkMembers(t, rec, nil)
				if left := dirEntries(t, spool); len(left) != 0 {
					t.Errorf("spool files left behind: %q", left)
				}
			})
		}
	}

	t.Run("corrupt member data", func(t *testing.T) {
		body := text(64<<10, 6)
		z := zipBytes(t, reg("a.txt", body), reg("b.txt", "b is fine"))
		// The deflate data of a.txt starts after its 30-byte local header
		// and name; damage it well after the first 512 output bytes.
		start := 30 + len("a.txt")
		for i := start + 2000; i < start+2100; i++ {
			z[i] ^= 0x55
		}
		rec, err := expandBytes(t, "z.zip", z, Limits{SpoolDir: t.TempDir()})
		if err != nil {
			t.Fatalf("Expand = %v, want nil: the damage is one member's", err)
		}
		checkMembers(t, rec, []memberErr{{"z.zip!a.txt", ErrCorrupt}})
		last := rec.streams[len(rec.streams)-1]
		if last != (stream{"z.zip!b.txt", "b is fine"}) {
			t.Errorf("last stream %s %s, want z.zip!b.txt in full", last.path, abbrev(last.content))
		}
	})
}

func TestExpandCorruptMembers(t *testing.T) {
	long := text(128<<10, 7)
	gz := gzipBytes(t, []byte(long))
	archive := gzipBytes(t, tarBytes(t,
		reg("first.txt", "first"),
		reg("bad.gz", string(gz[:len(gz)/2])),
		reg("short.gz", string(gzipBytes(t, []byte("short"))[:12])),
		reg("bad.zip", "PK\x03\x04 not really"),
		reg("last.txt", "last")))
	p := writeFile(t, t.TempDir(), "a.tar.gz", archive)
	rec, err := expandFile(t, p, Limits{SpoolDir: t.TempDir()}, true)
	if err != nil {
		t.Fatalf("Expand = %v, want nil: only members are damaged", err)
	}
	checkMembers(t, rec, []memberErr{
		{p + "!bad.gz", ErrCorrupt},
		{p + "!short.gz", ErrCorrupt},
		{p + "!bad.zip", ErrCorrupt},
	})
	var whole []stream
	for _, s := range rec.streams {
		if rec.readErrs[s.path] == nil {
			whole = append(whole, s)
		}
	}
	checkStreams(t, &recorder{streams: whole}, []stream{{p + "!first.txt", "first"}, {p + "!last.txt", "last"}})
	if s := rec.readErrs[p+"!bad.gz"]; s == nil {
		t.Errorf("bad.gz: the StreamFunc saw no error")
	}
}

func TestExpandTruncatedTar(t *testing.T) {
	a, b := text(2000, 8), text(2000, 9)
	full := tarBytes(t, reg("a.txt", a), reg("b.txt", b), reg("c.txt", "c"))
	cut := full[:512+2048+512+1000] // in the middle of b.txt's data
	gz := gzipBytes(t, full)

	for _, tt := range []struct {
		name string
		data []byte
	}{
		{"tar cut", cut},
		{"tar cut, then compressed", gzipBytes(t, cut)},
		{"tar.gz cut", gz[:len(gz)*2/3]},
	} {
		t.Run(tt.name, func(t *testing.T) {
			rec, err := expandBytes(t, "in", tt.data, Limits{})
			if !errors.Is(err, ErrCorrupt) {
				t.Errorf("Expand = %v, want ErrCorrupt", err)
			}
			if len(rec.streams) != 2 || rec.streams[0] != (stream{"in!a.txt", a}) ||
				rec.streams[1].path != "in!b.txt" || !strings.HasPrefix(b, rec.streams[1].content) {
				t.Errorf("streams %q, want a.txt whole and the start of b.txt", rec.paths())
			}
			if len(rec.members) != 1 || rec.members[0].path != "in!b.txt" {
				t.Fatalf("member errors %v, want one for b.txt", rec.members)
			}
			if merr := rec.members[0].err; !errors.Is(merr, ErrCorrupt) {
				if errors.Is(merr, io.ErrUnexpectedEOF) {
					regression(t, "a truncated tar member is not marked ErrCorrupt",
						"MemberError(%s, %v): plain io.ErrUnexpectedEOF from archive/tar", rec.members[0].path, merr)
				}
				t.Errorf("member error %v, want ErrCorrupt", merr)
			}
		})
	}
}

// xzWithDict returns a valid .xz of data whose LZMA2 filter declares
// a dictionary of the given size code (40 means 4 GiB - 1).
func xzWithDict(t *testing.T, data []byte, code byte) []byte {
	t.Helper()
	b := xzBytes(t, data)
	size := (int(b[12]) + 1) * 4 // the block header follows the 12-byte stream header
	h := b[12 : 12+size]
	i := bytes.Index(h, []byte{0x21, 0x01}) // LZMA2 filter ID, one property byte
	if i < 0 {
		t.Fatal("no LZMA2 filter in the block header")
	}
	h[i+2] = code
	binary.LittleEndian.PutUint32(h[size-4:], crc32.ChecksumIEEE(h[:size-4]))
	return b
}

// A tiny .xz may declare any dictionary size up to 4 GiB, and the xz
// package allocates it up front. zstd windows are capped at 256 MiB
// (WithDecoderMaxWindow in expand.go); xz dictionaries should be too.
func TestExpandXzDictionaryMemory(t *testing.T) {
	if testing.Short() {
		t.Skip("allocates 512 MiB (of address space) while the bug stands")
	}
	const dict512MiB = 34 // LZMA2 dictionary size code for 512 MiB
	data := xzWithDict(t, []byte("hello"), dict512MiB)
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	rec, err := expandBytes(t, "big-dict.xz", data, Limits{})
	runtime.ReadMemStats(&after)
	alloc := after.TotalAlloc - before.TotalAlloc
	t.Logf("%d-byte xz: Expand = %v, streams %q, allocated %d MiB", len(data), err, rec.paths(), alloc>>20)
	if alloc > 256<<20 {
		regression(t, "xz dictionary size is not bounded",
			"a %d-byte .xz made Expand allocate %d MiB (a 4 GiB dictionary is allowed too)", len(data), alloc>>20)
	}
	if err != nil && !errors.Is(err, ErrCorrupt) && !errors.Is(err, ErrBomb) {
		t.Errorf("Expand = %v, want success or a classified refusal", err)
	}
	if err == nil && (len(rec.streams) != 1 || !strings.HasPrefix(rec.streams[0].content, "hello")) {
		t.Errorf("streams %v, want hello", rec.streams)
	}
}
