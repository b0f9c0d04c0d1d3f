package main

import (
	"archive/zip"
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/piiscan/piiscan/retention/audit"
)

// hostileName is a file name that, printed raw, sets a terminal's title
// and reverses the text after it.
const hostileName = "gz\x1b]0;T\a\u202e"

// corruptGzip is a gzip file whose deflate stream is damaged past its
// header, as a disk error or a cut upload leaves one.
func corruptGzip(t *testing.T) []byte {
	t.Helper()
	var text strings.Builder
	for i := range 2000 {
		fmt.Fprintf(&text, "line %d mail someone%d@example.com\n", i, i)
	}
	gz := gzipBytes([]byte(text.String()))
	for i := 40; i < len(gz)-8; i += 7 {
		gz[i] ^= 0x5a
	}
	if _, err := newGzipReader(gz); err != nil {
		t.Fatalf("the header must stay readable: %v", err)
	}
	return gz
}

// The plans purge, redact and erase print, their problems ("cannot examine
// ...") and the erasure report show every name escaped: a name cannot
// drive the terminal or reorder the line.
func TestPlanOutputEscapesNames(t *testing.T) {
	dir := t.TempDir()
	old := time.Now().Add(-60 * 24 * time.Hour)
	write := func(rel string, data []byte) {
		p := filepath.Join(dir, rel)
		os.MkdirAll(filepath.Dir(p), 0o755)
		if err := os.WriteFile(p, data, 0o644); err != nil {
			t.Fatal(err)
		}
		os.Chtimes(p, old, old)
	}
	gz := corruptGzip(t)
	write("app/"+hostileName+".gz", gz)
	write("app/"+hostileName+".log", []byte("card 4111 1111 1111 1111 for alice@example.com\n"))
	var zb bytes.Buffer
	zw := zip.NewWriter(&zb)
	w, _ := zw.Create("dump/users.txt")
	w.Write([]byte("card 4111111111111111\n"))
	zw.Close()
	write("app/"+hostileName+".zip", zb.Bytes())
	write("old/"+hostileName+".log", []byte("old\n"))
	// Within its retention: its records must be read, and cannot be.
	write("rec/"+hostileName+".gz", gz)
	recent := time.Now().Add(-48 * time.Hour)
	os.Chtimes(filepath.Join(dir, "rec", hostileName+".gz"), recent, recent)
	policy := filepath.Join(dir, "rules.yaml")
	os.WriteFile(policy, []byte(fmt.Sprintf(`version: 1
rules:
  - {id: email, detector: email, severity: medium}
  - {id: card, detector: credit_card, severity: critical}
locations:
  - name: app
    paths: [%[1]s/app]
    allowed: [email]
    disallowed: redact
  - name: old
    paths: [%[1]s/old]
    retention: {max_age: 30d}
  - name: rec
    paths: [%[1]s/rec]
    retention: {max_age: 30d, from: record}
enforcement:
  audit_log: %[1]s/audit.jsonl
  quarantine_dir: %[1]s/quarantine
  breaker: {max_share: 1}
`, dir)), 0o644)
	shown := `gz\x1b]0;T\a\u202e`
	for _, tt := range []struct {
		name string
		args []string
		want []string // in stdout
	}{
		{"redact", []string{"redact", "--location", "app"}, []string{
			"cannot examine " + filepath.Join(dir, "app", shown+".gz") + ": ",
			filepath.Join(dir, "app", shown+".log"),
			filepath.Join(dir, "app", shown+".zip"),
		}},
		{"redact enforced", []string{"redact", "--location", "app", "--enforce"}, []string{
			"cannot examine " + filepath.Join(dir, "app", shown+".gz") + ": ",
			filepath.Join(dir, "app", shown+".log"),
			shown + ".zip",
		}},
		{"erase", []string{"erase", "--subject", "email=alice@example.com", "--location", "app"}, []string{
			"cannot examine " + filepath.Join(dir, "app", shown+".gz") + ": ",
			filepath.Join(dir, "app", shown+".log"),
			"Erasure report",
		}},
		{"purge", []string{"purge"}, []string{
			filepath.Join(dir, "old", shown+".log"),
			"FAILED drop-records  rec       " + filepath.Join(dir, "rec", shown+".gz"),
		}},
		{"purge enforced", []string{"purge", "--enforce"}, []string{
			filepath.Join(dir, "old", shown+".log"),
			"FAILED drop-records  rec       " + filepath.Join(dir, "rec", shown+".gz"),
		}},
		{"audit verify", []string{"audit", "verify"}, []string{"chain intact"}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			code, out, errs := runCLI(t, "", append([]string{"--config", policy}, tt.args...)...)
			if code != exitUnreadable && code != exitOK {
				t.Errorf("exit %d\n%s\n%s", code, out, errs)
			}
			checkTerminal(t, "stdout", out)
			checkTerminal(t, "stderr", errs)
			for _, want := range tt.want {
				if !strings.Contains(out, want) {
					t.Errorf("stdout lacks %q:\n%s", want, out)
				}
			}
		})
	}
}

// An erasure from files whose names differ only in invalid UTF-8 logs two
// entries naming the two files, and audit verify lists the names escaped.
func TestEraseAuditKeepsNamesApart(t *testing.T) {
	policy, log := erasePolicy(t)
	logs := filepath.Dir(log)
	old := time.Now().Add(-time.Hour)
	var want []string
	for _, name := range []string{"bad\xfe.log", "bad\xff.log", `back\slash.log`} {
		p := filepath.Join(logs, name)
		os.WriteFile(p, []byte("login alice@example.com ok\n"), 0o644)
		os.Chtimes(p, old, old)
		want = append(want, p)
	}
	want = append(want, log)
	slices.Sort(want)
	code, out, errs := runCLI(t, "", "--config", policy, "erase", "--subject", "email=alice@example.com", "--enforce")
	if code != exitOK {
		t.Fatalf("exit %d\n%s\n%s", code, out, errs)
	}
	checkTerminal(t, "stdout", out)
	data, err := os.ReadFile(filepath.Join(filepath.Dir(logs), "audit.jsonl"))
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	sc := bufio.NewScanner(bytes.NewReader(data))
	for sc.Scan() {
		var e audit.Entry
		if err := json.Unmarshal(sc.Bytes(), &e); err != nil {
			t.Fatal(err)
		}
		if e.Phase == audit.PhaseDone && e.Action == "erase" {
			got = append(got, e.Path)
		}
	}
	slices.Sort(got)
	if !slices.Equal(got, want) {
		t.Errorf("the audit log names %q, want %q", got, want)
	}
	if code, out, errs := runCLI(t, "", "--config", policy, "audit", "verify"); code != exitOK || !strings.Contains(out, "8 entries, chain intact") {
		t.Errorf("verify: exit %d\n%s\n%s", code, out, errs)
	}
}
