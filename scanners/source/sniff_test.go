package source

import (
	"archive/tar"
	"bytes"
	"fmt"
	"strings"
	"testing"
	"time"
)

// v7Header returns a pre-POSIX (v7) tar header block for a regular file:
// no "ustar" magic, recognisable only by its checksum.
func v7Header(name string, size int, typeflag byte) []byte {
	h := make([]byte, 512)
	copy(h[0:100], name)
	copy(h[100:108], "0000644\x00")
	copy(h[108:116], "0001750\x00")
	copy(h[116:124], "0001750\x00")
	copy(h[124:136], fmt.Sprintf("%011o\x00", size))
	copy(h[136:148], fmt.Sprintf("%011o\x00", 1700000000))
	h[156] = typeflag
	setTarChecksum(h)
	return h
}

// setTarChecksum fills in the checksum of a tar header block.
func setTarChecksum(h []byte) {
	copy(h[148:156], "        ")
	var sum int
	for _, c := range h[:512] {
		sum += int(c)
	}
	copy(h[148:156], fmt.Sprintf("%06o\x00 ", sum))
}

// v7Tar returns a complete v7 tar archive of one file.
func v7Tar(name, body string) []byte {
	var b bytes.Buffer
	b.Write(v7Header(name, len(body), '0'))
	b.WriteString(body)
	b.Write(make([]byte, (512-len(body)%512)%512+1024))
	return b.Bytes()
}

func gnuTarBytes(t testing.TB) []byte {
	t.Helper()
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	hdr := &tar.Header{Name: "g.txt", Size: 1, Mode: 0o644, ModTime: time.Unix(1700000000, 0), Format: tar.FormatGNU}
	if err := tw.WriteHeader(hdr); err != nil {
		t.Fatal(err)
	}
	tw.Write([]byte("g"))
	tw.Close()
	return buf.Bytes()
}

func TestSniff(t *testing.T) {
	badChecksum := v7Header("bad.txt", 5, '0')
	badChecksum[0] = 'B' // the checksum no longer matches
	emptyName := v7Header("", 5, '0')
	emptyName[148] = ' ' // keep a valid checksum but an empty name
	setTarChecksum(emptyName)

	tests := []struct {
		name string
		head []byte
		want Format
	}{
		{"nil", nil, FormatPlain},
		{"empty", []byte{}, FormatPlain},
		{"gzip magic alone", []byte{0x1f, 0x8b}, FormatGzip},
		{"gzip stream", gzipBytes(t, []byte("hello")), FormatGzip},
		{"gzip short", []byte{0x1f}, FormatPlain},
		{"gzip wrong second byte", []byte{0x1f, 0x8c, 8, 0}, FormatPlain},
		{"zstd stream", zstdBytes(t, []byte("hello")), FormatZstd},
		{"zstd magic alone", []byte{0x28, 0xb5, 0x2f, 0xfd}, FormatZstd},
		{"zstd short", []byte{0x28, 0xb5, 0x2f}, FormatPlain},
		{"bzip2 stream", helloBzip2(t), FormatBzip2},
		{"bzip2 level 1", []byte("BZh1"), FormatBzip2},
		{"bzip2 level 0 invalid", []byte("BZh0"), FormatPlain},
		{"bzip2 level colon invalid", []byte("BZh:"), FormatPlain},
		{"bzip2 short", []byte("BZh"), FormatPlain},
		{"bzip2 old format BZ0", []byte("BZ09"), FormatPlain},
		{"xz stream", xzBytes(t, []byte("hello")), FormatXz},
		{"xz magic alone", []byte{0xfd, '7', 'z', 'X', 'Z', 0x00}, FormatXz},
		{"xz short", []byte{0xfd, '7', 'z', 'X', 'Z'}, FormatPlain},
		{"zip local header", []byte("PK\x03\x04"), FormatZip},
		{"zip archive", zipBytes(t, reg("a.txt", "a")), FormatZip},
		{"empty zip", []byte("PK\x05\x06" + strings.Repeat("\x00", 18)), FormatZip},
		{"zip spanning marker", []byte("PK\x07\x08PK\x03\x04"), FormatPlain},
		{"PK text", []byte("PK is a prefix of this text"), FormatPlain},
		{"ustar tar", tarBytes(t, reg("a.txt", "a")), FormatTar},
		{"gnu tar", gnuTarBytes(t), FormatTar},
		{"ustar tar header only", tarBytes(t, reg("a.txt", "a"))[:512], FormatTar},
		{"ustar tar shorter than a block", tarBytes(t, reg("a.txt", "a"))[:511], FormatPlain},
		{"v7 tar by checksum", v7Tar("old.txt", "hello"), FormatTar},
		{"v7 tar header only", v7Header("old.txt", 5, '0'), FormatTar},
		{"v7 tar bad checksum", badChecksum, FormatPlain},
		{"v7 tar empty name", emptyName, FormatPlain},
		{"512 zero bytes", make([]byte, 512), FormatPlain},
		{"512 spaces", bytes.Repeat([]byte(" "), 512), FormatPlain},
		{"plain text", []byte("name,email\nAda,ada@example.com\n"), FormatPlain},
		{"long plain text", []byte(strings.Repeat("plain text ", 100)), FormatPlain},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Sniff(tt.head); got != tt.want {
				t.Errorf("Sniff(%q) = %v, want %v", abbrev(string(tt.head)), got, tt.want)
			}
		})
	}
}

func TestFormatString(t *testing.T) {
	want := map[Format]string{
		FormatPlain: "plain", FormatGzip: "gzip", FormatZstd: "zstd", FormatBzip2: "bzip2",
		FormatXz: "xz", FormatZip: "zip", FormatTar: "tar",
	}
	for f, s := range want {
		if got := f.String(); got != s {
			t.Errorf("Format(%d).String() = %q, want %q", int(f), got, s)
		}
	}
}

func TestLimitsWithDefaults(t *testing.T) {
	defaults := Limits{MaxDepth: 3, MaxBytes: 16 << 30, MaxRatio: 200, RatioFloor: 64 << 20, MaxSpool: 4 << 30, MaxEntries: 1_000_000}
	set := Limits{MaxDepth: 1, MaxBytes: 2, MaxRatio: 3, RatioFloor: 4, MaxSpool: 5, SpoolDir: "/spool", MaxEntries: 6}
	tests := []struct {
		name string
		in   Limits
		want Limits
	}{
		{"zero", Limits{}, defaults},
		{"negative", Limits{MaxDepth: -1, MaxBytes: -1, MaxRatio: -1, RatioFloor: -1, MaxSpool: -1, MaxEntries: -1}, defaults},
		{"all set", set, set},
		{"some set", Limits{MaxRatio: 10, SpoolDir: "d"}, Limits{MaxDepth: 3, MaxBytes: 16 << 30, MaxRatio: 10, RatioFloor: 64 << 20, MaxSpool: 4 << 30, SpoolDir: "d", MaxEntries: 1_000_000}},
	}
	for _, tt := range tests {
		if got := tt.in.WithDefaults(); got != tt.want {
			t.Errorf("%s: WithDefaults() = %+v, want %+v", tt.name, got, tt.want)
		}
	}
}
