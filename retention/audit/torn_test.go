package audit

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// An append killed in the middle of its write (a SIGKILL while a batch of
// intents crosses a page) leaves a last line with no newline, after the
// head. Verify notes it and Check removes it, keeping every whole entry;
// a line cut inside an entry the head counts stays refused (see
// TestDamagedEndIsRefused).
func TestLineCutShortAfterTheHeadIsRemoved(t *testing.T) {
	tests := []struct {
		name string
		// kill builds the log a killed append leaves: its whole entries
		// (and head) are returned, the cut line written after them.
		kill    func(t *testing.T) (path string, whole []byte)
		entries int64
		notes   int // of Check: the cut, and a head brought up to date
	}{
		{"one entry cut", func(t *testing.T) (string, []byte) {
			path, _ := writeLog(t, 5)
			whole, _ := os.ReadFile(path)
			return path, whole
		}, 5, 1},
		{"batch cut after whole entries", func(t *testing.T) (string, []byte) {
			path, _ := writeLog(t, 3)
			head, _ := os.ReadFile(HeadPath(path))
			if err := Open(path, key).Append(Entry{Action: "delete", Path: "d"}, Entry{Action: "delete", Path: "e"}); err != nil {
				t.Fatal(err)
			}
			os.WriteFile(HeadPath(path), head, 0o600) // the head of the killed append was never written
			whole, _ := os.ReadFile(path)
			return path, whole
		}, 5, 2},
		{"first entry cut", func(t *testing.T) (string, []byte) {
			return filepath.Join(t.TempDir(), "audit.jsonl"), nil
		}, 0, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path, whole := tt.kill(t)
			_, lines := writeLog(t, 2)
			cut := lines[1][:len(lines[1])/2]
			if err := os.WriteFile(path, append(append([]byte(nil), whole...), cut...), 0o600); err != nil {
				t.Fatal(err)
			}
			res, err := Verify(path, key)
			if err != nil || res.Entries != tt.entries || !strings.Contains(strings.Join(res.Notes, "\n"), "cut short") {
				t.Fatalf("Verify = %+v, %v; want %d entries and a note of the cut line", res, err, tt.entries)
			}
			st, err := Open(path, key).Check()
			if err != nil || st.Head.Entries != tt.entries || len(st.Notes) != tt.notes || !strings.Contains(st.Notes[len(st.Notes)-1], "cut short") {
				t.Fatalf("Check = %+v, %v; want %d entries and %d notes", st, err, tt.entries, tt.notes)
			}
			if now, _ := os.ReadFile(path); !bytes.Equal(now, whole) {
				t.Errorf("after Check the log is\n%s\nwant its whole entries\n%s", now, whole)
			}
			if err := Open(path, key).Append(Entry{Action: "delete", Path: "next"}); err != nil {
				t.Fatal(err)
			}
			if res, err := Verify(path, key); err != nil || res.Entries != tt.entries+1 || len(res.Notes) != 0 {
				t.Errorf("Verify after the next append = %+v, %v", res, err)
			}
		})
	}
}

// Check removes the temporary head files a run killed while writing its
// head left behind.
func TestCheckRemovesTemporaryHeadsOfKilledRuns(t *testing.T) {
	dir := t.TempDir()
	l := Open(filepath.Join(dir, "audit.jsonl"), []byte("k"))
	if err := l.Append(Entry{Action: "delete", Path: "a"}); err != nil {
		t.Fatal(err)
	}
	stale := filepath.Join(dir, ".audit.jsonl.head.123456.tmp")
	os.WriteFile(stale, []byte("{"), 0o600)
	if _, err := l.Check(); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(stale); !os.IsNotExist(err) {
		t.Errorf("a temporary head was left: %v", err)
	}
}
