package audit

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
)

var key = []byte("audit test key")

func writeLog(t *testing.T, n int) (string, [][]byte) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "audit.jsonl")
	l := Open(path, key)
	for i := range n {
		if err := l.Append(Entry{Action: "delete", Path: filepath.Join("/logs", string(rune('a'+i))), Records: int64(i)}); err != nil {
			t.Fatal(err)
		}
	}
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return path, bytes.SplitAfter(bytes.TrimSuffix(data, []byte("\n")), []byte("\n"))
}

func TestAppendAndVerify(t *testing.T) {
	path, lines := writeLog(t, 5)
	if len(lines) != 5 {
		t.Fatalf("%d lines", len(lines))
	}
	fi, _ := os.Stat(path)
	if fi.Mode().Perm() != 0o600 {
		t.Errorf("mode %v, want 0600", fi.Mode().Perm())
	}
	res, err := Verify(path, key)
	if err != nil || res.Entries != 5 || len(res.Head) != 64 {
		t.Fatalf("Verify = %+v, %v", res, err)
	}
	// Several entries at once keep the chain.
	if err := Open(path, key).Append(Entry{Action: "rewrite", Path: "x"}, Entry{Action: "erase", Path: "y"}); err != nil {
		t.Fatal(err)
	}
	if res, err := Verify(path, key); err != nil || res.Entries != 7 {
		t.Fatalf("after batch: %+v, %v", res, err)
	}
}

func TestVerifyDetectsTampering(t *testing.T) {
	_, lines := writeLog(t, 5)
	join := func(ls ...[]byte) []byte { return bytes.Join(ls, nil) }
	edited := bytes.Replace(lines[2], []byte(`"records":2`), []byte(`"records":0`), 1)
	tests := []struct {
		name string
		log  []byte
		line int
	}{
		{"edited", join(lines[0], lines[1], edited, lines[3], lines[4]), 4},
		{"removed", join(lines[0], lines[1], lines[3], lines[4]), 3},
		{"reordered", join(lines[0], lines[2], lines[1], lines[3], lines[4]), 2},
		{"head removed", join(lines[1], lines[2], lines[3], lines[4]), 1},
		{"garbage", join(lines[0], []byte("{not json\n"), lines[1]), 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := VerifyReader(bytes.NewReader(tt.log), key)
			var b *Break
			if !errors.As(err, &b) || b.Line != tt.line {
				t.Errorf("err = %v, want a break at line %d", err, tt.line)
			}
		})
	}
	// An edited entry with a recomputed chain still fails without the key.
	if _, err := VerifyReader(bytes.NewReader(join(lines...)), []byte("wrong key")); err == nil {
		t.Error("verified with the wrong key")
	}
}

func TestConcurrentAppends(t *testing.T) {
	path := filepath.Join(t.TempDir(), "audit.jsonl")
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			l := Open(path, key)
			for i := range 20 {
				if err := l.Append(Entry{Action: "delete", Path: strings.Repeat("p", g+i)}); err != nil {
					t.Error(err)
				}
			}
		}()
	}
	wg.Wait()
	if res, err := Verify(path, key); err != nil || res.Entries != 160 {
		t.Errorf("Verify = %+v, %v", res, err)
	}
}
