package source

import (
	"bytes"
	"encoding/binary"
	"errors"
	"hash/crc32"
	"os/exec"
	"runtime"
	"strings"
	"testing"
	"time"
)

// xzTool compresses data with the xz binary and args, or skips the test
// when there is none.
func xzTool(t testing.TB, data []byte, args ...string) []byte {
	t.Helper()
	if _, err := exec.LookPath("xz"); err != nil {
		t.Skip("no xz binary")
	}
	cmd := exec.Command("xz", append([]string{"-c"}, args...)...)
	cmd.Stdin = bytes.NewReader(data)
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("xz %v: %v", args, err)
	}
	return out
}

// craftXZ writes one .xz stream without a check: one block per element
// of blocks, each an LZMA2 uncompressed chunk whose block header declares
// the dictionary size code dict (40 means 4 GiB - 1).
func craftXZ(dict byte, blocks ...[]byte) []byte {
	le := binary.LittleEndian
	var out bytes.Buffer
	out.Write(xzMagic)
	out.Write([]byte{0, 0}) // no check
	out.Write(le.AppendUint32(nil, crc32.ChecksumIEEE([]byte{0, 0})))
	for _, data := range blocks {
		hdr := []byte{2, 0x00, 0x21, 0x01, dict, 0, 0, 0} // 12 bytes with the CRC, 1 filter
		hdr = le.AppendUint32(hdr, crc32.ChecksumIEEE(hdr))
		out.Write(hdr)
		comp := 0
		for first := true; len(data) > 0 || first; first = false {
			n := min(len(data), 64<<10)
			ctl := byte(0x02) // uncompressed chunk
			if first {
				ctl = 0x01 // ... resetting the dictionary
			}
			if n == 0 {
				break
			}
			out.Write([]byte{ctl, byte((n - 1) >> 8), byte(n - 1)})
			out.Write(data[:n])
			comp += 3 + n
			data = data[n:]
		}
		out.WriteByte(0) // end of LZMA2 data
		comp++
		out.Write(make([]byte, (4-(12+comp)%4)%4))
	}
	// The index: indicator, count, records, padding, CRC32.
	idx := []byte{0}
	idx = appendVarint(idx, uint64(len(blocks)))
	for _, data := range blocks {
		comp := 1
		for left := len(data); left > 0; left -= min(left, 64<<10) {
			comp += 3 + min(left, 64<<10)
		}
		idx = appendVarint(idx, uint64(12+comp))
		idx = appendVarint(idx, uint64(len(data)))
	}
	idx = append(idx, make([]byte, (4-len(idx)%4)%4)...)
	idx = le.AppendUint32(idx, crc32.ChecksumIEEE(idx))
	out.Write(idx)
	foot := le.AppendUint32(nil, uint32(len(idx)/4-1))
	foot = append(foot, 0, 0)
	out.Write(le.AppendUint32(nil, crc32.ChecksumIEEE(foot)))
	out.Write(foot)
	out.Write(xzFooterMagic)
	return out.Bytes()
}

func appendVarint(b []byte, v uint64) []byte {
	for v >= 0x80 {
		b = append(b, byte(v)|0x80)
		v >>= 7
	}
	return append(b, byte(v))
}

// allocDuring returns the bytes allocated while fn ran.
func allocDuring(fn func()) uint64 {
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	fn()
	runtime.ReadMemStats(&after)
	return after.TotalAlloc - before.TotalAlloc
}

func TestCraftXZDecodesWithTheXzTool(t *testing.T) {
	data := craftXZ(0, []byte("one\n"), []byte(strings.Repeat("two\n", 30000)))
	if _, err := exec.LookPath("xz"); err != nil {
		t.Skip("no xz binary")
	}
	cmd := exec.Command("xz", "-dc")
	cmd.Stdin = bytes.NewReader(data)
	out, err := cmd.CombinedOutput()
	if err != nil || string(out) != "one\n"+strings.Repeat("two\n", 30000) {
		t.Fatalf("xz -dc: %v, %d bytes", err, len(out))
	}
}

// Every block of every stream of an .xz has its dictionary checked before
// it is allocated. Only the first block of the first stream was: a second
// stream declaring 4 GiB turned an 18.6 MB file into 1.6 GB of RSS.
func TestExpandXzEveryBlockDictionary(t *testing.T) {
	first := []byte("first stream: name=Alice\n")
	real := xzTool(t, first) // what xz writes: one block, 8 MiB dictionary
	const (
		dict512MiB = 34
		dict4GiB   = 40
	)
	for _, tt := range []struct {
		name string
		data []byte
	}{
		{"second stream declares 4 GiB", concat(real, craftXZ(dict4GiB, []byte("second\n")))},
		{"second stream declares 512 MiB", concat(real, craftXZ(dict512MiB, []byte("second\n")))},
		{"second block declares 512 MiB", craftSecondBlockDict(t, dict512MiB)},
	} {
		t.Run(tt.name, func(t *testing.T) {
			var rec *recorder
			var err error
			alloc := allocDuring(func() { rec, err = expandBytes(t, "in.xz", tt.data, Limits{}) })
			t.Logf("%d bytes: Expand = %v, allocated %d MiB", len(tt.data), err, alloc>>20)
			if alloc > 128<<20 {
				regression(t, "only the first xz block has its dictionary checked",
					"a %d-byte .xz made Expand allocate %d MiB", len(tt.data), alloc>>20)
			}
			if !errors.Is(err, ErrBomb) {
				t.Errorf("Expand = %v, want ErrBomb", err)
			}
			// What came before the refused block is scanned.
			if len(rec.streams) != 1 || !strings.HasPrefix(rec.streams[0].content, "first") {
				t.Errorf("streams %q, want the start of the first one", rec.paths())
			}
		})
	}
}

