package scanners

import (
	"archive/tar"
	"archive/zip"
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"testing/iotest"
	"unicode/utf16"
	"unicode/utf8"

	"github.com/klauspost/compress/gzip"

	"github.com/piiscan/piiscan/finding"
)

// encodeUTF16 writes s as UTF-16, with a byte-order mark when bom.
func encodeUTF16(s string, be, bom bool) []byte {
	units := utf16.Encode([]rune(s))
	if bom {
		units = append([]uint16{0xfeff}, units...)
	}
	out := make([]byte, 0, 2*len(units))
	for _, u := range units {
		if be {
			out = append(out, byte(u>>8), byte(u))
		} else {
			out = append(out, byte(u), byte(u>>8))
		}
	}
	return out
}

// referenceUTF16 decodes b as the standard library does (one U+FFFD for
// each unpaired surrogate), an odd byte at the end as one U+FFFD.
func referenceUTF16(b []byte, be bool) string {
	units := make([]uint16, len(b)/2)
	for i := range units {
		units[i] = unit(b[2*i:], be)
	}
	s := string(utf16.Decode(units))
	if len(b)%2 == 1 {
		s += "\uFFFD"
	}
	return s
}

func TestEncodingOf(t *testing.T) {
	text := "Windows PowerShell transcript start\r\nStart time: 20261130094512\r\n"
	elf := []byte("\x7fELF\x02\x01\x01\x00\x00\x00\x00\x00\x00\x00\x00\x00\x03\x00\x3e\x00\x01\x00\x00\x00\x60\x61\x00\x00\x00\x00\x00\x00\x40\x00\x00\x00")
	png := []byte("\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x01\x00\x00\x00\x01\x00\x08\x06\x00\x00\x00\x5c\x72\xa8\x66\x00\x00\x00\x04gAMA")
	sqlite := append([]byte("SQLite format 3\x00\x10\x00\x01\x01\x00\x40\x20\x20"), make([]byte, 64)...)
	class := []byte("\xca\xfe\xba\xbe\x00\x00\x00\x41\x00\x1d\x0a\x00\x02\x00\x03\x07\x00\x04\x0c\x00\x05\x00\x06\x01\x00\x10java/lang/Object")
	var utf32 []byte
	for _, c := range []byte(text) {
		utf32 = append(utf32, c, 0, 0, 0)
	}
	var gz bytes.Buffer
	zw := gzip.NewWriter(&gz)
	zw.Write([]byte(strings.Repeat(text, 20)))
	zw.Close()
	loneTrail := slices.Concat(encodeUTF16(text[:10], false, false), []byte{0x00, 0xdc}, encodeUTF16(text, false, false))
	for _, tt := range []struct {
		name string
		head []byte
		enc  textEncoding
		bom  int
	}{
		{"LE with BOM", encodeUTF16(text, false, true), encUTF16LE, 2},
		{"BE with BOM", encodeUTF16(text, true, true), encUTF16BE, 2},
		{"LE BOM alone", []byte{0xff, 0xfe}, encUTF16LE, 2},
		{"LE no BOM", encodeUTF16(text, false, false), encUTF16LE, 0},
		{"BE no BOM", encodeUTF16(text, true, false), encUTF16BE, 0},
		{"LE no BOM, accents", encodeUTF16("Grüße aus Zürich, Ångström, naïve café résumé\r\n", false, false), encUTF16LE, 0},
		{"LE no BOM, mostly not ASCII", encodeUTF16("Тестовая строка для проверки\r\n", false, false), encUTF8, 0},
		{"LE no BOM, too short", encodeUTF16("ssn 1234\n", false, false), encUTF8, 0},
		{"UTF-8", []byte(text), encUTF8, 0},
		{"UTF-8 with BOM", append([]byte{0xef, 0xbb, 0xbf}, text...), encUTF8, 0},
		{"UTF-32LE with BOM", append([]byte{0xff, 0xfe, 0, 0}, utf32...), encUTF8, 0},
		{"UTF-32LE", utf32, encUTF8, 0},
		{"UTF-32BE with BOM", append([]byte{0, 0, 0xfe, 0xff}, utf32[1:]...), encUTF8, 0},
		{"ELF", elf, encUTF8, 0},
		{"PNG", png, encUTF8, 0},
		{"gzip", gz.Bytes(), encUTF8, 0},
		{"sqlite", sqlite, encUTF8, 0},
		{"class", class, encUTF8, 0},
		{"NUL hole", make([]byte, 4096), encUTF8, 0},
		{"LE no BOM, lone surrogate", loneTrail, encUTF8, 0},
	} {
		head := tt.head
		enc, bom := encodingOf(head)
		if enc != tt.enc || bom != tt.bom {
			t.Errorf("%s: encodingOf = %d, %d; want %d, %d", tt.name, enc, bom, tt.enc, tt.bom)
		}
		if IsUTF16(head) != (tt.enc != encUTF8) {
			t.Errorf("%s: IsUTF16 = %v", tt.name, !(tt.enc != encUTF8))
		}
	}
}

