package audit

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestCheckRefusesLogInMissingDirectory(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "gone")
	l := Open(filepath.Join(dir, "audit.jsonl"), key)
	_, err := l.Check()
	if err == nil || !strings.Contains(err.Error(), "does not exist") {
		t.Fatalf("Check = %v, want an error saying the directory does not exist", err)
	}
	if _, err := os.Stat(dir); !os.IsNotExist(err) {
		t.Errorf("Check created something: %v", err)
	}
}

func TestCheckCreatesLogAndHead(t *testing.T) {
	path := filepath.Join(t.TempDir(), "audit.jsonl")
	st, err := Open(path, key).Check()
	if err != nil || st.Head.Entries != 0 || len(st.Notes) != 0 {
		t.Fatalf("Check = %+v, %v", st, err)
	}
	for _, p := range []string{path, HeadPath(path)} {
		fi, err := os.Stat(p)
		if err != nil || fi.Mode().Perm() != 0o600 {
			t.Errorf("%s: %v %v, want mode 0600", p, fi, err)
		}
	}
	if res, err := Verify(path, key); err != nil || res.Entries != 0 {
		t.Errorf("Verify = %+v, %v", res, err)
	}
}

// damage changes a log of five entries written by writeLog, or its head.
var damages = []struct {
	name string
	do   func(path string, lines [][]byte) error
	want string // in the error of Check and Verify ("": any error)
}{
	{"last line cut", func(path string, lines [][]byte) error {
		data, _ := os.ReadFile(path)
		return os.WriteFile(path, data[:len(data)-20], 0o600)
	}, ""},
	{"last entry edited", func(path string, lines [][]byte) error {
		data, _ := os.ReadFile(path)
		return os.WriteFile(path, bytes.Replace(data, []byte(`"records":4`), []byte(`"records":0`), 1), 0o600)
	}, "edited"},
	{"last entry removed", func(path string, lines [][]byte) error {
		return os.WriteFile(path, bytes.Join(lines[:4], nil), 0o600)
	}, "entries after seq 4 were removed"},
	{"last two entries removed", func(path string, lines [][]byte) error {
		return os.WriteFile(path, bytes.Join(lines[:3], nil), 0o600)
	}, "entries after seq 3 were removed"},
	{"head edited", func(path string, lines [][]byte) error {
		data, _ := os.ReadFile(HeadPath(path))
		return os.WriteFile(HeadPath(path), bytes.Replace(data, []byte(`"entries":5`), []byte(`"entries":4`), 1), 0o600)
	}, "head file"},
	{"head removed", func(path string, lines [][]byte) error {
		return os.Remove(HeadPath(path))
	}, "head file is missing"},
}

func TestDamagedEndIsRefused(t *testing.T) {
	for _, tt := range damages {
		t.Run(tt.name, func(t *testing.T) {
			path, lines := writeLog(t, 5)
			if err := tt.do(path, lines); err != nil {
				t.Fatal(err)
			}
			before, _ := os.ReadFile(path)
			if _, err := Open(path, key).Check(); err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("Check = %v, want an error with %q", err, tt.want)
			}
			if err := Open(path, key).Append(Entry{Action: "delete", Path: "x"}); err == nil {
				t.Error("Append sealed the damage into the chain")
			}
			if after, _ := os.ReadFile(path); !bytes.Equal(before, after) {
				t.Error("the damaged log was written to")
			}
			if _, err := Verify(path, key); err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("Verify = %v, want an error with %q", err, tt.want)
			}
		})
	}
}

func TestVerifyDetectsEditedOrRemovedLastEntry(t *testing.T) {
	tests := []struct {
		name string
		edit func(lines [][]byte) []byte
	}{
		{"edited", func(lines [][]byte) []byte {
			last := bytes.Replace(lines[4], []byte(`"records":4`), []byte(`"records":0`), 1)
			return bytes.Join(append(lines[:4:4], last), nil)
		}},
		{"removed", func(lines [][]byte) []byte { return bytes.Join(lines[:4], nil) }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path, lines := writeLog(t, 5)
			if err := os.WriteFile(path, tt.edit(lines), 0o600); err != nil {
				t.Fatal(err)
			}
			if res, err := Verify(path, key); err == nil {
				t.Errorf("Verify passed a log whose end was changed: %+v", res)
			}
			// The next append must not seal the change into the chain.
			Open(path, key).Append(Entry{Action: "delete", Path: "next"})
			if res, err := Verify(path, key); err == nil {
				t.Errorf("after an append, Verify passed: %+v", res)
			}
		})
	}
}

func TestWrongKeyIsNamed(t *testing.T) {
	path, lines := writeLog(t, 3)
	other := []byte("another key")
	want := "written with another key (key id " + KeyID(key) + ", this key " + KeyID(other) + ")"
	check := func(name string, err error) {
		t.Helper()
		var ke *KeyError
		if !errors.As(err, &ke) || !strings.Contains(err.Error(), want) {
			t.Errorf("%s = %v, want %q", name, err, want)
		}
	}
	_, err := Verify(path, other)
	check("Verify", err)
	_, err = VerifyReader(bytes.NewReader(bytes.Join(lines, nil)), other)
	check("VerifyReader", err)
	_, err = Open(path, other).Check()
	check("Check", err)
	check("Append", Open(path, other).Append(Entry{Action: "delete", Path: "x"}))
	// Without its head file, the entries still name the key.
	os.Remove(HeadPath(path))
	_, err = Verify(path, other)
	check("Verify without head", err)
}