// craftSecondBlockDict returns an .xz of two blocks made by the xz tool,
// the second one's header rewritten to declare the dictionary code dict.
func craftSecondBlockDict(t *testing.T, dict byte) []byte {
	t.Helper()
	data := []byte(strings.Repeat("first block of the first stream\n", 100))
	b := xzTool(t, data, "--block-size=1KiB")
	// Walk to the second block: its header follows the first block's
	// LZMA2 data, padding and check (CRC64).
	p := 12
	size := (int(b[p]) + 1) * 4
	q := p + size
	for b[q] != 0 { // LZMA2 chunks up to the end marker
		ctl := b[q]
		switch {
		case ctl == 1 || ctl == 2:
			q += 3 + int(binary.BigEndian.Uint16(b[q+1:])) + 1
		case ctl >= 0x80:
			n := 5 + int(binary.BigEndian.Uint16(b[q+3:])) + 1
			if ctl >= 0xc0 {
				n++ // properties byte
			}
			q += n
		default:
			t.Fatalf("LZMA2 control byte %#x", ctl)
		}
	}
	q++
	q += (4 - (q-p)%4) % 4
	q += 8 // CRC64
	size2 := (int(b[q]) + 1) * 4
	h := b[q : q+size2]
	i := bytes.Index(h, []byte{0x21, 0x01})
	if i < 0 {
		t.Fatal("no LZMA2 filter in the second block header")
	}
	h[i+2] = dict
	binary.LittleEndian.PutUint32(h[size2-4:], crc32.ChecksumIEEE(h[:size2-4]))
	return b
}

// A small .xz of many tiny blocks, each declaring 64 MiB, made the decoder
// allocate (and clear) 64 MiB per block: 5,000 blocks, 320 GiB.
func TestExpandXzManyBlocksDictionaryBudget(t *testing.T) {
	const dict64MiB = 28
	blocks := make([][]byte, 5000)
	for i := range blocks {
		blocks[i] = []byte("x\n")
	}
	data := craftXZ(dict64MiB, blocks...)
	var rec *recorder
	var err error
	start := time.Now()
	alloc := allocDuring(func() { rec, err = expandBytes(t, "many.xz", data, Limits{}) })
	t.Logf("%d bytes, %d blocks: Expand = %v in %v, allocated %d MiB", len(data), len(blocks), err, time.Since(start), alloc>>20)
	if alloc > 1<<30 {
		regression(t, "xz blocks allocate their dictionaries without a budget",
			"%d blocks of 2 bytes made Expand allocate %d MiB", len(blocks), alloc>>20)
	}
	if err != nil {
		t.Fatalf("Expand = %v, want the content: blocks that need no big dictionary decode with a small one", err)
	}
	if got := rec.streams[0].content; got != strings.Repeat("x\n", len(blocks)) {
		t.Errorf("content %s, want %d lines", abbrev(got), len(blocks))
	}
}

// Files the xz tool writes decode as it decodes them: every check type,
// several streams with padding, many blocks with and without sizes in
// their headers, and blocks of 1 KiB declaring 64 MiB (xz -9
// --block-size=1KiB), which the dictionary budget lets through.
func TestExpandXzFromTheXzTool(t *testing.T) {
	text := []byte(text(32<<10, 11))
	var streams [][]byte
	for _, args := range [][]string{
		{"--check=none"}, {"--check=crc32"}, {"--check=crc64"}, {"--check=sha256"},
		{"-T2", "--block-size=8KiB"}, {"-9", "--block-size=1KiB"}, {"-0"},
	} {
		streams = append(streams, xzTool(t, text, args...))
	}
	empty := xzTool(t, nil)
	for i, data := range append(streams,
		concat(streams[0], empty, make([]byte, 8), streams[3]),
	) {
		rec, err := expandBytes(t, "in.xz", data, Limits{})
		if err != nil {
			t.Errorf("file %d: Expand = %v", i, err)
			continue
		}
		want := string(text)
		if i == len(streams) {
			want += string(text)
		}
		if len(rec.streams) != 1 || rec.streams[0].content != want {
			t.Errorf("file %d: got %d streams, content differs", i, len(rec.streams))
		}
	}
	// Damage anywhere is reported, never a panic or a hang.
	for _, data := range streams[:5] {
		for _, at := range []int{13, 20, len(data) / 2, len(data) - 30, len(data) - 10, len(data) - 3} {
			bad := bytes.Clone(data)
			bad[at] ^= 0x10
			if _, err := expandBytes(t, "bad.xz", bad, Limits{}); !errors.Is(err, ErrCorrupt) && err != nil {
				t.Errorf("byte %d flipped: Expand = %v, want ErrCorrupt or nil", at, err)
			}
			if _, err := expandBytes(t, "cut.xz", data[:at], Limits{}); !errors.Is(err, ErrCorrupt) {
				t.Errorf("cut at %d: Expand = %v, want ErrCorrupt", at, err)
			}
		}
	}
}