func TestDecodeUTF16(t *testing.T) {
	for _, tt := range []struct {
		name string
		le   []byte // little-endian input
		want string
	}{
		{"ascii", []byte("a\x00b\x00\n\x00"), "ab\n"},
		{"BMP", encodeUTF16("é€中\n", false, false), "é€中\n"},
		{"pair", encodeUTF16("x😀y", false, false), "x😀y"},
		{"lone lead", []byte{'a', 0, 0x3d, 0xd8, 'b', 0}, "a\uFFFDb"},
		{"lone trail", []byte{'a', 0, 0x00, 0xde, 'b', 0}, "a\uFFFDb"},
		{"two trails", []byte{0x00, 0xde, 0x00, 0xde}, "\uFFFD\uFFFD"},
		{"two leads then trail", []byte{0x3d, 0xd8, 0x3d, 0xd8, 0x00, 0xde}, "\uFFFD😀"},
		{"lead at end", []byte{'a', 0, 0x3d, 0xd8}, "a\uFFFD"},
		{"lead and odd byte at end", []byte{'a', 0, 0x3d, 0xd8, 'b'}, "a\uFFFD\uFFFD"},
		{"odd length", []byte{'a', 0, 'b'}, "a\uFFFD"},
		{"empty", nil, ""},
	} {
		if ref := referenceUTF16(tt.le, false); ref != tt.want {
			t.Fatalf("%s: the reference decodes %q, the test wants %q", tt.name, ref, tt.want)
		}
		be := make([]byte, len(tt.le))
		for i := 0; i+1 < len(tt.le); i += 2 {
			be[i], be[i+1] = tt.le[i+1], tt.le[i]
		}
		if len(tt.le)%2 == 1 {
			be[len(be)-1] = tt.le[len(tt.le)-1]
		}
		for _, in := range []struct {
			b  []byte
			be bool
		}{{tt.le, false}, {be, true}} {
			// Whole, and one byte at a time read into one-byte buffers.
			got, err := io.ReadAll(newUTF16Reader(bytes.NewReader(in.b), in.be))
			if err != nil || string(got) != tt.want {
				t.Errorf("%s (be %v): %q, %v; want %q", tt.name, in.be, got, err, tt.want)
			}
			got, err = io.ReadAll(iotest.OneByteReader(newUTF16Reader(iotest.OneByteReader(bytes.NewReader(in.b)), in.be)))
			if err != nil || string(got) != tt.want {
				t.Errorf("%s (be %v, byte by byte): %q, %v; want %q", tt.name, in.be, got, err, tt.want)
			}
			if got := string(appendUTF16(nil, in.b, in.be)); got != tt.want {
				t.Errorf("%s (be %v): appendUTF16 %q, want %q", tt.name, in.be, got, tt.want)
			}
		}
	}
}

// A read error of the source reaches the reader of the text after what
// was decoded before it.
func TestUTF16ReaderError(t *testing.T) {
	r := newUTF16Reader(iotest.TimeoutReader(bytes.NewReader(encodeUTF16("abc", false, false))), false)
	got, err := io.ReadAll(r)
	if string(got) != "abc" || err != iotest.ErrTimeout {
		t.Errorf("%q, %v", got, err)
	}
}

