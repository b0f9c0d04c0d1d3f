package scanners

import (
	"bytes"
	"path/filepath"
	"strings"
	"testing"
)

func TestLooksBinary(t *testing.T) {
	nuls := bytes.Repeat([]byte{0}, 4096)
	for _, tt := range []struct {
		name string
		head []byte
		want bool
	}{
		{"empty", nil, false},
		{"text", []byte("2026-11-30 INFO login ok\n"), false},
		{"escapes and tabs", []byte("\x1b[32mok\x1b[0m\tdone\r\n"), false},
		{"NUL inside", []byte("abc\x00def\n"), true},
		{"control bytes", []byte("\x01\x02\x03\x04abc"), true},
		// logrotate copytruncate: the writer's next line lands after a
		// hole the size of what was truncated.
		{"NULs then text", append(append([]byte{}, nuls...), "bob@example.org 203.0.113.9\n"...), false},
		{"NULs then binary", append(append([]byte{}, nuls...), "\x01\x02\x03\x04\x05\x00\x06"...), true},
		{"NULs only", nuls, true},
		{"gzip", []byte("\x1f\x8b\x08\x00\x00\x00\x00\x00\x00\x03"), true},
	} {
		if got := LooksBinary(tt.head); got != tt.want {
			t.Errorf("%s: LooksBinary = %v, want %v", tt.name, got, tt.want)
		}
	}
}

// A pg_dump custom-format archive holds a database's rows compressed in a
// format piiscan does not read: it is reported as not examined (its
// findings unknown), inside archives too, never passed as clean.
func TestScanReportsPGDumpArchives(t *testing.T) {
	root := t.TempDir()
	// The head pg_dump -Fc writes: magic, format version 1.14, int and
	// offset sizes, the custom format, then zlib-compressed table data.
	dump := append([]byte("PGDMP\x01\x0e\x00\x04\x08\x01\x01\x00\x00\x00\x00"), bytes.Repeat([]byte{0x78, 0x9c, 0x00, 0x01}, 64)...)
	writeFile(t, filepath.Join(root, "clinic.dump"), dump)
	writeFile(t, filepath.Join(root, "app.log"), []byte("mail ada@example.com\n"))
	got, stats := collect(t, testOptions(t), root)
	if len(got) != 1 {
		t.Errorf("findings %v, want the log's", keys(got))
	}
	if len(stats.Problems) != 1 || !strings.HasSuffix(stats.Problems[0].Path, "clinic.dump") ||
		stats.Problems[0].Error != ErrPGDumpArchive.Error() {
		t.Fatalf("problems %+v, want the archive, not read", stats.Problems)
	}
	if stats.Binary != 0 {
		t.Errorf("%d binary streams skipped: the archive is a problem, not a binary file", stats.Binary)
	}
}
