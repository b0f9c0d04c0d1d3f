package main

import (
	"archive/zip"
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"
)

func TestRedactCommand(t *testing.T) {
	dir := t.TempDir()
	old := time.Now().Add(-48 * time.Hour)
	write := func(rel string, data []byte) string {
		p := filepath.Join(dir, rel)
		os.MkdirAll(filepath.Dir(p), 0o755)
		os.WriteFile(p, data, 0o640)
		os.Chtimes(p, old, old)
		return p
	}
	logLine := `{"ts":"2024-05-01T00:00:00Z","user":"bob@example.com","card":"4111 1111 1111 1111","note":"ok"}` + "\n"
	plain := write("app/app.log.1", []byte("start\n"+logLine+"end 192.0.2.1\n"))
	zipped := write("app/app.log.2.gz", gzipBytes([]byte(logLine)))
	var zb bytes.Buffer
	zw := zip.NewWriter(&zb)
	w, _ := zw.Create("dump/users.txt")
	w.Write([]byte("card 4111111111111111\n"))
	zw.Close()
	archive := write("app/backup.zip", zb.Bytes())
	held := write("app/held/app.log", []byte(logLine))
	clean := write("app/clean.log", []byte("mail carol@example.com\n"))
	policy := filepath.Join(dir, "rules.yaml")
	os.WriteFile(policy, []byte(fmt.Sprintf(`version: 1
rules:
  - {id: email, detector: email, severity: medium}
  - {id: card, detector: credit_card, severity: critical}
  - {id: ip, detector: ipv4, severity: low}
locations:
  - name: app
    paths: [%[1]s/app]
    allowed: [email, ip_address]
    disallowed: redact
holds:
  - paths: ["%[1]s/app/held/**"]
    reason: case 7
enforcement:
  audit_log: %[1]s/audit.jsonl
  quarantine_dir: %[1]s/quarantine
  breaker: {max_share: 1}
`, dir)), 0o644)

	before, _ := os.ReadFile(plain)
	code, out, errs := runCLI(t, "", "--config", policy, "redact")
	if code != exitOK {
		t.Fatalf("dry run: exit %d\n%s\n%s", code, out, errs)
	}
	if after, _ := os.ReadFile(plain); !bytes.Equal(before, after) {
		t.Fatal("the dry run changed a file")
	}
	for _, want := range []string{"redact", "app.log.1", "quarantine", "backup.zip", "legal hold: case 7", "credit_card×1"} {
		if !strings.Contains(out, want) {
			t.Errorf("plan lacks %q:\n%s", want, out)
		}
	}
	if rawCard.MatchString(out) || strings.Contains(out, "bob@") {
		t.Error("the plan shows a raw value")
	}

	code, out, errs = runCLI(t, "", "--config", policy, "redact", "--enforce")
	if code != exitOK {
		t.Fatalf("enforce: exit %d\n%s\n%s", code, out, errs)
	}
	masked := strings.Replace(logLine, "4111 1111 1111 1111", "[credit_card:…1111]", 1)
	if got, _ := os.ReadFile(plain); string(got) != "start\n"+masked+"end 192.0.2.1\n" {
		t.Errorf("plain log:\n%s", got)
	}
	if fi, _ := os.Stat(plain); fi.Mode().Perm() != 0o640 || !fi.ModTime().Equal(old) {
		t.Errorf("mode %v mtime %v", fi.Mode().Perm(), fi.ModTime())
	}
	gz, _ := os.ReadFile(zipped)
	if s := gunzipString(t, gz); s != masked {
		t.Errorf("gzip log: %q", s)
	}
	if _, err := os.Stat(archive); !os.IsNotExist(err) {
		t.Error("archive not quarantined")
	}
	q, _ := filepath.Glob(filepath.Join(dir, "quarantine", "*backup.zip"))
	if len(q) != 1 {
		t.Fatalf("quarantine holds %v", q)
	}
	if fi, _ := os.Stat(q[0]); fi.Mode().Perm() != 0o600 {
		t.Errorf("quarantined mode %v", fi.Mode().Perm())
	}
	if got, _ := os.ReadFile(held); string(got) != logLine {
		t.Error("a held file was rewritten")
	}
	if got, _ := os.ReadFile(clean); string(got) != "mail carol@example.com\n" {
		t.Error("a file without disallowed data was rewritten")
	}
	audit, _ := os.ReadFile(filepath.Join(dir, "audit.jsonl"))
	if rawCard.Match(audit) || bytes.Count(audit, []byte("\n")) != 6 || !bytes.Contains(audit, []byte(`"fingerprints":["`)) {
		t.Errorf("audit log:\n%s", audit)
	}
	if code, out, _ := runCLI(t, "", "--config", policy, "audit", "verify"); code != exitOK {
		t.Errorf("verify: %s", out)
	}
	// Nothing is left to do.
	_, out, _ = runCLI(t, "", "--config", policy, "redact", "--enforce")
	if strings.Contains(out, "\nredact ") || strings.Contains(out, "\nquarantine ") {
		t.Errorf("second run still acts:\n%s", out)
	}
}

func gunzipString(t *testing.T, data []byte) string {
	t.Helper()
	var b bytes.Buffer
	zr, err := newGzipReader(data)
	if err != nil {
		t.Fatal(err)
	}
	b.ReadFrom(zr)
	return b.String()
}

// rawCard matches the test card number in any of its written forms (and
// not "4111" inside a timestamp or a temporary directory's name).
var rawCard = regexp.MustCompile(`4111[ -]?1111[ -]?1111[ -]?1111`)