// The decoder, fed any bytes in pieces of any size, gives what the
// standard library decodes, as valid UTF-8, whose utf16Len is the length
// of the input (of an even one: an odd byte at the end counts as two).
func FuzzUTF16Decoder(f *testing.F) {
	f.Add([]byte("a\x00b\x00\n\x00"), false, uint8(3))
	f.Add(encodeUTF16("x😀y\r\né€中", true, true), true, uint8(1))
	f.Add([]byte{0x00, 0xde, 0x3d, 0xd8, 0x3d, 0xd8, 0x00, 0xde, 'a'}, false, uint8(2))
	f.Fuzz(func(t *testing.T, in []byte, be bool, step uint8) {
		want := referenceUTF16(in, be)
		var src io.Reader = bytes.NewReader(in)
		if step%4 == 0 {
			src = iotest.OneByteReader(src)
		} else if step%4 == 1 {
			src = iotest.HalfReader(src)
		}
		dec := newUTF16Reader(src, be)
		var got []byte
		buf := make([]byte, 1+int(step)%9)
		for {
			n, err := dec.Read(buf)
			got = append(got, buf[:n]...)
			if err == io.EOF {
				break
			}
			if err != nil {
				t.Fatal(err)
			}
		}
		if string(got) != want {
			t.Fatalf("decoded %q, want %q", got, want)
		}
		if !utf8.Valid(got) {
			t.Fatalf("invalid UTF-8 %q", got)
		}
		if n := utf16Len(got); n != int64(len(in)+len(in)%2) {
			t.Fatalf("utf16Len %d, input %d bytes", n, len(in))
		}
		// Pieces cut anywhere add up.
		if len(got) > 0 {
			cut := int(step) % len(got)
			if utf16Len(got[:cut])+utf16Len(got[cut:]) != utf16Len(got) {
				t.Fatalf("utf16Len does not add up at %d", cut)
			}
		}
		br, text, enc, _ := decodedUTF16(bufio.NewReader(bytes.NewReader(in)), in, true)
		if enc != encUTF8 {
			if !utf8.Valid(text) {
				t.Fatalf("head %q", text)
			}
			io.Copy(io.Discard, br)
		}
	})
}

// utf16Tree writes the same text as UTF-8 (app.log), UTF-8 with a BOM,
// UTF-16LE and BE with a BOM and UTF-16LE without one, and returns the
// names.
func utf16Tree(t *testing.T, dir, text string) []string {
	files := map[string][]byte{
		"utf8.log":      []byte(text),
		"utf8bom.log":   append([]byte{0xef, 0xbb, 0xbf}, text...),
		"le.log":        encodeUTF16(text, false, true),
		"be.log":        encodeUTF16(text, true, true),
		"le-nobom.log":  encodeUTF16(text, false, false),
		"le-python.log": nil,
	}
	// Python writes the platform's byte order with a BOM, as Windows
	// .NET and PowerShell do.
	files["le-python.log"] = files["le.log"]
	var names []string
	for name, data := range files {
		writeFile(t, filepath.Join(dir, name), data)
		names = append(names, name)
	}
	slices.Sort(names)
	return names
}

// where renders a finding without its path.
func where(f string) string { return f[strings.Index(f, ":")+1:] }

// UTF-16 files, local or archive members, give the findings of the same
// text in UTF-8: same lines, same columns (counted in the decoded text).
func TestScanUTF16(t *testing.T) {
	text := "2026-11-30 09:45:12 Transcript started\r\n" +
		"PS C:\\Users\\José> Get-ADUser bob -Properties mail\r\n" +
		"mail : bob.müller@example.com  card 4111 1111 1111 1111 😀 ip 192.0.2.7\r\n" +
		"€ phone (415) 555-2671\r\n"
	dir := t.TempDir()
	names := utf16Tree(t, dir, text)
	opts := testOptions(t)
	got, stats := collect(t, opts, dir)
	byFile := map[string][]string{}
	for _, k := range keys(got) {
		name := filepath.Base(k[:strings.Index(k, ":")])
		byFile[name] = append(byFile[name], where(k))
	}
	want := byFile["utf8.log"]
	if len(want) < 4 {
		t.Fatalf("UTF-8: %q", want)
	}
	for _, name := range names {
		// (No finding on line 1, where the columns of utf8bom.log count
		// its BOM.)
		if !slices.Equal(byFile[name], want) {
			t.Errorf("%s:\n got %q\nwant %q", name, byFile[name], want)
		}
	}
	if stats.Binary != 0 || stats.Streams != int64(len(names)) {
		t.Errorf("stats %+v", stats)
	}

	// Archive members: a tar.gz and a zip of the UTF-16 file.
	le, _ := os.ReadFile(filepath.Join(dir, "le.log"))
	adir := t.TempDir()
	var tb bytes.Buffer
	tw := tar.NewWriter(&tb)
	tw.WriteHeader(&tar.Header{Name: "ps/transcript.txt", Mode: 0o644, Size: int64(len(le))})
	tw.Write(le)
	tw.Close()
	var gz bytes.Buffer
	zw := gzip.NewWriter(&gz)
	zw.Write(tb.Bytes())
	zw.Close()
	writeFile(t, filepath.Join(adir, "backup.tar.gz"), gz.Bytes())
	var zb bytes.Buffer
	za := zip.NewWriter(&zb)
	f, _ := za.Create("logs/ERRORLOG")
	f.Write(le)
	za.Close()
	writeFile(t, filepath.Join(adir, "logs.zip"), zb.Bytes())
	got, stats = collect(t, opts, adir)
	members := map[string][]string{}
	for _, k := range keys(got) {
		members[k[:strings.Index(k, ":")]] = append(members[k[:strings.Index(k, ":")]], where(k))
	}
	for _, m := range []string{filepath.Join(adir, "backup.tar.gz") + "!ps/transcript.txt", filepath.Join(adir, "logs.zip") + "!logs/ERRORLOG"} {
		if !slices.Equal(members[m], want) {
			t.Errorf("%s:\n got %q\nwant %q", m, members[m], want)
		}
	}
	if stats.Binary != 0 {
		t.Errorf("archives: %d binary", stats.Binary)
	}
}

