package source

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"io"
	"strings"
	"testing"
)

// fuzzSeeds are small valid inputs of every format Expand knows.
func fuzzSeeds(t testing.TB) [][]byte {
	tarball := tarBytes(t, reg("a.txt", "alpha\n"), reg("./d/b.csv", "name,email\nAda,ada@example.com\n"))
	zipped := zipBytes(t, reg("z.txt", "zulu\n"), entry{name: "s.txt", body: "stored\n", store: true})
	return [][]byte{
		nil,
		[]byte("plain text, email ada@example.com\n"),
		gzipBytes(t, []byte("hello gzip\n")),
		concat(gzipBytes(t, []byte("one\n")), gzipBytes(t, []byte("two\n"))),
		zstdBytes(t, []byte("hello zstd\n")),
		xzBytes(t, []byte("hello xz\n")),
		helloBzip2(t),
		tarball,
		gzipBytes(t, tarball),
		zipped,
		[]byte("PK\x05\x06" + strings.Repeat("\x00", 18)),
		tarBytes(t, reg("in.zip", string(zipped)), reg("in.tgz", string(gzipBytes(t, tarball)))),
		zipBytes(t, reg("in.tar", string(tarball)), reg("x.gz", string(gzipBytes(t, []byte("x\n"))))),
		v7Tar("old.txt", "v7\n"),
		nestGzip(t, []byte("deep\n"), 4),
		concat(craftXZ(0, []byte("block one\n"), []byte("block two\n")), make([]byte, 4), xzBytes(t, []byte("stream two\n"))),
		overlapZip(t, []byte("shared\n"), 3),
		customers(t),
		[]byte("PAR1 text\n"),
	}
}

// FuzzExpand feeds arbitrary bytes to Expand, as a stream and with random
// access, and checks that it neither panics nor hangs, that it leaves no
// spool files behind, that every path it reports belongs to the input, and
// that it keeps to the byte budget.
//
// The budget bound is MaxBytes + len(data) + 64 KiB:
//   - bytes that are not decompressed (the input itself when plain, the
//     members of an uncompressed tar) are not charged to MaxBytes, by
//     design; they are bytes of data, so at most len(data) of them;
//   - every decompressed byte goes through a limitedReader, which charges
//     it to the shared budget after the read and fails the read that
//     overdraws it, but still returns the bytes of that read. Readers of a
//     limitedReader ask for at most 64 KiB (the bufio.Reader expand puts in
//     front of every stream; the drain below asks for 32 KiB), and
//     reaching the budget is fatal to the whole input, so one such read
//     can get through.
func FuzzExpand(f *testing.F) {
	for _, s := range fuzzSeeds(f) {
		f.Add(s)
	}
	spool := f.TempDir()
	f.Fuzz(func(t *testing.T, data []byte) { checkExpand(t, data, spool) })
}

// checkExpand expands data as a stream and with random access, with a
// budget of 1 MiB: see FuzzExpand for what it checks.
func checkExpand(t *testing.T, data []byte, spool string) {
	t.Helper()
	lim := Limits{MaxBytes: 1 << 20, MaxSpool: 1 << 20, SpoolDir: spool, RatioFloor: 64 << 10}
	bound := lim.MaxBytes + int64(len(data)) + 64<<10
	for _, inPlace := range []bool{false, true} {
		d := newDrain(bound)
		var ra io.ReaderAt
		if inPlace {
			ra = bytes.NewReader(data)
		}
		x := &Expander{Limits: lim, MemberError: func(p string, err error) {
			if !strings.HasPrefix(p, "in!") {
				t.Errorf("MemberError for %q, not a member of the input", p)
			}
			if err == nil {
				t.Errorf("MemberError(%q, nil)", p)
			}
		}}
		err := x.Expand(context.Background(), "in", bytes.NewReader(data), ra, int64(len(data)), d.fn)
		if d.total > bound || errors.Is(err, errDrainFull) {
			t.Fatalf("inPlace=%v: delivered more than %d bytes (MaxBytes %d, input %d): %v", inPlace, bound, lim.MaxBytes, len(data), err)
		}
		for _, p := range d.order {
			if p != "in" && !strings.HasPrefix(p, "in!") {
				t.Errorf("stream %q, not part of the input", p)
			}
		}
		if left := dirEntries(t, spool); len(left) != 0 {
			t.Fatalf("spool files left behind: %q", left)
		}
	}
}

func FuzzSniff(f *testing.F) {
	for _, s := range fuzzSeeds(f) {
		f.Add(s)
	}
	f.Add([]byte("BZh9"))
	f.Add([]byte{0x28, 0xb5, 0x2f, 0xfd})
	f.Add([]byte{0xfd, '7', 'z', 'X', 'Z', 0x00})
	f.Add(v7Header("x", 1, 0))
	f.Fuzz(func(t *testing.T, head []byte) {
		got := Sniff(head)
		if got < FormatPlain || got > FormatAvro {
			t.Fatalf("Sniff = %d, not a format", int(got))
		}
		_ = got.String()
		// "512 bytes are enough for all of them."
		if len(head) > 512 {
			if short := Sniff(head[:512]); short != got {
				t.Errorf("Sniff = %v, but %v on the first 512 bytes", got, short)
			}
		}
		// Compressed formats and zip are known by at most 6 magic bytes.
		if got != FormatPlain && got != FormatTar {
			if short := Sniff(head[:min(len(head), 6)]); short != got {
				t.Errorf("Sniff = %v, but %v on the first 6 bytes", got, short)
			}
		}
	})
}

// The drain used by FuzzExpand must itself deliver whole streams.
func TestDrainCountsEverything(t *testing.T) {
	d := newDrain(1 << 20)
	if err := d.fn("x", bufio.NewReader(strings.NewReader(strings.Repeat("y", 100<<10))), nil); err != nil {
		t.Fatal(err)
	}
	if d.total != 100<<10 || d.perPath["x"] != 100<<10 {
		t.Errorf("drain counted %d, want %d", d.total, 100<<10)
	}
}