func TestAppendAfterCrashBeforeHead(t *testing.T) {
	path, _ := writeLog(t, 3)
	old, err := os.ReadFile(HeadPath(path))
	if err != nil {
		t.Fatal(err)
	}
	// A run wrote two entries and died before it wrote the head.
	if err := Open(path, key).Append(Entry{Action: "delete", Path: "d"}, Entry{Action: "delete", Path: "e"}); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(HeadPath(path), old, 0o600); err != nil {
		t.Fatal(err)
	}
	res, err := Verify(path, key)
	if err != nil || res.Entries != 5 || len(res.Notes) != 1 || !strings.Contains(res.Notes[0], "2 entries ahead") {
		t.Fatalf("Verify = %+v, %v; want 5 entries and a note", res, err)
	}
	st, err := Open(path, key).Check()
	if err != nil || st.Head.Entries != 5 || len(st.Notes) != 1 {
		t.Fatalf("Check = %+v, %v", st, err)
	}
	if err := Open(path, key).Append(Entry{Action: "delete", Path: "f"}); err != nil {
		t.Fatal(err)
	}
	if res, err := Verify(path, key); err != nil || res.Entries != 6 || len(res.Notes) != 0 {
		t.Errorf("Verify = %+v, %v", res, err)
	}
	// An old head with an edited end is not a crash.
	old, _ = os.ReadFile(HeadPath(path))
	Open(path, key).Append(Entry{Action: "delete", Path: "g"})
	os.WriteFile(HeadPath(path), old, 0o600)
	data, _ := os.ReadFile(path)
	os.WriteFile(path, bytes.Replace(data, []byte(`"path":"g"`), []byte(`"path":"h"`), 1), 0o600)
	if _, err := Open(path, key).Check(); !errors.Is(err, ErrHeadMismatch) {
		t.Errorf("Check = %v, want ErrHeadMismatch", err)
	}
}

func TestLogWrittenBeforeHeadsIsAccepted(t *testing.T) {
	// Entries as an earlier piiscan wrote them: no key id, no head file.
	path := filepath.Join(t.TempDir(), "audit.jsonl")
	l := Open(path, key)
	var buf bytes.Buffer
	prev := ""
	for i, p := range []string{"a", "b"} {
		line := []byte(`{"seq":` + string(rune('1'+i)) + `,"time":"2024-06-01T00:00:00Z","action":"delete","path":"` + p + `","prev":"` + prev + `"}`)
		buf.Write(line)
		buf.WriteByte('\n')
		prev = l.mac(line)
	}
	os.WriteFile(path, buf.Bytes(), 0o600)
	res, err := Verify(path, key)
	if err != nil || res.Entries != 2 || len(res.Notes) != 1 || !strings.Contains(res.Notes[0], "no head file") {
		t.Fatalf("Verify = %+v, %v", res, err)
	}
	st, err := l.Check()
	if err != nil || st.Head.Entries != 2 || len(st.Notes) != 1 || !strings.Contains(st.Notes[0], "created") {
		t.Fatalf("Check = %+v, %v", st, err)
	}
	if err := l.Append(Entry{Action: "delete", Path: "c"}); err != nil {
		t.Fatal(err)
	}
	if res, err := Verify(path, key); err != nil || res.Entries != 3 || res.KeyID != KeyID(key) || len(res.Notes) != 0 {
		t.Errorf("Verify = %+v, %v", res, err)
	}
}

func TestVerifyComparesHeadKeptElsewhere(t *testing.T) {
	path, _ := writeLog(t, 3)
	res, err := Verify(path, key)
	if err != nil {
		t.Fatal(err)
	}
	kept := Head{Entries: res.Entries, Hash: res.Head}
	parsed, err := ParseHead(kept.String())
	if err != nil || parsed != kept {
		t.Fatalf("ParseHead(%q) = %v, %v", kept, parsed, err)
	}
	Open(path, key).Append(Entry{Action: "delete", Path: "d"})
	if _, err := Verify(path, key, kept); err != nil {
		t.Errorf("a grown log does not hold its earlier head: %v", err)
	}
	// Cut back to two entries, with a head file to match (as a rolled
	// back copy of both would be): only the head kept elsewhere shows it.
	l := Open(path, key)
	data, _ := os.ReadFile(path)
	two := bytes.SplitAfter(data, []byte("\n"))[:2]
	os.WriteFile(path, bytes.Join(two, nil), 0o600)
	last := bytes.TrimSuffix(two[1], []byte("\n"))
	if err := l.writeHead(Head{Entries: 2, Hash: l.mac(last)}); err != nil {
		t.Fatal(err)
	}
	if _, err := Verify(path, key); err != nil {
		t.Fatalf("rolled back log: %v", err)
	}
	if _, err := Verify(path, key, kept); !errors.Is(err, ErrHeadMismatch) {
		t.Errorf("Verify with the kept head = %v, want ErrHeadMismatch", err)
	}
	for _, bad := range []string{"", "3", "x:abc", "3:abc", "-1:" + kept.Hash} {
		if _, err := ParseHead(bad); err == nil {
			t.Errorf("ParseHead(%q) accepted", bad)
		}
	}
}