// A UTF-8 byte-order mark does not hide the names of a CSV header, or
// a field name on line 1; columns on line 1 count its bytes, as they are
// in the file.
func TestScanUTF8BOM(t *testing.T) {
	dir := t.TempDir()
	bom := "\xef\xbb\xbf"
	writeFile(t, filepath.Join(dir, "people.csv"), []byte(bom+"full_name,email\r\nGrace Hopper,grace@example.com\r\n"))
	writeFile(t, filepath.Join(dir, "first.log"), []byte(bom+"bob@example.com logged in\n"))
	got, stats := collect(t, testOptions(t), dir)
	k := keys(got)
	for _, w := range []string{"people.csv:2:1+12 person_name_field", "people.csv:2:14+17 email", "first.log:1:4+15 email"} {
		if !slices.ContainsFunc(k, func(s string) bool { return strings.HasSuffix(s, w) }) {
			t.Errorf("missing %s in %q", w, k)
		}
	}
	if stats.Binary != 0 {
		t.Errorf("%d binary", stats.Binary)
	}
}

// Random UTF-16 logs cut into many small chunks, with lines longer than a
// chunk, give the findings of their UTF-8 text scanned line by line.
func TestScanUTF16ChunkBoundaries(t *testing.T) {
	r := rand.New(rand.NewPCG(16, 16))
	text := string(randomLog(r, 2000))
	// Characters of two, three and four bytes in UTF-8 in the noise.
	text = strings.NewReplacer(";", "é", ",", "中", ":", "😀").Replace(text)
	long := strings.Repeat("x€", 30000) + " alice@example.com " + strings.Repeat("😀y", 20000) + " 192.0.2.44\n"
	text += long
	dir := t.TempDir()
	u8 := filepath.Join(dir, "u8.log")
	writeFile(t, u8, []byte(text))
	for _, be := range []bool{false, true} {
		u16 := filepath.Join(dir, fmt.Sprintf("u16-%v.log", be))
		writeFile(t, u16, encodeUTF16(text, be, true))
		opts := testOptions(t)
		opts.ChunkSize = 1 // 4*overlap: lines longer than a chunk are cut
		got, _ := collect(t, opts, u16)
		want := perLine(opts.Engine, u16, []byte(text))
		if g := keys(got); !slices.Equal(g, want) {
			t.Errorf("be %v: %s", be, firstDiff(g, want))
		}
	}
}

// A UTF-16 log appended to between incremental scans: each finding is
// reported once, none is missed, and every position is an even offset
// in the file, just after an encoded newline.
func TestIncrementalUTF16(t *testing.T) {
	for _, be := range []bool{false, true} {
		t.Run(fmt.Sprintf("be=%v", be), func(t *testing.T) {
			r := rand.New(rand.NewPCG(3, 4))
			text := strings.NewReplacer(";", "é", ",", "中", ":", "😀").Replace(string(randomLog(r, 3000)))
			data := encodeUTF16(text, be, true)
			nl := encodeUTF16("\n", be, false)
			path := filepath.Join(t.TempDir(), "transcript.log")
			writeFile(t, path, nil)
			opts := testOptions(t)
			opts.ChunkSize = 1
			inc := &memIncremental{pos: map[string]Position{}}
			opts.Incremental = inc
			var got []string
			written := 0
			lines := strings.SplitAfter(text, "\n")
			bomLen := 2
			for written < len(data) {
				// Whole lines, as a logger appends them.
				n := 1 + r.IntN(200)
				var piece []byte
				if written == 0 {
					piece = data[:bomLen]
				}
				for ; n > 0 && len(lines) > 0; n-- {
					piece = append(piece, encodeUTF16(lines[0], be, false)...)
					lines = lines[1:]
				}
				appendFile(t, path, piece)
				written += len(piece)
				got = append(got, keys(mustCollect(t, opts, path))...)
				p := inc.pos[path]
				cur, _ := os.ReadFile(path)
				if p.Offset%2 != 0 || p.Offset < int64(bomLen) || !bytes.Equal(cur[p.Offset-2:p.Offset], nl) {
					t.Fatalf("position %+v does not follow a newline", p)
				}
			}
			want := perLine(opts.Engine, path, []byte(text))
			if !slices.Equal(got, want) {
				t.Fatalf("incremental findings: %s", firstDiff(got, want))
			}
			if p := inc.pos[path]; p.Offset != int64(len(data)) || p.Line != strings.Count(text, "\n") {
				t.Errorf("final position %+v, want offset %d", p, len(data))
			}
			for _, c := range inc.progress {
				if c.at.Offset%2 != 0 {
					t.Fatalf("odd progress %+v", c.at)
				}
			}
			if fs, st := collect(t, opts, path); len(fs) != 0 || st.Bytes != 0 {
				t.Errorf("unchanged file: %d findings, %d bytes", len(fs), st.Bytes)
			}

			// Appends cut anywhere, even inside a code unit: nothing is
			// missed, and the position never splits a unit.
			writeFile(t, path, nil)
			inc.pos = map[string]Position{}
			seen := map[string]bool{}
			for off := 0; off < len(data); {
				n := min(len(data)-off, 1+r.IntN(20<<10))
				appendFile(t, path, data[off:off+n])
				off += n
				for _, k := range keys(mustCollect(t, opts, path)) {
					seen[k] = true
				}
				if p := inc.pos[path]; p.Offset%2 != 0 {
					t.Fatalf("odd position %+v", p)
				}
			}
			for _, w := range want {
				if !seen[w] {
					t.Fatalf("missed %s", w)
				}
			}
		})
	}
}

