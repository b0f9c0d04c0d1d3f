package retention

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
	"unicode/utf16"

	"github.com/piiscan/piiscan/config"
	"github.com/piiscan/piiscan/finding"
	"github.com/piiscan/piiscan/retention/audit"
	"github.com/piiscan/piiscan/scansetup"
)

// utf16LE is text as Windows tools write it: UTF-16LE after the mark FF FE.
func utf16LE(text string) string {
	b := []byte{0xff, 0xfe}
	for _, u := range utf16.Encode([]rune(text)) {
		b = append(b, byte(u), byte(u>>8))
	}
	return string(b)
}

// UTF-16 text is scanned, but neither redact nor erase rewrites it: an
// enforcing run leaves its bytes as they are (redact quarantines the file
// whole, as it does an archive, and its copy there is the same bytes),
// and the plan says why in plain words.
func TestRedactAndEraseLeaveUTF16Alone(t *testing.T) {
	ctx := context.Background()
	content := utf16LE("**********************\r\nWindows PowerShell transcript start\r\nmail : carol@example.com\r\n")
	fp := finding.NewFingerprinter([]byte("k"))
	for _, cmd := range []string{"redact", "erase"} {
		t.Run(cmd, func(t *testing.T) {
			dir := t.TempDir()
			path := filepath.Join(dir, "app", "PowerShell_transcript.txt")
			mkfile(t, path, content, 0o640, time.Now().Add(-2*day))
			c, err := config.Parse("test.yaml", []byte("version: 1\nrules:\n  - {id: mail, detector: email, severity: high}\n"+
				"locations:\n  - {name: app, paths: ["+filepath.Join(dir, "app")+"], allowed: [], disallowed: redact}\n"+
				"enforcement: {quarantine_dir: "+filepath.Join(dir, "quarantine")+", breaker: {max_share: 1}}\n"))
			if err != nil {
				t.Fatal(err)
			}
			var p *Plan
			if cmd == "redact" {
				p, err = PlanRedact(ctx, c, locationScanner(t, c, fp), PlanOptions{})
			} else {
				var sub Subject
				if sub, err = ParseSubject("email=carol@example.com", c.Region(), fp); err != nil {
					t.Fatal(err)
				}
				p, err = PlanErase(ctx, c, locationScanner(t, c, fp), []Subject{sub}, EraseOptions{})
			}
			if err != nil {
				t.Fatal(err)
			}
			it := itemFor(p, path)
			if it == nil {
				t.Fatalf("%s: the finding in UTF-16 text was not seen: %v %v", cmd, actions(p), p.Problems)
			}
			t.Logf("%s: %s: %s", cmd, it.Action, it.Reason)
			if it.Action == RedactFile || it.Action == Erase || !strings.Contains(it.Reason, "UTF-16 text is not rewritten") {
				t.Errorf("%s: %s %q", cmd, it.Action, it.Reason)
			}
			e, err := scansetup.Engine(c)
			if err != nil {
				t.Fatal(err)
			}
			x := &Executor{Config: c, Enforce: true, Engine: e, Fingerprints: fp,
				Audit: audit.Open(filepath.Join(t.TempDir(), "audit.jsonl"), []byte("k"))}
			defer x.Close()
			x.Apply(ctx, p)
			got, err := os.ReadFile(path)
			if cmd == "redact" {
				// Quarantined whole: the same bytes, moved.
				var copies []string
				filepath.WalkDir(filepath.Join(dir, "quarantine"), func(p string, d os.DirEntry, err error) error {
					if err == nil && !d.IsDir() {
						copies = append(copies, p)
					}
					return nil
				})
				if len(copies) != 1 {
					t.Fatalf("quarantine holds %q (the file: %v)", copies, err)
				}
				got, err = os.ReadFile(copies[0])
			}
			if err != nil || string(got) != content {
				t.Errorf("%s --enforce changed the UTF-16 file: %q, %v", cmd, got, err)
			}
			if cmd == "erase" {
				r := p.ErasureReport(nil, true)
				if r.Complete || r.Unsearched != 0 {
					t.Errorf("erasure report: %+v", r)
				}
			}
		})
	}
}
