package audit

import (
	"bufio"
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"testing"
	"unicode/utf8"

	"github.com/piiscan/piiscan/finding"
	"github.com/piiscan/piiscan/internal/itempath"
)

// Paths keep their bytes: two names that differ only in invalid UTF-8 are
// two entries naming two files, a real '\' stays one, and reading the log
// (Verify's unresolved intents, a reader of the JSON lines) gives back the
// names as they were.
func TestPathsKeepTheirBytes(t *testing.T) {
	path := filepath.Join(t.TempDir(), "audit.jsonl")
	l := Open(path, key)
	paths := []string{
		"/d/bad\xfe.log", "/d/bad\xff.log", `/d/back\slash.log`, `/d/lit\xff.log`, `/d/both\` + "\xff.log",
		`/d/end\`, "/d/ok \u00e9.log", "/d/tab\tand\x1b.log", "s3://b/k\xc3",
		"/d/report!2026-11.log", `/d/lit\!bang`, "s3://b/a!b\xff!", "/d/end!",
	}
	var intents []Entry
	for _, p := range paths {
		intents = append(intents, Entry{Action: "delete", Location: "logs", Path: p, To: p + ".q"})
	}
	if _, err := l.BeginBatch(intents...); err != nil {
		t.Fatal(err)
	}
	res, err := Verify(path, key)
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Unresolved) != len(paths) {
		t.Fatalf("%d unresolved, want %d", len(res.Unresolved), len(paths))
	}
	for i, e := range res.Unresolved {
		if e.Path != paths[i] || e.To != paths[i]+".q" {
			t.Errorf("unresolved %d: path %q to %q, want %q", i, e.Path, e.To, paths[i])
		}
	}
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if !utf8.Valid(data) || bytes.Contains(data, []byte("\ufffd")) || bytes.Contains(data, []byte(`\ufffd`)) {
		t.Errorf("the log holds invalid UTF-8 or U+FFFD:\n%s", data)
	}
	sc := bufio.NewScanner(bytes.NewReader(data))
	for i := 0; sc.Scan(); i++ {
		var e Entry
		if err := json.Unmarshal(sc.Bytes(), &e); err != nil {
			t.Fatal(err)
		}
		if e.Path != paths[i] {
			t.Errorf("line %d reads %q, want %q", i+1, e.Path, paths[i])
		}
		// Plain names are written as before, without a marker.
		if plain := utf8.ValidString(paths[i]) && !bytes.ContainsAny([]byte(paths[i]), `\!`); plain == bytes.Contains(sc.Bytes(), []byte(`"escaped_paths":true`)) {
			t.Errorf("line %d: marker %v for %q:\n%s", i+1, !plain, paths[i], sc.Bytes())
		}
	}
	// Results are matched to their intents, and appends go on.
	if err := l.Append(Entry{Action: "delete", Path: "/d/bad\xfe.log", Phase: PhaseDone, Intent: 1}); err != nil {
		t.Fatal(err)
	}
	if res, err := Verify(path, key); err != nil || len(res.Unresolved) != len(paths)-1 || res.Unresolved[0].Path != "/d/bad\xff.log" {
		t.Errorf("after a result: %+v, %v", res.Unresolved, err)
	}
}

// A log written before paths were escaped verifies, reads as it was
// written (a '\' in its paths is a real one, not an escape), and takes
// new entries.
func TestLogWrittenBeforePathsWereEscaped(t *testing.T) {
	path := filepath.Join(t.TempDir(), "audit.jsonl")
	l := Open(path, key)
	old := []Entry{
		{Seq: 1, Phase: PhaseIntent, Action: "delete", Path: `/d/lit\xff.log`, To: `/q/lit\x41`},
		{Seq: 2, Phase: PhaseIntent, Action: "delete", Path: "/d/bad\xfe.log"},
		{Seq: 3, Phase: PhaseDone, Intent: 2, Action: "delete", Path: `C:\logs\\a.log`},
	}
	var buf bytes.Buffer
	prev := ""
	for _, e := range old {
		e.Prev, e.KeyID = prev, l.keyID
		// As entries were written then: the fields as they are.
		line, err := json.Marshal(entryFields(e))
		if err != nil {
			t.Fatal(err)
		}
		line = l.seal(line)
		buf.Write(line)
		buf.WriteByte('\n')
		prev = l.mac(line)
	}
	if err := os.WriteFile(path, buf.Bytes(), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := l.writeHead(Head{Entries: 3, Hash: prev, KeyID: l.keyID}); err != nil {
		t.Fatal(err)
	}
	res, err := Verify(path, key)
	if err != nil || res.Entries != 3 {
		t.Fatalf("Verify = %+v, %v", res, err)
	}
	if len(res.Unresolved) != 1 || res.Unresolved[0].Path != `/d/lit\xff.log` || res.Unresolved[0].To != `/q/lit\x41` {
		t.Errorf("unresolved %+v, want the old path as written", res.Unresolved)
	}
	var e Entry
	if err := json.Unmarshal(bytes.SplitN(buf.Bytes(), []byte("\n"), 4)[2], &e); err != nil || e.Path != `C:\logs\\a.log` {
		t.Errorf("old entry 3 reads %q, %v", e.Path, err)
	}
	if err := l.Append(Entry{Action: "delete", Path: "/d/new\xff.log"}); err != nil {
		t.Fatal(err)
	}
	if res, err := Verify(path, key); err != nil || res.Entries != 4 {
		t.Errorf("after an append: %+v, %v", res, err)
	}
}

// A '!' in a path is written \! as scan output writes it (the path a scan
// shows is the one to look for in the log), and reads back as '!'. An
// entry written with escaped paths before '!' was escaped holds it as it
// is, and reads back the same.
func TestPathsWriteBangAsScanOutputDoes(t *testing.T) {
	for _, p := range []string{"s3://b/report!2026-11.log", `/d/x\!y`, "/d/a!b\xff"} {
		line, err := json.Marshal(Entry{Action: "delete", Path: p})
		if err != nil {
			t.Fatal(err)
		}
		want, _ := json.Marshal(finding.EncodePath(itempath.Escape(p)))
		if !bytes.Contains(line, append([]byte(`"path":`), want...)) {
			t.Errorf("%q is written %s, want the path as scan output writes it, %s", p, line, want)
		}
		var e Entry
		if err := json.Unmarshal(line, &e); err != nil || e.Path != p {
			t.Errorf("%s reads %q, %v; want %q", line, e.Path, err, p)
		}
	}
	// As the entry of "/d/a!b\c\xff" was written before: '\' doubled,
	// invalid UTF-8 as \xNN, '!' as it is.
	old := `{"seq":1,"time":"2026-01-01T00:00:00Z","action":"delete","path":"/d/a!b\\\\c\\xff","prev":"","escaped_paths":true}`
	var e Entry
	if err := json.Unmarshal([]byte(old), &e); err != nil || e.Path != "/d/a!b\\c\xff" {
		t.Errorf("an entry written before '!' was escaped reads %q, %v", e.Path, err)
	}
}
