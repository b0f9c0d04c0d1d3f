package state

import (
	"os"
	"path/filepath"
	"slices"
	"testing"
	"unicode/utf16"
)

// appendUTF16 appends lines to path in UTF-16LE, as PowerShell's
// Out-File -Append and Start-Transcript write them, with the
// byte-order mark first when the file is new.
func appendUTF16(t *testing.T, path string, lines ...string) {
	t.Helper()
	var b []byte
	if fi, err := os.Stat(path); err != nil || fi.Size() == 0 {
		b = append(b, 0xff, 0xfe)
	}
	for _, l := range lines {
		for _, u := range utf16.Encode([]rune(l + "\r\n")) {
			b = append(b, byte(u), byte(u>>8))
		}
	}
	f, err := os.OpenFile(path, os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o644)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if _, err := f.Write(b); err != nil {
		t.Fatal(err)
	}
}

// A UTF-16 log appended to between job runs: each run reports the new
// lines' findings once, at their line numbers, and the saved position is
// the file's size in its own bytes (even: the end of an encoded line).
func TestTrackerUTF16Append(t *testing.T) {
	dir := t.TempDir()
	s := openKeyed(t)
	log := filepath.Join(dir, "transcript.txt")
	appendUTF16(t, log, "Windows PowerShell transcript start", "PS C:\\> whoami", "contoso\\zoë  zoe@example.com 😀")
	if got := scanWith(t, s, "job", dir, false); !slices.Equal(got, []string{"transcript.txt:3"}) {
		t.Fatalf("first run: %q", got)
	}
	fi, _ := os.Stat(log)
	if st := fileStates(t, s, "job")[log]; st.Offset != fi.Size() || st.Line != 3 || st.Whole {
		t.Fatalf("saved %+v, want offset %d line 3", st, fi.Size())
	}
	appendUTF16(t, log, "PS C:\\> Get-ADUser -Identity jdoe", "mail : jane.doe@example.com", "PS C:\\> exit")
	if got := scanWith(t, s, "job", dir, false); !slices.Equal(got, []string{"transcript.txt:5"}) {
		t.Fatalf("second run: %q", got)
	}
	if got := scanWith(t, s, "job", dir, false); len(got) != 0 {
		t.Fatalf("unchanged: %q", got)
	}
	fi, _ = os.Stat(log)
	if st := fileStates(t, s, "job")[log]; st.Offset != fi.Size() || st.Line != 6 {
		t.Fatalf("saved %+v, want offset %d line 6", st, fi.Size())
	}
}
