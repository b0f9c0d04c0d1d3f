package scanners

import (
	"bytes"
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
