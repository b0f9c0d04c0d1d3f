package source

import (
	"bytes"
	"errors"
	"os/exec"
	"strings"
	"testing"
)

// gzipTool compresses data with the gzip binary, or with the gzip package
// when there is none.
func gzipTool(t testing.TB, data []byte) []byte {
	t.Helper()
	if _, err := exec.LookPath("gzip"); err != nil {
		return gzipBytes(t, data)
	}
	cmd := exec.Command("gzip", "-c", "-n")
	cmd.Stdin = bytes.NewReader(data)
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("gzip: %v", err)
	}
	return out
}

// A truncated stream that yields fewer than 512 bytes was not scanned at
// all: the first look at its head failed, and the input was reported
// unread with 0 findings. What was read is scanned, then the damage is
// reported.
func TestExpandShortTruncatedStream(t *testing.T) {
	content := "2024-05-01 login ok user=alice@example.com ip=203.0.113.7\n"
	gz := gzipTool(t, []byte(content))
	inner := gzipTool(t, gzipTool(t, []byte(content)))
	for _, tt := range []struct {
		name string
		data []byte
		want string // the content the stream must deliver, at least
	}{
		{"gzip without its trailer", gz[:len(gz)-8], content},
		{"gzip without the last byte", gz[:len(gz)-1], content},
		{"gzip in a gzip, outer trailer gone", inner[:len(inner)-8], content},
	} {
		t.Run(tt.name, func(t *testing.T) {
			rec, err := expandBytes(t, "app.log.gz", tt.data, Limits{})
			if !errors.Is(err, ErrCorrupt) {
				t.Errorf("Expand = %v, want ErrCorrupt", err)
			}
			if len(rec.streams) == 0 {
				regression(t, "a truncated stream under 512 bytes is not scanned",
					"no stream delivered for %d bytes of %s (Expand = %v)", len(tt.data), tt.name, err)
			}
			if len(rec.streams) != 1 {
				t.Fatalf("streams %q, want one", rec.paths())
			}
			got := rec.streams[0].content
			if !strings.HasPrefix(content, got) || len(got) < len(tt.want) {
				t.Errorf("content %q, want %q", got, tt.want)
			}
			if rec.readErrs["app.log.gz"] == nil {
				t.Errorf("the StreamFunc saw no error after the content")
			}
		})
	}
}