// Malformed UTF-16 (lone surrogates, an odd byte at the end) is scanned:
// each bad unit reads as U+FFFD, and the text around it is found.
func TestScanMalformedUTF16(t *testing.T) {
	dir := t.TempDir()
	data := slices.Concat(encodeUTF16("start \n", false, true), []byte{0x3d, 0xd8}, encodeUTF16("mail bob@example.com ", false, false),
		[]byte{0x00, 0xde, 0x00, 0xde}, encodeUTF16(" ip 192.0.2.7\n", false, false), []byte{'x'})
	writeFile(t, filepath.Join(dir, "bad.log"), data)
	got, stats := collect(t, testOptions(t), dir)
	// U+FFFD is three bytes of the decoded line.
	want := []string{filepath.Join(dir, "bad.log") + ":2:9+15 email", filepath.Join(dir, "bad.log") + ":2:35+9 ipv4"}
	if !slices.Equal(keys(got), want) || stats.Binary != 0 || len(stats.Problems) != 0 {
		t.Errorf("got %q, stats %+v; want %q", keys(got), stats, want)
	}
}

// BenchmarkScanUTF16 scans the same log, about 8 MiB of text, as UTF-8
// and as UTF-16LE with a BOM (about 16 MiB), and decodes the UTF-16 alone.
// MB/s are of the file's bytes; text-MB/s of the text's in UTF-8.
//
//	go test -run '^$' -bench ScanUTF16 -benchtime 5x ./scanners/
func BenchmarkScanUTF16(b *testing.B) {
	text := accessLog(8<<20, 3000)
	u16 := encodeUTF16(string(text), false, true)
	for _, tc := range []struct {
		name string
		data []byte
	}{{"utf8", text}, {"utf16le", u16}} {
		b.Run(tc.name, func(b *testing.B) {
			path := filepath.Join(b.TempDir(), "access.log")
			writeFile(b, path, tc.data)
			opts := testOptions(b)
			opts.MaxFindings = -1
			s, err := New(opts)
			if err != nil {
				b.Fatal(err)
			}
			b.SetBytes(int64(len(tc.data)))
			for b.Loop() {
				if _, err := s.Scan(context.Background(), []string{path}, SinkFunc(func(*finding.Finding) error { return nil })); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(len(text))*float64(b.N)/b.Elapsed().Seconds()/1e6, "text-MB/s")
		})
	}
	b.Run("decode-only", func(b *testing.B) {
		b.SetBytes(int64(len(u16)))
		for b.Loop() {
			br, _, _, _ := decodedUTF16(bufio.NewReader(bytes.NewReader(u16)), u16, true)
			if _, err := io.Copy(io.Discard, br); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// BenchmarkEncodingOf is what every stream pays to be told UTF-16 or not:
// the heuristic over the head of an ASCII log.
func BenchmarkEncodingOf(b *testing.B) {
	head := accessLog(8<<10, 10)[:8<<10]
	for b.Loop() {
		if enc, _ := encodingOf(head); enc != encUTF8 {
			b.Fatal(enc)
		}
	}
}
